"""The demo import moves the demo story to the present (``tradeinbox.demo.timeshift``).

The shift must be sound: one whole-day offset for every message, chosen so the newest
demo mail is under a day old; sender-local clock times, bodies, Message-IDs and dedupe
keys unchanged; DKIM signatures that verified still verify; the same bytes on every
call. Only the ``import_demo`` job shifts: ``import_paths`` stores the files as they are.
The end-to-end test runs the real jobs an import queues and checks what a newcomer sees:
recent mail, reply deadlines both overdue and still open, deals linked from the PO.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import dkim
import pytest

from tradeinbox.core.dedupe import dedupe_key
from tradeinbox.core.parse import parse_message
from tradeinbox.demo._dkim import dns_txt
from tradeinbox.demo.timeshift import (
    DAY,
    demo_files,
    message_date,
    newest_date,
    shift_days,
    shift_message,
)

PO = "4500012345"


def test_no_shift_reproduces_every_file_byte_for_byte():
    # Re-signing with a zero offset makes exactly the builder's signature: the shifted
    # copies are signed the way the committed files were.
    for path in demo_files():
        raw = path.read_bytes()
        assert shift_message(raw, timedelta(0)) == raw, path.name


def test_shift_days_puts_the_newest_mail_in_the_last_day():
    newest = newest_date()
    assert newest == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    for now in (
        datetime(2027, 5, 3, 7, 15, tzinfo=UTC),
        datetime(2026, 11, 20, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 21, 0, 29, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),  # a clock before the story: moved back
    ):
        moved = newest + shift_days(now, newest) * DAY
        assert now - DAY < moved <= now, now
    assert shift_days(datetime(2026, 11, 20, 0, 30, tzinfo=UTC), newest) == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        shift_days(datetime(2027, 1, 1), newest)  # noqa: DTZ001 - the naive input refused


def _header_block(raw: bytes) -> bytes:
    return raw.split(b"\n\n", 1)[0]


def test_shifted_messages_keep_everything_but_their_dates():
    delta = 187 * DAY
    for path in demo_files():
        raw = path.read_bytes()
        moved = shift_message(raw, delta)
        before, after = parse_message(raw), parse_message(moved)
        assert after.date == before.date + delta, path.name
        # Whole days: the sender's zone and local clock time stay (triage reads them).
        assert after.utc_offset_minutes == before.utc_offset_minutes
        assert after.date.astimezone(UTC).time() == before.date.astimezone(UTC).time()
        assert moved.split(b"\n\n", 1)[1] == raw.split(b"\n\n", 1)[1], "body untouched"
        assert after.message_id == before.message_id and after.subject == before.subject
        assert dedupe_key(moved, after.message_id) == dedupe_key(raw, before.message_id)
        assert after.defects == []
        # Every trace stamp moved too, so the Received chain still reads in order.
        stamps = re.findall(
            rb"; ([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} [\d:]+ [+-]\d{4})", _header_block(raw)
        )
        assert len(re.findall(rb"; [A-Z][a-z]{2}, \d\d ", _header_block(moved))) == len(stamps)
        for stamp in stamps:
            assert stamp not in _header_block(moved), (path.name, stamp)
        assert shift_message(raw, delta) == moved, "same bytes on every call"


def test_dkim_still_verifies_after_the_shift_except_the_phishing_mail():
    # dkimpy refuses a t= in the future, as the demo never makes one: shifted to today.
    delta = shift_days(datetime.now(UTC), newest_date()) * DAY
    results = {}
    for path in demo_files():
        moved = shift_message(path.read_bytes(), delta)
        if b"\nDKIM-Signature:" in moved:
            results[path.name] = dkim.verify(moved, dnsfunc=dns_txt)
            signature = parse_message(moved)
            b_tag = re.search(rb"\bb=([A-Za-z0-9+/]{8})", moved.split(b"DKIM-Signature:")[1])
            quoted = " ".join(signature.authentication_results)
            if results[path.name]:
                assert f"header.b={b_tag.group(1).decode()}" in quoted, path.name
    assert len(results) >= 25
    failed = [name for name, ok in results.items() if not ok]
    assert len(failed) == 1 and "phishing" in failed[0]


def test_message_date_reads_the_date_header():
    path = next(p for p in demo_files() if "gentle-reminder" in p.name)
    assert message_date(path.read_bytes()).isoformat() == "2026-11-13T11:45:00+05:30"


# -- through the worker ------------------------------------------------------------------


def _run_jobs():
    from tradeinbox.worker.jobs import claim_next, run_job
    from tradeinbox.worker.models import Job

    done = []
    while (job := claim_next("test")) is not None:
        done.append(run_job(job))
    assert all(j.status == Job.Status.DONE for j in done), [j.error for j in done]
    return done


@pytest.mark.django_db
@pytest.mark.slow
def test_demo_import_job_brings_the_story_to_today_with_live_deadlines_and_deals():
    from django.contrib.auth.models import User

    from tradeinbox.commands.run import DEMO_EMAIL
    from tradeinbox.deals import actions, queries
    from tradeinbox.deals.models import Deal, DealReference
    from tradeinbox.store.models import Message
    from tradeinbox.triage.models import TriageResult
    from tradeinbox.worker.jobs import enqueue

    user = User.objects.create_user("demo", email=DEMO_EMAIL, password="demo pass 42", is_staff=1)
    now = datetime.now(UTC)
    days = shift_days(now, newest_date())
    enqueue("import_demo", {"shift_days": days})
    kinds = [job.kind for job in _run_jobs()]
    assert kinds[0] == "import_demo"
    assert {"customers.analyse_new_messages", "triage.analyse_messages"} <= set(kinds)
    assert "deals.process_messages" in kinds

    assert Message.objects.count() == len(demo_files())
    newest = Message.objects.order_by("-date").first().date
    assert now - DAY < newest <= now
    # Triage graded the inquiries; the deals job threaded the PO thread into one deal.
    assert TriageResult.objects.filter(grade__in=["C", "D"]).count() >= 5
    po_deal = DealReference.objects.get(group="po", value=PO).deal
    assert po_deal.deal_messages.count() >= 10
    assert Deal.objects.count() >= 5
    # The lookalike-domain phishing mail quotes the PO and joins the deal's timeline, but
    # its sender is never a buyer address (the summary mail would copy the fraudster).
    addresses = actions.buyer_addresses(po_deal)
    assert "m.torres@sunrise-home.example" in addresses
    assert not [a for a in addresses if "sunrise-h0me" in a], addresses

    due = queries.due_page(user, now)
    assert due.overdue >= 3, "unanswered inquiries from weeks ago are overdue"
    assert any(not row.item.overdue for row in due.replies), "the newest mail is still open"
    weeks = queries.dashboard(user, now).weeks
    recent = list(weeks.values())[-8:]
    assert sum(sum(counts.values()) for counts in recent) >= 8, weeks

    # The same demo on a later day finds everything stored: no copies, dates unchanged.
    enqueue("import_demo", {"shift_days": days + 9})
    job = _run_jobs()[0]
    assert job.result["imported"] == 0 and job.result["duplicates"] == len(demo_files())
    assert Message.objects.order_by("-date").first().date == newest


@pytest.mark.django_db
def test_real_imports_never_shift(tmp_path):
    from tradeinbox.store.models import Message
    from tradeinbox.worker.jobs import enqueue

    path = demo_files()[-1]
    (tmp_path / path.name).write_bytes(path.read_bytes())
    enqueue("import_paths", {"paths": [str(tmp_path)], "demo": True})
    _run_jobs()
    assert Message.objects.get().date == message_date(path.read_bytes())
