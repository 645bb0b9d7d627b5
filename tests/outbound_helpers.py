"""Helpers for the outbound tests: many Dovecot users at once, draining the outbox and
the job queue the way the worker does, reading what arrived in real Maildirs, and
building bounce and complaint reports as receiving servers write them."""

from __future__ import annotations

import email
import os
import re
from email import policy
from pathlib import Path

from tradeinbox.mailbox import outbox


def add_users(dovecot, addresses: list[str], password: str = "buyer-pw") -> None:
    """Add many passwd-file users with one file rewrite (Dovecot's add_user waits per user)."""
    for address in addresses[:-1]:
        dovecot.users[address] = password
        home = dovecot.home(address)
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, dovecot.uid, dovecot.gid)
    dovecot.add_user(addresses[-1], password)  # rewrites the file with everyone, then waits


def drain_outbox() -> int:
    """Send everything due, as the worker's outbox service does. Returns rows handled."""
    total = 0
    while True:
        done = outbox.run_due("test-worker", limit=50)
        if not done:
            return total
        total += done


def run_jobs(kinds: tuple[str, ...] = ()) -> list:
    """Run every queued job (the worker's job loop); returns the finished jobs of ``kinds``."""
    from tradeinbox.worker.jobs import claim_next, run_job

    finished = []
    while (job := claim_next("test-worker")) is not None:
        run_job(job)
        if not kinds or job.kind in kinds:
            finished.append(job)
    return finished


def arrived(dovecot, address: str) -> list[email.message.EmailMessage]:
    """Messages delivered into ``address``'s INBOX, read straight from its Maildir."""
    base = Path(dovecot.maildir(address))
    out = []
    for sub in ("new", "cur"):
        folder = base / sub
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                out.append(email.message_from_bytes(path.read_bytes(), policy=policy.default))
    return out


def body_text(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def link_in(message: email.message.EmailMessage, kind: str) -> str:
    """The first /outbound/<kind>/<token>/ URL in the text of ``message``."""
    found = re.search(rf"https?://\S+/outbound/{kind}/[A-Za-z0-9_.-]+/", body_text(message))
    assert found, body_text(message)
    return found.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def dsn(
    recipient: str, original_id: str, *, status: str = "5.1.1", action: str = "failed"
) -> bytes:
    """An RFC 3464 delivery status notification for one recipient."""
    words = "User unknown" if status.startswith("5") else "Mailbox full"
    code = "550" if status.startswith("5") else "452"
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.buyer.test>
To: sales@example.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{abs(hash((recipient, original_id, status)))}@mx.buyer.test>
Date: Mon, 02 Mar 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.buyer.test. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.buyer.test

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {code} {status} <{recipient}>: {words}

--B
Content-Type: text/rfc822-headers

From: Li Wei <sales@example.test>
To: {recipient}
Subject: Spring price list
Message-ID: {original_id}

--B--
""".replace("\n", "\r\n").encode()


def arf(recipient: str, original_id: str) -> bytes:
    """An RFC 5965 abuse report (the reader pressed "this is spam")."""
    return f"""From: Feedback Loop <fbl@mailbox-provider.test>
To: abuse@example.test
Subject: complaint about message from 192.0.2.10
Message-ID: <arf-{abs(hash((recipient, original_id)))}@mailbox-provider.test>
Date: Mon, 02 Mar 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.10.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: FBL/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--F
Content-Type: text/rfc822-headers

From: Li Wei <sales@example.test>
To: {recipient}
Message-ID: {original_id}

--F--
""".replace("\n", "\r\n").encode()


def import_mail(messages: dict[str, bytes]) -> None:
    """Store raw messages as the IMAP sync does (``messages_stored`` fires, jobs are queued)."""
    from tradeinbox.core.sources import RawMessage
    from tradeinbox.store.importer import Importer

    items = [RawMessage(f"test:{name}", raw) for name, raw in messages.items()]
    Importer().import_items(items, processes=0)
