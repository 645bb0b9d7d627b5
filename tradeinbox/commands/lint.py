"""``tradeinbox lint FILE.eml [--json] [--context CONTEXT.json]``: the pre-send check on a file.

Exit status: 0 when there is no error-severity finding, 1 when there is one, 2 when the
file cannot be read as an e-mail. ``--context`` takes a JSON object with any of:
``recent_sends`` ([{"email", "sent_at"}]), ``address_kinds`` ({address: kind}),
``recipient_facts`` ({address: {"timezone", "phone", "country", "past_utc_offsets"}}),
``own_domains``, ``unanswered_followups``, ``known_words``, ``disabled_rules``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

HELP = "check a draft .eml before sending (attachments, tone, bank details, timing ...)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the draft as an .eml file ('-' for stdin)")
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    parser.add_argument("--context", type=Path, help="JSON file with outside facts (see docs)")


def _context(path: Path | None):
    from tradeinbox.core.writing.lint import LintContext, RecentSend
    from tradeinbox.core.writing.sendtime import RecipientFacts

    ctx = LintContext()
    if path is None:
        return ctx
    data = json.loads(path.read_text(encoding="utf-8"))
    ctx.recent_sends = [
        RecentSend(s["email"], datetime.fromisoformat(s["sent_at"]), s.get("subject", ""))
        for s in data.get("recent_sends", [])
    ]
    ctx.address_kinds = {k.lower(): v for k, v in data.get("address_kinds", {}).items()}
    ctx.recipient_facts = {
        k.lower(): RecipientFacts(email=k.lower(), **v)
        for k, v in data.get("recipient_facts", {}).items()
    }
    ctx.own_domains = list(data.get("own_domains", []))
    ctx.unanswered_followups = int(data.get("unanswered_followups", 0))
    ctx.known_words = set(data.get("known_words", []))
    ctx.disabled_rules = set(data.get("disabled_rules", []))
    return ctx


def run(args: argparse.Namespace) -> int:
    from tradeinbox.core.parse import NotAnEmail, parse_message
    from tradeinbox.core.writing.lint import draft_from_parsed, lint

    try:
        raw = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
        message = parse_message(raw)
    except (OSError, NotAnEmail) as exc:
        print(f"tradeinbox lint: {exc}", file=sys.stderr)
        return 2
    draft = draft_from_parsed(message)
    findings = lint(draft, _context(args.context))
    if args.json:
        print(
            json.dumps({"findings": [f.as_dict() for f in findings]}, ensure_ascii=False, indent=2)
        )
    else:
        if not findings:
            print("No findings.")
        for f in findings:
            where = f"{f.start}-{f.end}" if f.start is not None else f.where
            excerpt = ""
            if f.start is not None and f.end is not None and f.end > f.start:
                excerpt = " " + repr(draft.body_text[f.start : f.end][:60])
            print(
                f"{f.severity:7} {f.rule:28} {where:>10}{excerpt}\n        {f.message}\n        fix: {f.fix}"
            )
    return 1 if any(f.severity == "error" for f in findings) else 0
