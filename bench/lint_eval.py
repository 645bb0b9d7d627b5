"""Run the pre-send check over real sent mail and report findings per rule per 100 messages.

Input: ``<corpora>/enron_maildir_sample/<owner>/<folder>/.../<N>`` (CMU Enron maildir layout).
Messages in sent folders (``sent``, ``sent_items``, ``_sent_mail``, ``sent mail`` ...) are
used. When a copy of the corpus has no sent folders (the shared sample keeps only inboxes),
the messages *written by the mailbox's own organisation* are used instead: From at the
domain most of the owner's mail is addressed to, a personal (not role/system) sender, no
mailing-list headers and at most 25 recipients. Those are sent mail of a colleague, which
is the same kind of text.

The corpus had its attachments stripped (``SOURCE.md``: "attachments stripped"). What the
converters left where an attachment was is turned back into an attachment of the draft, so
"please find attached" is not counted as a missing attachment for mail that had one. These
remnants are corpus facts, found by reading the messages (``--show attachment.missing``):

* Outlook / Exchange markers in the author's text (in the quoted history too for a forward): ``<<name.xls>>``, ``<< File: name.doc >>``,
  ``<<...OLE_Obj...>>``, ``<< OLE Object: Picture ... >>``, ``<Embedded Picture (Metafile)>``,
  ``<Embedded StdOleLink>``;
* Lotus Notes markers: ``(See attached file: name.doc)`` and `` - name.xls`` lines;
* the icon placeholder of Outlook rich-text bodies: where the attachment's icon sat in the
  text, the export left a line holding a single space below an empty line (``"\n\n \n"``) or
  as the last line. Measured on the 1,736 selected messages before this was used: the
  pattern is in the author's text of 97 of the 150 messages whose text announces an
  attachment, and of 105 of the other 1,586; of 15 of those 105 read by hand, 13 plainly
  carried a file (subjects such as "Enron Daily Email Nov '01.xls", "Here is a draft
  document for BP", "Here are my thoughts"). Plain-text and Notes mail has no such line.

An attachment that left none of these traces still makes ``attachment.missing`` fire; the
figure with every rule counted is ``errors_per_20``. ``errors_per_20_without_attachment_missing``
is shown next to it because the corpus cannot tell whether those mails had their file.

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
    Draft,
    DraftAttachment,
    DraftText,
    LintContext,
    draft_from_parsed,
    lint,
    normalise_newlines,
)

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CORPUS = "enron_maildir_sample"
SENT_FOLDER = re.compile(
    r"^_?(?:sent|sent[_ ]items|sent[_ ]mail|sent[_ ]messages|outbox|sent_mail)$", re.I
)
_OUTLOOK_MARKER = re.compile(r"<<\s*(?:File:\s*)?([^<>\n]+?\.[A-Za-z0-9]{2,5})\s*>>")
_OLE_MARKER = re.compile(
    r"<<\s*(?:\.\.\.OLE_Obj\.\.\.|OLE Object:[^<>\n]*)\s*>>|<Embedded [^<>\n]{0,60}>", re.I
)
_NOTES_FILE = re.compile(r"\(See attached file:\s*([^()\n]+?)\s*\)", re.I)
_NOTES_MARKER = re.compile(r"^\s*-\s+(\S[^\n]*?\.[A-Za-z0-9]{2,5})\s*$", re.M)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fw|fwd)\s*:", re.I)
# The rich-text icon placeholder: an empty line, then a line that is exactly one space.
_ICON_PLACEHOLDER = re.compile(r"\n\n \n|\n\n \Z")


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
    """Attachments the corpus export stripped, recovered from the traces it left (see above).

    Markers in the quoted history count only for a forward, which carries the earlier
    mail's files along; a reply does not.
    """
    forward = bool(_FORWARD_SUBJECT.match(message.subject or ""))
    text = message.text if forward else _author_region(message)
    names = _OUTLOOK_MARKER.findall(text) + _NOTES_FILE.findall(text) + _NOTES_MARKER.findall(text)
    found = [DraftAttachment(name.strip(), 0) for name in dict.fromkeys(names)]
    found += [DraftAttachment("embedded-object", 0) for _ in _OLE_MARKER.findall(text)][:1]
    if not found and _ICON_PLACEHOLDER.search(_author_region(message)):
        found.append(DraftAttachment("stripped-attachment", 0))
    return found


def _author_region(message: ParsedMessage) -> str:
    """The body down to the first quoted or forwarded mail (placeholders there are older)."""
    text = normalise_newlines(message.text)
    own = DraftText(Draft(body_text=text, sender=message.from_address)).own
    return text[: own[1]] + _trailing_whitespace(text[own[1] :])


def _trailing_whitespace(rest: str) -> str:
    # The placeholder line sits right after the author's last line, before the history;
    # whole lines only, since Outlook indents " -----Original Message-----" by one space.
    match = re.match(r"[ \t\n]*", rest)
    blank = match.group(0) if match else ""
    return blank if blank == rest else blank[: blank.rfind("\n") + 1]


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
        "--no-restore",
        action="store_true",
        help="do not turn the export's attachment remnants back into attachments",
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
    errors_without_missing = 0
    restored = 0
    shown = 0
    for name, message in messages:
        draft = draft_from_parsed(message)
        if not args.no_restore and not draft.attachments:
            recovered = restore_attachments(message)
            restored += bool(recovered)
            draft.attachments.extend(recovered)
        findings = lint(draft, LintContext(check_addresses=True))
        for f in findings:
            per_rule[f"{f.rule}:{f.severity}"] += 1
            if f.severity == "error":
                errors += 1
                per_rule_errors[f.rule] += 1
                if f.rule != "attachment.missing":
                    errors_without_missing += 1
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
    print(f"selection: {selection}; messages: {n}; attachments restored from remnants: {restored}")
    print(f"{'rule:severity':40} {'per 100 msgs':>12}")
    for key, count in per_rule.most_common():
        print(f"{key:40} {100 * count / n:12.2f}")
    result = {
        "messages": n,
        "selection": selection,
        "errors": errors,
        "errors_per_20": round(20 * errors / n, 3) if n else None,
        "errors_per_20_without_attachment_missing": (
            round(20 * errors_without_missing / n, 3) if n else None
        ),
        "messages_with_restored_attachments": restored,
        "top10": [key for key, _ in per_rule.most_common(10)],
        "error_rules": dict(per_rule_errors),
        "rates_per_100": rates,
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
