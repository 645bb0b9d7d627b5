"""The outbox: compose saves a row, the worker sends it once, and saves a copy to Sent.

Never twice. The Message-ID and the bytes are fixed when the row is written. Sending moves
through phases that are committed *before* the step they announce:

* ``envelope``: MAIL/RCPT/DATA may be under way. Nothing is delivered until the final
  ``.`` (RFC 5321 4.1.1.4), so after a crash here the message is sent again, but only
  after looking in Sent for its Message-ID (in case the server saved it itself).
* ``commit``: the final ``.`` is about to be written. A crash between this commit and the
  reading of the server's 250 leaves the outcome unknown (the RFC 1047 window, a few
  milliseconds). The worker then looks in Sent; if the message is not there it is marked
  *may have been sent* for the user to decide, instead of risking a duplicate.
* ``accepted``: the server took it (status ``accepted``). Only the Sent copy is left, and
  that is retried on its own; the message is never sent again.

4xx replies retry with backoff; 5xx replies fail with the server's own words. Rows are
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``, so two workers never take the same.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from django.db import transaction
from django.db.models import Q

from tradeinbox import audit
from tradeinbox.crashpoints import crash_point
from tradeinbox.mailbox import answered
from tradeinbox.mailbox.connect import imap_endpoint, open_imap, open_smtp, smtp_endpoint
from tradeinbox.mailbox.errors import describe, smtp_words
from tradeinbox.mailbox.models import Account, Folder, OutboxMessage, SentCopy
from tradeinbox.store.rawstore import blob_store
from tradeinbox.worker.jobs import owner_is_dead

log = logging.getLogger(__name__)
Status = OutboxMessage.Status
Phase = OutboxMessage.Phase
LEASE = timedelta(minutes=10)
# 7bit transfer encodings: a message that any server relays unchanged (no 8BITMIME needed).
COMPOSE_POLICY = policy.SMTP.clone(cte_type="7bit")


def retry_base_seconds() -> float:
    return float(os.environ.get("TRADEINBOX_OUTBOX_RETRY_SECONDS", "30"))


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600.0, retry_base_seconds() * 2 ** max(0, attempts - 1)))


blobs = blob_store  # the outbox keeps message bytes in the same blob store


# -- compose --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


def parse_recipients(text: str) -> list[str]:
    """``"Ana <ana@x.example>, bo@y.example"`` -> the addresses, validated loosely."""
    found = []
    for _name, address in getaddresses([text.replace(";", ",")]):
        address = address.strip()
        if not address:
            continue
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
            raise ValueError(f"\u201c{address}\u201d is not an email address")
        found.append(address)
    return found


def _domain(account: Account) -> str:
    return account.email_address.rsplit("@", 1)[-1]


def build_message(
    account: Account,
    *,
    message_id: str,
    to: str,
    cc: str = "",
    subject: str,
    body: str,
    date: datetime,
    attachments: list[OutgoingAttachment] = (),
    in_reply_to: str = "",
    references: str = "",
    quoted: str = "",
) -> bytes:
    message = EmailMessage(policy=COMPOSE_POLICY)
    message["From"] = Address(display_name=account.display_name, addr_spec=account.email_address)
    if to.strip():
        message["To"] = to
    if cc.strip():
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date.astimezone(UTC))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = (references + " " + in_reply_to).strip()
    message["MIME-Version"] = "1.0"
    text = body.replace("\r\n", "\n")
    if account.signature.strip():
        text = text.rstrip("\n") + "\n\n-- \n" + account.signature.strip() + "\n"  # RFC 3676 4.3
    if quoted.strip():
        # The earlier mail goes under the signature (top-posting, as buyers' clients do).
        text = text.rstrip("\n") + "\n\n" + quoted.replace("\r\n", "\n").strip("\n") + "\n"
    message.set_content(text)
    for item in attachments:
        maintype, _, subtype = (item.content_type or "application/octet-stream").partition("/")
        message.add_attachment(
            item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return message.as_bytes(policy=COMPOSE_POLICY)


def compose(
    account: Account,
    *,
    to: str,
    cc: str = "",
    bcc: str = "",
    subject: str,
    body: str,
    attachments: list[OutgoingAttachment] = (),
    send_at: datetime | None = None,
    in_reply_to: str = "",
    references: str = "",
    user=None,
    quoted: str = "",
) -> OutboxMessage:
    """Save a message to send (now, or at ``send_at``, stored in UTC)."""
    recipients = parse_recipients(to) + parse_recipients(cc) + parse_recipients(bcc)
    if not recipients:
        raise ValueError("Add at least one recipient.")
    now = datetime.now(UTC)
    when = (send_at or now).astimezone(UTC)
    message_id = make_msgid(domain=_domain(account))
    raw = build_message(
        account,
        message_id=message_id,
        to=to,
        cc=cc,
        subject=subject,
        body=body,
        date=max(when, now),
        attachments=list(attachments),
        in_reply_to=in_reply_to,
        references=references,
        quoted=quoted,
    )
    digest = blobs().put(raw)
    row = OutboxMessage.objects.create(
        account=account,
        created_by=user,
        message_id=message_id,
        raw_sha256=digest,
        raw_size=len(raw),
        subject=subject,
        recipients=list(dict.fromkeys(recipients)),
        send_at=when,
        next_attempt_at=when,
    )
    audit.record(
        user,
        "outbox.queued",
        row,
        after={"from": account.email_address, "to": row.recipients, "send_at": when},
    )
    return row


def cancel(pk: int) -> bool:
    """Cancel a message that has not gone yet; False when it is already on its way."""
    return bool(
        OutboxMessage.objects.filter(pk=pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, updated_at=datetime.now(UTC)
        )
    )


def reschedule(pk: int, send_at: datetime) -> bool:
    """Move the send time of a message that has not gone yet (the Date header follows)."""
    when = send_at.astimezone(UTC)
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=Status.QUEUED)
            .first()
        )
        if row is None:
            return False
        if row.attempts == 0:
            raw = blobs().get(row.raw_sha256)
            raw = _replace_date(raw, max(when, datetime.now(UTC)))
            row.raw_sha256 = blobs().put(raw)
            row.raw_size = len(raw)
        row.send_at = when
        row.next_attempt_at = when
        row.save(
            update_fields=["send_at", "next_attempt_at", "raw_sha256", "raw_size", "updated_at"]
        )
        return True


def _replace_date(raw: bytes, when: datetime) -> bytes:
    head, sep, rest = raw.partition(b"\r\n\r\n")
    new = b"Date: " + format_datetime(when.astimezone(UTC)).encode() + b"\r\n"
    head2, count = re.subn(rb"(?im)^Date:[^\r\n]*\r\n", lambda _m: new, head + b"\r\n", count=1)
    return (head2[:-2] if count else head) + sep + rest


def send_again(pk: int) -> bool:
    """The user decided a failed or uncertain message should go (again) now."""
    now = datetime.now(UTC)
    return bool(
        OutboxMessage.objects.filter(pk=pk, status__in=[Status.FAILED, Status.UNCERTAIN]).update(
            status=Status.QUEUED,
            phase=Phase.NONE,
            attempts=0,
            next_attempt_at=now,
            send_at=now,
            last_error="",
            updated_at=now,
        )
    )


# -- the worker side ---------------------------------------------------------------------


def claim_next(worker_name: str) -> OutboxMessage | None:
    """Take the next due row (queued and due, a Sent copy to retry, or a dead worker's)."""
    now = datetime.now(UTC)
    due = (
        Q(status=Status.QUEUED, send_at__lte=now, next_attempt_at__lte=now)
        | (Q(status=Status.ACCEPTED, next_attempt_at__lte=now) & Q(lease_until__isnull=True))
        | Q(status__in=[Status.SENDING, Status.ACCEPTED], lease_until__lt=now)
    )
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")[:1]
        )
        if not rows:
            # A worker killed mid-send on this machine: no need to wait for its lease.
            stale = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                status__in=[Status.SENDING, Status.ACCEPTED], lease_until__gte=now
            )
            rows = [r for r in stale[:20] if owner_is_dead(r.locked_by)][:1]
        if not rows:
            return None
        row = rows[0]
        if row.status == Status.QUEUED:
            row.status = Status.SENDING
            row.attempts += 1
        row.locked_by = worker_name
        row.lease_until = now + LEASE
        row.save(update_fields=["status", "attempts", "locked_by", "lease_until", "updated_at"])
        return row


def _save(row: OutboxMessage, **fields) -> None:
    gone = (Status.ACCEPTED, Status.SENT)
    went_now = fields.get("status") in gone and row.status not in gone
    for name, value in fields.items():
        setattr(row, name, value)
    OutboxMessage.objects.filter(pk=row.pk).update(**fields, updated_at=datetime.now(UTC))
    if went_now:  # the server took it: the audit log's "sent", credited to its author
        audit.record(
            row.created_by, "outbox.sent", row, after={"to": row.recipients, "refused": row.refused}
        )
        answered.queue_after_send(row)  # a reply: flag its original \Answered


def process(row: OutboxMessage) -> OutboxMessage:
    """Carry a claimed row one step further; never raises for mail-server trouble."""
    if row.status == Status.ACCEPTED:
        _save_sent_copy(row)
        return row
    crash_point("outbox.claimed")
    # SENDING. A previous attempt that got as far as MAIL FROM may have delivered if it
    # also got past the final dot, and the server may keep its own Sent copy: look first.
    if row.attempts > 1 or row.phase:
        try:
            found = _find_in_sent(row)
        except Exception as exc:  # noqa: BLE001 - cannot look: do not risk a second copy
            _retry(row, "Could not check the Sent folder before sending again: " + describe(exc))
            return row
        if found:
            _save(
                row,
                status=Status.SENT,
                phase=Phase.NONE,
                sent_at=row.sent_at or datetime.now(UTC),
                sent_copy_saved=True,
                lease_until=None,
                locked_by="",
                last_error="",
            )
            return row
        if row.phase == Phase.COMMIT:
            _save(
                row,
                status=Status.UNCERTAIN,
                lease_until=None,
                locked_by="",
                last_error=(
                    "The connection was interrupted just as the server was accepting this message, "
                    "so it may already have been delivered. It is not in Sent. Check with the "
                    "recipient, then use \u201cSend again\u201d if it did not arrive."
                ),
            )
            return row
    _send(row)
    if row.status == Status.ACCEPTED:
        crash_point("outbox.accepted")
        _save_sent_copy(row)
    return row


def _retry(row: OutboxMessage, words: str) -> None:
    if row.attempts >= row.max_attempts:
        _save(
            row,
            status=Status.FAILED,
            phase=Phase.NONE,
            last_error=words + f" (gave up after {row.attempts} attempts)",
            lease_until=None,
            locked_by="",
        )
        return
    _save(
        row,
        status=Status.QUEUED,
        phase=Phase.NONE,
        last_error=words,
        next_attempt_at=datetime.now(UTC) + retry_delay(row.attempts),
        lease_until=None,
        locked_by="",
    )


def _fail(row: OutboxMessage, words: str) -> None:
    _save(
        row,
        status=Status.FAILED,
        phase=Phase.NONE,
        last_error=words,
        lease_until=None,
        locked_by="",
    )


def _reply_outcome(row: OutboxMessage, code: int, message: bytes, what: str) -> None:
    words = smtp_words(code, message)
    if 400 <= code < 500:
        _retry(row, f"The server asked to try later ({what}): {words}")
    else:
        _fail(row, f"The server refused the message ({what}): {words}")


def dkim_sign_hook(raw: bytes) -> bytes:
    """DKIM-sign at send time when the outbound app holds an active key for the From domain."""
    from tradeinbox.outbound.dkim import sign_outgoing

    return sign_outgoing(raw)


def _send(row: OutboxMessage) -> None:
    raw = dkim_sign_hook(blobs().get(row.raw_sha256))
    data = smtplib._quote_periods(re.sub(rb"\r\n|\n|\r", b"\r\n", raw))  # RFC 5321 4.5.2
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    _save(row, phase=Phase.ENVELOPE)
    crash_point("outbox.envelope")
    account = row.account
    smtp = None
    committed = False
    try:
        smtp = open_smtp(smtp_endpoint(account))
        options = [f"SIZE={len(data)}"] if smtp.has_extn("size") else []
        code, message = smtp.mail(account.email_address, options)
        if code != 250:
            _reply_outcome(row, code, message, "sender")
            return
        accepted, refused, later = [], {}, {}
        for address in row.recipients:
            code, message = smtp.rcpt(address)
            if code in (250, 251):
                accepted.append(address)
            elif 400 <= code < 500:
                later[address] = smtp_words(code, message)
            else:
                refused[address] = smtp_words(code, message)
        if later:
            smtp.rset()  # nothing was sent; all recipients get it together later
            first = next(iter(later.items()))
            _retry(row, f"The server asked to try later (recipient {first[0]}): {first[1]}")
            return
        if not accepted:
            _fail(
                row,
                "The server refused every recipient: "
                + "; ".join(f"{a}: {w}" for a, w in refused.items()),
            )
            return
        crash_point("outbox.recipients")
        code, message = smtp.docmd("DATA")
        if code != 354:
            _reply_outcome(row, code, message, "message")
            return
        smtp.send(data)
        _save(row, phase=Phase.COMMIT, refused=refused)
        committed = True
        crash_point("outbox.before_dot")
        smtp.send(b".\r\n")
        crash_point("outbox.after_dot")
        code, message = smtp.getreply()
        if code != 250:
            committed = False  # a definite answer: the server did not take it
            _reply_outcome(row, code, message, "message")
            return
        note = ""
        if refused:
            note = "Sent, but these addresses were refused: " + "; ".join(
                f"{a}: {w}" for a, w in refused.items()
            )
        _save(
            row,
            status=Status.ACCEPTED,
            phase=Phase.NONE,
            sent_at=datetime.now(UTC),
            last_error=note,
            next_attempt_at=datetime.now(UTC),
        )
    except smtplib.SMTPResponseException as exc:
        if committed:
            _uncertain_after_break(row, exc)
        else:
            _reply_outcome(row, exc.smtp_code, exc.smtp_error, "connection")
    except (smtplib.SMTPException, OSError) as exc:
        if committed:
            _uncertain_after_break(row, exc)
        else:
            _retry(row, describe(exc))
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (TimeoutError, smtplib.SMTPException, OSError):
                smtp.close()


def _uncertain_after_break(row: OutboxMessage, exc: BaseException) -> None:
    """The line broke after the final dot: only a copy in Sent can tell it went."""
    try:
        if _find_in_sent(row):
            _save(
                row,
                status=Status.SENT,
                phase=Phase.NONE,
                sent_at=datetime.now(UTC),
                sent_copy_saved=True,
                lease_until=None,
                locked_by="",
                last_error="",
            )
            return
    except Exception:  # noqa: BLE001
        pass
    _save(
        row,
        status=Status.UNCERTAIN,
        lease_until=None,
        locked_by="",
        last_error="The connection broke just as the server was accepting this message, so it "
        "may have been delivered; it is not in Sent. Check with the recipient, then use "
        "\u201cSend again\u201d if needed. — " + describe(exc),
    )


# -- the Sent folder ------------------------------------------------------------------------


def sent_folder_name(client, account: Account) -> str:
    """The Sent folder: SPECIAL-USE (RFC 6154), then known names; created when missing."""
    from tradeinbox.mailbox.sync import special_use_of

    known = Folder.objects.filter(
        account=account, special_use=Folder.SpecialUse.SENT, exists_on_server=True
    ).first()
    if known:
        return known.name
    for flags, _delimiter, name in client.list_folders():
        if special_use_of(name, flags) == Folder.SpecialUse.SENT:
            return name
    client.create_folder("Sent")
    return "Sent"


def _search_sent(client, account: Account, message_id: str) -> bool:
    client.select_folder(sent_folder_name(client, account), readonly=True)
    return bool(client.search(["HEADER", "Message-ID", message_id]))


def _find_in_sent(row: OutboxMessage) -> bool:
    with open_imap(imap_endpoint(row.account)) as client:
        return _search_sent(client, row.account, row.message_id)


def _save_sent_copy(row: OutboxMessage) -> None:
    account = row.account
    if account.sent_copy == SentCopy.SERVER:
        _save(row, status=Status.SENT, sent_copy_saved=True, lease_until=None, locked_by="")
        return
    try:
        with open_imap(imap_endpoint(account)) as client:
            folder = sent_folder_name(client, account)
            if not _search_sent(client, account, row.message_id):
                raw = blobs().get(row.raw_sha256)
                client.append(folder, raw, flags=[b"\\Seen"], msg_time=row.sent_at)
                crash_point("outbox.sent_copy_appended")
    except Exception as exc:  # noqa: BLE001 - the message went; only the copy waits
        log.warning("saving %s to Sent failed: %s", row.message_id, exc)
        _save(
            row,
            lease_until=None,
            locked_by="",
            next_attempt_at=datetime.now(UTC) + retry_delay(min(row.attempts + 1, 8)),
            last_error="Sent. Saving a copy to the Sent folder will be tried again: "
            + describe(exc),
        )
        return
    _save(
        row,
        status=Status.SENT,
        sent_copy_saved=True,
        lease_until=None,
        locked_by="",
        last_error=row.last_error if row.refused else "",
    )


def run_due(worker_name: str, limit: int = 20) -> int:
    """Process up to ``limit`` due rows; returns how many were handled."""
    done = 0
    while done < limit:
        row = claim_next(worker_name)
        if row is None:
            break
        process(row)
        done += 1
    return done
