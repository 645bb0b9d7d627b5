"""``tradeinbox import``: add mbox files, Maildir folders, .eml files and folders to the store."""

from __future__ import annotations

import argparse
import json
import sys
import time

NAME = "import"
HELP = "import mail from mbox files, Maildir folders, .eml files or folders of them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")
    parser.add_argument(
        "--progress",
        choices=["auto", "always", "never"],
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal)",
    )
    parser.add_argument("--batch-size", type=int, default=400, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        for path in missing:
            print(f"import: no such file or folder: {path}", file=sys.stderr)
        return 2
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.store.importer import Importer
    from tradeinbox.store.setup import ensure_database

    ensure_database()
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(unit="msg", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)

    def progress(summary) -> None:
        if bar is not None:
            bar.update(summary.seen - bar.n)
            bar.set_postfix(
                imported=summary.imported, dup=summary.duplicates, quarantined=summary.quarantined
            )

    started = time.perf_counter()
    importer = Importer(batch_size=args.batch_size, on_progress=progress)
    summary = importer.import_paths(args.paths)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps(summary.as_dict()))
    else:
        rate = summary.seen / elapsed if elapsed > 0 else 0.0
        print(
            f"seen {summary.seen}, imported {summary.imported}, "
            f"duplicates skipped {summary.duplicates}, quarantined {summary.quarantined} "
            f"in {elapsed:.1f} s ({rate:.0f} msg/s)"
        )
        if summary.skipped_files:
            print(f"skipped {summary.skipped_files} files that are not mail (notes, data files)")
        for reason, count in summary.reasons.most_common():
            print(f"  quarantined {count}: {reason}")
    return 0
