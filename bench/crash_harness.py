"""Crash safety: kill -9 the importer and the worker at random points, then check the store.

    .venv/bin/python bench/crash_harness.py [--corpora DIR] [--points 100] [--seed 11]
        [--messages 600] [--outbox 20] [--keep DIR]

Setup (once): a Maildir of ``--messages`` real messages sampled (seeded) from the corpora,
plus exact copies (must be stored once), input that is not mail (must be quarantined)
and one message over the 512 KB inline limit (its raw bytes go to the blob store). A
throwaway Dovecot and an aiosmtpd relay delivering into it over LMTP
(``tests/servers/mail.py``) get a mailbox holding the same messages in INBOX and some
again in Archive. What must come out is computed here from the bytes with the pure core
(``parse_message`` + ``dedupe_key``), not by the code under test.

Each kill point is one trial on a fresh data folder (SQLite), in one of three phases
taken in turn:

* **import**: ``tradeinbox import MAILDIR`` (parse pool of 2, batches of 100);
* **sync**: ``tradeinbox worker`` doing the initial IMAP sync of that mailbox (and the
  analysis jobs the stored messages queue);
* **send**: ``tradeinbox worker`` sending ``--outbox`` composed messages through the relay
  to a recipient of its own, and saving copies to Sent.

The process is killed with SIGKILL either after a random delay (uniform over 20-98 % of
an uninterrupted run of the same phase) or, half the time, by a named crash point
(``TRADEINBOX_CRASH_AT``, :mod:`tradeinbox.crashpoints`) at a random pass: between a
batch's blobs and its transaction, just before or after a commit, between writing the
outbox phase and the final dot, after the dot, after the server's 250, after the Sent
copy. Then the same command is started again and left to finish, and the harness checks:

* SQLite ``integrity_check``, ``foreign_key_check`` and FTS5's own integrity check;
* every message row has its raw bytes, every attachment and quarantined input its blob;
* search index rows = message rows (none missing, none orphaned);
* threads: every message in one, counts and dates right, no dangling keys, and the same
  grouping of messages into threads as the uninterrupted run;
* nothing lost (every source message stored or quarantined), nothing duplicated (no
  extra message, quarantine entry or IMAP location);
* for sends: the recipient's Dovecot INBOX holds exactly one copy per sent row (rows the
  outbox marked "may have been sent" hold at most one) and Sent at most one.

A trial whose process ended before the kill does not count; another is drawn. Processes
left behind by a killed parent (parse pools) are counted as ``orphans`` and ended. The
last line is one JSON object: ``{"kill_points": N, "survived": N, "lost": 0, ...}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
CLI = [sys.executable, "-m", "tradeinbox"]
CHECK = [sys.executable, str(REPO / "bench" / "crash_check.py")]
BATCH = 100
PHASES = ("import", "sync", "send")
STORE_POINTS = (
    "store.batch.blobs_written",
    "store.batch.before_commit",
    "store.batch.after_commit",
    "store.quarantine.after_blob",
)
SEND_POINTS = (
    "outbox.claimed",
    "outbox.envelope",
    "outbox.recipients",
    "outbox.before_dot",
    "outbox.after_dot",
    "outbox.accepted",
    "outbox.sent_copy_appended",
)
TERMINAL = {"sent", "uncertain", "failed", "cancelled"}


# -- the source mail ----------------------------------------------------------------------


def collect(corpora: Path, count: int, rng: random.Random) -> list[bytes]:
    """``count`` real messages sampled from the corpora (heldout folders never read)."""
    from tradeinbox.core.sources import RawMessage, iter_path

    found = []
    for sub in sorted(p for p in corpora.iterdir() if p.is_dir() and p.name != "heldout"):
        for item in iter_path(sub):
            if not isinstance(item, RawMessage):
                continue
            data = item.data
            if data.startswith(b"From "):  # an mbox envelope line is not part of the message
                data = data.split(b"\n", 1)[1] if b"\n" in data else b""
            if b"\n\n" in data[:65536] or b"\r\n\r\n" in data[:65536]:
                found.append(data)
    if not found:
        raise SystemExit(f"no mail found under {corpora}")
    return rng.sample(found, min(count, len(found)))


def big_message(rng: random.Random) -> bytes:
    """One message over the 512 KB inline limit: its raw bytes live in the blob store."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Li Wei <li.wei@factory.example>"
    message["To"] = "ana@buyer.example"
    message["Subject"] = "Catalogue 2026 (large)"
    message["Message-ID"] = f"<big-{rng.getrandbits(64):x}@factory.example>"
    message.set_content("Dear Ana,\nour full catalogue is attached.\n")
    message.add_attachment(rng.randbytes(700_000), "application", "pdf", filename="catalogue.pdf")
    return message.as_bytes()


NOT_MAIL = [
    b"this line has no colon and no header block follows it\nsecond line\n",
    b"\x00\x01\x02 binary noise \xff\xfe\n\n",
    b"   \n",
]


def source_set(corpora: Path, count: int, rng: random.Random) -> list[bytes]:
    messages = collect(corpora, count, rng)
    messages += [messages[i] for i in rng.sample(range(len(messages)), min(5, len(messages)))]
    messages += NOT_MAIL + [big_message(rng)]
    rng.shuffle(messages)
    return messages


def expected(raws: list[bytes]) -> tuple[set[str], set[str]]:
    """(dedupe keys that must be stored, SHA-256 of input that must be quarantined)."""
    from tradeinbox.core.dedupe import dedupe_key
    from tradeinbox.core.parse import parse_message

    keys, quarantine = set(), set()
    for raw in raws:
        try:
            parsed = parse_message(raw)
        except Exception:  # noqa: BLE001 - the importer quarantines what the parser refuses
            quarantine.add(hashlib.sha256(raw).hexdigest())
            continue
        keys.add(dedupe_key(raw, parsed.message_id))
    return keys, quarantine


def write_maildir(target: Path, raws: list[bytes]) -> None:
    for part in ("cur", "new", "tmp"):
        (target / part).mkdir(parents=True, exist_ok=True)
    for number, raw in enumerate(raws):
        (target / "cur" / f"{1700000000 + number}.M{number}P1.crash:2,S").write_bytes(raw)


# -- processes ------------------------------------------------------------------------------


def marked(marker: str) -> list[int]:
    """PIDs of live processes started for one trial (they carry its marker variable)."""
    needle = f"TRADEINBOX_CRASH_TRIAL={marker}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def end_orphans(marker: str) -> int:
    """Count and end processes that outlived their killed parent (after a short grace)."""
    deadline = time.monotonic() + 3
    left = marked(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = marked(marker)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(left)


def run(cmd: list[str], env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def run_killed(cmd: list[str], env: dict, log: Path, delay: float | None) -> bool:
    """Run ``cmd``; SIGKILL it after ``delay`` s (None: a crash point kills it). Killed?"""
    with open(log, "ab") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=out)
        try:
            process.wait(timeout=delay if delay is not None else 600)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return delay is not None
    return process.returncode == -signal.SIGKILL


def py(env: dict, code: str) -> object:
    script = "import json, tradeinbox\ntradeinbox.setup_django()\n" + code
    result = run([sys.executable, "-c", script], env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def inspect(env: dict) -> dict:
    result = run(CHECK, env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the world: servers, templates, expectations ---------------------------------------------


@dataclass
class World:
    work: Path
    maildir: Path
    dovecot: object
    relay: object
    sync_user: str
    send_user: str
    import_keys: set[str]
    import_quarantine: set[str]
    sync_keys: set[str]
    sync_quarantine: set[str]
    server_uids: dict[str, list[int]]
    outbox_rows: int
    templates: dict[str, Path] = field(default_factory=dict)
    reference: dict[str, dict] = field(default_factory=dict)  # phase -> seconds, partition
    hits: dict[str, int] = field(default_factory=dict)  # crash point -> passes in one run

    def env(self, data: Path, marker: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
        env.update(
            TRADEINBOX_DATA=str(data),
            TRADEINBOX_LOG_LEVEL="WARNING",
            TRADEINBOX_SYNC_BATCH=str(BATCH),
            TRADEINBOX_IMPORT_PROCESSES="2",
            TRADEINBOX_OUTBOX_RETRY_SECONDS="1",
            TRADEINBOX_CRASH_TRIAL=marker,
            PYTHONPATH=str(REPO),
            DJANGO_SETTINGS_MODULE="tradeinbox.settings",
        )
        return env


def server_messages(dovecot, user: str) -> tuple[dict[str, list[int]], list[bytes]]:
    uids, raws = {}, []
    with dovecot.imap(user) as client:
        for folder in ("INBOX", "Archive"):
            client.select_folder(folder, readonly=True)
            found = client.search("ALL")
            uids[folder] = sorted(found)
            for data in client.fetch(found, ["BODY.PEEK[]"]).values():
                raws.append(bytes(data[b"BODY[]"]))
    return uids, raws


def add_account(world_env: dict, dovecot, relay, user: str, password: str) -> None:
    args = [*CLI, "account", "add", user, "--name", "Li Wei", "--company", "Ningbo Tools"]
    args += ["--imap-host", dovecot.host, "--imap-port", str(dovecot.imap_port)]
    args += ["--imap-security", "none", "--smtp-host", relay.host]
    args += ["--smtp-port", str(relay.port), "--smtp-security", "none", "--password-env", "PW"]
    result = run(args, dict(world_env, PW=password))
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)


def build_world(corpora: Path, work: Path, rng: random.Random, count: int, rows: int) -> World:
    from tests.servers.mail import DOMAIN, DovecotServer, SmtpRelay, find_dovecot

    if not find_dovecot():
        raise SystemExit("dovecot is not installed (scripts/setup.sh --test installs it)")
    raws = source_set(corpora, count, rng)
    maildir = work / "source-maildir"
    write_maildir(maildir, raws)
    import_keys, import_quarantine = expected(raws)
    dovecot = DovecotServer().start()
    relay = SmtpRelay(dovecot).start()
    sync_user, send_user = f"crash-sync@{DOMAIN}", f"crash-send@{DOMAIN}"
    dovecot.add_user(sync_user, "sync-pw")
    dovecot.add_user(send_user, "send-pw")
    with dovecot.imap(sync_user) as client:
        for raw in raws:
            client.append("INBOX", raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        for raw in rng.sample(raws, len(raws) // 8):  # the same mail filed twice
            client.append("Archive", raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    server_uids, fetched = server_messages(dovecot, sync_user)
    sync_keys, sync_quarantine = expected(fetched)
    world = World(
        work, maildir, dovecot, relay, sync_user, send_user, import_keys, import_quarantine,
        sync_keys, sync_quarantine, server_uids, rows,
    )  # fmt: skip
    base = work / "template-base"
    env = world.env(base, "setup")
    py(env, "from tradeinbox.store.setup import ensure_database\nensure_database()\nprint(1)")
    world.templates["import"] = base
    for phase, user, password in (("sync", sync_user, "sync-pw"), ("send", send_user, "send-pw")):
        target = work / f"template-{phase}"
        shutil.copytree(base, target)
        world.templates[phase] = target
        add_account(world.env(target, "setup"), dovecot, relay, user, password)
    py(
        world.env(work / "template-send", "setup"),
        "from tradeinbox.mailbox.models import Account\n"
        "print(Account.objects.update(sync_enabled=False))",  # this phase is about sending
    )
    batches = math.ceil(len(import_keys) / BATCH)
    world.hits = {name: batches for name in STORE_POINTS}
    world.hits["store.quarantine.after_blob"] = len(import_quarantine)
    world.hits.update({name: rows for name in SEND_POINTS})
    return world


# -- one trial ------------------------------------------------------------------------------


def compose(world: World, env: dict, recipient: str) -> list[str]:
    code = f"""
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import Account
account = Account.objects.get()
ids = []
for n in range({world.outbox_rows}):
    files = [outbox.OutgoingAttachment("PI-%d.pdf" % n, "application/pdf", b"%PDF" * 4000 * n)]
    row = outbox.compose(account, to={recipient!r}, subject="PI-%04d deposit" % n,
                         body="Dear Ana,\\nplease find PI %d.\\n" % n, attachments=files[: n % 2])
    ids.append(row.message_id)
print(json.dumps(ids))
"""
    return py(env, code)


def phase_command(world: World, phase: str) -> list[str]:
    if phase == "import":
        return [*CLI, "import", str(world.maildir), "--progress", "never", "--json"]
    return [*CLI, "worker", "--exit-when-idle", "--poll", "0.2"]


def finish(world: World, phase: str, env: dict, log: Path, started: float) -> dict:
    """Run the phase's command again until its work is done; what that took."""
    notes: dict = {}
    command = phase_command(world, phase)
    deadline = time.monotonic() + 300
    while True:
        with open(log, "ab") as out:
            subprocess.run(command, env=env, stdout=out, stderr=out, timeout=600, check=False)
        if phase == "import":
            return notes
        state = py(env, _PROGRESS)
        if phase == "sync":
            if state["synced_after"] is not None and state["synced_after"] >= started:
                return notes
            # The killed worker's lease on the account has not run out: the restarted
            # worker will not sync it until then (up to 5 minutes). Record it and finish
            # with the explicit command, which does not wait for the lease.
            notes["waited_on_lease"] = bool(state["leased_by_other"])
            result = run([*CLI, "account", "sync", world.sync_user, "--json"], env)
            notes["finished_by_cli"] = result.returncode == 0
            with open(log, "a") as out:
                out.write(result.stdout + result.stderr)
            # and the worker again, for the jobs the sync queued
            with open(log, "ab") as out:
                subprocess.run(command, env=env, stdout=out, stderr=out, timeout=600, check=False)
            return notes
        if all(status in TERMINAL for status in state["outbox"]):
            return notes
        if time.monotonic() > deadline:
            notes["unfinished"] = True
            return notes
        time.sleep(1)


_PROGRESS = """
from tradeinbox.mailbox.models import Account, OutboxMessage
from datetime import UTC, datetime
account = Account.objects.order_by("pk").first()
last = account.last_sync_at.timestamp() if account and account.last_sync_at else None
lease = account and account.sync_lease_until and account.sync_lease_until > datetime.now(UTC)
print(json.dumps({"synced_after": last, "leased_by_other": bool(lease),
                  "outbox": list(OutboxMessage.objects.values_list("status", flat=True))}))
"""


def judge(world: World, phase: str, state: dict, extra: dict) -> dict:
    """Counts of everything that went wrong in one trial (all zero: it survived)."""
    bad = list(state["store_problems"])
    verdict = Counter()
    if phase in ("import", "sync"):
        keys, quarantine = (
            (world.import_keys, world.import_quarantine)
            if phase == "import"
            else (world.sync_keys, world.sync_quarantine)
        )
        stored, held = set(state["keys"]), set(state["quarantine"])
        verdict["lost"] += len(keys - stored) + len(quarantine - held)
        verdict["duplicated"] += len(state["keys"]) - len(stored) + len(stored - keys)
        verdict["duplicated"] += len(held - quarantine)
        if state["thread_partition"] != world.reference[phase]["partition"]:
            bad.append("threads differ from the uninterrupted run")
    if phase == "sync":
        for folder, uids in world.server_uids.items():
            mine = state["folders"].get(folder, {"uids": [], "dangling": 0})
            verdict["lost"] += len(set(uids) - set(mine["uids"]))
            verdict["duplicated"] += len(mine["uids"]) - len(set(mine["uids"]))
            verdict["duplicated"] += len(set(mine["uids"]) - set(uids))
            if mine["dangling"]:
                bad.append(f"{folder}: locations of missing messages")
    if phase == "send":
        delivered = Counter(world.dovecot.message_ids(extra["recipient"]))
        filed = Counter(world.dovecot.message_ids(world.send_user, "Sent"))
        status = {mid: st for mid, st, _phase in state["outbox"]}
        for message_id in extra["message_ids"]:
            copies, st = delivered[message_id], status.get(message_id)
            verdict["sent_twice"] += copies > 1
            verdict["sent_copy_twice"] += filed[message_id] > 1
            verdict["uncertain"] += st == "uncertain"
            verdict["uncertain_delivered"] += st == "uncertain" and copies == 1
            verdict["lost"] += st == "sent" and copies == 0
            verdict["failed"] += st == "failed"
            verdict["unfinished"] += st not in TERMINAL
    if phase != "import":  # the worker ran again: nothing may be left claimed by the dead
        verdict["jobs_stuck"] += state["jobs"]["running"]
    verdict["inconsistent"] = len(bad)
    return {"counts": dict(verdict), "problems": bad}


def trial(world: World, number: int, phase: str, rng: random.Random) -> dict | None:
    """One kill point; None when the process ended before it could be killed."""
    marker = f"{os.getpid()}-{number}"
    data = world.work / f"trial-{number:03d}-{phase}"
    shutil.copytree(world.templates[phase], data)
    env = world.env(data, marker)
    log = data / "trial.log"
    extra: dict = {}
    if phase == "send":
        extra["recipient"] = f"buyer-{number}-{os.getpid()}@example.test"
        world.dovecot.add_user(extra["recipient"], "buyer-pw")
        extra["message_ids"] = compose(world, env, extra["recipient"])
    points = STORE_POINTS if phase != "send" else SEND_POINTS
    how: dict = {"phase": phase}
    if rng.random() < 0.5:
        # Sync trials: three kills in four while the sync itself runs, the rest during the
        # analysis jobs the worker runs after it.
        end = world.reference[phase]["seconds"]
        if phase == "sync" and rng.random() < 0.75:
            end = world.reference[phase].get("sync_s", end)
        how["delay_s"] = round(rng.uniform(0.2, 0.98) * end, 3)
        crash_env = env
    else:
        point = rng.choice(points)
        how["point"] = f"{point}:{rng.randint(1, max(1, world.hits[point]))}"
        crash_env = dict(env, TRADEINBOX_CRASH_AT=how["point"])
    started = time.time()
    killed = run_killed(phase_command(world, phase), crash_env, log, how.get("delay_s"))
    how["orphans"] = end_orphans(marker)
    if not killed:
        shutil.rmtree(data, ignore_errors=True)
        return None
    how.update(finish(world, phase, env, log, started))
    how["orphans"] += end_orphans(marker)
    how.update(judge(world, phase, inspect(env), extra))
    how["data"] = str(data)
    return how


def reference_runs(world: World) -> None:
    """Each phase once without a kill: its duration (for the delays) and thread grouping."""
    for phase in PHASES:
        data = world.work / f"reference-{phase}"
        shutil.copytree(world.templates[phase], data)
        env = world.env(data, f"{os.getpid()}-reference")
        extra: dict = {}
        if phase == "send":
            extra["recipient"] = f"buyer-reference-{os.getpid()}@example.test"
            world.dovecot.add_user(extra["recipient"], "buyer-pw")
            extra["message_ids"] = compose(world, env, extra["recipient"])
        started, wall = time.monotonic(), time.time()
        result = run(phase_command(world, phase), env)
        seconds = time.monotonic() - started
        if result.returncode != 0:
            raise RuntimeError(f"{phase} reference run failed: {result.stderr[-2000:]}")
        state = inspect(env)
        world.reference[phase] = {"seconds": seconds, "partition": state["thread_partition"]}
        synced = [f["synced_at"] for f in state["folders"].values() if f["synced_at"]]
        if phase == "sync" and synced:  # the worker goes on with the analysis jobs after
            world.reference[phase]["sync_s"] = max(synced) - wall
        verdict = judge(world, phase, state, extra)
        if (
            any(verdict["counts"].get(k) for k in ("lost", "duplicated", "unfinished"))
            or (verdict["problems"])
        ):
            raise RuntimeError(f"the uninterrupted {phase} run is already wrong: {verdict}")
        print(f"reference {phase}: {seconds:.1f} s, {state['messages']} messages", file=sys.stderr)


# -- the run --------------------------------------------------------------------------------


def harness(corpora: Path, points: int, seed: int, messages: int, rows: int, work: Path) -> dict:
    rng = random.Random(seed)
    world = build_world(corpora, work, rng, messages, rows)
    try:
        reference_runs(world)
        totals: Counter = Counter()
        per_phase: Counter = Counter()
        failures, kills, attempts = [], 0, 0
        while kills < points and attempts < points * 3:
            phase = PHASES[kills % len(PHASES)]
            attempts += 1
            result = trial(world, kills + 1, phase, rng)
            if result is None:
                continue
            kills += 1
            per_phase[phase] += 1
            counts = result["counts"]
            totals.update(counts)
            totals["orphans"] += result["orphans"]
            totals["waited_on_lease"] += bool(result.get("waited_on_lease"))
            bad = any(counts.get(k) for k in ("lost", "duplicated", "sent_twice", "inconsistent"))
            bad = bad or counts.get("unfinished") or counts.get("sent_copy_twice")
            bad = bad or counts.get("jobs_stuck")
            totals["survived"] += not bad
            if bad:
                failures.append(result)  # its data folder is kept for a look (with --keep)
            else:
                shutil.rmtree(result.pop("data"), ignore_errors=True)
            print(f"kill {kills:3d} {json.dumps(result)}", file=sys.stderr)
    finally:
        world.relay.stop()
        world.dovecot.cleanup()
    return {
        "kill_points": kills,
        "survived": totals["survived"],
        "lost": totals["lost"],
        "duplicated": totals["duplicated"],
        "sent_twice": totals["sent_twice"],
        "inconsistent": totals["inconsistent"],
        "unfinished": totals["unfinished"],
        "sent_copy_twice": totals["sent_copy_twice"],
        "uncertain": totals["uncertain"],
        "uncertain_delivered": totals["uncertain_delivered"],
        "jobs_stuck": totals["jobs_stuck"],
        "orphan_processes": totals["orphans"],
        "sync_waited_on_lease": totals["waited_on_lease"],
        "per_phase": dict(per_phase),
        "draws": attempts,
        "messages": len(world.import_keys) + len(world.import_quarantine),
        "outbox_rows_per_send_trial": rows,
        "reference_s": {p: round(r["seconds"], 2) for p, r in world.reference.items()},
        "seed": seed,
        "failures": failures[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--points", type=int, default=100, help="kill points (trials)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--messages", type=int, default=600, help="corpus messages sampled")
    parser.add_argument("--outbox", type=int, default=20, help="messages sent per send trial")
    parser.add_argument("--keep", type=Path, help="keep the trial data folders here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops Dovecot
    if not args.corpora.is_dir():
        print(f"corpora folder {args.corpora} not found", file=sys.stderr)
        print(json.dumps({"kill_points": 0, "survived": None}))
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="tradeinbox-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        result = harness(args.corpora, args.points, args.seed, args.messages, args.outbox, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_average"] = os.getloadavg()[0]
    print(json.dumps(result))
    return 0 if result["survived"] == result["kill_points"] else 1


if __name__ == "__main__":
    sys.exit(main())
