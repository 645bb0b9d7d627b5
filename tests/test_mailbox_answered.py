"""A reply sent from the outbox flags its original \\Answered, in the store and in Dovecot."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, make_account, make_message
from tradeinbox.core.sources import RawMessage
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.answered import JOB_KIND
from tradeinbox.mailbox.models import MessageLocation, OutboxMessage
from tradeinbox.mailbox.sync import AccountSync
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message
from tradeinbox.worker.jobs import claim_next, run_job
from tradeinbox.worker.models import Job

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.django_db]
INQUIRY_ID = f"rfq-7781@buyer.{DOMAIN}"


_buyers = itertools.count(1)


@pytest.fixture
def buyer(dovecot) -> str:
    address = f"answered-buyer{next(_buyers)}-{os.getpid()}@{DOMAIN}"
    dovecot.add_user(address, "buyer-pw")
    return address


@pytest.fixture
def account(dovecot, mail_user, relay, buyer):
    account = make_account(dovecot, mail_user, relay)
    account.test_buyer = buyer  # the reply's recipient: a real mailbox on the same Dovecot
    return account


def server_flags(dovecot, user: str, message_id: str) -> set[bytes]:
    with dovecot.imap(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        assert len(uids) == 1
        return set(client.get_flags(uids)[uids[0]])


def send_reply(account, in_reply_to: str = f"<{INQUIRY_ID}>") -> OutboxMessage:
    row = outbox.compose(
        account,
        to=f"Ana Buyer <{account.test_buyer}>",
        subject="Re: RFQ 7781 stainless hinges",
        body="Dear Ana,\nour offer is attached.\n",
        in_reply_to=in_reply_to,
    )
    assert outbox.run_due("test-worker") == 1
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    return row


def run_answered_jobs() -> list[Job]:
    # Other apps queue their analysis of synced mail; not this test's subject.
    Job.objects.exclude(kind=JOB_KIND).delete()
    done = []
    while (job := claim_next("test-worker")) is not None:
        done.append(run_job(job))
    return done


def test_reply_flags_the_original_answered_here_and_on_the_server(dovecot, mail_user, account):
    dovecot.deliver(mail_user.address, make_message("RFQ 7781", message_id=f"<{INQUIRY_ID}>"))
    AccountSync(account).run()
    original = Message.objects.get(message_id=INQUIRY_ID)
    assert not original.is_answered
    assert b"\\Answered" not in server_flags(dovecot, mail_user.address, f"<{INQUIRY_ID}>")

    send_reply(account)
    [job] = run_answered_jobs()
    assert job.status == Job.Status.DONE, job.error
    assert job.result == {"messages": 1, "marked_locally": 1, "stored": 1, "skipped": 0}
    assert b"\\Answered" in server_flags(dovecot, mail_user.address, f"<{INQUIRY_ID}>")
    original.refresh_from_db()
    assert original.is_answered
    location = MessageLocation.objects.get(message=original)
    assert "\\Answered" in location.flags

    # The next sync finds the server and the store already agreeing.
    report = AccountSync(account).run()
    assert sum(f.flag_changes for f in report.folders) == 0
    original.refresh_from_db()
    assert original.is_answered


def test_original_without_a_known_location_is_flagged_locally_only(dovecot, mail_user, account):
    raw = make_message("RFQ 7781", message_id=f"<{INQUIRY_ID}>")
    Importer().import_items([RawMessage("exported.mbox#1", raw)])  # from a file, not IMAP
    send_reply(account)
    [job] = run_answered_jobs()
    assert job.result == {"messages": 1, "marked_locally": 1, "stored": 0, "skipped": 0}
    assert Message.objects.get(message_id=INQUIRY_ID).is_answered


def test_renumbered_folder_is_not_flagged_by_stale_uids(dovecot, mail_user, account):
    dovecot.deliver(mail_user.address, make_message("RFQ 7781", message_id=f"<{INQUIRY_ID}>"))
    AccountSync(account).run()
    dovecot.set_uidvalidity(mail_user.address, "INBOX", 4242)
    send_reply(account)
    [job] = run_answered_jobs()
    assert job.result["stored"] == 0 and job.result["skipped"] == 1
    assert b"\\Answered" not in server_flags(dovecot, mail_user.address, f"<{INQUIRY_ID}>")


def test_a_new_message_queues_nothing(dovecot, mail_user, account):
    row = outbox.compose(
        account, to=account.test_buyer, subject="New catalogue", body="Dear Ana,\nhello.\n"
    )
    assert outbox.run_due("test-worker") == 1
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert not Job.objects.filter(kind=JOB_KIND).exists()


def test_job_fails_and_retries_when_the_server_is_down(dovecot, mail_user, account):
    dovecot.deliver(mail_user.address, make_message("RFQ 7781", message_id=f"<{INQUIRY_ID}>"))
    AccountSync(account).run()
    send_reply(account)
    dovecot.stop()
    try:
        [job] = run_answered_jobs()
    finally:
        dovecot.start()
    assert job.status == Job.Status.QUEUED and job.attempts == 1  # retried later
    assert Message.objects.get(message_id=INQUIRY_ID).is_answered  # shown at once anyway
    job.run_after = job.created_at
    job.save(update_fields=["run_after"])
    [again] = run_answered_jobs()
    assert again.status == Job.Status.DONE, again.error
    assert b"\\Answered" in server_flags(dovecot, mail_user.address, f"<{INQUIRY_ID}>")
