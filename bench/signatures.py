"""Benchmark signature detection and quote stripping against talon (rule-based).

Usage: ``.venv/bin/python bench/signatures.py [--corpora DIR] [--verbose]``

Signature lines (corpus ``forge_signatures``, Mailgun forge dataset, CC BY 3.0)
    Each ``P/<id>_body`` marks signature lines with the prefix ``#sig#``; ``N/`` bodies
    have none. The prefix is removed and the raw body plus the ``<id>_sender`` line go to
    :func:`tradeinbox.core.signatures.find_signature` and, as the anchor, to talon's
    ``talon.signature.bruteforce.extract_signature`` (which takes no sender). Scoring is
    over non-blank lines of all bodies (P and N): a line is a true positive when it is
    marked and predicted, etc.; ``sig_f1`` is the micro-averaged F1 (precision and recall
    are printed on stderr). Blank lines are ignored because the dataset never marks them.

Quote stripping (corpus ``reply_quote_fixtures``)
    The corpus holds unlabelled fixtures (its SOURCE.md: expected outputs live in the
    upstream projects' test code, which was not copied; only talon's
    ``standard_replies/{iphone,sparrow}_reply_text`` are expected outputs). The expected
    boundary of every fixture was therefore annotated by hand in
    ``bench/data/reply_quote_expected.json``: per fixture, ``keep`` strings that must be
    in the extracted reply (its first and last line; for iphone/sparrow every line of the
    upstream ``*_reply_text``) and ``drop`` strings from the quoted part that must not
    be (its first lines: the attribution/separator and the start of the quote). Both
    sides are compared whitespace-normalised with '>' quote marks ignored.
    ``quote_accuracy`` = fixtures where every keep string is present and no drop string
    is present / fixtures scored. Inputs: ``.txt`` as is; ``.eml`` -> its text/plain part
    (else HTML); ``.html`` -> ours: ``split_reply_html``; talon: ``extract_from_html``,
    whose HTML result is turned into text with the same ``html_to_text`` used for ours.
    Talon's plain-text path is ``extract_from_plain``. Fixtures under ``signature/`` and
    the ``*_reply_text`` files are not inputs. The annotations were written by the same
    engineer who wrote the extractor, from reading each fixture; treat the figure as a
    regression measure on public fixtures, not as an independent estimate.

A missing corpus folder gives null figures. When talon cannot be imported its figures
are null and the reason is printed on stderr. Talon 1.4.4 imports
``sklearn.externals.joblib``, removed from scikit-learn; a shim maps it to ``joblib``.
The LAST line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import email
import email.utils
import json
import re
import sys
import time
from email import policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tradeinbox.core.message import Address  # noqa: E402
from tradeinbox.core.quotes import html_to_text, split_reply, split_reply_html  # noqa: E402
from tradeinbox.core.signatures import find_signature  # noqa: E402

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
EXPECTED = Path(__file__).resolve().parent / "data" / "reply_quote_expected.json"
SIG_MARK = "#sig#"


def load_talon():
    """Import talon's rule-based extractors, or return (None, reason)."""
    try:
        import joblib
        import sklearn.externals

        sys.modules.setdefault("sklearn.externals.joblib", joblib)
        sklearn.externals.joblib = joblib  # talon 1.4.4 predates its removal
        from talon import quotations
        from talon.signature.bruteforce import extract_signature
    except Exception as exc:  # noqa: BLE001 - any failure means "no anchor"
        return None, (
            f"talon unavailable ({type(exc).__name__}: {exc}); install with "
            "`.venv/bin/pip install talon==1.4.4` (pulls scikit-learn, lxml, cssselect, "
            "cchardet, regex, html5lib, chardet)"
        )
    return (quotations, extract_signature), None


def parse_sender(line: str) -> Address:
    name, addr = email.utils.parseaddr(line)
    if "@" not in addr:
        return Address(line.strip().strip('"'), "")
    return Address(name.strip(), addr.lower())


def _nonblank(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip()]


def _tail_indices(lines: list[str], signature: str | None) -> set[int]:
    """Line indices of ``lines`` covered by a signature string taken from their end."""
    if not signature:
        return set()
    sig_count = sum(1 for line in signature.split("\n") if line.strip())
    return set(_nonblank(lines)[-sig_count:]) if sig_count else set()


def bench_signatures(root: Path, talon, verbose: bool) -> dict[str, float | None]:
    stats = {"ours": [0, 0, 0], "talon": [0, 0, 0]}  # tp, fp, fn
    files = sorted(root.glob("*/*_body"))
    if not files:
        return {"sig_f1": None, "talon_sig_f1": None}
    for body_file in files:
        raw = body_file.read_text(encoding="utf-8", errors="replace")
        raw_lines = raw.replace("\r\n", "\n").split("\n")
        truth = {i for i, line in enumerate(raw_lines) if line.startswith(SIG_MARK)}
        lines = [line[len(SIG_MARK) :] if line.startswith(SIG_MARK) else line for line in raw_lines]
        text = "\n".join(lines)
        sender_file = body_file.with_name(body_file.name[: -len("_body")] + "_sender")
        sender = (
            parse_sender(sender_file.read_text(errors="replace")) if sender_file.exists() else None
        )
        block = find_signature(text, sender)
        ours = set(range(block.start_line, block.end_line + 1)) if block else set()
        predictions = {"ours": ours}
        if talon:
            _text, sig = talon[1](text)
            predictions["talon"] = _tail_indices(lines, sig)
        scored = set(_nonblank(lines))
        for who, pred in predictions.items():
            pred &= scored
            stats[who][0] += len(pred & truth)
            stats[who][1] += len(pred - truth)
            stats[who][2] += len(truth - pred)
            if verbose and who == "ours" and pred != truth:
                print(
                    f"SIG {body_file.relative_to(root)} fp={sorted(pred - truth)} "
                    f"fn={sorted(truth - pred)}",
                    file=sys.stderr,
                )
    out: dict[str, float | None] = {}
    for who, key in (("ours", "sig_f1"), ("talon", "talon_sig_f1")):
        tp, fp, fn = stats[who]
        if who == "talon" and not talon:
            out[key] = None
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[key] = round(2 * p * r / (p + r), 4) if p + r else 0.0
        print(f"signatures {who}: precision={p:.3f} recall={r:.3f} f1={out[key]}", file=sys.stderr)
    return out


def load_fixture(path: Path) -> tuple[str, str]:
    """('plain' | 'html', body) of a fixture file."""
    if path.suffix == ".html":
        return "html", path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".eml":
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        part = msg.get_body(("plain",))
        if part is not None:
            return "plain", part.get_content()
        return "html", msg.get_body(("html",)).get_content()
    return "plain", path.read_text(encoding="utf-8", errors="replace")


def _norm(text: str) -> str:
    text = re.sub(r"[\u200b\u200e\u200f\ufeff]", "", text)
    lines = [re.sub(r"^[>\s]+", "", line) for line in text.split("\n")]
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def _passes(reply: str, spec: dict) -> bool:
    got = _norm(reply)
    return all(_norm(k) in got for k in spec["keep"]) and not any(
        _norm(d) in got for d in spec["drop"]
    )


def bench_quotes(root: Path, talon, verbose: bool) -> dict[str, float | None]:
    expected = {k: v for k, v in json.loads(EXPECTED.read_text()).items() if not k.startswith("_")}
    present = [(k, v) for k, v in expected.items() if (root / k).is_file()]
    if not present:
        return {"quote_accuracy": None, "talon_quote_accuracy": None}
    unlabelled = [
        p for p in root.rglob("*")
        if p.is_file() and p.suffix in (".txt", ".eml", ".html")
        and str(p.relative_to(root)) not in expected and "signature" not in p.parts
    ]  # fmt: skip
    if unlabelled:
        print(f"quotes: {len(unlabelled)} fixtures have no annotation, skipped", file=sys.stderr)
    ok = {"ours": 0, "talon": 0}
    for rel, spec in present:
        kind, body = load_fixture(root / rel)
        ours = (split_reply(body) if kind == "plain" else split_reply_html(body)).new_text
        ok["ours"] += _passes(ours, spec)
        if verbose and not _passes(ours, spec):
            print(f"QUOTE ours fails {rel}", file=sys.stderr)
        if talon:
            quotations = talon[0]
            try:
                if kind == "plain":
                    theirs = quotations.extract_from_plain(body)
                else:
                    theirs = html_to_text(quotations.extract_from_html(body))
            except Exception as exc:  # noqa: BLE001 - a crash is a failed fixture
                print(f"talon failed on {rel}: {exc}", file=sys.stderr)
                theirs = ""
            ok["talon"] += _passes(theirs, spec)
            if verbose and not _passes(theirs, spec):
                print(f"QUOTE talon fails {rel}", file=sys.stderr)
    n = len(present)
    print(f"quotes: {n} fixtures scored; ours {ok['ours']}, talon {ok['talon']}", file=sys.stderr)
    return {
        "quote_accuracy": round(ok["ours"] / n, 4),
        "talon_quote_accuracy": round(ok["talon"] / n, 4) if talon else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--verbose", action="store_true", help="list failures on stderr")
    args = parser.parse_args()
    talon, reason = load_talon()
    if reason:
        print(reason, file=sys.stderr)
    started = time.monotonic()
    result: dict[str, float | None] = {}
    result.update(bench_signatures(args.corpora / "forge_signatures", talon, args.verbose))
    result.update(bench_quotes(args.corpora / "reply_quote_fixtures", talon, args.verbose))
    print(f"elapsed {time.monotonic() - started:.1f}s", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
