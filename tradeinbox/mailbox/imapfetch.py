"""IMAP commands the sync sends in bulk, read without IMAPClient's per-token parser.

A sync moves two kinds of bulk answer: the flags and sizes of every UID of a folder
(``UID FETCH 1:* (FLAGS RFC822.SIZE)``) and the message bodies (``BODY.PEEK[]``).
IMAPClient's response parser walks every token in Python; on 20,000 messages that is
seconds of CPU in the process that also stores, i.e. on the sync's critical path.
imaplib already splits responses into lines and literals, so the usual shapes are read
here with one regular expression per response. Anything unusual (an item we do not
know, a literal where none was expected, the UID after the body) goes through
IMAPClient's parser, so this is a shortcut, never a second IMAP grammar to get wrong.
"""

from __future__ import annotations

import imaplib
import re

from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

# "12 (UID 40 FLAGS (\Seen $Label1) RFC822.SIZE 5120 MODSEQ (771))", items in any order.
_SIMPLE_RESPONSE = re.compile(rb"^\d+ \((.*)\)$", re.DOTALL)
_SIMPLE_ITEM = re.compile(
    rb"\s*(?:(UID|RFC822\.SIZE) (\d+)|(FLAGS) \(([^()]*)\)|(MODSEQ) \((\d+)\))\s*"
)
# "7 (UID 31 BODY[] {2048}" before the literal.
_BODY_PREFIX = re.compile(rb"^\d+ \(UID (\d+) BODY\[\] \{\d+\}$")


def uid_ranges(uids: list[int]) -> str:
    """``1:5,9,12:14`` (RFC 3501 sequence-set) for a sorted list, to keep commands short."""
    parts = []
    start = prev = None
    for uid in uids:
        if start is None:
            start = prev = uid
        elif uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def _run_fetch(client: IMAPClient, *args: str) -> list:
    imap = client._imap
    tag = imap._command(*args)
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return [] if data == [None] else data


_LITERAL = re.compile(rb"\{(\d+)\}$")
_FETCH_LINE = re.compile(rb"\* (\d+) FETCH (.*)", re.DOTALL)


def _run_bulk_fetch(client: IMAPClient, *args: str) -> list:
    """``_run_fetch`` for answers of thousands of messages, read with one loop here.

    imaplib reads every response line through three regular expressions and a debug
    log call, a tenth of a millisecond per message on the process that also stores.
    This reads the same RFC 3501 7.4.2 FETCH responses (a line, and for each literal
    ``{n}`` the n bytes and the line after them) into the same shapes imaplib returns;
    other untagged responses (EXISTS, EXPUNGE, ...) are kept where imaplib keeps them.
    """
    imap = client._imap
    tag = imap._command(*args)
    readline, read = imap.readline, imap.read
    fetched: list = []

    def next_line() -> bytes:
        line = readline()
        if not line:
            raise imap.abort("socket error: EOF")
        if not line.endswith(b"\r\n"):
            raise imap.abort(f"socket error: unterminated line: {line[:200]!r}")
        return line[:-2]

    while True:
        line = next_line()
        if line.startswith(tag + b" "):
            typ, _, text = line[len(tag) + 1 :].partition(b" ")
            imap.tagged_commands.pop(tag, None)
            client._checkok("fetch", typ.decode("ascii", "replace"), [text])
            return fetched
        found = _FETCH_LINE.match(line)
        if found is not None:
            kind, target, dat = "FETCH", fetched, found.group(1) + b" " + found.group(2)
        else:
            other = imaplib.Untagged_status.match(line) or imaplib.Untagged_response.match(line)
            if other is None:
                raise imap.abort(f"unexpected response: {line[:200]!r}")
            kind = other.group("type").decode("ascii", "replace")
            dat = other.group("data") or b""
            if other.re is imaplib.Untagged_status and other.group("data2"):
                dat = dat + b" " + other.group("data2")
            target = imap.untagged_responses.setdefault(kind, [])
        while (literal := _LITERAL.search(dat)) is not None:
            target.append((dat, read(int(literal.group(1)))))
            dat = next_line()
        target.append(dat)


def _parse_simple(data: list) -> dict[int, dict] | None:
    """Literal-free FETCH responses as IMAPClient shapes them, or None when unusual."""
    out: dict[int, dict] = {}
    for line in data:
        if not isinstance(line, bytes):
            return None
        whole = _SIMPLE_RESPONSE.match(line)
        if whole is None:
            return None
        body = whole.group(1)
        item: dict[bytes, object] = {}
        position = 0
        while position < len(body):
            found = _SIMPLE_ITEM.match(body, position)
            if found is None or found.end() == position:
                return None
            position = found.end()
            if found.group(1):
                item[found.group(1)] = int(found.group(2))
            elif found.group(3):
                item[b"FLAGS"] = tuple(found.group(4).split())
            else:
                item[b"MODSEQ"] = (int(found.group(6)),)
        uid = item.get(b"UID")
        if uid is None:
            return None  # an unsolicited update of a message by sequence number only
        previous = out.get(uid)
        if previous is not None:  # two responses for one message: merged, as IMAPClient does
            previous.update(item)
        else:
            out[uid] = item
    return out


def uid_fetch(
    client: IMAPClient, uid_set: str, items: list[str], modifiers: list[str] | None = None
) -> dict:
    """``UID FETCH`` of a sequence-set string such as ``101:*``: UID -> {item: value}.

    IMAPClient's ``fetch`` only keeps the UIDs it was given as numbers; ranges are what make
    incremental sync cheap (one short command whatever the folder size).
    """
    args = ["UID", "FETCH", uid_set, "(" + " ".join(items) + ")"]
    if modifiers:
        args.append("(" + " ".join(modifiers) + ")")
    data = _run_fetch(client, *args)
    if not data:
        return {}
    fast = _parse_simple(data)
    if fast is not None:
        return fast
    return parse_fetch_response(data, client.normalise_times, True)


def fetch_bodies(client: IMAPClient, uids: list[int]) -> dict[int, bytes]:
    """``UID FETCH uids (BODY.PEEK[])``: UID -> the message's bytes.

    A UID missing from the answer was expunged meanwhile (the next sync notices).
    """
    data = _run_bulk_fetch(client, "UID", "FETCH", uid_ranges(uids), "(BODY.PEEK[])")
    bodies: dict[int, bytes] = {}
    for position, part in enumerate(data):
        if not isinstance(part, tuple):
            if part == b")":
                continue  # the end of the response before it
            break  # an unsolicited update, or "BODY[] NIL": let IMAPClient read it all
        prefix, literal = part
        found = _BODY_PREFIX.match(prefix)
        following = data[position + 1] if position + 1 < len(data) else None
        if found is None or following != b")":
            break
        bodies[int(found.group(1))] = literal
    else:
        return bodies
    parsed = parse_fetch_response(data, client.normalise_times, True)
    return {
        uid: bytes(item[b"BODY[]"])
        for uid, item in parsed.items()
        if isinstance(item.get(b"BODY[]"), bytes | bytearray)
    }
