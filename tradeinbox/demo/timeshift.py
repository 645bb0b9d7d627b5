"""The demo story moved to the present: every demo message shifted by one whole-day offset.

The committed demo mailbox is dated 9 October - 20 November 2026. Imported as it is,
every reply deadline is weeks overdue and the dashboard's recent weeks are empty, so
the demo import (and nothing else: real mail is never rewritten) moves every message
by the same number of days, chosen so that the newest demo mail is less than a day
old. Whole days keep each sender's local clock time, which the triage evidence reads
("sent at 03:47 the sender's time"); the order and spacing of the story do not change.

Only the top-level header block is rewritten: ``Date`` and ``Resent-Date``, the
date-time of every ``Received`` / ``X-Received`` stamp, and the DKIM signature. A
signature that verified before is made again over the shifted headers with the same
demo key (:mod:`tradeinbox.demo._dkim`) and a shifted ``t=``, so it still verifies, and
the ``header.b`` prefix our Authentication-Results quotes follows it; one that did
not verify (the phishing mail's) is left as it was. Bodies, attachments and
Message-IDs are untouched, so the dedupe keys are the same whatever the offset:
running the demo again on a later day finds its messages already stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from tradeinbox.core.sources import RawMessage
from tradeinbox.demo import MAILBOX_DIR

DAY = timedelta(days=1)
_DATED_FIELDS = {b"date", b"resent-date", b"received", b"x-received"}
# RFC 5322 section 3.3 date-time as the demo builder writes it (email.utils.format_datetime).
_DATE_TIME = re.compile(
    rb"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+)?\d{1,2}\s+"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+"
    rb"\d{2}:\d{2}(?::\d{2})?\s+[+-]\d{4}"
)


def demo_files(folder: Path = MAILBOX_DIR) -> list[Path]:
    """The demo messages in sending order (file names are numbered that way)."""
    return sorted(folder.glob("*.eml"))


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    """Top-level header fields (each with its folded lines and line end) and the rest."""
    end = raw.find(b"\n\n")
    head, rest = (raw, b"") if end < 0 else (raw[: end + 1], raw[end + 1 :])
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields, rest


def _name(field: bytes) -> bytes:
    return field.split(b":", 1)[0].strip().lower()


def message_date(raw: bytes) -> datetime:
    """The ``Date`` header of a demo message (all of them have one, with a zone)."""
    fields, _rest = _split(raw)
    value = next(f for f in fields if _name(f) == b"date").split(b":", 1)[1]
    return parsedate_to_datetime(value.decode("ascii").strip())


def newest_date(folder: Path = MAILBOX_DIR) -> datetime:
    return max(message_date(path.read_bytes()) for path in demo_files(folder))


def shift_days(now: datetime, newest: datetime) -> int:
    """Whole days that put ``newest`` in the 24 hours up to ``now`` (never after it)."""
    if now.tzinfo is None or newest.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    return math.floor((now - newest) / DAY)


def _shift_dates(field: bytes, delta: timedelta) -> bytes:
    def moved(match: re.Match[bytes]) -> bytes:
        moment = parsedate_to_datetime(match.group().decode("ascii")) + delta
        return format_datetime(moment).encode("ascii")

    return _DATE_TIME.sub(moved, field)


def _tags(field: bytes) -> dict[str, str]:
    """The ``tag=value`` list of a DKIM-Signature field, unfolded (RFC 6376 section 3.2)."""
    value = re.sub(rb"\s+", b"", field.split(b":", 1)[1]).decode("ascii")
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def _resign(fields: list[bytes], index: int, rest: bytes, delta: timedelta) -> list[bytes]:
    """Sign again the DKIM field at ``index`` as the builder did, ``t=`` moved by ``delta``.

    The builder signs the message headers below the signature plus the body (the trace
    headers above it are added later by the relays), so the same bytes are signed here.
    """
    from tradeinbox.demo import _dkim

    old = _tags(fields[index])
    signed_part = b"".join(fields[index + 1 :]) + rest
    timestamp = int(old["t"]) + int(delta.total_seconds())
    value = _dkim.sign(signed_part, old["d"], old["s"], timestamp)
    new = _tags(b"DKIM-Signature: " + value.encode("ascii"))
    out = list(fields)
    out[index] = b"DKIM-Signature: " + value.encode("ascii") + b"\n"
    before, after = f"header.b={old['b'][:8]}".encode(), f"header.b={new['b'][:8]}".encode()
    for i, field in enumerate(out):
        if _name(field) == b"authentication-results" and before in field:
            out[i] = field.replace(before, after)
    return out


def _verifies(raw: bytes) -> bool:
    import dkim

    from tradeinbox.demo._dkim import dns_txt

    try:
        return bool(dkim.verify(raw, dnsfunc=dns_txt))
    except Exception:  # noqa: BLE001 - a signature dkimpy cannot read does not verify
        return False


def shift_message(raw: bytes, delta: timedelta) -> bytes:
    """``raw`` with its header dates moved by ``delta`` (see the module docstring).

    The same ``raw`` and ``delta`` always give the same bytes (RSA PKCS#1 v1.5
    signatures are deterministic), so a retried import job stores identical messages.
    """
    fields, rest = _split(raw)
    signed = [i for i, f in enumerate(fields) if _name(f) == b"dkim-signature"]
    resign = len(signed) == 1 and _verifies(raw)
    fields = [_shift_dates(f, delta) if _name(f) in _DATED_FIELDS else f for f in fields]
    if resign:
        fields = _resign(fields, signed[0], rest, delta)
    return b"".join(fields) + rest


def shifted_mailbox(days: int, folder: Path = MAILBOX_DIR) -> Iterator[RawMessage]:
    """The demo messages, each moved by ``days`` whole days, as the importer reads them."""
    delta = days * DAY
    for path in demo_files(folder):
        yield RawMessage(str(path), shift_message(path.read_bytes(), delta))
