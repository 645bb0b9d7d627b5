"""Benchmark bounce recognition on the sisimai and flufl.bounce sample sets.

    .venv/bin/python bench/bounces.py [--corpora DIR] [--verbose]

Sub-corpora (each optional; an absent one gives null figures):

* ``sisimai_bounces`` - ``labels.csv`` rows (file, recipient_index, dsn_status,
  smtp_reply_code, reason, hardbounce, extra). ``maildir/dos`` and ``maildir/mac`` files
  take the label of their ``maildir/bsd`` twin (same file name).
* ``flufl_bounce``    - ``labels.csv`` rows (file, detector, expected_failed_addresses,
  failure_kind); a file's expected set is the union of its rows.

Truth and scoring:

* sisimai labels carry no address. A labelled bounce counts as *address right* when we
  report exactly as many failed recipients as it has label rows and every one is a
  plausible failed recipient: a syntactically valid address that is neither the mailbox
  the bounce was delivered to (To/Cc/Delivered-To/X-Original-To), nor its sender, nor an
  MTA mailbox (MAILER-DAEMON, double-bounce; postmaster@ can be a real failed recipient). flufl labels name the addresses: there
  the reported set must equal the expected set (case-insensitive).
* hard/soft truth for sisimai = the reason mapped to our taxonomy: hard for
  ``userunknown``, ``hostunknown``, ``hasmoved``, ``notaccept`` when the failure is
  permanent (5.x.x), soft for all other reasons (mailboxfull, filtered, blocked, expired,
  spamdetected, policyviolation, suspend ...) - this equals sisimai's ``hardbounce`` column,
  which is used directly. Scored per label row, in recipient order.
* flufl ``failure_kind`` (permanent/temporary) is compared with our ``permanent`` flag.
* rows with reason feedback (ARF), vacation (RFC 3834), delivered (success DSN) and
  not-a-bounce are scored separately as kind recognition, not as bounces.
* ``flufl_address_accuracy`` = flufl.bounce's ``all_failures`` alone, same truth.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import mailbox
import re
import sys
from collections import defaultdict
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flufl.bounce import all_failures  # noqa: E402

from tradeinbox.core.bounces import detect_bounce  # noqa: E402

try:  # the shared parser, when present
    from tradeinbox.core.parse import parse_message  # noqa: E402
except ImportError:  # pragma: no cover - before tradeinbox.core.parse existed
    parse_message = None  # type: ignore[assignment]

_PARSER = BytesParser(policy=compat32)
_ADDR = re.compile(r"^[^@\s<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_MTA_LOCAL = re.compile(r"^(?:mailer-?daemon|double-?bounce|mail-?daemon)$", re.I)
NOT_BOUNCE = {"feedback", "vacation", "delivered", "not-a-bounce"}


def _report(raw: bytes):
    parsed = None
    if parse_message is not None:
        try:
            parsed = parse_message(raw)
        except ValueError:  # NotAnEmail: e.g. CR-only newlines the shared parser rejects
            parsed = None
    full = detect_bounce(parsed if parsed is not None else raw, raw=raw)
    parsed_only = detect_bounce(parsed) if parsed is not None else None
    return full, parsed_only


def _envelope(raw: bytes) -> set[str]:
    msg = _PARSER.parsebytes(raw)
    out: set[str] = set()
    for name in ("to", "cc", "delivered-to", "from"):
        for value in msg.get_all(name) or []:
            out.update(a.lower() for a in re.findall(r"[\w.+'-]+@[\w.-]+\w", str(value)))
    return out


def _plausible(addresses: list[str], expected_count: int, envelope: set[str]) -> bool:
    if len(addresses) != expected_count:
        return False
    for a in addresses:
        if not _ADDR.match(a) or a in envelope or _MTA_LOCAL.match(a.partition("@")[0]):
            return False
    return True


def _flufl(raw: bytes) -> tuple[list[str], set[str]]:
    try:
        temp, perm = all_failures(_PARSER.parsebytes(raw))
    except Exception:  # noqa: BLE001 - count a crash as "found nothing"
        return [], set()
    out = sorted(
        {(x.decode("utf-8", "replace") if isinstance(x, bytes) else x).lower() for x in temp | perm}
    )
    return out, {
        (x.decode("utf-8", "replace") if isinstance(x, bytes) else x).lower() for x in temp
    }


def bench_sisimai(root: Path, verbose: bool) -> dict | None:
    labels = root / "labels.csv"
    if not labels.is_file():
        return None
    rows: dict[str, list[dict]] = defaultdict(list)
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[Path(row["file"]).name].append(row)
    for name in rows:
        rows[name].sort(key=lambda r: int(r["recipient_index"] or 0))
    files = sorted(p for p in (root / "maildir").glob("*/*.eml") if p.name in rows)
    s = defaultdict(int)
    for path in files:
        label = rows[path.name]
        reasons = {r["reason"] for r in label}
        raw = path.read_bytes()
        rep, parsed_only = _report(raw)
        if reasons & NOT_BOUNCE:
            want = {"feedback": "complaint", "vacation": "autoreply"}.get(
                label[0]["reason"], "dsn" if label[0]["reason"] == "delivered" else None
            )
            s["kind_total"] += 1
            ok = rep.kind == want and (want != "dsn" or rep.delivered)
            if want == "complaint":
                ok = ok and len(rep.recipients) == len(label)
            s["kind_right"] += bool(ok)
            if verbose and not ok:
                print(f"KIND {path}: want {want} got {rep.kind}", file=sys.stderr)
            continue
        envelope = _envelope(raw)
        s["bounces"] += 1
        got = [r.address for r in rep.recipients] if rep.kind in ("dsn", "bounce") else []
        right = _plausible(got, len(label), envelope)
        s["address_right"] += right
        if parsed_only is not None:
            po = [
                r.address for r in parsed_only.recipients if parsed_only.kind in ("dsn", "bounce")
            ]
            s["parsed_only_right"] += _plausible(po, len(label), envelope)
        fl, _ = _flufl(raw)
        s["flufl_right"] += _plausible(fl, len(label), envelope)
        for i, row in enumerate(label):
            s["hs_total"] += 1
            want_hard = row["hardbounce"] == "true"
            got_hard = rep.recipients[i].hard if right and i < len(rep.recipients) else None
            s["hs_right"] += got_hard == want_hard
            if verbose and got_hard is not None and got_hard != want_hard:
                r = rep.recipients[i]
                print(
                    f"HS {path.name}: want {row['reason']}/{row['dsn_status']} hard={want_hard}"
                    f" got {r.reason}/{r.status} hard={r.hard} diag={r.diagnostic[:150]!r}",
                    file=sys.stderr,
                )
        if verbose and not right:
            print(f"ADDR {path}: want {len(label)} got {rep.kind} {got}", file=sys.stderr)
    mboxes = {"messages": 0, "recognised": 0}
    for path in sorted((root / "mailbox").glob("*")):
        for msg in mailbox.mbox(str(path), create=False):
            mboxes["messages"] += 1
            mboxes["recognised"] += detect_bounce(msg.as_bytes()).kind is not None
    return {**s, "mbox": mboxes}


def bench_flufl(root: Path, verbose: bool) -> dict | None:
    labels = root / "labels.csv"
    if not labels.is_file():
        return None
    expected: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, str] = {}
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            addrs = {a.strip().lower() for a in row["expected_failed_addresses"].split(";")}
            expected[row["file"]].update(a for a in addrs if a)
            if row["failure_kind"]:
                kinds[row["file"]] = row["failure_kind"]
    s = defaultdict(int)
    for name, want in sorted(expected.items()):
        path = root / name
        if not want or not path.is_file():
            continue
        raw = path.read_bytes()
        rep, parsed_only = _report(raw)
        got = {r.address for r in rep.recipients} if rep.kind in ("dsn", "bounce") else set()
        s["bounces"] += 1
        s["address_right"] += got == want
        if parsed_only is not None:
            s["parsed_only_right"] += {r.address for r in parsed_only.recipients} == want
        fl, _ = _flufl(raw)
        s["flufl_right"] += set(fl) == want
        if name in kinds and got == want:
            s["perm_total"] += 1
            want_perm = kinds[name] == "permanent"
            s["perm_right"] += all(r.permanent == want_perm for r in rep.recipients)
        if verbose and got != want:
            print(
                f"FLUFL {name}: want {sorted(want)} got {rep.kind} {sorted(got)}", file=sys.stderr
            )
    return dict(s)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--verbose", action="store_true", help="list every miss on stderr")
    args = ap.parse_args(argv)
    sis = bench_sisimai(args.corpora / "sisimai_bounces", args.verbose)
    flu = bench_flufl(args.corpora / "flufl_bounce", args.verbose)
    parts = [p for p in (sis, flu) if p]
    total = sum(p.get("bounces", 0) for p in parts)
    result = {
        "bounces": total if parts else None,
        "address_accuracy": _ratio(sum(p.get("address_right", 0) for p in parts), total),
        "hard_soft_accuracy": _ratio(sis.get("hs_right", 0), sis.get("hs_total", 0))
        if sis
        else None,
        "flufl_address_accuracy": _ratio(sum(p.get("flufl_right", 0) for p in parts), total),
        "sisimai_address_accuracy": _ratio(sis["address_right"], sis["bounces"]) if sis else None,
        "flufl_corpus_address_accuracy": _ratio(flu.get("address_right", 0), flu.get("bounces", 0))
        if flu
        else None,
        "flufl_alone_on_sisimai": _ratio(sis["flufl_right"], sis["bounces"]) if sis else None,
        "flufl_alone_on_flufl": _ratio(flu.get("flufl_right", 0), flu.get("bounces", 0))
        if flu
        else None,
        "permanent_accuracy_flufl": _ratio(flu.get("perm_right", 0), flu.get("perm_total", 0))
        if flu
        else None,
        "kind_accuracy_non_bounces": _ratio(sis["kind_right"], sis["kind_total"]) if sis else None,
        "parsed_message_only_address_accuracy": _ratio(
            sum(p.get("parsed_only_right", 0) for p in parts), total
        )
        if parse_message is not None and parts
        else None,
        "mbox_recognised": f"{sis['mbox']['recognised']}/{sis['mbox']['messages']}"
        if sis
        else None,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
