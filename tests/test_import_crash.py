"""kill -9 during an import, then import again: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import corpus

# Marked django_db so the PostgreSQL pass of the suite runs it against PostgreSQL too.
pytestmark = [pytest.mark.slow, pytest.mark.corpora, pytest.mark.django_db]


@contextmanager
def scratch_database():
    """A fresh database URL on the server the suite uses, or None for SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"tradeinbox_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(data: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRADEINBOX_DATA"] = str(data)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def count_messages(data: Path, database_url: str | None) -> int:
    query = "SELECT COUNT(*) FROM store_message"
    try:
        if database_url:
            import psycopg

            with psycopg.connect(database_url) as conn:
                return conn.execute(query).fetchone()[0]
        with sqlite3.connect(data / "tradeinbox.sqlite3", timeout=1) as conn:
            return conn.execute(query).fetchone()[0]
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0


def run_import(source: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradeinbox",
            "import",
            str(source),
            "--json",
            "--progress",
            "never",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def consistency(env: dict[str, str]) -> dict:
    code = (
        "import json\n"
        "from tradeinbox import setup_django; setup_django()\n"
        "from django.conf import settings\n"
        "from django.db import connection\n"
        "from tradeinbox.core.blobstore import BlobStore\n"
        "from tradeinbox.store import search\n"
        "from tradeinbox.store.models import Message, Attachment\n"
        "from tradeinbox.store.rawstore import raw_present\n"
        "blobs = BlobStore(settings.TRADEINBOX['BLOB_DIR'])\n"
        "table = search.PG_TABLE if search.is_postgres() else search.FTS_TABLE\n"
        "cur = connection.cursor(); cur.execute(f'SELECT COUNT(*) FROM {table}')\n"
        "print(json.dumps({\n"
        " 'messages': Message.objects.count(),\n"
        " 'distinct_keys': Message.objects.values('dedupe_key').distinct().count(),\n"
        " 'indexed': cur.fetchone()[0],\n"
        " 'without_thread': Message.objects.filter(thread__isnull=True).count(),\n"
        " 'missing_raw': raw_present(list(Message.objects.values_list('pk', 'raw_sha256'))).count(False),\n"
        " 'missing_attachment': sum(not blobs.exists(h) for h in Attachment.objects.values_list('sha256', flat=True)),\n"
        "}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_kill_9_mid_import_loses_and_duplicates_nothing(tmp_path):
    source = corpus("spamassassin_public")
    with scratch_database() as reference_db, scratch_database() as crash_db:
        reference_env = environment(tmp_path / "reference", reference_db)
        reference = run_import(source, reference_env)

        crash_data = tmp_path / "crashed"
        crash_env = environment(crash_data, crash_db)
        kills = 0
        for threshold in (200, 1200, 2500):
            process = subprocess.Popen(
                [sys.executable, "-m", "tradeinbox", "import", str(source), "--progress", "never"],
                env=crash_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 300
            while process.poll() is None and time.monotonic() < deadline:
                if count_messages(crash_data, crash_db) >= threshold:
                    break
                time.sleep(0.05)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait()
        assert kills >= 2, "the import finished before it could be killed; use a larger corpus"

        final = run_import(source, crash_env)
        assert final["seen"] == reference["seen"]
        state = consistency(crash_env)
        assert state["messages"] == reference["imported"]
        assert state["distinct_keys"] == state["messages"]
        assert state["indexed"] == state["messages"]
        assert state["without_thread"] == 0
        assert state["missing_raw"] == 0 and state["missing_attachment"] == 0
