"""Triage in a real browser, on the demo mailbox: grade badges, threat markers and
deadlines on the inbox, the triage list with its grade filter, the threat banner and
evidence on the message page, and marking a grade wrong with one click."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tradeinbox.demo import MAILBOX_DIR
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message
from tradeinbox.triage.models import TriageLabel, TriageResult
from tradeinbox.worker.jobs import claim_next, run_job

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "browser triage pass 42"


def _demo(settings, tmp_path) -> dict[str, Message]:
    settings.TRADEINBOX = {**settings.TRADEINBOX, "DATA_DIR": tmp_path, "INBOX_PAGE_SIZE": 100}
    User.objects.create_user("lily", email="lily@brightway-lighting.example", password=PASSWORD)
    Importer().import_paths([str(MAILBOX_DIR)])
    while (job := claim_next("browser-test")) is not None:
        assert run_job(job).status == "done", job.error
    assert TriageResult.objects.count() == Message.objects.count()
    return {m.source.rsplit("/", 1)[-1].removesuffix(".eml"): m for m in Message.objects.all()}


def test_inbox_triage_list_banner_and_mark_grade_wrong(
    live_server, chromium, artifacts, settings, tmp_path
):
    demo = _demo(settings, tmp_path)
    browsing = demo["02-ng-send-price-list"]
    phish = demo["52-phishing-lookalike-bank-change"]
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "lily")
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(live_server.url + "/")

        # Inbox: grade badges, a threat marker on the phishing mail, overdue deadlines in red.
        rows = page.locator(".message-row")
        phish_row = rows.filter(has=page.locator(f"a[href='/messages/{phish.pk}/']"))
        assert phish_row.locator(".triage-threat[data-triage-label='phish']").count() == 1
        assert phish_row.locator(".triage-grade").count() == 0  # a threat shows no B/C/D
        assert page.locator(".message-row .triage-grade").count() >= 5
        overdue = page.locator(".message-row .triage-overdue").first
        assert overdue.inner_text().startswith("overdue")
        red = overdue.evaluate("e => getComputedStyle(e).color")
        assert red == "rgb(180, 35, 24)", red  # --error
        page.screenshot(path=str(artifacts / "triage-inbox.png"), full_page=True)

        # The triage list from the main navigation: soonest deadline first, filter by grade.
        page.click("nav.mainnav a:has-text('Triage')")
        page.wait_for_url(live_server.url + "/triage/")
        due = page.locator(".triage-row time").evaluate_all(
            "els => els.map(e => e.getAttribute('datetime'))"
        )
        assert len(due) >= 2 and due == sorted(due)
        assert page.locator(f".triage-row[data-message='{phish.pk}']").count() == 0
        page.check(".triage-filter input[value='D']")
        page.click(".triage-filter button[type=submit]")
        page.wait_for_load_state("load")
        grades = page.locator(".triage-row").evaluate_all("els => els.map(e => e.dataset.grade)")
        assert grades and set(grades) == {"D"}
        page.screenshot(path=str(artifacts / "triage-list.png"), full_page=True)

        # The phishing mail: a banner with its evidence.
        page.goto(f"{live_server.url}/messages/{phish.pk}/")
        banner = page.locator(".triage-banner")
        assert banner.is_visible()
        assert "threat.lang.payment_diversion" in banner.inner_text()
        page.screenshot(path=str(artifacts / "triage-phishing-banner.png"), full_page=True)

        # A browsing inquiry graded B: see why, then say it is targeted (C) with one click.
        page.goto(f"{live_server.url}/messages/{browsing.pk}/")
        panel = page.locator(".triage-panel")
        assert panel.get_attribute("data-grade") == "B"
        panel.locator(".triage-why summary").click()
        assert panel.locator(".triage-evidence td code", has_text="grade.B").first.is_visible()
        panel.locator(".mark-grade summary").click()
        panel.locator(".mark-grade button[value='C']").click()
        page.wait_for_load_state("load")
        assert "The grade is now C" in page.locator(".flash").inner_text()
        panel = page.locator(".triage-panel")
        assert panel.get_attribute("data-grade") == "C"
        assert "corrected the grade from B to C" in panel.locator(".triage-history").inner_text()
        label = TriageLabel.objects.get()
        assert (label.kind, label.old_value, label.new_value, label.user.username) == (
            "grade",
            "B",
            "C",
            "lily",
        )
        page.screenshot(path=str(artifacts / "triage-marked-wrong.png"), full_page=True)

        # From then on the inbox shows the corrected grade.
        page.goto(live_server.url + "/")
        row = page.locator(f".message-row:has(a[href='/messages/{browsing.pk}/'])")
        assert row.locator(".triage-grade").inner_text() == "C"
        assert errors == []
    finally:
        context.close()
