"""The command-line contracts other tools depend on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tradeinbox.demo import MAILBOX_DIR


def tradeinbox(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRADEINBOX_DATA"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "tradeinbox", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_help_lists_every_command(tmp_path):
    output = tradeinbox("--help", data=tmp_path).stdout
    for command in ("import", "search", "run", "worker", "manage", "lint", "quote", "dnscheck"):
        assert f"    {command}" in output, command


def test_import_json_then_search_json_including_chinese(tmp_path):
    first = json.loads(tradeinbox("import", str(MAILBOX_DIR), "--json", data=tmp_path).stdout)
    assert first["seen"] == first["imported"] + first["duplicates"] + first["quarantined"]
    assert first["imported"] >= 50 and set(first) == {
        "seen",
        "imported",
        "duplicates",
        "quarantined",
    }
    second = json.loads(tradeinbox("import", str(MAILBOX_DIR), "--json", data=tmp_path).stdout)
    assert second["imported"] == 0 and second["duplicates"] == first["imported"]

    hits = [
        json.loads(line)
        for line in tradeinbox("search", "海运费", "--json", data=tmp_path).stdout.splitlines()
    ]
    assert hits, "the Chinese freight-rate mail should be found"
    assert set(hits[0]) == {"message_id", "date", "from", "subject", "snippet"}
    assert all("海运费" in h["subject"] + h["snippet"] for h in hits)
    dates = [h["date"] for h in hits]
    assert dates == sorted(dates, reverse=True)

    po = [
        json.loads(line)
        for line in tradeinbox(
            "search", "subject:4500012345", "has:attachment", "--json", data=tmp_path
        ).stdout.splitlines()
    ]
    assert po and all("4500012345" in h["subject"] for h in po)


def test_bad_search_date_is_a_clear_error(tmp_path):
    done = tradeinbox("search", "before:someday", data=tmp_path, check=False)
    assert done.returncode == 2
    assert "before:" in done.stdout and "date" in done.stdout


def test_import_of_a_missing_path_says_so(tmp_path):
    done = tradeinbox("import", str(tmp_path / "nope"), data=tmp_path, check=False)
    assert done.returncode == 2
    assert "no such file or folder" in done.stderr and "nope" in done.stderr


def test_manage_passes_through_to_django(tmp_path):
    done = tradeinbox("manage", "check", data=tmp_path)
    assert "no issues" in done.stdout
