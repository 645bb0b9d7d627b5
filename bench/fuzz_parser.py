"""Coverage-guided fuzzing of the message pipeline: parse -> dedupe -> triage.

    .venv/bin/python bench/fuzz_parser.py --minutes 10 [--jobs 2] [--corpora DIR]
    .venv/bin/python bench/fuzz_parser.py --max-inputs 1000000 --jobs 2   # issue 11 target

Seeds are real messages from the shared corpora (permissively licensed folders;
a folder whose SOURCE.md says "NonCommercial" is skipped, ``heldout`` never read).
The default engine is atheris (libFuzzer for Python, ``pip install atheris``):
coverage feedback from ``tradeinbox`` and the stdlib ``email`` package, libFuzzer's
byte mutations mixed with structured ones that mimic hostile mail (injected and
folded headers, bogus charsets and transfer encodings, broken MIME boundaries,
deep nesting). ``--engine mutate`` runs the structured mutations alone without
atheris (faster per input, no coverage feedback).

Per input: ``parse_message`` may raise only ``NotAnEmail``; parse + dedupe must
finish within ``--slow`` CPU seconds (default 1); every ``--triage-every``-th message
also goes through :func:`tradeinbox.core.triage.triage_message` (offline). An
exception is a crash: the input is saved once per distinct crash site under
``--artifacts`` (default test-artifacts/fuzz/) and fuzzing goes on. Copy a crash
into tests/fixtures/fuzz_regressions/ to keep it as a regression test. Memory is
bounded by libFuzzer's ``-rss_limit_mb`` (``--rss-mb``, default 2048).

Last line of output: one JSON object (inputs executed, rate, crashes, slowest
input, peak RSS ...).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
MAX_LEN = 256 * 1024

# -- seeds ------------------------------------------------------------------------------------


def load_seeds(corpora: Path, per_corpus: int, rng: random.Random) -> tuple[list[bytes], list[str]]:
    """Up to ``per_corpus`` messages from every usable corpus folder (sampled evenly)."""
    seeds: list[bytes] = []
    used: list[str] = []
    if not corpora.is_dir():
        return seeds, used
    for folder in sorted(p for p in corpora.iterdir() if p.is_dir()):
        if "heldout" in folder.name.lower():
            continue
        source = folder / "SOURCE.md"
        if source.exists() and "noncommercial" in source.read_text("utf-8", "replace").lower():
            continue  # CC BY-NC data: crash fixtures from it could not be kept in the repo
        files = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".md", ".csv")]
        files = [p for p in files if "heldout" not in str(p).lower()]
        rng.shuffle(files)
        taken = 0
        for path in files:
            if taken >= per_corpus:
                break
            try:
                data = path.read_bytes()[:MAX_LEN]
            except OSError:
                continue
            if re.match(rb"^(From |[\x21-\x39\x3b-\x7e]{1,100}:)", data):
                seeds.append(data)
                taken += 1
        if taken:
            used.append(folder.name)
    return seeds, used


# -- structured mutations ------------------------------------------------------------------------

CHARSETS = [
    b"utf-8", b"gb2312", b"gbk", b"gb18030", b"big5", b"shift_jis", b"iso-2022-jp", b"euc-kr",
    b"koi8-r", b"windows-1251", b"utf-7", b"utf-16", b"utf-32", b"x-unknown", b"", b"utf-8\x00",
    b"cp65001", b"unicode-1-1-utf-7", b"\"utf-8", b"a" * 300, b"hz-gb-2312", b"base64", b"idna",
    b"zlib", b"rot13", b"uu", b"hex", b"punycode", b"\xc3\xa9",
]  # fmt: skip
ENCODINGS = [b"base64", b"quoted-printable", b"7bit", b"8bit", b"binary", b"x-uuencode",
             b"bogus", b"", b"base64\x00"]  # fmt: skip
HEADERS = [b"Subject", b"From", b"To", b"Cc", b"Reply-To", b"Date", b"Message-ID", b"References",
           b"In-Reply-To", b"Content-Type", b"Content-Disposition", b"Content-Transfer-Encoding",
           b"Received", b"Authentication-Results", b"DKIM-Signature", b"Return-Path",
           b"List-Unsubscribe", b"MIME-Version"]  # fmt: skip
VALUES = [
    b"=?utf-8?B?!!!?=", b"=?x-bogus?Q?caf=E9?=", b"=?utf-8?Q?a=ZZb?=", b"=?gb2312?B?" + b"A" * 3000
    + b"?=", b"a\r\nBcc: v@example.com", b"\x00\x01\x02", b"<" * 300 + b"@" + b">" * 300,
    b"multipart/mixed; boundary=", b"multipart/mixed; boundary=\"\"",
    b"text/plain; charset*=utf-8''%FF%FE", b"attachment; filename*0*=utf-8''%2e%2e%2f",
    b"attachment; filename=\"../../etc/passwd\"", b"Mon, 99 Foo 99999 99:99:99 +9999",
    b"undisclosed-recipients:;", b"a@b@c, ,,, <@route:x@y>", b"()" * 300, b"\xff\xfe\xfd",
    b"message/rfc822", b"multipart/digest; boundary=d", b"text/html; charset=utf-16",
    b"pass (good) header.d=x; dkim=fail", b"v=1; a=rsa-sha256; d=x; s=y; b=; bh=",
]  # fmt: skip
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]*)"?', re.I)


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[:at], sep, raw[at + len(sep) :]
    return raw, b"\n\n", b""


def mutate_structured(raw: bytes, rng: random.Random) -> bytes:
    """One mutation of the kind hostile or broken mail really has."""
    choice = rng.randrange(8)
    head, sep, body = _split(raw)
    if choice == 0:  # inject a header, maybe folded or with a bare CR/LF in it
        value = rng.choice(VALUES)
        fold = rng.choice([b"", b"\r\n ", b"\n\t", b"\n", b"\r"])
        cut = rng.randrange(len(value) + 1)
        lines = head.split(b"\n")
        lines.insert(rng.randrange(len(lines) + 1),
                     rng.choice(HEADERS) + b": " + value[:cut] + fold + value[cut:])  # fmt: skip
        return b"\n".join(lines) + sep + body
    if choice == 1:  # charset names
        charset = rng.choice(CHARSETS)
        new = re.sub(rb"charset=\"?[\w.:-]*\"?", b"charset=" + charset, raw, count=1, flags=re.I)
        return (
            new
            if new != raw
            else head + b"\nContent-Type: text/plain; charset=" + charset + sep + body
        )
    if choice == 2:  # transfer encodings
        enc = rng.choice(ENCODINGS)
        new = re.sub(rb"Content-Transfer-Encoding:[^\r\n]*", b"Content-Transfer-Encoding: " + enc,
                     raw, count=1, flags=re.I)  # fmt: skip
        return new if new != raw else head + b"\nContent-Transfer-Encoding: " + enc + sep + body
    if choice == 3:  # boundaries
        match = _BOUNDARY.search(raw)
        if not match or not match.group(1):
            return head + b'\nContent-Type: multipart/mixed; boundary="zz"' + sep + b"--zz\n" + body
        b = match.group(1)
        op = rng.randrange(4)
        if op == 0:
            return raw.replace(b"--" + b + b"--", b"")
        if op == 1:
            return raw[: match.start(1)] + b[: len(b) // 2] + raw[match.end(1) :]
        if op == 2:
            return raw.replace(b"--" + b, b"--" + b + b"\n--" + b, 2)
        return raw[: match.start(1)] + b"x" * rng.randrange(70, 5000) + raw[match.end(1) :]
    if choice == 4:  # deep nesting
        depth = rng.randrange(1, 500)
        opening = b"".join(
            b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (i, i)
            for i in range(depth)
        )
        return head + b"\nMIME-Version: 1.0\n" + opening + b"\n" + body
    if choice == 5:  # line endings and truncation
        data = raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
        return data[: rng.randrange(len(data) + 1)] if rng.random() < 0.5 else data
    if choice == 6:  # splice two halves of the message (a part of one in the other)
        a, b = sorted(rng.randrange(len(raw) + 1) for _ in range(2))
        return raw[:a] + raw[b:] + raw[a:b]
    data = bytearray(raw)  # byte flips at structurally interesting values
    for _ in range(rng.randrange(1, 12)):
        if data:
            data[rng.randrange(len(data))] = rng.choice(b'\x00\n\r -:;=?"<>\x80\xff')
    return bytes(data)


# -- one input -------------------------------------------------------------------------------------


class Harness:
    """Runs one input through the pipeline and keeps the figures."""

    def __init__(self, artifacts: Path, slow: float, triage_every: int, stats_path: Path | None):
        from tradeinbox.core.dedupe import dedupe_key
        from tradeinbox.core.parse import NotAnEmail, parse_message

        self.parse, self.dedupe, self.not_an_email = parse_message, dedupe_key, NotAnEmail
        try:
            from tradeinbox.core.triage import triage_message
        except ImportError:
            triage_message = None
        self.triage = triage_message
        self.artifacts, self.slow, self.triage_every = artifacts, slow, triage_every
        self.stats_path = stats_path
        self.stats = {"inputs": 0, "parsed": 0, "not_an_email": 0, "triaged": 0,
                      "crash_inputs": 0, "crash_sites": {}, "slow_inputs": 0,
                      "max_seconds": 0.0, "max_seconds_len": 0}  # fmt: skip
        self._last_write = 0.0

    def run(self, data: bytes) -> None:
        stats = self.stats
        stats["inputs"] += 1
        # CPU time of this thread, not wall time: a hang is the parser spinning, and
        # wall time would also count the time another process held the CPU.
        started = time.thread_time()
        try:
            try:
                parsed = self.parse(data)
            except self.not_an_email:
                stats["not_an_email"] += 1
                parsed = None
            if parsed is not None:
                stats["parsed"] += 1
                self.dedupe(data, parsed.message_id)
                if parsed.sha256 != hashlib.sha256(data).hexdigest():
                    raise AssertionError("sha256 of the raw bytes changed")
            elapsed = time.thread_time() - started
            if parsed is not None and self.triage and stats["parsed"] % self.triage_every == 0:
                stats["triaged"] += 1
                self.triage(parsed, data)
        except Exception as exc:  # noqa: BLE001 - every exception is a finding
            self._crash(data, exc)
            elapsed = time.thread_time() - started
        if elapsed > stats["max_seconds"]:
            stats["max_seconds"], stats["max_seconds_len"] = round(elapsed, 4), len(data)
        if elapsed > self.slow:
            stats["slow_inputs"] += 1
            self._save("slow", data, f"{elapsed:.2f}s")
        now = time.monotonic()
        if self.stats_path and now - self._last_write > 2:
            self.write_stats()
            self._last_write = now

    def _crash(self, data: bytes, exc: Exception) -> None:
        self.stats["crash_inputs"] += 1
        frames = traceback.extract_tb(exc.__traceback__)
        site = frames[-1] if frames else None
        key = f"{type(exc).__name__}@{Path(site.filename).name}:{site.lineno}" if site else "?"
        sites = self.stats["crash_sites"]
        if key not in sites:
            sites[key] = self._save("crash", data, "".join(traceback.format_exception(exc))[-3000:])
        self.write_stats()

    def _save(self, kind: str, data: bytes, note: str) -> str:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        name = f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}.eml"
        (self.artifacts / name).write_bytes(data)
        (self.artifacts / (name + ".txt")).write_text(note, "utf-8")
        return str(self.artifacts / name)

    def write_stats(self) -> None:
        if self.stats_path:
            self.stats["peak_rss_mb"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
            tmp = self.stats_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.stats), "utf-8")
            tmp.replace(self.stats_path)


# -- engines -------------------------------------------------------------------------------------


def run_mutate(args, seeds: list[bytes], harness: Harness, deadline: float, budget: int) -> None:
    """Structured + byte mutations without coverage feedback."""
    rng = random.Random(args.seed)
    pool = list(seeds) or [b"From: a@b.example\nSubject: x\n\nbody\n"]
    # SIGTERM/SIGINT end the run early with its figures printed, not lost.
    stop = {"now": False}

    def request_stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    for raw in pool:
        harness.run(raw)
    next_report = time.monotonic() + 60
    while harness.stats["inputs"] < budget and time.monotonic() < deadline and not stop["now"]:
        if time.monotonic() > next_report:
            next_report += 60
            print(f"progress: {harness.stats['inputs']} inputs, "
                  f"{harness.stats['crash_inputs']} crashes", file=sys.stderr, flush=True)  # fmt: skip
        raw = rng.choice(pool)
        for _ in range(rng.randrange(1, 4)):
            raw = mutate_structured(raw, rng)[:MAX_LEN]
        harness.run(raw)


def child_atheris(args) -> None:
    """Runs inside the libFuzzer child process (never returns: libFuzzer exits)."""
    import atheris

    # Coverage from our parser and the stdlib email package it drives.
    with atheris.instrument_imports(include=["tradeinbox.core", "email"]):
        import email.feedparser  # noqa: F401
        import email.message  # noqa: F401

        import tradeinbox.core.charsets  # noqa: F401
        import tradeinbox.core.dedupe  # noqa: F401
        import tradeinbox.core.headers  # noqa: F401
        import tradeinbox.core.htmltext  # noqa: F401
        import tradeinbox.core.parse  # noqa: F401
    harness = Harness(Path(args.artifacts), args.slow, args.triage_every, Path(args.stats))
    rng = random.Random(args.seed)
    budget = args.max_inputs

    def test_one_input(data: bytes) -> None:
        harness.run(data)
        if budget and harness.stats["inputs"] >= budget:
            harness.write_stats()
            os._exit(0)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng.seed(seed)
        if rng.random() < 0.5:
            return mutate_structured(data, rng)[:max_size]
        return atheris.Mutate(data, max_size)

    libfuzzer_args = [
        sys.argv[0],
        f"-max_total_time={max(1, int(args.seconds))}",
        f"-timeout={args.hang_timeout}",
        f"-rss_limit_mb={args.rss_mb}",
        f"-max_len={MAX_LEN}",
        f"-artifact_prefix={args.artifacts}/",
        "-print_final_stats=1",
        f"-seed={args.seed}",
        args.work_corpus,
        args.seed_dir,
    ]
    atheris.Setup(libfuzzer_args, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


def run_atheris(args, seeds: list[bytes], deadline: float, budget: int, job: int) -> list:
    """Starts one atheris child per job and restarts it after a hard crash or timeout."""
    procs = []
    workdir = Path(args.artifacts) / "work"
    seed_dir = workdir / "seeds"
    seed_dir.mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(seeds):
        (seed_dir / f"seed-{i:05d}.eml").write_bytes(raw)
    for n in range(job):
        corpus = workdir / f"corpus-{n}"
        corpus.mkdir(exist_ok=True)
        log = workdir / f"libfuzzer-{n}.log"
        log.write_bytes(b"")
        procs.append(
            {"n": n, "corpus": corpus, "stats": [], "restarts": 0, "proc": None, "log": log}
        )
    per_job_budget = (budget + job - 1) // job if budget else 0

    def start(slot) -> None:
        stats = Path(tempfile.mkstemp(prefix=f"fuzz-{slot['n']}-", suffix=".json")[1])
        slot["stats"].append(stats)
        done = sum(_read(p).get("inputs", 0) for p in slot["stats"][:-1])
        remaining = per_job_budget - done if per_job_budget else 0
        slot["proc"] = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                "--artifacts",
                args.artifacts,
                "--stats",
                str(stats),
                "--seconds",
                str(deadline - time.monotonic()),
                "--work-corpus",
                str(slot["corpus"]),
                "--seed-dir",
                str(seed_dir),
                "--slow",
                str(args.slow),
                "--triage-every",
                str(args.triage_every),
                "--rss-mb",
                str(args.rss_mb),
                "--hang-timeout",
                str(args.hang_timeout),
                "--seed",
                str(args.seed + slot["n"] * 1000 + slot["restarts"]),
                "--max-inputs",
                str(max(0, remaining)),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: libFuzzer logs every new coverage point, and a full
            # pipe that nobody reads would stall the child.
            stderr=slot["log"].open("ab"),
            cwd=REPO,
        )

    for slot in procs:
        start(slot)
    hard = []
    while any(slot["proc"] is not None for slot in procs):
        for slot in procs:
            proc = slot["proc"]
            if proc is not None and proc.poll() is None and time.monotonic() > deadline + 20:
                # libFuzzer checks -max_total_time only between inputs and after the
                # initial corpus; the stats file is current, so stop it here.
                proc.terminate()
                proc.wait(timeout=30)
                slot["finished"] = True
            if proc is None or proc.poll() is None:
                continue
            err = slot["log"].read_bytes()[-20000:].decode("utf-8", "replace")
            slot["proc"] = None
            done = sum(_read(p).get("inputs", 0) for p in slot["stats"])
            finished = slot.get("finished") or (per_job_budget and done >= per_job_budget)
            if proc.returncode != 0 and "Done " not in err and not finished:
                reason = re.search(r"ERROR: libFuzzer: ([^\n]+)", err)
                hard.append(reason.group(1) if reason else f"exit {proc.returncode}")
                if time.monotonic() < deadline - 2 and slot["restarts"] < 20:
                    slot["restarts"] += 1
                    start(slot)
        time.sleep(0.5)
    totals = [_read(p) for slot in procs for p in slot["stats"]]
    for slot in procs:
        for p in slot["stats"]:
            p.unlink(missing_ok=True)
    return [totals, hard]


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def merge(stats: list[dict]) -> dict:
    out = {"inputs": 0, "parsed": 0, "not_an_email": 0, "triaged": 0, "crash_inputs": 0,
           "slow_inputs": 0, "max_seconds": 0.0, "peak_rss_mb": 0.0, "crash_sites": {}}  # fmt: skip
    for s in stats:
        for key in ("inputs", "parsed", "not_an_email", "triaged", "crash_inputs", "slow_inputs"):
            out[key] += s.get(key, 0)
        out["max_seconds"] = max(out["max_seconds"], s.get("max_seconds", 0.0))
        out["peak_rss_mb"] = max(out["peak_rss_mb"], s.get("peak_rss_mb", 0.0))
        out["crash_sites"].update(s.get("crash_sites", {}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="wall time (default 1)")
    parser.add_argument("--max-inputs", type=int, default=0, help="stop after N inputs (0: none)")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--engine", choices=["atheris", "mutate"], default=None)
    parser.add_argument("--jobs", type=int, default=1, help="parallel fuzzing processes")
    parser.add_argument("--seeds-per-corpus", type=int, default=150)
    parser.add_argument("--triage-every", type=int, default=25,
                        help="run triage on every N-th parsed message")  # fmt: skip
    parser.add_argument("--slow", type=float, default=1.0, help="seconds: a slower input is saved")
    parser.add_argument("--hang-timeout", type=int, default=10, help="libFuzzer -timeout seconds")
    parser.add_argument("--rss-mb", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--artifacts", default=str(REPO / "test-artifacts" / "fuzz"))
    # Internal: the atheris child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--work-corpus", help=argparse.SUPPRESS)
    parser.add_argument("--seed-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.child:
        child_atheris(args)
        return 0

    if args.engine is None:
        try:
            import atheris  # noqa: F401

            args.engine = "atheris"
        except ImportError:
            args.engine = "mutate"
    rng = random.Random(args.seed)
    seeds, used = load_seeds(args.corpora, args.seeds_per_corpus, rng)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    budget = args.max_inputs
    if budget and args.minutes == parser.get_default("minutes"):
        deadline = started + 24 * 3600  # an input budget alone decides when to stop
    hard: list[str] = []
    if args.engine == "atheris":
        stats_list, hard = run_atheris(args, seeds, deadline, budget, max(1, args.jobs))
        stats = merge(stats_list)
    else:
        harness = Harness(Path(args.artifacts), args.slow, args.triage_every, None)
        run_mutate(args, seeds, harness, deadline, budget or 10**12)
        stats = merge([{**harness.stats, "peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}])  # fmt: skip
    elapsed = time.monotonic() - started
    figures = {
        "engine": args.engine,
        "jobs": max(1, args.jobs) if args.engine == "atheris" else 1,
        "seconds": round(elapsed, 1),
        "seed_messages": len(seeds),
        "seed_corpora": used,
        "inputs_executed": stats["inputs"],
        "inputs_per_second": round(stats["inputs"] / elapsed, 1) if elapsed else None,
        "parsed": stats["parsed"],
        "not_an_email": stats["not_an_email"],
        "triaged": stats["triaged"],
        "crashes": len(stats["crash_sites"]),
        "crash_inputs": stats["crash_inputs"],
        "crash_sites": stats["crash_sites"],
        "hard_crashes": hard,
        "slow_inputs_over_limit": stats["slow_inputs"],
        "slow_limit_seconds": args.slow,
        "max_seconds_per_input": stats["max_seconds"],
        "peak_rss_mb": stats["peak_rss_mb"],
        "artifacts": args.artifacts,
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
