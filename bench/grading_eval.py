"""Inquiry detection accuracy and per-grade precision/recall on the labelled inquiry set.

Reads ``tests/fixtures/inquiries/labels.csv``. Rows whose file starts with ``own/`` are in
the repository; rows starting with ``corpora/`` are read from ``--corpora`` (skipped and
counted as missing when absent). Prints a table, then one JSON line with the figures.

    .venv/bin/python bench/grading_eval.py [--corpora DIR] [--labels CSV] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tradeinbox.core.inquiry import detect_inquiry, grade_inquiry  # noqa: E402
from tradeinbox.core.parse import NotAnEmail, parse_message  # noqa: E402

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FIXTURES = ROOT / "tests" / "fixtures" / "inquiries"
DEFAULT_LABELS = [FIXTURES / "labels.csv", FIXTURES / "validation.csv", FIXTURES / "unseen.csv"]
GRADES = ("A", "B", "C", "D")


def _path(row_file: str, labels: Path, corpora: Path) -> Path:
    if row_file.startswith("corpora/"):
        return corpora / row_file[len("corpora/") :]
    return labels.parent / row_file


def general_mail_rate(corpora: Path, sample: int) -> dict:
    """Share of ordinary business mail (Enron inboxes) flagged as inquiry: an upper bound
    on the false-positive rate, since almost none of it is a first-contact inquiry."""
    root = corpora / "enron_maildir_sample"
    if not root.is_dir() or sample <= 0:
        return {"enron_flagged_rate": None, "enron_sampled": 0}
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.name not in ("SOURCE.md", "labels.csv")
    )
    random.Random(7).shuffle(files)
    flagged = n = 0
    for path in files[:sample]:
        try:
            msg = parse_message(path.read_bytes())
        except NotAnEmail:
            continue
        n += 1
        flagged += detect_inquiry(msg).is_inquiry
    return {"enron_flagged_rate": round(flagged / n, 4) if n else None, "enron_sampled": n}


def evaluate(labels: Path | list[Path], corpora: Path, verbose: bool = False) -> dict:
    paths = labels if isinstance(labels, list) else [labels]
    rows = []
    for path_ in paths:
        for row in csv.DictReader(path_.open(encoding="utf-8")):
            row["_base"] = str(path_.parent)
            rows.append(row)
    labels = paths[0]
    missing = 0
    n = correct_inq = 0
    lang_n = lang_ok = 0
    pairs: list[tuple[str | None, str | None]] = []  # (gold grade, predicted grade)
    inq_tp = inq_fp = inq_fn = 0
    started = time.perf_counter()
    for row in rows:
        path = _path(row["file"], Path(row["_base"]) / "x", corpora)
        if not path.is_file():
            missing += 1
            continue
        msg = parse_message(path.read_bytes())
        inquiry = detect_inquiry(msg)
        grade = grade_inquiry(msg, inquiry)
        gold_inq = row["inquiry"].strip().lower() == "true"
        n += 1
        correct_inq += inquiry.is_inquiry == gold_inq
        inq_tp += inquiry.is_inquiry and gold_inq
        inq_fp += inquiry.is_inquiry and not gold_inq
        inq_fn += gold_inq and not inquiry.is_inquiry
        if gold_inq and row["language"]:
            lang_n += 1
            lang_ok += inquiry.language == row["language"]
        gold_grade = row["grade"] or None
        pairs.append((gold_grade, grade.grade))
        if verbose and (inquiry.is_inquiry != gold_inq or gold_grade != grade.grade):
            print(
                f"MISS {row['file']}: gold inq={gold_inq} grade={gold_grade} | "
                f"got inq={inquiry.is_inquiry} ({inquiry.score:.1f}) grade={grade.grade} "
                f"| {', '.join(e.rule for e in grade.evidence if e.rule.startswith('grade.'))}"
            )
    elapsed = time.perf_counter() - started
    per_grade = {}
    for g in GRADES:
        tp = sum(1 for gold, got in pairs if gold == g and got == g)
        pred = sum(1 for _, got in pairs if got == g)
        gold = sum(1 for gd, _ in pairs if gd == g)
        per_grade[g] = {
            "precision": round(tp / pred, 3) if pred else None,
            "recall": round(tp / gold, 3) if gold else None,
            "support": gold,
        }
    both = [(g, p) for g, p in pairs if g and p]
    confusion = Counter(f"{g}->{p}" for g, p in pairs if g != p)
    return {
        "labels_sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in paths},
        "messages": n,
        "missing": missing,
        "inquiry_accuracy": round(correct_inq / n, 3) if n else None,
        "inquiry_precision": round(inq_tp / (inq_tp + inq_fp), 3) if inq_tp + inq_fp else None,
        "inquiry_recall": round(inq_tp / (inq_tp + inq_fn), 3) if inq_tp + inq_fn else None,
        "grade_accuracy_on_true_inquiries": (
            round(sum(g == p for g, p in both) / len(both), 3) if both else None
        ),
        "language_accuracy": round(lang_ok / lang_n, 3) if lang_n else None,
        "per_grade": per_grade,
        "confusion": dict(sorted(confusion.items())),
        "ms_per_message": round(1000 * elapsed / n, 2) if n else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument(
        "--labels", type=Path, action="append", help="labels CSV (repeatable); default: both sets"
    )
    parser.add_argument(
        "--general-sample", type=int, default=800, help="Enron messages for the flagged rate"
    )
    parser.add_argument("--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    labels = args.labels or DEFAULT_LABELS
    result = evaluate(labels, args.corpora, args.verbose)
    if len(labels) > 1:
        result["sets"] = {}
        for path in labels:
            one = evaluate(path, args.corpora)
            result["sets"][path.stem] = {
                k: one[k]
                for k in ("messages", "inquiry_accuracy", "grade_accuracy_on_true_inquiries")
            } | {"per_grade": {g: v for g, v in one["per_grade"].items()}}
    result.update(general_mail_rate(args.corpora, args.general_sample))
    print(f"messages {result['messages']} (missing {result['missing']})")
    print(f"inquiry accuracy {result['inquiry_accuracy']}  language {result['language_accuracy']}")
    for g, figures in result["per_grade"].items():
        print(
            f"  {g}: precision {figures['precision']}  recall {figures['recall']}  n={figures['support']}"
        )
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
