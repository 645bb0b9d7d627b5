"""IMAP sync against a real Dovecot: folders, flags, moves, deletes, UIDVALIDITY, faults.

Every test gets its own mailbox user; messages arrive through Dovecot's LMTP as from an
MTA, and the tests change things on the server with a separate IMAP connection, as
another mail client (or webmail) would.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.servers import mail as mail_servers
from tests.servers.mail import TcpProxy, deliver_many, make_account, make_message
from tradeinbox.mailbox.models import Account, Folder, MessageLocation
from tradeinbox.mailbox.sync import AccountSync, _LocationRecorder, special_use_of, sync_account
from tradeinbox.store.models import Message

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user

pytestmark = [pytest.mark.servers, pytest.mark.django_db]

EXTENSION_SETS = {
    "qresync": (),
    "condstore-only": ("QRESYNC",),
    "plain-imap4rev1": ("QRESYNC", "CONDSTORE"),
}


def subjects_in(folder: Folder) -> set[str]:
    return set(
        MessageLocation.objects.filter(folder=folder).values_list("message__subject", flat=True)
    )


def folder(account: Account, use: str) -> Folder:
    return Folder.objects.get(account=account, special_use=use)


def assert_consistent(account: Account, dovecot, user: str) -> None:
    """Our locations mirror the server exactly: same UIDs in every folder, nothing twice."""
    with dovecot.imap(user) as client:
        for item in Folder.objects.filter(account=account, exists_on_server=True):
            client.select_folder(item.name, readonly=True)
            server_uids = set(client.search("ALL"))
            ours = list(MessageLocation.objects.filter(folder=item).values_list("uid", flat=True))
            assert len(ours) == len(set(ours))
            assert set(ours) == server_uids, item.name
    ids = list(Message.objects.exclude(message_id="").values_list("message_id", flat=True))
    assert len(ids) == len(set(ids)), "a message was stored twice"


def test_special_use_names_without_the_extension():
    assert special_use_of("INBOX", []) == "inbox"
    assert special_use_of("Sent Items", []) == "sent"
    assert special_use_of("INBOX.已发送", []) == "sent"
    assert special_use_of("[Gmail]/Spam", []) == "junk"
    assert special_use_of("Deleted Messages", []) == "trash"
    assert special_use_of("Projects/2026", []) == ""
    assert special_use_of("Whatever", [b"\\Archive"]) == "archive"


@pytest.mark.parametrize("mode", sorted(EXTENSION_SETS))
def test_initial_then_incremental_sync(dovecot, mail_user, mode):
    ignore = EXTENSION_SETS[mode]
    deliver_many(dovecot, mail_user.address, [make_message(f"Inquiry {i}") for i in range(12)])
    with dovecot.imap(mail_user.address) as client:
        client.append("Sent", make_message("Our quotation", sender=mail_user.address), [b"\\Seen"])
        client.append("Junk", make_message("You won a prize"))
    account = make_account(dovecot, mail_user)

    report = AccountSync(account, ignore_extensions=ignore).run()
    assert report.new == 14 and report.stored == 14
    uses = set(Folder.objects.filter(account=account).values_list("special_use", flat=True))
    assert {"inbox", "sent", "junk", "archive", "drafts", "trash"} <= uses
    assert subjects_in(folder(account, "sent")) == {"Our quotation"}
    assert Message.objects.get(subject="Our quotation").is_seen
    assert not Message.objects.get(subject="Inquiry 3").is_seen
    assert folder(account, "inbox").last_uid == 12

    # Changes made by another client: flags, a move, a delete, new mail.
    with dovecot.imap(mail_user.address) as client:
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        client.add_flags(uids[0:1], [b"\\Seen"])
        client.add_flags(uids[1:2], [b"\\Answered", b"\\Flagged"])
        client.move(uids[2:3], "Archive")
        client.delete_messages(uids[3:4])
        client.expunge()
    deliver_many(dovecot, mail_user.address, [make_message("Reorder 500 pcs")])

    report = AccountSync(account, ignore_extensions=ignore).run()
    assert report.new == 2  # the new mail, and the moved message's new place in Archive
    assert report.stored == 1  # ...which is the same message, stored once
    assert Message.objects.get(subject="Inquiry 0").is_seen
    answered = Message.objects.get(subject="Inquiry 1")
    assert answered.is_answered and answered.is_flagged
    assert subjects_in(folder(account, "archive")) == {"Inquiry 2"}
    assert "Inquiry 2" not in subjects_in(folder(account, "inbox"))
    assert not Message.objects.filter(subject="Inquiry 3").exists(), "deleted on the server"
    assert "Reorder 500 pcs" in subjects_in(folder(account, "inbox"))
    assert Message.objects.count() == 14
    assert_consistent(account, dovecot, mail_user.address)

    # Nothing changed: nothing fetched. With CONDSTORE the folders are not even selected.
    report = AccountSync(account, ignore_extensions=ignore).run()
    assert report.new == 0 and report.stored == 0 and report.as_dict()["flag_changes"] == 0
    if mode != "plain-imap4rev1":
        assert all(f.skipped for f in report.folders)


def test_flag_removed_on_server_is_picked_up(dovecot, mail_user):
    deliver_many(dovecot, mail_user.address, [make_message("Sample request")])
    with dovecot.imap(mail_user.address) as client:
        client.select_folder("INBOX")
        client.add_flags(client.search("ALL"), [b"\\Seen", b"\\Flagged"])
    account = make_account(dovecot, mail_user)
    AccountSync(account).run()
    assert Message.objects.get(subject="Sample request").is_flagged
    with dovecot.imap(mail_user.address) as client:
        client.select_folder("INBOX")
        client.remove_flags(client.search("ALL"), [b"\\Flagged", b"\\Seen"])
    report = AccountSync(account).run()
    message = Message.objects.get(subject="Sample request")
    assert report.as_dict()["flag_changes"] == 1
    assert not message.is_flagged and not message.is_seen


def test_uidvalidity_change_resyncs_without_duplicates(dovecot, mail_user):
    deliver_many(dovecot, mail_user.address, [make_message(f"PO {i}") for i in range(6)])
    account = make_account(dovecot, mail_user)
    AccountSync(account).run()
    before = set(Message.objects.values_list("id", flat=True))
    old = folder(account, "inbox").uidvalidity
    dovecot.set_uidvalidity(mail_user.address, "INBOX", old + 1000)
    report = AccountSync(account).run()
    inbox = folder(account, "inbox")
    assert [f.name for f in report.folders if f.uidvalidity_reset] == ["INBOX"]
    assert inbox.uidvalidity == old + 1000
    assert report.stored == 0 and report.duplicates == 6
    assert set(Message.objects.values_list("id", flat=True)) == before  # same rows, kept
    assert MessageLocation.objects.filter(folder=inbox).count() == 6
    assert_consistent(account, dovecot, mail_user.address)


def test_folder_deleted_on_server(dovecot, mail_user):
    with dovecot.imap(mail_user.address) as client:
        client.create_folder("Projects")
        client.append("Projects", make_message("Mould drawing"))
    account = make_account(dovecot, mail_user)
    AccountSync(account).run()
    assert Message.objects.filter(subject="Mould drawing").exists()
    with dovecot.imap(mail_user.address) as client:
        client.delete_folder("Projects")
    AccountSync(account).run()
    assert not Folder.objects.get(account=account, name="Projects").exists_on_server
    assert not Message.objects.filter(subject="Mould drawing").exists()


def test_dovecot_restart_mid_sync_then_resume(dovecot, mail_user, monkeypatch):
    monkeypatch.setattr("tradeinbox.mailbox.sync.FETCH_BATCH", 20)
    # More batches than the fetch thread reads ahead (it keeps a few in hand).
    deliver_many(dovecot, mail_user.address, [make_message(f"Catalogue {i}") for i in range(300)])
    account = make_account(dovecot, mail_user)
    original = _LocationRecorder.__call__
    restarted = []

    def record_then_restart(self, items):
        original(self, items)
        if not restarted and self.folder.last_uid >= 20:
            restarted.append(self.folder.last_uid)
            dovecot.restart()  # the server goes away between two batches

    monkeypatch.setattr(_LocationRecorder, "__call__", record_then_restart)
    assert sync_account(account, parallel=False) is None  # failed, recorded, no crash
    account.refresh_from_db()
    assert account.sync_failures == 1 and account.next_sync_at is not None
    assert "connection" in account.last_error.lower() or "mail server" in account.last_error.lower()
    committed = folder(account, "inbox").last_uid
    assert 20 <= committed < 300
    assert MessageLocation.objects.filter(folder__account=account).count() == committed

    report = sync_account(account, parallel=False)
    assert report is not None
    assert report.new == 300 - committed  # resumed after the checkpoint, nothing refetched
    account.refresh_from_db()
    assert account.sync_failures == 0 and account.last_error == ""
    assert Message.objects.count() == 300
    assert_consistent(account, dovecot, mail_user.address)


def test_connection_cut_at_random_points(dovecot, mail_user, monkeypatch):
    monkeypatch.setattr("tradeinbox.mailbox.sync.FETCH_BATCH", 25)
    messages = [
        make_message(f"Offer {i}", "Price list attached.\n" * (i % 40 + 1)) for i in range(150)
    ]
    deliver_many(dovecot, mail_user.address, messages)
    proxy = TcpProxy(dovecot.imap_port, seed=11)
    try:
        proxy.cut_after = (300, 60_000)
        proxy.cut_connections = 6
        account = make_account(dovecot, mail_user, imap_port=proxy.port)
        reports = []
        for _attempt in range(12):
            report = sync_account(account, parallel=False)
            account.refresh_from_db()
            if report is not None:
                reports.append(report)
                break
        assert reports, account.last_error
        assert proxy.cuts >= 3
    finally:
        proxy.close()
    account.imap_port = dovecot.imap_port
    account.save()
    assert Message.objects.count() == 150
    assert_consistent(account, dovecot, mail_user.address)


def test_parallel_parse_path_matches(dovecot, mail_user):
    """The process-pool path (used for large initial syncs) stores the same thing."""
    deliver_many(dovecot, mail_user.address, [make_message(f"Bulk {i}") for i in range(60)])
    account = make_account(dovecot, mail_user)
    report = AccountSync(account, parallel=True, batch_size=16).run()
    assert report.stored == 60
    assert MessageLocation.objects.filter(folder__account=account).count() == 60
    assert_consistent(account, dovecot, mail_user.address)


def test_stop_request_ends_at_a_batch_boundary(dovecot, mail_user, monkeypatch):
    monkeypatch.setattr("tradeinbox.mailbox.sync.FETCH_BATCH", 20)
    deliver_many(dovecot, mail_user.address, [make_message(f"Spec {i}") for i in range(80)])
    account = make_account(dovecot, mail_user)
    stop = threading.Event()
    calls = []

    def should_stop() -> bool:
        calls.append(time.monotonic())
        if len(calls) >= 2:
            stop.set()
        return stop.is_set()

    assert sync_account(account, should_stop=should_stop, parallel=False) is None
    done = folder(account, "inbox").last_uid
    assert 0 < done < 80
    assert MessageLocation.objects.filter(folder__account=account).count() == done
    account.refresh_from_db()
    assert account.sync_failures == 0 and account.sync_lease_until is None
