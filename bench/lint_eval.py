"""Run the pre-send check over real sent mail and report findings per rule per 100 messages.

Input: ``<corpora>/enron_maildir_sample/<owner>/<folder>/.../<N>`` (CMU Enron maildir layout).
Messages in sent folders (``sent``, ``sent_items``, ``_sent_mail``, ``sent mail`` ...) are
used. When a copy of the corpus has no sent folders (the shared sample keeps only inboxes),
the messages *written by the mailbox's own organisation* are used instead: From at the
domain most of the owner's mail is addressed to, a personal (not role/system) sender, no
mailing-list headers and at most 25 recipients. Those are sent mail of a colleague, which
is the same kind of text.

The corpus had its attachments stripped; the converters left a marker where each one was
(``<<name.xls>>`` from Outlook, `` - name.doc`` lines from Lotus Notes). Those markers are
turned back into attachments of the draft, so "please find attached" is not counted as a
missing attachment for mail that had one.

Even so, most attachments left no marker, so ``attachment.missing`` cannot be judged on
this corpus: a mail that says "attached is the spreadsheet" had the spreadsheet when it
was sent. Its findings are counted and shown (``errors_per_20_raw``), but left out of
``errors_per_20`` unless ``--attachments-kept`` says the copy still has its attachments.

Error-severity findings should stay under 1 per 20 messages. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tradeinbox.core.message import ParsedMessage  # noqa: E402
from tradeinbox.core.parse import NotAnEmail, parse_message  # noqa: E402
from tradeinbox.core.writing.lint import (  # noqa: E402
    DraftAttachment,
    LintContext,
    draft_from_parsed,
    lint,
)

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CORPUS = "enron_maildir_sample"
SENT_FOLDER = re.compile(
    r"^_?(?:sent|sent[_ ]items|sent[_ ]mail|sent[_ ]messages|outbox|sent_mail)$", re.I
)
_OUTLOOK_MARKER = re.compile(r"<<\s*([^<>\n]+?\.[A-Za-z0-9]{2,5})\s*>>")
_NOTES_MARKER = re.compile(r"^\s*-\s+(\S[^\n]*?\.[A-Za-z0-9]{2,5})\s*$", re.M)


def message_files(root: Path) -> list[tuple[str, Path]]:
    """``(owner, path)`` for every message file below the corpus root."""
    out = []
    for owner_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(owner_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                out.append((owner_dir.name, path))
    return out


def is_sent_path(owner_dir: Path, path: Path) -> bool:
    return any(SENT_FOLDER.match(part) for part in path.relative_to(owner_dir).parts[:-1])


def restore_attachments(message: ParsedMessage) -> list[DraftAttachment]:
    names = _OUTLOOK_MARKER.findall(message.text) + _NOTES_MARKER.findall(message.text)
    return [DraftAttachment(name.strip(), 0) for name in dict.fromkeys(names)]


def organisation_domain(messages: list[ParsedMessage]) -> str:
    counts = Counter(a.domain for m in messages for a in m.to if a.domain)
    return counts.most_common(1)[0][0] if counts else ""


def authored_by_organisation(message: ParsedMessage, domain: str) -> bool:
    from tradeinbox.core.addresses import role_of

    sender = message.from_address
    if sender is None or not domain or sender.domain != domain:
        return False
    if message.list_headers or (message.header("precedence") or "").lower() in ("bulk", "list"):
        return False
    if len(message.to) + len(message.cc) > 25 or not message.to:
        return False
    return role_of(sender.local_part) is None


def select(root: Path) -> tuple[str, list[tuple[str, ParsedMessage]]]:
    files = message_files(root)
    sent = [(o, p) for o, p in files if is_sent_path(root / o, p)]
    chosen: list[tuple[str, ParsedMessage]] = []
    if sent:
        for _, path in sent:
            try:
                chosen.append((str(path.relative_to(root)), parse_message(path.read_bytes())))
            except NotAnEmail:
                continue
        return "sent_folders", chosen
    by_owner: dict[str, list[tuple[str, ParsedMessage]]] = defaultdict(list)
    for owner, path in files:
        if path.name.endswith((".md", ".csv")):
            continue
        try:
            by_owner[owner].append((str(path.relative_to(root)), parse_message(path.read_bytes())))
        except NotAnEmail:
            continue
    for items in by_owner.values():
        domain = organisation_domain([m for _, m in items])
        chosen.extend((name, m) for name, m in items if authored_by_organisation(m, domain))
    return "own_organisation_fallback", chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--show", metavar="RULE", help="print up to --samples findings of RULE")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument(
        "--attachments-kept",
        action="store_true",
        help="the corpus copy kept its attachments: count attachment.missing in errors_per_20",
    )
    args = parser.parse_args(argv)

    root = args.corpora / CORPUS
    if not root.is_dir():
        print(
            json.dumps(
                {"messages": None, "errors_per_20": None, "rates_per_100": None, "selection": None}
            )
        )
        return 0
    selection, messages = select(root)
    per_rule: Counter[str] = Counter()
    per_rule_errors: Counter[str] = Counter()
    errors = 0
    errors_raw = 0
    unverifiable = set() if args.attachments_kept else {"attachment.missing"}
    shown = 0
    for name, message in messages:
        draft = draft_from_parsed(message)
        draft.attachments.extend(restore_attachments(message))
        findings = lint(draft, LintContext(check_addresses=True))
        for f in findings:
            per_rule[f"{f.rule}:{f.severity}"] += 1
            if f.severity == "error":
                errors_raw += 1
                per_rule_errors[f.rule] += 1
                if f.rule not in unverifiable:
                    errors += 1
            if args.show and f.rule == args.show and shown < args.samples:
                shown += 1
                excerpt = (
                    draft.body_text[max(0, (f.start or 0) - 80) : (f.end or 0) + 80]
                    if f.start is not None
                    else draft.subject
                )
                print(f"--- {name} [{f.severity}] {f.message}\n{excerpt!r}\n", file=sys.stderr)
    n = len(messages)
    rates = {key: round(100 * count / n, 2) for key, count in sorted(per_rule.items())} if n else {}
    print(f"selection: {selection}; messages: {n}")
    print(f"{'rule:severity':40} {'per 100 msgs':>12}")
    for key, count in per_rule.most_common():
        print(f"{key:40} {100 * count / n:12.2f}")
    result = {
        "messages": n,
        "selection": selection,
        "errors": errors,
        "errors_per_20": round(20 * errors / n, 3) if n else None,
        "errors_per_20_raw": round(20 * errors_raw / n, 3) if n else None,
        "not_counted_in_errors_per_20": sorted(unverifiable),
        "error_rules": dict(per_rule_errors),
        "rates_per_100": rates,
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
