"""Build a bulk or confirmation message and put it in the outbox (sent by the worker).

The outbox's own compose adds the account signature and takes no extra headers; bulk
mail needs List-Unsubscribe/List-Unsubscribe-Post (RFC 8058) and List-Id (RFC 2919) and
carries its signature through the template, so it is built here and stored exactly as
compose stores it: bytes in the blob store, Message-ID fixed before the first attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import Account, OutboxMessage


def new_message_id(account: Account) -> str:
    return make_msgid(domain=account.email_address.rpartition("@")[2])


def build(
    account: Account,
    *,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    headers: list[tuple[str, str]] = (),
    date: datetime | None = None,
) -> bytes:
    message = EmailMessage(policy=outbox.COMPOSE_POLICY)
    message["From"] = Address(display_name=account.display_name, addr_spec=account.email_address)
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line: no header injection
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message.set_content(body.replace("\r\n", "\n"))
    raw = message.as_bytes(policy=outbox.COMPOSE_POLICY)
    if not headers:
        return raw
    # Added as raw lines: the email package would RFC 2047-encode a long URL it cannot
    # fold, and List-Unsubscribe must stay a plain <https://...> (RFC 2369, RFC 8058).
    lines = []
    for name, value in headers:
        if any(c in value for c in "\r\n") or not value.isascii() or len(value) > 900:
            raise ValueError(f"{name} must be one line of ASCII text")
        lines.append(f"{name}: {value}\r\n".encode("ascii"))
    head, sep, rest = raw.partition(b"\r\n\r\n")
    return head + b"\r\n" + b"".join(lines)[:-2] + sep + rest


def queue(
    account: Account,
    *,
    to: str,
    subject: str,
    body: str,
    headers: list[tuple[str, str]] = (),
    message_id: str | None = None,
    user=None,
) -> OutboxMessage:
    """Save one message to ``to`` in the outbox, due now."""
    message_id = message_id or new_message_id(account)
    now = datetime.now(UTC)
    raw = build(
        account, to=to, subject=subject, body=body, message_id=message_id, headers=headers, date=now
    )
    digest = outbox.blobs().put(raw)
    return OutboxMessage.objects.create(
        account=account,
        created_by=user,
        message_id=message_id,
        raw_sha256=digest,
        raw_size=len(raw),
        subject=" ".join(subject.split()),
        recipients=[to],
        send_at=now,
        next_attempt_at=now,
    )
