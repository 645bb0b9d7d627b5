"""``tradeinbox learn``: teach this installation's threat model from labelled mail.

Like ``sa-learn`` for SpamAssassin: point it at mail you know is phishing, spam and
good mail (files, Maildir, mbox, folders), and the installation's own copy of the
threat model learns it (:mod:`tradeinbox.core.threat_learning`). The web app scores
with that copy from then on; ``tradeinbox analyze --model FILE`` can use any copy.
The first run starts from the shipped model, later runs from the copy (``--restart``
starts over). Needs no database; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HELP = "teach the threat model from mail you have labelled (phish, spam, ham)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for label, what in (
        ("phish", "phishing"),
        ("spam", "spam"),
        ("ham", "good mail (at least 100 messages)"),
    ):
        parser.add_argument(
            f"--{label}", action="append", default=[], metavar="PATH",
            help=f"{what}: a file, Maildir, mbox or folder; repeatable",
        )  # fmt: skip
    parser.add_argument(
        "--model", metavar="FILE", default=None,
        help="model file to teach (default: this installation's own model)",
    )  # fmt: skip
    parser.add_argument(
        "--restart", action="store_true",
        help="start from the shipped model, forgetting earlier lessons in FILE",
    )  # fmt: skip
    parser.add_argument("--jobs", "-j", type=int, default=0, help="parsing processes")


def _example(job: tuple[str, bytes, str]):
    """Pool side: one (source, raw, label) -> Example, or (source, error)."""
    from tradeinbox.core.parse import parse_message
    from tradeinbox.core.threat_learning import example_of

    source, raw, label = job
    try:
        return example_of(parse_message(raw), label)
    except Exception as exc:  # noqa: BLE001 - a bad message is skipped and reported
        return source, f"{type(exc).__name__}: {exc}"[:200]


def _jobs(args: argparse.Namespace):
    """(source, raw bytes or None, label) for every message, read lazily: a big Inbox
    is streamed to the parsers, never held in memory whole."""
    from tradeinbox.core.sources import SkippedFile, iter_path

    for label in ("phish", "spam", "ham"):
        for path in getattr(args, label):
            for item in iter_path(path):
                if isinstance(item, SkippedFile):
                    yield item.source, None, label
                else:
                    yield item.source, item.data, label


def model_path(args: argparse.Namespace) -> Path:
    if args.model:
        return Path(args.model)
    from tradeinbox import setup_django

    setup_django()  # settings only: where the data folder is; no database is opened
    from tradeinbox.triage.services import local_model_path

    return local_model_path()


def run(args: argparse.Namespace) -> int:
    from tradeinbox.core.classifier import MODEL_PATH, load_model
    from tradeinbox.core.threat_learning import Example, LearningError, learn, model_file_lock

    missing = [p for label in ("phish", "spam", "ham") for p in getattr(args, label)]
    missing = [p for p in missing if not Path(p).exists()]
    if missing:
        print(f"tradeinbox learn: {missing[0]} does not exist", file=sys.stderr)
        return 2
    started = time.perf_counter()
    skipped: list[tuple[str, str]] = []

    def readable():
        for source, raw, label in _jobs(args):
            if raw is None:
                skipped.append((source, "unreadable"))
            else:
                yield source, raw, label

    processes = args.jobs or min(4, os.cpu_count() or 1)
    if processes > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            results = list(pool.imap(_example, readable(), chunksize=32))
    else:
        results = [_example(job) for job in readable()]
    examples = [r for r in results if isinstance(r, Example)]
    skipped += [r for r in results if not isinstance(r, Example)]
    path = model_path(args)
    with model_file_lock(path):
        start_from = MODEL_PATH if args.restart or not path.exists() else path
        model = load_model(start_from)
        if model is None:
            print(f"tradeinbox learn: {start_from} is not a readable model file", file=sys.stderr)
            return 2
        try:
            report = learn(model, examples)
        except LearningError as exc:
            print(f"tradeinbox learn: {exc}", file=sys.stderr)
            return 2
        model.save(path)
    summary = {
        "model": str(path),
        "started_from": "shipped" if start_from == MODEL_PATH else "installation",
        **report.as_dict(),
        "skipped": len(skipped),
        "skipped_examples": [{"source": s, "error": e} for s, e in skipped[:20]],
        "seconds": round(time.perf_counter() - started, 2),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0
