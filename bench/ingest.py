"""Import speed against notmuch, measured in the same run on the same Maildir.

    .venv/bin/python bench/ingest.py [--corpora DIR] [--scale 100000] [--keep DIR]

Builds a Maildir from every message in the corpora (mbox files split, one file per
message), then times ``notmuch new`` (Debian's notmuch: parse + Xapian index) and
``tradeinbox import`` (parse + store + blobs + full-text index + threads) on it,
each on a fresh database. Peak RSS is sampled over tradeinbox's whole process tree
(the importer and its parse workers, summed). With ``--scale N`` the corpus is
replicated with fresh Message-IDs to N messages and imported too, to show how the
per-message cost grows with the size of the store.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tradeinbox.core.sources import RawMessage, iter_path  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
SOURCES = [
    "spamassassin_public",
    "enron_maildir_sample",
    "phishing_pot",
    "nazario_phishing",
    "b2b_inquiry_candidates",
    "sisimai_bounces",
    "flufl_bounce",
]


def corpus_messages(corpora: Path) -> list[bytes]:
    messages = []
    for name in SOURCES:
        folder = corpora / name
        if not folder.is_dir():
            print(f"corpus {name} not found under {corpora}; skipped", file=sys.stderr)
            continue
        messages.extend(item.data for item in iter_path(folder) if isinstance(item, RawMessage))
    return messages


def with_fresh_id(raw: bytes, tag: str) -> bytes:
    """Prepend a new Message-ID (the parser reads the first one)."""
    header = f"Message-ID: <{tag}@bench.tradeinbox.test>\n".encode()
    if raw.startswith(b"From "):
        newline = raw.find(b"\n") + 1
        return raw[:newline] + header + raw[newline:]
    return header + raw


def build_maildir(target: Path, messages: list[bytes], count: int) -> int:
    cur = target / "cur"
    for part in ("cur", "new", "tmp"):
        (target / part).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        raw = messages[index % len(messages)]
        if index >= len(messages):
            raw = with_fresh_id(raw, f"copy{index}")
        (cur / f"{index}.bench:2,S").write_bytes(raw)
    return count


def time_notmuch(maildir: Path, work: Path) -> float | None:
    if shutil.which("notmuch") is None:
        print("notmuch not installed (apt-get install notmuch)", file=sys.stderr)
        return None
    config = work / "notmuch-config"
    config.write_text(
        f"[database]\npath={maildir}\n[new]\ntags=inbox;\n[maildir]\nsynchronize_flags=false\n"
    )
    shutil.rmtree(maildir / ".notmuch", ignore_errors=True)
    env = os.environ | {"NOTMUCH_CONFIG": str(config)}
    started = time.perf_counter()
    subprocess.run(["notmuch", "new", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    shutil.rmtree(maildir / ".notmuch", ignore_errors=True)
    return elapsed


def time_tradeinbox(maildir: Path, data: Path) -> tuple[float, float, dict]:
    import psutil

    env = os.environ | {"TRADEINBOX_DATA": str(data)}
    env.pop("DATABASE_URL", None)
    # Create the schema first so the timing covers the import only.
    subprocess.run(
        [sys.executable, "-m", "tradeinbox", "manage", "migrate", "-v0"], env=env, check=True
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradeinbox",
            "import",
            str(maildir),
            "--json",
            "--progress",
            "never",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    output = process.stdout.read()
    if process.returncode != 0:
        raise SystemExit(f"tradeinbox import failed with exit code {process.returncode}")
    return elapsed, peak / 1e6, json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--min-messages", type=int, default=8000)
    parser.add_argument("--scale", type=int, default=0, help="also import N replicated messages")
    parser.add_argument("--keep", type=Path, help="keep the Maildirs and data here")
    args = parser.parse_args()

    messages = corpus_messages(args.corpora)
    if not messages:
        print(json.dumps({"messages": 0, "error": f"no messages under {args.corpora}"}))
        return 1
    base_count = max(len(messages), args.min_messages)
    work = Path(args.keep or tempfile.mkdtemp(prefix="tradeinbox-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        maildir = work / "maildir"
        build_maildir(maildir, messages, base_count)
        print(f"Maildir of {base_count} messages at {maildir}", file=sys.stderr)
        notmuch_s = time_notmuch(maildir, work)
        ours_s, peak_mb, summary = time_tradeinbox(maildir, work / "data")
        result = {
            "messages": base_count,
            "ours_msgs_per_s": round(base_count / ours_s, 1),
            "notmuch_msgs_per_s": round(base_count / notmuch_s, 1) if notmuch_s else None,
            "ratio": round(notmuch_s / ours_s, 2) if notmuch_s else None,
            "peak_rss_mb": round(peak_mb, 1),
            "imported": summary["imported"],
            "duplicates": summary["duplicates"],
            "quarantined": summary["quarantined"],
        }
        print(
            f"notmuch new: {notmuch_s:.1f} s; tradeinbox import: {ours_s:.1f} s; "
            f"peak RSS {peak_mb:.0f} MB",
            file=sys.stderr,
        )
        if args.scale:
            scaled = work / "maildir-scaled"
            build_maildir(scaled, messages, args.scale)
            scale_s, scale_peak, _ = time_tradeinbox(scaled, work / "data-scaled")
            base_ms = 1000 * ours_s / base_count
            scale_ms = 1000 * scale_s / args.scale
            result |= {
                "scale_messages": args.scale,
                "base_ms_per_msg": round(base_ms, 3),
                "scale_ms_per_msg": round(scale_ms, 3),
                "scale_cost_ratio": round(scale_ms / base_ms, 3),
                "scale_peak_rss_mb": round(scale_peak, 1),
            }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
