"""``tradeinbox search``: full-text search from the command line."""

from __future__ import annotations

import argparse
import json
import re

HELP = "search messages (from:, to:, subject:, has:attachment, before:, after:)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", help="search words and operators")
    parser.add_argument("--json", action="store_true", help="one JSON object per hit")
    parser.add_argument("--limit", type=int, default=50)


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.core.search_query import SearchSyntaxError
    from tradeinbox.store.querying import search_messages
    from tradeinbox.store.setup import ensure_database

    ensure_database()
    try:
        hits = search_messages(" ".join(args.query), limit=args.limit)
    except SearchSyntaxError as exc:
        print(f"search: {exc}")
        return 2
    for hit in hits:
        message = hit.message
        plain_snippet = re.sub(r"</?mark>", "", hit.snippet_html)
        if args.json:
            print(
                json.dumps(
                    {
                        "message_id": message.message_id,
                        "date": message.date.isoformat(),
                        "from": message.from_email,
                        "subject": message.subject,
                        "snippet": plain_snippet,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"{message.date:%Y-%m-%d %H:%M}  {message.from_email:<32.32}  {message.subject}")
    if not args.json:
        print(f"{len(hits)} hit(s)")
    return 0
