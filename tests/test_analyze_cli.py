"""The ``tradeinbox analyze`` JSON-lines contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("TRADEINBOX_CORPORA", ROOT.parent / "shared" / "corpora"))
KEYS = {
    "source", "message_id", "threat", "label", "inquiry", "grade", "authenticity",
    "origin", "references", "evidence",
}  # fmt: skip

INQUIRY = b"""Received: from mail.valvulas-sur.cl (mail.valvulas-sur.cl [200.27.1.10])
\tby mx.ourfactory.example (Postfix) with ESMTPS id 1; Tue, 3 Mar 2026 10:00:01 +0800
From: Juan Perez <juan@valvulas-sur.cl>
To: sales@ourfactory.example
Subject: Inquiry for stainless steel ball valves PO 7788
Date: Mon, 2 Mar 2026 22:00:00 -0300
Message-ID: <inq-1@valvulas-sur.cl>

Hello,

we are a distributor in Chile. Please send your best price and MOQ for
stainless steel ball valves DN50 PN16, 500 pcs, CIF Valparaiso.

Best regards
Juan Perez
Valvulas Sur SpA, Santiago, Chile
Tel +56 2 2345 6789
"""

PHISH = b"""From: "Microsoft Account Team" <no-reply@secure-mslogin.example>
To: sales@ourfactory.example
Subject: Your mailbox will be suspended
Date: Tue, 3 Mar 2026 02:00:00 +0000
Message-ID: <p-1@x>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Your mailbox has been suspended due to unusual sign-in activity.
Verify your account within 24 hours or it will be deleted.</p>
<a href="http://45.33.32.156/owa/login.php">https://outlook.office365.com/verify</a>
<form action="http://45.33.32.156/p"><input type="password" name="pw"></form>
<p>Please also quote your best price for 2000 pcs.</p></body></html>
"""


def run_cli(*args: str) -> tuple[int, list[dict]]:
    """In-process run of the command (fast); output parsed as JSON lines."""
    import argparse
    import contextlib
    import io

    from tradeinbox.commands import analyze

    parser = argparse.ArgumentParser()
    analyze.add_arguments(parser)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = analyze.run(parser.parse_args(list(args)))
    return code, [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def run_process(*args: str, stdin: bytes | None = None) -> tuple[int, list[dict]]:
    """The real command line, as other tools call it."""
    done = subprocess.run(
        [sys.executable, "-m", "tradeinbox", "analyze", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    lines = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
    return done.returncode, lines


def test_single_file_contract(tmp_path: Path) -> None:
    path = tmp_path / "inquiry.eml"
    path.write_bytes(INQUIRY)
    code, lines = run_process(str(path))
    assert code == 0 and len(lines) == 1
    result = lines[0]
    assert set(result) == KEYS
    assert result["source"] == str(path)
    assert result["message_id"] == "inq-1@valvulas-sur.cl"
    assert 0.0 <= result["threat"] <= 1.0 and 0.0 <= result["authenticity"] <= 1.0
    assert result["label"] == "ham"
    assert result["grade"] in (None, "A", "B", "C", "D")
    assert set(result["origin"]) == {"ip", "country", "local_hour"}
    assert result["origin"]["ip"] == "200.27.1.10"
    assert result["origin"]["local_hour"] == 22
    for item in result["evidence"]:
        assert set(item) == {"rule", "weight", "detail"}
    for ref in result["references"]:
        assert set(ref) == {"kind", "value"}


def test_phish_never_gets_b_c_d_grade(tmp_path: Path) -> None:
    path = tmp_path / "phish.eml"
    path.write_bytes(PHISH)
    _, [result] = run_cli(str(path))
    assert result["label"] == "phish"
    assert result["threat"] >= 0.5
    assert result["grade"] in (None, "A")
    assert result["grade"] == ("A" if result["inquiry"] else None)
    assert result["authenticity"] <= 1.0 - result["threat"] + 1e-6
    assert any(e["rule"].startswith("threat.") for e in result["evidence"])


def test_stdin_and_unparseable_input() -> None:
    code, [result] = run_process("-", stdin=INQUIRY)
    assert code == 0 and result["source"] == "-" and "error" not in result
    code, [bad] = run_process("-", stdin=b"\x00\x01 this is no mail")
    assert code == 0 and set(bad) == {"source", "error"}


def test_missing_path_reports_error(tmp_path: Path) -> None:
    code, lines = run_cli(str(tmp_path / "nope.eml"))
    assert code == 0 and len(lines) == 1 and "error" in lines[0]


def test_mbox_maildir_and_folder(tmp_path: Path) -> None:
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(
        b"From a@b Tue Mar  3 10:00:00 2026\n"
        + INQUIRY
        + b"\nFrom c@d Tue Mar  3 10:00:00 2026\n"
        + PHISH
    )
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "1.host").write_bytes(INQUIRY)
    (maildir / "cur" / "2.host:2,S").write_bytes(PHISH)
    _, lines = run_cli(str(mbox), str(maildir))
    assert len(lines) == 4
    assert [r["label"] for r in lines[:2]] == ["ham", "phish"]
    assert all(r["source"].startswith(str(mbox)) for r in lines[:2])
    assert {r["label"] for r in lines[2:]} == {"ham", "phish"}


def test_many_files_in_parallel_keep_input_order(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(80):
        body = PHISH if index % 10 == 0 else INQUIRY
        (folder / f"{index:03d}.eml").write_bytes(body.replace(b"inq-1@", f"m{index}@".encode()))
    code, lines = run_cli("--jobs", "2", str(folder))
    assert code == 0 and len(lines) == 80
    assert [Path(r["source"]).name for r in lines] == [f"{i:03d}.eml" for i in range(80)]
    assert [r["label"] == "phish" for r in lines] == [i % 10 == 0 for i in range(80)]


def test_known_contact_option_flags_impersonation(tmp_path: Path) -> None:
    fake = INQUIRY.replace(
        b"From: Juan Perez <juan@valvulas-sur.cl>", b"From: Juan Perez <juan.perez.cl@gmail.com>"
    )
    path = tmp_path / "fake.eml"
    path.write_bytes(fake)
    _, [plain] = run_cli(str(path))
    _, [guarded] = run_cli("--contact", "Juan Perez <juan@valvulas-sur.cl>", str(path))
    assert not any(e["rule"] == "threat.display.known_contact" for e in plain["evidence"])
    assert any(e["rule"] == "threat.display.known_contact" for e in guarded["evidence"])
    assert guarded["threat"] > plain["threat"]


def test_analyze_does_not_set_up_django() -> None:
    code = (
        "import sys\n"
        "from tradeinbox.commands.analyze import analyse_one\n"
        f"r = analyse_one(('x', {INQUIRY!r}, None))\n"
        "assert 'error' not in r, r\n"
        "assert 'django.db.models' not in sys.modules\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == b"ok", done.stderr.decode()[-2000:]


@pytest.mark.corpora
def test_corpus_folder_has_no_crash() -> None:
    folder = CORPORA / "spamassassin_public" / "hard-ham-1"
    if not folder.is_dir():
        pytest.skip("corpora absent")
    files = sorted(folder.iterdir())[:40]
    code, lines = run_cli(*map(str, files))
    assert code == 0 and len(lines) == 40
    assert all("error" not in r for r in lines)


def test_warm_up_loads_what_workers_share() -> None:
    """analyze loads model, phrase index and databases once before forking workers."""
    from tradeinbox.core import origin, threats
    from tradeinbox.core.classifier import default_model
    from tradeinbox.core.triage import warm_up

    for cached in (origin._geoip, origin._zones, threats._phrase_gates, default_model):
        cached.cache_clear()
    warm_up()
    for cached in (origin._geoip, origin._zones, threats._phrase_gates, default_model):
        assert cached.cache_info().currsize == 1, cached
