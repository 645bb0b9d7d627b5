"""Bounce, DSN, complaint and auto-reply recognition (tradeinbox.core.bounces).

How a single failure diagnostic is classified (hard/soft, reason) is in
tests/test_bounce_reasons.py.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.bounces import detect_bounce, former_evidence

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)

DSN_TWO = b"""From: Mail Delivery System <MAILER-DAEMON@mx.seller.com>
To: anna@seller.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.seller.com.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.seller.com

Final-Recipient: rfc822; gone@buyer.com.br
Original-Recipient: rfc822;gone@buyer.com.br
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@buyer.com.br>: Recipient address rejected: User unknown

Final-Recipient: rfc822; busy@buyer.com.br
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B
Content-Type: text/rfc822-headers

From: anna@seller.com
To: gone@buyer.com.br, busy@buyer.com.br
Subject: Quotation
Message-ID: <quote-42@seller.com>

--B--
"""


def test_rfc3464_dsn_with_hard_and_soft_recipient() -> None:
    r = detect_bounce(DSN_TWO)
    assert r.kind == "dsn"
    by = {x.address: x for x in r.recipients}
    assert set(by) == {"gone@buyer.com.br", "busy@buyer.com.br"}
    assert by["gone@buyer.com.br"].hard and by["gone@buyer.com.br"].reason == "user_unknown"
    assert not by["busy@buyer.com.br"].hard and not by["busy@buyer.com.br"].permanent
    assert r.original_message_id == "quote-42@seller.com"
    assert r.reporting_mta == "mx.seller.com"
    assert r.hard_addresses == ["gone@buyer.com.br"]


def test_dsn_blocks_without_blank_lines_are_split() -> None:
    raw = DSN_TWO.replace(b"rejected: User unknown\n\nFinal", b"rejected: User unknown\nFinal")
    assert {x.address for x in detect_bounce(raw).recipients} == {
        "gone@buyer.com.br",
        "busy@buyer.com.br",
    }


def test_parsed_message_input() -> None:
    if importlib.util.find_spec("tradeinbox.core.parse") is None:
        pytest.skip("tradeinbox.core.parse not present")
    from tradeinbox.core.parse import parse_message

    r = detect_bounce(parse_message(DSN_TWO), raw=DSN_TWO)
    assert {x.address for x in r.recipients} == {"gone@buyer.com.br", "busy@buyer.com.br"}
    plain = detect_bounce(parse_message(QMAIL))
    assert plain.kind == "bounce" and plain.failed_addresses == ["li.ming@factory.cn"]


QMAIL = b"""From: MAILER-DAEMON@mx4.seller.com
To: anna@seller.com
Subject: failure notice
Return-Path: <>

Hi. This is the qmail-send program at mx4.seller.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<li.ming@factory.cn>:
192.0.2.32 said: 552 5.2.2 Mailbox is full (quota exceeded)

--- Below this line is a copy of the message.

Return-Path: <anna@seller.com>
Message-ID: <offer-7@seller.com>
From: Anna <anna@seller.com>
To: li.ming@factory.cn
Subject: Offer

Hello
"""


def test_qmail_bounce_mailbox_full_is_soft() -> None:
    r = detect_bounce(QMAIL)
    assert r.kind == "bounce"
    assert r.failed_addresses == ["li.ming@factory.cn"]
    (rcpt,) = r.recipients
    assert rcpt.reason == "mailbox_full" and not rcpt.hard and rcpt.permanent
    assert r.original_message_id == "offer-7@seller.com"
    assert former_evidence(r, "li.ming@factory.cn") == []


def test_exim_x_failed_recipients() -> None:
    raw = b"""From: Mail Delivery System <Mailer-Daemon@mail.seller.com>
To: anna@seller.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: nobody.here@buyer.es
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  nobody.here@buyer.es
    SMTP error from remote mail server after RCPT TO:<nobody.here@buyer.es>:
    550 5.1.1 <nobody.here@buyer.es>: Recipient address rejected: User unknown
"""
    r = detect_bounce(raw)
    assert r.kind == "bounce" and r.failed_addresses == ["nobody.here@buyer.es"]
    assert r.recipients[0].hard and r.recipients[0].status == "5.1.1"


def test_arf_complaint() -> None:
    raw = b"""From: feedback@isp.example
To: abuse@seller.com
Subject: complaint
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: angry@isp.example

--F
Content-Type: message/rfc822

From: anna@seller.com
To: angry@isp.example
Message-ID: <news-1@seller.com>
Subject: News

hi
--F--
"""
    r = detect_bounce(raw)
    assert r.kind == "complaint" and r.feedback_type == "abuse"
    assert [x.address for x in r.recipients] == ["angry@isp.example"]
    assert r.original_message_id == "news-1@seller.com"
    assert r.failed_addresses == []


def _reply(subject: str, body: str, extra: str = "") -> bytes:
    return (
        f"From: Wang Fang <wang.fang@factory.cn>\nTo: anna@seller.com\nSubject: {subject}\n"
        f"{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def test_vacation_autoreply() -> None:
    r = detect_bounce(
        _reply(
            "Automatic reply: Offer",
            "I am out of the office until 5 May.",
            "Auto-Submitted: auto-replied\n",
        )
    )
    assert r.kind == "autoreply" and r.autoreply_type == "vacation"
    assert r.autoreply_from == "wang.fang@factory.cn"


@pytest.mark.parametrize(
    "body",
    [
        "王芳已离职，请联系 li.ming@factory.cn",
        "Wang Fang has left the company. Please write to sales@factory.cn.",
        "La Sra. Wang ya no trabaja en esta empresa.",
        "Frau Wang ist nicht mehr im Unternehmen tätig.",
    ],
)
def test_left_company_autoreply_makes_former(body: str) -> None:
    r = detect_bounce(_reply("自动回复: Offer", body, "X-Autoreply: yes\n"))
    assert r.kind == "autoreply" and r.autoreply_type == "left_company"
    assert former_evidence(r, "wang.fang@factory.cn")


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Re: delivery schedule", "The delivery failed to reach us on time; please retry."),
        ("Re: Returned goods", "We returned the goods, delivery to the following address:"),
        ("Out of stock notice", "Item 55 is out of stock, we will be back in May."),
    ],
)
def test_business_mail_mentioning_delivery_is_not_a_bounce(subject: str, body: str) -> None:
    assert detect_bounce(_reply(subject, body)).kind is None


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_on_garbage(data: bytes) -> None:
    r = detect_bounce(b"From: x@y.com\nSubject: s\n\n" + data)
    assert r.kind in (None, "dsn", "bounce", "complaint", "autoreply")


# --- report formats --------------------------------------------------------------------


MULTI_LINE = b"""From: MAILER-DAEMON@mx.seller.com
To: anna@seller.com
Subject: Delivery status notification: failed

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

gone@buyer.example: 550 5.1.1 <gone@buyer.example>: Recipient address rejected: User unknown
full@buyer.example: 552 5.2.2 <full@buyer.example>: Recipient address rejected: Mailbox full

    Below is a copy of the original message:

From: anna@seller.com
To: gone@buyer.example, full@buyer.example
Subject: Offer
Message-ID: <offer-9@seller.com>

hi
"""


def test_one_line_per_recipient_keeps_each_reason() -> None:
    r = detect_bounce(MULTI_LINE)
    by = {x.address: x for x in r.recipients}
    assert set(by) == {"gone@buyer.example", "full@buyer.example"}
    assert by["gone@buyer.example"].hard and by["gone@buyer.example"].reason == "user_unknown"
    assert not by["full@buyer.example"].hard
    assert by["full@buyer.example"].reason == "mailbox_full"
    assert r.original_message_id == "offer-9@seller.com"


def test_cr_only_newlines_parse_like_lf() -> None:
    cr = MULTI_LINE.replace(b"\n", b"\r")
    assert {x.address: x.hard for x in detect_bounce(cr).recipients} == {
        x.address: x.hard for x in detect_bounce(MULTI_LINE).recipients
    }


SES = b"""From: SES <no-reply@sns.amazonaws.com>
To: anna@seller.com
Subject: AWS Notification Message
Content-Type: text/plain; charset=UTF-8

{"notificationType":"Bounce","bounce":{"bounceType":"%s","bounceSubType":"General","bouncedRe
 cipients":[{"emailAddress":"li@buyer.example","action":"failed","status":"%s","diagnosticCode":"smtp; %s"}]},"mail":{"source":"anna@seller.com","sourceArn":"arn:aws:ses:us-west-2:1:identity/anna@seller.com","destination":["li@buyer.example"]}}

--
unsubscribe: https://sns.example/unsubscribe.html?SubscriptionArn=arn:x&Endpoint=anna@seller.com
"""


def test_ses_json_notification() -> None:
    hard = detect_bounce(SES % (b"Permanent", b"5.1.1", b"550 5.1.1 user unknown"))
    assert hard.kind == "dsn" and hard.failed_addresses == ["li@buyer.example"]
    assert hard.recipients[0].hard and hard.recipients[0].status == "5.1.1"
    soft = detect_bounce(SES % (b"Transient", b"5.2.2", b"552 5.2.2 mailbox full"))
    assert soft.failed_addresses == ["li@buyer.example"]
    assert not soft.recipients[0].hard and not soft.recipients[0].permanent
    delivered = (
        b"From: SES <no-reply@sns.amazonaws.com>\nTo: anna@seller.com\nSubject: AWS Notification"
        b'\n\n{"notificationType":"Delivery","delivery":{"recipients":["li@buyer.example"]}}\n'
    )
    r = detect_bounce(delivered)
    assert r.delivered == ["li@buyer.example"] and r.recipients == []


def test_bounce_rewrapped_by_a_gateway_uses_the_inner_report() -> None:
    inner = DSN_TWO.replace(b"anna@seller.com", b"gw@seller.com")
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@gw.seller.com>\nTo: anna@seller.com\n"
        b"Subject: Returned mail: User unknown\n"
        b'Content-Type: multipart/mixed; boundary="O"\n\n--O\nContent-Type: text/plain\n\n'
        b"----- The following addresses had permanent delivery errors -----\n\n"
        b"--O\nContent-Type: message/rfc822\n\n" + inner + b"\n--O--\n"
    )
    r = detect_bounce(raw)
    assert r.kind == "bounce"
    assert {x.address: x.hard for x in r.recipients} == {
        "gone@buyer.com.br": True,
        "busy@buyer.com.br": False,
    }
    assert any(e.rule == "bounce.nested" for e in r.evidence)


def test_multipart_with_unfolded_boundary_is_still_read() -> None:
    # the boundary parameter sits on its own unindented line, so the parser cannot split
    raw = b"""From: post_master@vtext.example.com
To: anna@seller.com
Subject: Re:Offer
Content-Type: multipart/mixed; boundary="A"

--A
Content-Type: multipart/alternative;
boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

Error: Invalid user address

Error message below:
550 - Requested action not taken: no such user here

Message details:
  RCPT TO: 5550100@vtext.example.com

--B--

--A--
"""
    r = detect_bounce(raw)
    assert r.kind == "bounce" and r.failed_addresses == ["5550100@vtext.example.com"]


def test_quoted_local_part_is_one_address() -> None:
    raw = b"""From: MAILER-DAEMON@mx.seller.com (Mail Delivery System)
To: anna@seller.com
Subject: Undelivered Mail Returned to Sender

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<"li..ming"@buyer.example>: host mx.buyer.example[192.0.2.2] said:
    550 5.1.1 <"li..ming"@buyer.example>... User Unknown (in reply to RCPT TO command)
"""
    r = detect_bounce(raw)
    assert r.failed_addresses == ['"li..ming"@buyer.example'] and r.recipients[0].hard


# --- corpora -------------------------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_bounces", Path(__file__).resolve().parents[1] / "bench" / "bounces.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.corpora
@pytest.mark.slow
def test_sisimai_corpus() -> None:
    root = CORPORA / "sisimai_bounces"
    if not (root / "labels.csv").is_file():
        pytest.skip("sisimai_bounces corpus absent")
    s = _bench().bench_sisimai(root, verbose=False)
    assert s["address_right"] / s["bounces"] >= 0.95
    assert s["hs_right"] / s["hs_total"] >= 0.9
    assert s["kind_right"] / s["kind_total"] >= 0.7
    for path in (root / "maildir" / "not").glob("*.eml"):
        assert detect_bounce(path.read_bytes()).kind is None, path.name


@pytest.mark.corpora
@pytest.mark.slow
def test_flufl_corpus() -> None:
    root = CORPORA / "flufl_bounce"
    if not (root / "labels.csv").is_file():
        pytest.skip("flufl_bounce corpus absent")
    s = _bench().bench_flufl(root, verbose=False)
    assert s["address_right"] / s["bounces"] >= 0.9
    assert s["perm_right"] / s["perm_total"] >= 0.9
