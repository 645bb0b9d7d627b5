"""Importing mail into the store: formats, idempotency, quarantine, threading."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import corpus
from tradeinbox.core.blobstore import BlobStore
from tradeinbox.core.sources import RawMessage
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Attachment, Message, MessageRaw, Quarantine, Thread
from tradeinbox.store.rawstore import LZ4_FRAME_MAGIC, raw_bytes

pytestmark = pytest.mark.django_db


def eml(subject: str, message_id: str | None = None, extra: str = "", body: str = "Body") -> bytes:
    lines = [
        "From: Buyer <buyer@acme.example>",
        "To: sales@brightway.example",
        f"Subject: {subject}",
        "Date: Tue, 03 Nov 2026 09:15:00 +0000",
    ]
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    if extra:
        lines.append(extra.strip())
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_eml_folder_maildir_and_mbox_are_imported_once(tmp_path):
    write(tmp_path / "emls", "a.eml", eml("one", "1@x"))
    write(tmp_path / "emls", "notes.md", b"# not mail")
    maildir = mailbox.Maildir(str(tmp_path / "md"), create=True)
    maildir.add(eml("two", "2@x"))
    maildir.add(eml("one again, same id and body", "1@x").replace(b"again, same id and body", b""))
    box = mailbox.mbox(str(tmp_path / "box.mbox"))
    box.add(eml("three", "3@x"))
    box.add(eml("four, no id"))
    box.flush()

    paths = [tmp_path / "emls", tmp_path / "md", tmp_path / "box.mbox"]
    summary = Importer().import_paths(paths)
    assert summary.skipped_files == 1
    assert summary.seen == 5
    assert summary.imported + summary.duplicates + summary.quarantined == summary.seen
    assert Message.objects.count() == summary.imported == 4
    again = Importer().import_paths(paths)
    assert again.imported == 0 and again.duplicates == 5
    assert Message.objects.count() == 4


def test_same_message_id_different_body_is_kept(tmp_path):
    write(tmp_path, "a.eml", eml("x", "same@x", body="first text"))
    write(tmp_path, "b.eml", eml("x", "same@x", body="a different mail reusing the id"))
    summary = Importer().import_paths([tmp_path])
    assert summary.imported == 2


def test_trace_headers_do_not_defeat_dedupe(tmp_path):
    base = eml("x", "trace@x")
    write(
        tmp_path, "inbox.eml", b"Received: from a by b; Tue, 3 Nov 2026 09:15:01 +0000\r\n" + base
    )
    write(tmp_path, "archive.eml", b"Delivered-To: lily@brightway.example\r\n" + base)
    assert Importer().import_paths([tmp_path]).imported == 1


def test_quarantine_keeps_bytes_and_reason(tmp_path, settings):
    bad = b"%PDF-1.7 this is not a mail"
    write(tmp_path, "scan.eml", bad)
    settings.TRADEINBOX = {**settings.TRADEINBOX, "MAX_MESSAGE_BYTES": 5000}
    write(tmp_path, "huge.eml", eml("big", "big@x", body="x" * 6000))
    summary = Importer().import_paths([tmp_path])
    assert summary.quarantined == 2 and summary.imported == 0
    reasons = sorted(Quarantine.objects.values_list("reason", flat=True))
    assert reasons[0].startswith("larger than")
    assert reasons[1].startswith("not an email")
    item = Quarantine.objects.get(reason__startswith="not an email")
    assert BlobStore(settings.TRADEINBOX["QUARANTINE_DIR"]).get(item.raw_sha256) == bad
    again = Importer().import_paths([tmp_path])
    assert again.quarantined == 2 and Quarantine.objects.count() == 2


def test_raw_and_attachments_are_stored_byte_exact_and_deduplicated(tmp_path, settings):
    pdf = b"%PDF-1.4\n%%EOF\n"
    import base64

    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nCatalogue attached\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=cat.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(pdf).decode() + "\r\n--b--"
    )
    extra = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b"
    first = eml("catalogue", "c1@x", extra, body)
    write(tmp_path, "1.eml", first)
    write(tmp_path, "2.eml", eml("catalogue again", "c2@x", extra, body))
    Importer().import_paths([tmp_path])
    blobs = BlobStore(settings.TRADEINBOX["BLOB_DIR"])
    message = Message.objects.get(message_id="c1@x")
    assert raw_bytes(message) == first
    attachments = Attachment.objects.filter(filename="cat.pdf")
    assert attachments.count() == 2
    assert len({a.sha256 for a in attachments}) == 1
    assert blobs.get(attachments[0].sha256) == pdf
    assert message.attachment_count == 1


def test_raw_rows_are_lz4_frames_and_older_zlib_rows_still_read(tmp_path):
    import zlib

    import lz4.frame

    raw = eml("packed", "p1@x", body="Price list please. " * 200)
    write(tmp_path, "1.eml", raw)
    Importer().import_paths([tmp_path])
    message = Message.objects.get(message_id="p1@x")
    row = MessageRaw.objects.get(message=message)
    assert bytes(row.data)[:4] == LZ4_FRAME_MAGIC
    assert len(row.data) < len(raw) / 2
    assert raw_bytes(message) == raw
    # A row written before the switch (zlib, level 1) reads back the same.
    MessageRaw.objects.filter(message=message).update(data=zlib.compress(raw, 1))
    assert raw_bytes(message) == raw
    # A damaged frame is an error, never silently different bytes.
    damaged = bytearray(lz4.frame.compress(raw, content_checksum=True))
    damaged[-6] ^= 0xFF
    MessageRaw.objects.filter(message=message).update(data=bytes(damaged))
    with pytest.raises(RuntimeError):
        raw_bytes(message)


def test_threading_by_references_out_of_order_and_merge(tmp_path):
    write(
        tmp_path,
        "3.eml",
        eml("Re: Re: RFQ", "c@x", "In-Reply-To: <b@x>\r\nReferences: <a@x> <b@x>"),
    )
    write(tmp_path, "1.eml", eml("RFQ", "a@x"))
    write(tmp_path, "9.eml", eml("Unrelated", "z@x"))
    importer = Importer()
    for path in sorted(tmp_path.iterdir(), key=lambda p: p.name, reverse=True):
        importer.add(RawMessage(str(path), path.read_bytes()))
    importer.flush()
    assert (
        Message.objects.get(message_id="a@x").thread_id
        == Message.objects.get(message_id="c@x").thread_id
    )
    assert (
        Message.objects.get(message_id="z@x").thread_id
        != Message.objects.get(message_id="a@x").thread_id
    )
    # b arrives last and links the two halves (it refers to a, c refers to it).
    write(tmp_path / "later", "2.eml", eml("Re: RFQ", "b@x", "In-Reply-To: <a@x>"))
    Importer().import_paths([tmp_path / "later"])
    thread_ids = set(
        Message.objects.filter(message_id__in=["a@x", "b@x", "c@x"]).values_list(
            "thread_id", flat=True
        )
    )
    assert len(thread_ids) == 1
    thread = Thread.objects.get(pk=thread_ids.pop())
    assert thread.message_count == 3 and thread.subject == "RFQ"


def test_subject_fallback_only_for_replies_between_the_same_people(tmp_path):
    write(tmp_path, "1.eml", eml("Quotation LED panel", "q1@x"))
    write(tmp_path, "2.eml", eml("RE: Quotation LED panel", "q2@x"))  # broken client: no refs
    write(tmp_path, "3.eml", eml("Quotation LED panel", "q3@x"))  # not a reply: new thread
    other = eml("Re: Quotation LED panel", "q4@x").replace(
        b"buyer@acme.example", b"x@other.example"
    )
    other = other.replace(b"sales@brightway.example", b"y@other.example")
    write(tmp_path, "4.eml", other)
    Importer(batch_size=1).import_paths([tmp_path])
    thread_of = dict(Message.objects.values_list("message_id", "thread_id"))
    assert thread_of["q2@x"] in (thread_of["q1@x"], thread_of["q3@x"])
    assert thread_of["q1@x"] != thread_of["q3@x"]
    assert thread_of["q4@x"] not in (thread_of["q1@x"], thread_of["q3@x"])


def _index_count() -> int:
    from tradeinbox.store import search

    table = search.PG_TABLE if search.is_postgres() else search.FTS_TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


CORPORA_TO_IMPORT = [
    "spamassassin_public",
    "enron_maildir_sample",
    "nazario_phishing",
    "phishing_pot",
    "sisimai_bounces",
    "flufl_bounce",
    "b2b_inquiry_candidates",
]


@pytest.mark.slow
@pytest.mark.corpora
def test_every_corpus_message_is_stored_or_quarantined_and_reimport_adds_nothing():
    paths = [corpus(name) for name in CORPORA_TO_IMPORT]
    summary = Importer().import_paths(paths)
    assert summary.seen > 9000
    assert summary.imported + summary.duplicates + summary.quarantined == summary.seen
    assert Message.objects.count() == summary.imported
    assert Quarantine.objects.count() <= summary.quarantined
    assert all(Quarantine.objects.values_list("reason", flat=True))
    assert _index_count() == summary.imported
    again = Importer().import_paths(paths)
    assert again.imported == 0
    assert again.seen == summary.seen
    assert Message.objects.count() == summary.imported


def test_import_collects_garbage_less_often_and_restores_the_threshold(tmp_path):
    import gc

    from tradeinbox.store import bulkwrite

    seen = []
    before = gc.get_threshold()
    write(tmp_path, "1.eml", eml("gc", "gc1@x"))

    class Watching(Importer):
        def flush(self):
            seen.append(gc.get_threshold()[0])
            super().flush()

    Watching().import_paths([tmp_path])
    assert seen and min(seen) >= 50_000 > before[0]
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), bulkwrite.fewer_collections():
        raise RuntimeError("an import that fails")
    assert gc.get_threshold() == before


@pytest.mark.django_db(transaction=True)
def test_background_checkpoints_take_over_from_the_importing_connection(tmp_path):
    import sqlite3
    import time

    from tradeinbox.store.bulkwrite import BackgroundCheckpoints

    if connection.vendor != "sqlite":
        pytest.skip("SQLite WAL only")

    def autocheckpoint() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]

    before = autocheckpoint()
    with BackgroundCheckpoints(interval=0.05) as checkpoints:
        assert autocheckpoint() == 0  # the importing connection no longer stops for them
        assert checkpoints._thread is not None and checkpoints._thread.is_alive()
        with BackgroundCheckpoints() as inner:  # each import enters one: nesting is a no-op
            assert inner._thread is None
        assert autocheckpoint() == 0
        for number in range(3):
            write(tmp_path / str(number), "m.eml", eml(f"wal {number}", f"wal{number}@x"))
            Importer().import_paths([tmp_path / str(number)])
        time.sleep(0.3)
        # Another connection finds nothing left to copy: the thread checkpointed.
        other = sqlite3.connect(connection.settings_dict["NAME"])
        busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        other.close()
        assert busy == 0 and frames == copied
    assert not checkpoints._thread.is_alive()
    assert autocheckpoint() == before
    assert Message.objects.filter(message_id__startswith="wal").count() == 3
