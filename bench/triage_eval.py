"""Threat-guard evaluation: tradeinbox analyze vs. SpamAssassin on the same messages.

Two figures for tradeinbox, both in every run:

* **shipped** - the model in the repository, out of the box. Evaluated on the
  *validation half* (bench/triage_data.py hash split) of nazario_phishing,
  spamassassin_public (spam + ham groups) and enron_maildir_sample, plus all of
  phishing_pot, which the shipped model is never trained on (CC BY-NC).
* **learned** - what an installation gets after ``tradeinbox learn`` (the sa-learn of
  tradeinbox) on the *training half* of every source, phishing_pot's included, as
  SpamAssassin's Bayes is taught below; evaluated on the validation half of every
  source. The taught model lives in a temporary folder: nothing trained on
  phishing_pot is ever written to the repository. The shipped model's figures on the
  same validation half are printed alongside.

Sources: phish = phishing_pot + nazario_phishing, spam = spamassassin spam groups,
ham = spamassassin ham groups + enron_maildir_sample.

tradeinbox runs in-process (the ``analyze`` command's per-message function) in
``--jobs`` worker processes. SpamAssassin (Debian ``spamassassin``/``spamd``/
``spamc``) runs as ``spamd`` on a loopback port, offline (``-L``), with a private
home and Bayes database trained by ``sa-learn`` on the training half of every source
- what ``tradeinbox learn`` is taught - and scores the first ``--sa-sample``
validation messages of each source.

A message counts as flagged when tradeinbox labels it phish or spam (SpamAssassin:
is-spam). Per source it prints precision (against all ham), recall, F1, ham
false-positive rate and messages/s; the last line is one JSON object.

    .venv/bin/python bench/triage_eval.py [--corpora DIR] [--limit N] [--no-spamassassin]
        [--no-learn]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from triage_data import (  # noqa: E402
    DEFAULT_CORPORA,
    ROOT,
    Item,
    items,
    read,
    split_of,
    training_half,
)

PHISH_SOURCES = ("phishing_pot", "nazario_phishing")
SPAM_SOURCES = ("spamassassin_spam",)
HAM_SOURCES = ("spamassassin_ham", "enron")


def _first_per_group(chosen: list[Item], limit: int) -> list[Item]:
    per_group: dict[str, int] = defaultdict(int)
    kept = []
    for item in chosen:
        if per_group[item.group] < limit:
            per_group[item.group] += 1
            kept.append(item)
    return kept


def evaluation_items(corpora: Path, limit: int | None) -> list[Item]:
    """What the shipped model is judged on: validation halves + all of phishing_pot."""
    chosen = [i for i in items(corpora) if not i.trainable or split_of(i.id) == "validation"]
    return _first_per_group(chosen, limit) if limit else chosen


def validation_items(corpora: Path, limit: int | None) -> list[Item]:
    """The validation half of every source (what a taught model is judged on)."""
    chosen = [i for i in items(corpora) if split_of(i.id) == "validation"]
    return _first_per_group(chosen, limit) if limit else chosen


# ------------------------------------------------------------------ tradeinbox


def _ours(item: Item) -> tuple[str, str | None, float]:
    """(id, label, CPU seconds spent in analyze) for one message."""
    from tradeinbox.commands.analyze import analyse_one

    try:
        raw = read(item)
    except OSError:
        return item.id, None, 0.0
    started = time.process_time()
    result = analyse_one((item.id, raw, None))
    cpu = time.process_time() - started
    if "error" in result:
        return item.id, None, cpu
    return item.id, result["label"], cpu


def run_ours(
    chosen: list[Item], jobs: int, model: Path | None = None
) -> tuple[dict[str, str | None], float, float]:
    """Labels, wall seconds, and CPU seconds per message (robust on a busy machine).

    ``model``: a model file (``tradeinbox analyze --model``); None: the shipped one.
    """
    for item in chosen:  # split mbox files once, before forking
        if "#" in item.path:
            read(item)
    from tradeinbox.commands import analyze
    from tradeinbox.core.classifier import load_model
    from tradeinbox.core.triage import TriageOptions, warm_up

    warm_up()  # load once, shared by fork (as ``tradeinbox analyze`` does)
    analyze._init_worker(TriageOptions(model=load_model(model)) if model else None)
    started = time.perf_counter()
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_ours, chosen, chunksize=32)
    else:
        results = [_ours(item) for item in chosen]
    elapsed = time.perf_counter() - started
    cpu = sum(c for _, _, c in results) / max(1, len(results))
    return {item_id: label for item_id, label, _ in results}, elapsed, cpu


def teach(corpora: Path, workdir: Path) -> tuple[Path, dict]:
    """Run ``tradeinbox learn`` on the training half; (model file, its JSON summary)."""
    taught = training_half(corpora, shippable=False)
    folders = {label: workdir / label for label in ("phish", "spam", "ham")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(taught):
        (folders[item.label] / f"{number:06d}.eml").write_bytes(read(item))
    model = workdir / "taught-model.bin"
    command = [sys.executable, "-m", "tradeinbox", "learn", "--model", str(model)]
    for label, folder in folders.items():
        if any(folder.iterdir()):
            command += [f"--{label}", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"tradeinbox learn failed: {done.stderr.strip()[-600:]}")
    return model, json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ SpamAssassin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SpamAssassin:
    """A private, offline spamd with its own Bayes database."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.site = workdir / "site"
        self.site.mkdir(parents=True)
        # A private site config replaces /etc/spamassassin, whose *.pre files load
        # the plugins (Bayes among them): copy those, then add our settings.
        system = Path("/etc/spamassassin")
        if system.is_dir():
            for path in system.iterdir():
                if path.is_file() and path.suffix in (".pre", ".cf") and path.name != "local.cf":
                    shutil.copy(path, self.site / path.name)
        (self.site / "local.cf").write_text(
            f"bayes_path {workdir / 'bayes' / 'bayes'}\n"
            "use_bayes 1\nbayes_auto_learn 0\nbayes_auto_expire 0\n"
            "skip_rbl_checks 1\nuse_razor2 0\nuse_pyzor 0\ndns_available no\n"
        )
        (workdir / "bayes").mkdir()
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def learn(self, spam: list[bytes], ham: list[bytes]) -> None:
        for kind, messages in (("spam", spam), ("ham", ham)):
            folder = self.workdir / f"learn-{kind}"
            folder.mkdir()
            for index, raw in enumerate(messages):
                (folder / f"{index}").write_bytes(raw)
            subprocess.run(
                ["sa-learn", "--siteconfigpath", str(self.site), "-L", f"--{kind}", str(folder)],
                check=True, capture_output=True, env={**os.environ, "HOME": str(self.workdir)},
            )  # fmt: skip

    def start(self) -> None:
        # spamd drops root privileges to "nobody", who must read the Bayes files.
        for path in [self.workdir, *self.workdir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.process = subprocess.Popen(
            ["spamd", "-L", "-i", "127.0.0.1", "-A", "127.0.0.1", "-p", str(self.port),
             "--siteconfigpath", str(self.site), "-m", "2", "--max-spare=2", "--min-spare=1",
             "-x", "-s", "stderr", "-r", str(self.workdir / "spamd.pid"),
             *(["-u", "nobody"] if os.geteuid() == 0 else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(self.workdir)},
        )  # fmt: skip
        deadline = time.time() + 120
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError("spamd exited at start")
            time.sleep(0.5)
        raise RuntimeError("spamd did not start in 120 s")

    def check(self, raw: bytes) -> bool | None:
        try:
            done = subprocess.run(
                ["spamc", "-d", "127.0.0.1", "-p", str(self.port), "-c", "-x", "-t", "60"],
                input=raw, capture_output=True, timeout=90,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None
        if done.returncode not in (0, 1):
            return None
        return done.returncode == 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def run_spamassassin(
    corpora: Path, chosen: list[Item]
) -> tuple[dict[str, str | None], float] | None:
    if not (shutil.which("spamd") and shutil.which("spamc") and shutil.which("sa-learn")):
        print("SpamAssassin not installed: skipped", file=sys.stderr)
        return None
    workdir = Path(tempfile.mkdtemp(prefix="triage-sa-"))
    sa = SpamAssassin(workdir)
    try:
        train = training_half(corpora, shippable=False)
        sa.learn(
            [read(i) for i in train if i.label != "ham"],
            [read(i) for i in train if i.label == "ham"],
        )
        sa.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            verdicts = list(pool.map(lambda item: sa.check(read(item)), chosen))
        elapsed = time.perf_counter() - started
    finally:
        sa.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    labels = {
        item.id: (None if v is None else ("spam" if v else "ham"))
        for item, v in zip(chosen, verdicts, strict=True)
    }
    return labels, elapsed


# ------------------------------------------------------------------ figures


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def figures(chosen: list[Item], labels: dict[str, str | None]) -> dict[str, dict]:
    """Per-source and total figures; a threat is any non-ham label."""
    flagged: dict[str, list[bool]] = defaultdict(list)
    strict: dict[str, list[bool]] = defaultdict(list)
    for item in chosen:
        label = labels.get(item.id)
        if label is None:
            continue
        flagged[item.group].append(label != "ham")
        strict[item.group].append(label == "phish")
    ham_flags = [f for g in HAM_SOURCES for f in flagged.get(g, [])]
    ham_fp = sum(ham_flags)
    out: dict[str, dict] = {}

    def block(sources: tuple[str, ...]) -> dict:
        positives = [f for g in sources for f in flagged.get(g, [])]
        if not positives or not ham_flags:
            return {"n": len(positives), "precision": None, "recall": None, "f1": None}
        tp = sum(positives)
        precision = _ratio(tp, tp + ham_fp) or 0.0
        recall = _ratio(tp, len(positives)) or 0.0
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        return {"n": len(positives), "precision": precision, "recall": recall, "f1": f1}

    for source in PHISH_SOURCES + SPAM_SOURCES:
        out[source] = block((source,))
        if source in PHISH_SOURCES and strict.get(source):
            out[source]["labelled_phish"] = _ratio(sum(strict[source]), len(strict[source]))
    for source in HAM_SOURCES:
        values = flagged.get(source, [])
        out[source] = {
            "n": len(values),
            "ham_fp_rate": _ratio(sum(values), len(values)) if values else None,
        }
    out["phish_vs_ham"] = block(PHISH_SOURCES)
    out["spam_vs_ham"] = block(SPAM_SOURCES)
    out["threat_vs_ham"] = block(PHISH_SOURCES + SPAM_SOURCES)
    out["ham"] = {
        "n": len(ham_flags),
        "ham_fp_rate": _ratio(ham_fp, len(ham_flags)) if ham_flags else None,
    }
    return out


def _cell(value) -> str:
    return f"{value:7.4f}" if isinstance(value, float) else f"{'-':>7}"


def print_table(title: str, ours: dict, other: dict | None, other_name: str) -> None:
    print(f"{title}\n{'source':22} {'n':>5} {'prec':>7} {'recall':>7} {'f1':>7} {'hamFP':>7}"
          f"   | {other_name}")  # fmt: skip
    for source in (
        PHISH_SOURCES
        + SPAM_SOURCES
        + HAM_SOURCES
        + ("phish_vs_ham", "spam_vs_ham", "threat_vs_ham", "ham")
    ):
        row, theirs = ours[source], (other or {}).get(source, {})
        print(
            f"{source:22} {row.get('n', 0):5d} {_cell(row.get('precision'))} "
            f"{_cell(row.get('recall'))} {_cell(row.get('f1'))} {_cell(row.get('ham_fp_rate'))}"
            f"   | {_cell(theirs.get('precision'))} {_cell(theirs.get('recall'))} "
            f"{_cell(theirs.get('f1'))} {_cell(theirs.get('ham_fp_rate'))}"
        )


def summary(fig: dict) -> dict:
    return {
        "phish_vs_ham_f1": fig["phish_vs_ham"]["f1"],
        "phish_vs_ham_precision": fig["phish_vs_ham"]["precision"],
        "phish_vs_ham_recall": fig["phish_vs_ham"]["recall"],
        "spam_vs_ham_f1": fig["spam_vs_ham"]["f1"],
        "threat_vs_ham_f1": fig["threat_vs_ham"]["f1"],
        "ham_fp_rate": fig["ham"]["ham_fp_rate"],
        "phishing_pot_recall": fig["phishing_pot"]["recall"],
        "nazario_recall": fig["nazario_phishing"]["recall"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--limit", type=int, default=None, help="at most N messages per source")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-spamassassin", action="store_true")
    parser.add_argument("--no-learn", action="store_true", help="skip the taught-model figures")
    parser.add_argument(
        "--sa-sample", type=int, default=150,
        help="SpamAssassin scores the first N validation messages per source (0: all)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    chosen = evaluation_items(args.corpora, args.limit)
    ours, our_seconds, cpu_per_message = run_ours(chosen, args.jobs)
    ours_fig = figures(chosen, ours)
    errors = sum(1 for item in chosen if ours.get(item.id) is None)
    our_rate = round(len(chosen) / our_seconds, 1) if our_seconds else None
    validation = validation_items(args.corpora, args.limit)
    shipped_on_validation = figures(validation, ours)  # a subset of what was scored

    learned_fig = learn_report = None
    if not args.no_learn and chosen:
        workdir = Path(tempfile.mkdtemp(prefix="triage-learn-"))
        try:
            started = time.perf_counter()
            model, learn_report = teach(args.corpora, workdir)
            learn_seconds = time.perf_counter() - started
            learned, _, _ = run_ours(validation, args.jobs, model)
            learned_fig = figures(validation, learned)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    # SpamAssassin needs ~0.5-1 s of CPU per message: it scores a stable subset
    # (the first --sa-sample validation messages of each source); ours is shown on it too.
    sa_chosen = _first_per_group(validation, args.sa_sample) if args.sa_sample else validation
    sa = None if args.no_spamassassin else run_spamassassin(args.corpora, sa_chosen)
    sa_fig = figures(sa_chosen, sa[0]) if sa else None
    sa_rate = round(len(sa_chosen) / sa[1], 1) if sa and sa[1] else None
    on_sa_subset = {"shipped": figures(sa_chosen, ours)} if sa_fig else {}
    if sa_fig and learned_fig:
        on_sa_subset["learned"] = figures(sa_chosen, learned)

    print_table("shipped model (validation halves + all of phishing_pot)", ours_fig, None, "")
    print(
        f"messages/s: tradeinbox {our_rate} wall ({args.jobs} processes, machine load included), "
        f"{cpu_per_message * 1000:.1f} ms CPU/message -> {2 / cpu_per_message:.0f}/s on 2 cores; "
        f"SpamAssassin {sa_rate} wall"
    )
    if learned_fig:
        print_table(
            "taught with `tradeinbox learn` (validation halves) | the shipped model on them",
            learned_fig, shipped_on_validation, "shipped",
        )  # fmt: skip
        print(f"tradeinbox learn: {json.dumps(learn_report)}")
    if sa_fig:
        print(f"SpamAssassin subset: {len(sa_chosen)} validation messages")
        for name, theirs in on_sa_subset.items():
            for key in ("phish_vs_ham", "threat_vs_ham", "ham"):
                print(f"  {key:16} {name} {theirs[key]}  SpamAssassin {sa_fig[key]}")
    total = {
        "messages": len(chosen),
        "errors": errors,
        **summary(ours_fig),
        "messages_per_s": our_rate,
        "cpu_ms_per_message": round(cpu_per_message * 1000, 2),
        "messages_per_s_2_cores_cpu": round(2 / cpu_per_message, 1) if cpu_per_message else None,
        "jobs": args.jobs,
        "shipped_on_validation": summary(shipped_on_validation),
        "learned": None,
        "spamassassin": None,
    }
    if learned_fig:
        total["learned"] = {
            "messages": len(validation),
            **summary(learned_fig),
            "taught": learn_report["taught"],
            "taught_ham_flagged": learn_report["taught_ham_flagged"],
            "learn_s": round(learn_seconds, 1),
        }
    if sa_fig:
        model_name = "learned" if "learned" in on_sa_subset else "shipped"
        ours_on_sa = on_sa_subset[model_name]
        total["spamassassin_subset"] = len(sa_chosen)
        total["ours_on_subset"] = {
            "model": model_name,
            "phish_vs_ham_f1": ours_on_sa["phish_vs_ham"]["f1"],
            "threat_vs_ham_f1": ours_on_sa["threat_vs_ham"]["f1"],
            "ham_fp_rate": ours_on_sa["ham"]["ham_fp_rate"],
        }
        total["spamassassin"] = {
            "phish_vs_ham_f1": sa_fig["phish_vs_ham"]["f1"],
            "spam_vs_ham_f1": sa_fig["spam_vs_ham"]["f1"],
            "threat_vs_ham_f1": sa_fig["threat_vs_ham"]["f1"],
            "ham_fp_rate": sa_fig["ham"]["ham_fp_rate"],
            "messages_per_s": sa_rate,
        }
        total["ratio_to_spamassassin"] = {
            "phish_vs_ham_f1": _ratio(
                ours_on_sa["phish_vs_ham"]["f1"] or 0, sa_fig["phish_vs_ham"]["f1"] or 0
            ),
            "threat_vs_ham_f1": _ratio(
                ours_on_sa["threat_vs_ham"]["f1"] or 0, sa_fig["threat_vs_ham"]["f1"] or 0
            ),
            "messages_per_s": _ratio(our_rate or 0, sa_rate or 0),
        }
    print(json.dumps(total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
