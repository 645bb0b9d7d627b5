"""``tradeinbox chat-import FILE --person EMAIL``: a WhatsApp/Telegram export into a timeline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "import a WhatsApp .txt or Telegram .json chat export into a person's timeline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--person", required=True, metavar="EMAIL", help="an email address of the person"
    )
    parser.add_argument("--tz", default=None, help="the exporting phone's time zone (IANA)")
    parser.add_argument("--me", default=None, help="our side's name in the chat")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.customers.chats import ChatImportError, import_chat
    from tradeinbox.customers.models import EmailAddress, Person
    from tradeinbox.customers.services import _resolve
    from tradeinbox.store.setup import ensure_database

    ensure_database()
    email = args.person.strip().lower()
    row = EmailAddress.objects.filter(address=email).select_related("person").first()
    if row is None:
        # A person we have no mail from yet (WhatsApp-first customer): create them.
        person = Person.objects.create()
        row = EmailAddress.objects.create(address=email, person=person)
    elif row.person is None:
        row.person = Person.objects.create()
        row.save(update_fields=["person"])
    person = _resolve(row.person)
    try:
        data = args.file.read_bytes()
        result = import_chat(person, data, args.file.name, tz=args.tz, me=args.me)
    except (OSError, ChatImportError, ValueError) as exc:
        print(f"chat-import: {exc}")
        return 1
    summary = {
        "person": person.pk,
        "format": result.format,
        "messages": result.message_count,
        "import": result.pk,
    }
    print(json.dumps(summary) if args.json else
          f"imported {result.message_count} {result.format} messages for {email}")  # fmt: skip
    return 0
