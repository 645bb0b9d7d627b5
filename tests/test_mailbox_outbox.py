"""The outbox against a real SMTP relay that delivers into Dovecot.

Exactly-once is checked where it matters: in the recipient's real mailbox, by Message-ID.
"""

from __future__ import annotations

import email
import itertools
import os
import threading
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from django.db import connection

from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, make_account
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import OutboxMessage

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.django_db]
Status = OutboxMessage.Status


_buyers = itertools.count(1)


@pytest.fixture
def buyer(dovecot):
    address = f"buyer{next(_buyers)}-{os.getpid()}@{DOMAIN}"
    dovecot.add_user(address, "buyer-pw")
    return address


@pytest.fixture
def account(dovecot, mail_user, relay):
    return make_account(dovecot, mail_user, relay, signature="Li Wei\nNingbo Tools Co., Ltd.")


def due_now(row: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=datetime.now(UTC))


def test_send_delivers_once_and_saves_to_sent(dovecot, account, buyer, mail_user):
    row = outbox.compose(
        account,
        to=f"Ana Buyer <{buyer}>",
        subject="Quotation QT-2026-031 for 5,000 pcs",
        body="Dear Ana,\n.\nPlease find the price list attached.\n",
        attachments=[
            outbox.OutgoingAttachment("price list.pdf", "application/pdf", b"%PDF-1.4 test")
        ],
    )
    assert row.message_id.endswith(f"@{DOMAIN}>") and row.status == Status.QUEUED
    assert outbox.run_due("test-worker") == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.sent_copy_saved and row.attempts == 1
    assert dovecot.message_ids(buyer) == [row.message_id]
    assert dovecot.message_ids(mail_user.address, "Sent") == [row.message_id]
    with dovecot.imap(buyer) as client:
        client.select_folder("INBOX")
        raw = next(iter(client.fetch(client.search("ALL"), ["BODY[]"]).values()))[b"BODY[]"]
    received = email.message_from_bytes(raw, policy=policy.default)
    assert received["From"].addresses[0].display_name == "Li Wei @ Ningbo Tools"
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\n.\n" in text  # a lone dot survives dot-stuffing
    assert text.rstrip().endswith("Ningbo Tools Co., Ltd.") and "\n-- \n" in text
    assert [p.get_filename() for p in received.iter_attachments()] == ["price list.pdf"]
    assert outbox.run_due("test-worker") == 0  # nothing left: never sent twice


@pytest.mark.parametrize(
    ("command", "code", "words"),
    [
        ("MAIL", 421, "4.3.2 Service shutting down, try later"),
        ("RCPT", 451, "4.7.1 Greylisted, come back in 5 minutes"),
        ("DATA", 451, "4.3.0 Temporary local problem"),
    ],
)
def test_temporary_failures_retry_with_backoff(
    dovecot, account, buyer, relay, command, code, words
):
    relay.fail(command, code, words)
    row = outbox.compose(account, to=buyer, subject="Samples shipped", body="Tracking: 1Z999")
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.QUEUED
    assert f"{code} {words}" in row.last_error
    assert row.next_attempt_at > datetime.now(UTC) + timedelta(seconds=5)
    assert outbox.run_due("w") == 0  # backing off
    assert dovecot.message_ids(buyer) == []
    due_now(row)
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and row.last_error == ""
    assert dovecot.message_ids(buyer) == [row.message_id]


@pytest.mark.parametrize("command", ["RCPT", "DATA", "MAIL"])
def test_permanent_failure_keeps_the_servers_words(dovecot, account, buyer, relay, command):
    words = "5.1.1 <nobody@buyer.example>: Recipient address rejected: User unknown"
    relay.fail(command, 550, words)
    row = outbox.compose(account, to=buyer, subject="Invoice", body="Attached.")
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert f"550 {words}" in row.last_error
    assert dovecot.message_ids(buyer) == []
    assert outbox.run_due("w") == 0
    assert outbox.send_again(row.pk)
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT and dovecot.message_ids(buyer) == [row.message_id]


def test_one_refused_recipient_does_not_stop_the_others(dovecot, account, buyer, relay):
    relay.fail("RCPT", 550, "5.1.1 User unknown")
    row = outbox.compose(account, to=f"gone@{DOMAIN}", cc=buyer, subject="Catalogue", body="Hi")
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.refused == {f"gone@{DOMAIN}": "550 5.1.1 User unknown"}
    assert "gone@" in row.last_error and dovecot.message_ids(buyer) == [row.message_id]


def test_crash_before_the_final_dot_sends_once(dovecot, account, buyer, mail_user):
    """A worker died with the row claimed in the envelope phase: nothing was delivered."""
    row = outbox.compose(account, to=buyer, subject="PI 2231", body="Proforma attached")
    claimed = outbox.claim_next("dead-host:1")
    OutboxMessage.objects.filter(pk=claimed.pk).update(
        phase="envelope", lease_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1
    assert dovecot.message_ids(buyer) == [row.message_id]
    assert dovecot.message_ids(mail_user.address, "Sent") == [row.message_id]


def test_crash_after_acceptance_only_saves_the_copy(dovecot, account, buyer, mail_user):
    row = outbox.compose(account, to=buyer, subject="Shipping docs", body="B/L attached")
    outbox.run_due("w")
    assert dovecot.message_ids(buyer) == [row.message_id]
    # Pretend the worker died after the 250 but before the Sent copy was confirmed.
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=Status.ACCEPTED,
        sent_copy_saved=False,
        locked_by="gone:1",
        lease_until=datetime.now(UTC) - timedelta(seconds=1),
    )
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert dovecot.message_ids(buyer) == [row.message_id]  # not sent again
    assert dovecot.message_ids(mail_user.address, "Sent") == [row.message_id]  # not copied twice


def test_crash_in_the_commit_window_is_never_resent(dovecot, account, buyer):
    row = outbox.compose(account, to=buyer, subject="Deposit received", body="Thanks")
    outbox.claim_next("gone:1")
    OutboxMessage.objects.filter(pk=row.pk).update(
        phase="commit", lease_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.UNCERTAIN and "may" in row.last_error
    assert dovecot.message_ids(buyer) == []
    assert outbox.run_due("w") == 0


def test_commit_window_with_server_side_sent_copy_counts_as_sent(
    dovecot, account, buyer, mail_user
):
    """Servers such as Gmail file the message in Sent themselves: finding it there settles it."""
    row = outbox.compose(account, to=buyer, subject="Order confirmation", body="Confirmed")
    raw = outbox.blobs().get(row.raw_sha256)
    with dovecot.imap(mail_user.address) as client:
        client.append("Sent", raw, [b"\\Seen"])
    outbox.claim_next("gone:1")
    OutboxMessage.objects.filter(pk=row.pk).update(
        phase="commit", lease_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    outbox.run_due("w")
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert dovecot.message_ids(mail_user.address, "Sent") == [row.message_id]


def test_scheduled_send_cancel_and_move(dovecot, account, buyer):
    later = datetime.now(UTC) + timedelta(hours=2)
    row = outbox.compose(account, to=buyer, subject="Follow-up", body="Any news?", send_at=later)
    cancelled = outbox.compose(account, to=buyer, subject="Old offer", body="x", send_at=later)
    assert row.send_at == later and row.send_at.tzinfo is not None
    assert outbox.run_due("w") == 0
    assert outbox.cancel(cancelled.pk)
    new_time = datetime.now(UTC) + timedelta(seconds=1)
    assert outbox.reschedule(row.pk, new_time)
    row.refresh_from_db()
    raw = outbox.blobs().get(row.raw_sha256)
    assert email.message_from_bytes(raw, policy=policy.default)[
        "Date"
    ].datetime >= new_time.replace(microsecond=0)
    import time

    time.sleep(1.2)
    assert outbox.run_due("w") == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.sent_at - row.send_at < timedelta(seconds=30)
    assert not outbox.cancel(row.pk) and not outbox.reschedule(row.pk, later)
    assert OutboxMessage.objects.get(pk=cancelled.pk).status == Status.CANCELLED
    assert dovecot.message_ids(buyer) == [row.message_id]


def test_compose_rejects_bad_addresses(account):
    with pytest.raises(ValueError, match="not an email address"):
        outbox.compose(account, to="ana at buyer", subject="x", body="y")
    with pytest.raises(ValueError, match="recipient"):
        outbox.compose(account, to="", subject="x", body="y")


# available_apps makes the flush afterwards TRUNCATE ... CASCADE (the search table
# refers to store_message without Django knowing).
@pytest.mark.django_db(transaction=True, available_apps=["tradeinbox.mailbox"])
def test_two_workers_never_claim_the_same_row(dovecot, mail_user, relay):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED row claims are a PostgreSQL feature (SQLite serialises writers)")
    account = make_account(dovecot, mail_user, relay)
    rows = [
        outbox.compose(account, to=f"x{i}@{DOMAIN}", subject=f"n{i}", body="b") for i in range(40)
    ]
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        from django.db import connections

        barrier.wait()
        try:
            while True:
                row = outbox.claim_next(name)
                if row is None:
                    return
                claimed[name].append(row.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(claimed["a"]) & set(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == sorted(r.pk for r in rows)
    assert claimed["a"] and claimed["b"]
