"""Failure-reason classification of bounce diagnostics (tradeinbox.core.bounce_reasons).

Message-level recognition of bounces, DSNs, complaints and auto-replies is in
tests/test_bounce_reports.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeinbox.core.bounce_reasons import classify_failure, find_smtp_command


@pytest.mark.parametrize(
    ("status", "code", "action", "text", "hard", "reason"),
    [
        ("5.1.1", "550", "failed", "User unknown", True, "user_unknown"),
        ("5.2.2", "552", "failed", "Mailbox full", False, "mailbox_full"),
        ("4.4.7", None, "delayed", "retry timeout exceeded", False, "expired"),
        (
            None,
            "550",
            None,
            "550 No such user here (in reply to RCPT TO command)",
            True,
            "user_unknown",
        ),
        # no x.1.x status and no RCPT stage: not proof the mailbox is gone
        (None, "550", None, "No such user here", False, "filtered"),
        (None, "550", None, "Host or domain name not found", True, "host_unknown"),
        ("5.7.1", "554", None, "rejected: listed at spamhaus", False, "spam"),
        ("5.2.1", "550", None, "550 5.2.1 User Unknown", False, "filtered"),
        ("5.2.1", "550", None, "after RCPT TO: 550 5.2.1 User Unknown", True, "user_unknown"),
        (
            None,
            "550",
            None,
            "550 User unknown (in reply to end of DATA command)",
            False,
            "filtered",
        ),
        (
            None,
            None,
            None,
            "RCPT TO:<li@x.cn> 550 用户不存在 (in reply to RCPT TO command)",
            True,
            "user_unknown",
        ),
        (None, None, None, "用户不存在", False, "filtered"),
        (None, None, None, "送信先のメールボックスが一杯のため", False, "mailbox_full"),
    ],
)
def test_classify_failure(status, code, action, text, hard, reason) -> None:
    c = classify_failure(status=status, smtp_code=code, action=action, diagnostic=text)
    assert (c.hard, c.reason) == (hard, reason)
    assert c.evidence


@given(
    status=st.from_regex(r"\A4\.[0-7]\.[0-9]{1,2}\Z"),
    text=st.sampled_from(["User unknown", "no such user", "host unknown", "", "mailbox full"]),
)
def test_temporary_failures_are_never_hard(status: str, text: str) -> None:
    c = classify_failure(status=status, smtp_code=None, action=None, diagnostic=text)
    assert not c.hard and not c.permanent


# --- SMTP stage and reporter rules ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        (
            "host mx.b.com said: 550 5.1.1 <a@b.com>: User unknown (in reply to\n    RCPT TO command)",
            "RCPT",
        ),
        ("said: 550 5.7.1 spam (in reply to end of DATA command)", "DATA"),
        ("SMTP error from remote mail server after RCPT TO:<a@b.com>:", "RCPT"),
        ("SMTP error from remote server after RCPT command:", "RCPT"),
        ("SMTP error from remote mail server after MAIL FROM:<s@x.com>:", "MAIL"),
        ("SMTP error from remote mail server after end of data:", "DATA"),
        ("SMTP error from remote mail server after initial connection:", "CONN"),
        ("mx.b.com did not like our RCPT TO:\n550 5.1.1 unknown", "RCPT"),
        ("... while talking to mx.b.com.:\n>>> RCPT To:<a@b.com>\n<<< 550 5.1.1 unknown", "RCPT"),
        (">>> MAIL From:<s@x.com>\n<<< 250 ok\n>>> DATA\n<<< 554 rejected", "DATA"),
        ("192.0.2.2 does not like recipient.\nRemote host said: 550 no mailbox", "RCPT"),
        ("550: <a@b.com>: User unknown\n[RCPT_TO]", "RCPT"),
        ("SMTP:RCPT host 192.0.2.8: 553 5.3.0 No such user here", "RCPT"),
        # false positives: command words inside addresses and host names
        ("550 unknown user DATABASE@b.com at mail.rcpt-host.b.com", None),
        ("User unknown", None),
    ],
)
def test_find_smtp_command(text: str, command: str | None) -> None:
    assert find_smtp_command(text) == command


@pytest.mark.parametrize(
    ("kwargs", "hard", "reason"),
    [
        # refused at MAIL FROM: the sender's domain, not the recipient
        (
            dict(
                status="5.1.7",
                smtp_code="550",
                action="failed",
                diagnostic="SMTP error from remote mail server after MAIL FROM:<s@x.com>:\n"
                "550 5.1.7 No such domain x.com.",
            ),
            False,
            "sender_rejected",
        ),
        # refused at connect/HELO
        (
            dict(
                status=None,
                smtp_code="550",
                action="failed",
                diagnostic="Connected to 192.0.2.1 but my name was rejected.\n550 host unknown",
            ),
            False,
            "blocked",
        ),
        # a local delivery program failing (X-Unix) says nothing about the address
        (
            dict(
                status="5.1.1",
                smtp_code=None,
                action="failed",
                diagnostic='procmail: Couldn\'t create "/var/spool/mail/neko": No such user',
                diagnostic_type="x-unix",
            ),
            False,
            "mailer_error",
        ),
        # explicit recipient-preference words beat a careless 5.1.1 (Facebook)
        (
            dict(
                status="5.1.1",
                smtp_code="550",
                action="failed",
                diagnostic="550 5.1.1 RCP-P2 Refused due to recipient preferences",
            ),
            False,
            "filtered",
        ),
        # Google Groups' guess is not proof
        (
            dict(
                status=None,
                smtp_code=None,
                action="failed",
                diagnostic="the group you tried to contact (sales) may not exist, or you may "
                "not have permission to post messages to the group",
            ),
            False,
            "undefined",
        ),
        # RFC 7504 521: the host does not accept mail at all
        (
            dict(
                status="5.3.2",
                smtp_code="521",
                action="failed",
                diagnostic="521 5.3.2 <a@b.example>: host does not receive any mail",
            ),
            True,
            "not_accept",
        ),
        # Exim's null MX (RFC 7505) wording
        (
            dict(
                status=None,
                smtp_code=None,
                action="failed",
                diagnostic="a@b.example\n    an MX or SRV record indicated no SMTP service",
            ),
            True,
            "not_accept",
        ),
        # the recipient's own directory, whatever the stage
        (
            dict(
                status=None,
                smtp_code=None,
                action="failed",
                diagnostic="User Li (li@b.com) not listed in Domino Directory",
            ),
            True,
            "user_unknown",
        ),
        (
            dict(
                status=None,
                smtp_code="554",
                action="failed",
                diagnostic="mail.local: unknown user: li\n554 <li@b.com>... Service unavailable",
            ),
            True,
            "user_unknown",
        ),
        # Microsoft 365 directory-based edge blocking, at RCPT TO
        (
            dict(
                status="5.4.1",
                smtp_code="550",
                action="failed",
                diagnostic="550 5.4.1 [li@b.com]: Recipient address rejected: Access denied",
                context="(in reply to RCPT TO command)",
            ),
            True,
            "user_unknown",
        ),
        # "User unknown" after DATA under a 5.2.x mailbox status: a carrier's filter
        (
            dict(
                status="5.2.0",
                smtp_code="550",
                action="failed",
                diagnostic="550 Unknown user li@docomo.example",
                context=">>> DATA\n<<< 550 Unknown user li@docomo.example",
            ),
            False,
            "filtered",
        ),
        ("sender rejected", False, "sender_rejected"),
        # x.1.1 with a temporary reply stays soft, even for "user unknown"
        (
            dict(
                status="4.1.1",
                smtp_code="450",
                action="failed",
                diagnostic="450 4.1.1 <a@b.com>: Recipient address rejected: User unknown "
                "(in reply to RCPT TO command)",
            ),
            False,
            "user_unknown",
        ),
    ],
)
def test_stage_and_reporter_rules(kwargs, hard: bool, reason: str) -> None:
    if isinstance(kwargs, str):
        kwargs = dict(
            status="5.1.0",
            smtp_code="550",
            action="failed",
            diagnostic=f"550 5.1.0 <x@ses.example> {kwargs}",
        )
    c = classify_failure(**kwargs)
    assert (c.hard, c.reason) == (hard, reason), c.evidence
    assert c.evidence
