"""Import WhatsApp "Export chat" and Telegram Desktop JSON files into a person's timeline."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from django.db import transaction

from tradeinbox.core.chats import parse_chat
from tradeinbox.customers.models import ChatImport, ChatMessage, Person

MAX_CHAT_BYTES = 50 * 1024 * 1024


class ChatImportError(ValueError):
    pass


def _is_customer(sender: str | None, person: Person) -> bool:
    """Whether a chat line's sender is the person: their name, or a word of it
    (phones show contacts as saved, e.g. "Anna Buyer BR" or just "Anna")."""
    if not sender or not person.name:
        return False
    words = {w for w in re.findall(r"\w+", person.name.lower()) if len(w) >= 3}
    said = set(re.findall(r"\w+", sender.lower()))
    return sender.lower() == person.name.lower() or bool(words & said)


@transaction.atomic
def import_chat(
    person: Person, data: bytes, filename: str, *, user=None, tz: str | None = None,
    me: str | None = None,
) -> ChatImport:  # fmt: skip
    """Parse ``data`` and add its lines to ``person``'s timeline. Re-importing the same
    file does nothing (returns the earlier import). ``me``: our side's name in the chat."""
    if len(data) > MAX_CHAT_BYTES:
        raise ChatImportError("the file is larger than 50 MB")
    digest = hashlib.sha256(data).hexdigest()
    earlier = ChatImport.objects.filter(person=person, sha256=digest).first()
    if earlier is not None:
        return earlier
    suffix = ".json" if filename.lower().endswith(".json") else ".txt"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"chat{suffix}"
        path.write_bytes(data)
        try:
            export = parse_chat(path, tz)
        except ValueError as exc:
            raise ChatImportError(str(exc)) from exc
    if not export.messages:
        raise ChatImportError("no messages found in the file")
    participants = export.summary.participants
    customer_names = {s for s in participants if _is_customer(s, person)}
    if not customer_names and me:
        customer_names = {s for s in participants if s.lower() != me.lower()}
    channel = "telegram" if export.summary.format == "telegram_json" else "whatsapp"
    chat_import = ChatImport.objects.create(
        person=person,
        format=export.summary.format,
        filename=filename[:255],
        sha256=digest,
        message_count=export.summary.message_count,
        imported_by=user if getattr(user, "is_authenticated", False) else None,
    )
    ChatMessage.objects.bulk_create(
        [
            ChatMessage(
                person=person,
                chat_import=chat_import,
                channel=channel,
                timestamp=m.timestamp,
                sender=(m.sender or "")[:255],
                from_customer=bool(m.sender and m.sender in customer_names),
                text=m.text,
                media=(m.media or "")[:255],
                is_system=m.is_system,
            )
            for m in export.messages
        ],
        batch_size=1000,
    )
    return chat_import
