"""Precision of :func:`tradeinbox.core.references.extract_message_references`.

Runs the extractor over ``b2b_inquiry_candidates`` and ``enron_maildir_sample`` (from
``--corpora``) and compares every extracted reference with the hand-made judgement in
``tests/fixtures/references_labels.csv`` (file, kind, value, correct yes/no, reason).

* precision = correct / judged, over extracted references that have a judgement;
* ``unjudged`` counts extracted references nobody has labelled yet (a changed extractor
  produces new ones: label them by reading the message, then re-run);
* ``--list-unjudged`` prints them as CSV rows to paste and complete by hand.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tradeinbox.core.parse import NotAnEmail, parse_message  # noqa: E402
from tradeinbox.core.references import extract_message_references  # noqa: E402

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
DEFAULT_LABELS = ROOT / "tests" / "fixtures" / "references_labels.csv"
# The first two are the acceptance corpora; spamassassin_public adds commercial spam with
# order/offer/phone numbers, a harder test for false hits.
CORPORA = ("b2b_inquiry_candidates", "enron_maildir_sample", "spamassassin_public")
ACCEPTANCE = {"b2b_inquiry_candidates", "enron_maildir_sample"}
SKIP = {"SOURCE.md", "labels.csv", "candidates.csv", "README.md"}


def iter_messages(corpora: Path):
    for name in CORPORA:
        root = corpora / name
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in SKIP):
            yield f"{name}/{path.relative_to(root).as_posix()}", path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--list-unjudged", action="store_true")
    args = parser.parse_args(argv)

    judged: dict[tuple[str, str, str], bool] = {}
    if args.labels.is_file():
        for row in csv.DictReader(args.labels.open(encoding="utf-8")):
            judged[(row["file"], row["kind"], row["value"])] = row["correct"].strip() == "yes"

    present = [n for n in CORPORA if (args.corpora / n).is_dir()]
    messages = refs = correct = wrong = 0
    unjudged: list[tuple[str, str, str]] = []
    per_kind: dict[str, list[int]] = {}
    per_corpus: dict[str, list[int]] = {}
    started = time.perf_counter()
    for key, path in iter_messages(args.corpora):
        try:
            msg = parse_message(path.read_bytes())
        except NotAnEmail:
            continue
        messages += 1
        for ref in extract_message_references(msg):
            refs += 1
            label = judged.get((key, ref.kind, ref.value))
            if label is None:
                unjudged.append((key, ref.kind, ref.value))
                continue
            stats = per_kind.setdefault(ref.kind, [0, 0])
            stats[0 if label else 1] += 1
            corpus = per_corpus.setdefault(key.split("/", 1)[0], [0, 0])
            corpus[0 if label else 1] += 1
            correct += label
            wrong += not label
    elapsed = time.perf_counter() - started
    if args.list_unjudged:
        writer = csv.writer(sys.stdout)
        for row in unjudged:
            writer.writerow([*row, "", ""])
    total = correct + wrong
    acc_ok = sum(v[0] for k, v in per_corpus.items() if k in ACCEPTANCE)
    acc_all = sum(sum(v) for k, v in per_corpus.items() if k in ACCEPTANCE)
    result = {
        "corpora_present": present,
        "messages": messages,
        "references": refs,
        "judged": total,
        "correct": correct,
        "wrong": wrong,
        "unjudged": len(unjudged),
        # Acceptance figure: b2b_inquiry_candidates + enron_maildir_sample.
        "precision": round(acc_ok / acc_all, 4) if acc_all else None,
        "precision_all_corpora": round(correct / total, 4) if total else None,
        "per_kind": {k: {"correct": v[0], "wrong": v[1]} for k, v in sorted(per_kind.items())},
        "per_corpus_precision": {
            k: round(v[0] / (v[0] + v[1]), 4) for k, v in sorted(per_corpus.items()) if sum(v)
        },
        "ms_per_message": round(1000 * elapsed / messages, 2) if messages else None,
    }
    print(f"{messages} messages, {refs} references, precision {result['precision']}")
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
