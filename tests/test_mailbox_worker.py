"""``tradeinbox worker`` as a real process: IDLE latency, SIGTERM, kill -9 mid-sync and mid-send.

Each test gives the worker its own data folder (SQLite file), sets it up through the CLI
and inspects it with small Python snippets run in the same environment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, deliver_many, make_message

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
TRADEINBOX = [sys.executable, "-m", "tradeinbox"]


@pytest.fixture
def env(tmp_path):
    values = dict(os.environ)
    values.update(
        TRADEINBOX_DATA=str(tmp_path / "data"),
        TRADEINBOX_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    values.pop("DATABASE_URL", None)
    return values


def py(env: dict, code: str) -> object:
    """Run Django code in the worker's environment; it prints one JSON value."""
    script = "import json, tradeinbox\ntradeinbox.setup_django()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def add_account(env: dict, dovecot, user, smtp_port: int) -> None:
    env = dict(env, MAILPW=user.password)
    result = subprocess.run(
        [
            *TRADEINBOX,
            "account",
            "add",
            user.address,
            "--name",
            "Li Wei",
            "--company",
            "Ningbo Tools",
            "--imap-host",
            "127.0.0.1",
            "--imap-port",
            str(dovecot.imap_port),
            "--imap-security",
            "none",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(smtp_port),
            "--smtp-security",
            "none",
            "--password-env",
            "MAILPW",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [*TRADEINBOX, "worker", "--poll", "0.5"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def message_count(env: dict, subject: str = "") -> int:
    return py(
        env,
        f"""
        from tradeinbox.store.models import Message
        print(json.dumps(Message.objects.filter(subject__startswith={subject!r}).count()))
    """,
    )


def test_idle_shows_new_mail_within_5_seconds_and_sigterm_stops(
    env, dovecot, mail_user, smtp_relay
):
    deliver_many(dovecot, mail_user.address, [make_message("Existing inquiry")])
    add_account(env, dovecot, mail_user, smtp_relay.port)
    worker = start_worker(env)
    try:
        assert wait_for(lambda: message_count(env, "Existing") == 1, 60), "initial sync"
        time.sleep(1.5)  # the IDLE connection is up once the first sync has run
        sent_at = time.monotonic()
        dovecot.deliver(mail_user.address, make_message("Urgent: new order 8,000 pcs"))
        assert wait_for(lambda: message_count(env, "Urgent") == 1, 5, interval=0.1)
        assert time.monotonic() - sent_at <= 5.5
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    assert code == 0, worker.stderr.read()[-2000:]


def test_initial_sync_resumes_after_kill_9(env, dovecot, mail_user, smtp_relay):
    deliver_many(
        dovecot, mail_user.address, [make_message(f"Bulk {i}", "text\n" * 30) for i in range(1200)]
    )
    add_account(env, dovecot, mail_user, smtp_relay.port)
    env = dict(env, TRADEINBOX_SYNC_BATCH="40", TRADEINBOX_IMPORT_PROCESSES="1")
    checkpoint = """
        from tradeinbox.mailbox.models import Folder, MessageLocation
        f = Folder.objects.filter(special_use="inbox").first()
        print(json.dumps([f.last_uid if f else 0, MessageLocation.objects.count()]))
    """
    # SIGKILL inside the third batch's transaction, after its messages and locations are
    # written but before the commit: deterministic, where a kill from outside raced a
    # sync fast enough to finish first. Nothing of that batch may survive.
    worker = start_worker(dict(env, TRADEINBOX_CRASH_AT="store.batch.before_commit:3"))
    try:
        assert worker.wait(timeout=120) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    last_uid, locations = py(env, checkpoint)
    assert last_uid == 80, "killed in the third batch: two committed"
    assert locations == last_uid  # the checkpoint and the stored rows agree
    result = subprocess.run(
        [*TRADEINBOX, "account", "sync", mail_user.address, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["new"] == 1200 - last_uid  # only the rest was fetched
    counts = py(
        env,
        """
        from tradeinbox.store.models import Message
        from tradeinbox.mailbox.models import MessageLocation
        ids = list(Message.objects.values_list("message_id", flat=True))
        print(json.dumps([len(ids), len(set(ids)), MessageLocation.objects.count()]))
    """,
    )
    assert counts == [1200, 1200, 1200]


@pytest.mark.parametrize("moment", ["RCPT", "after-delivery"])
def test_kill_9_mid_send_delivers_exactly_one_copy(env, dovecot, mail_user, relay, moment):
    buyer = f"buyer-kill-{moment.lower()}-{os.getpid()}@{DOMAIN}"
    dovecot.add_user(buyer, "pw")
    add_account(env, dovecot, mail_user, relay.port)
    import threading

    relay.state.pause_data = threading.Event()
    if moment == "RCPT":
        relay.state.pause_at = "RCPT"
    else:
        relay.state.deliver_before_pause = True
    message_id = py(
        env,
        f"""
        from tradeinbox.mailbox.models import Account
        from tradeinbox.mailbox import outbox
        row = outbox.compose(Account.objects.get(), to={buyer!r}, subject="PI-7781", body="Deposit 30%")
        print(json.dumps(row.message_id))
    """,
    )
    worker = start_worker(env)
    try:
        assert relay.state.pause_data.wait(60), "the worker never reached the server"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    relay.state.release.set()
    time.sleep(0.5)
    relay.state.pause_data = None
    relay.state.pause_at = ""
    worker = start_worker(env)
    status = "queued"
    try:
        status = wait_for(
            lambda: (
                (
                    s := py(
                        env,
                        """
            from tradeinbox.mailbox.models import OutboxMessage
            print(json.dumps(OutboxMessage.objects.get().status))
        """,
                    )
                )
                in ("sent", "uncertain", "failed")
                and s
            ),
            60,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    assert dovecot.message_ids(buyer) == [message_id]  # exactly one copy arrived
    if moment == "RCPT":
        assert status == "sent"
        assert dovecot.message_ids(mail_user.address, "Sent") == [message_id]
    else:
        # The server delivered but the worker died before reading its 250: the row is
        # marked "may have been sent" for the user instead of being sent a second time.
        assert status == "uncertain"
