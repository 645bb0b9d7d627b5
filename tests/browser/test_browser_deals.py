"""Deal pages in a real browser: the Due list with an overdue reply, the deal page
(accept a suggested stage, edit the amount, pause follow-ups, the consolidation mail),
the deal list, the dashboard's four charts, the settings page, and the Due list in
Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from tests.deals_mail import GMAIL, OFFICE, SELLER, START, deal_messages, store
from tradeinbox.deals.models import Deal, DealSettings, FollowUp
from tradeinbox.mailbox.models import Account
from tradeinbox.users.roles import assign_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser deals pass 42"
H = timedelta(hours=1)


@pytest.fixture
def deal(tmp_path):
    li = User.objects.create_user("li", email=SELLER, password=PASSWORD)
    assign_role(li, "manager")
    account = Account(
        owner=li, email_address=SELLER, sender_name="Li Wei", company="Ningbo Tools",
        imap_host="127.0.0.1", imap_security="none", smtp_host="127.0.0.1",
        smtp_security="none", username=SELLER,
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    store(tmp_path, deal_messages()[:5], now=START + 9 * 24 * H)
    deal = Deal.objects.get()
    deal.owner = li
    deal.save()
    FollowUp.objects.create(
        deal=deal, rule="targeted_inquiry", step=0, action="suggest_channel", channel="whatsapp",
        anchor_at=START, due_at=START + 12 * 24 * H, status="open",
        evidence=[{"rule": "cadence.stop.unanswered", "weight": 3.0, "detail": "3 follow-ups in a row unanswered"}],
    )  # fmt: skip
    return deal


def login(page, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(base + "/")


def test_due_list_deal_page_dashboard_and_settings(live_server, chromium, artifacts, deal):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    base = live_server.url
    try:
        login(page, base)

        # Due list: reached from the main navigation; the PO waits and is overdue.
        page.click(".mainnav a[href='/deals/']")
        page.wait_for_url(base + "/deals/")
        row = page.locator(".due-row.is-overdue").first
        assert "PO 4500012345 - LP-600" in row.inner_text()
        assert "overdue by" in row.inner_text()
        assert page.locator(".overdue-count").count() == 1
        task = page.locator(".action-suggest_channel")
        assert "WhatsApp" in task.inner_text()
        assert page.locator("#feed-url").input_value().startswith(base + "/deals/feed/")
        page.screenshot(path=str(artifacts / "deals-due.png"), full_page=True)
        task.locator(".js-done-followup").click()
        page.wait_for_load_state("load")
        assert "Marked as done." in page.locator(".flash").inner_text()
        assert page.locator(".action-suggest_channel").count() == 0

        # The deal page: pipeline, suggestion with reasons, accept it.
        page.locator(".due-row.is-overdue").first.locator(f"a[href='/deals/{deal.pk}/']").click()
        page.wait_for_url(f"{base}/deals/{deal.pk}/")
        assert page.locator(".deal-title").inner_text() == "Inquiry: LP-600 LED panels for Colombia"
        assert page.locator(".pipeline-step.step-current").inner_text() == "Inquiry"
        assert "Suggested stage: Order" in page.locator(".suggestion h2").inner_text()
        page.locator(".suggestion summary").click()
        assert "PO 4500012345" in page.locator(".suggestion .evidence").inner_text()
        assert page.locator(".timeline-item").count() == 5
        assert page.locator(".consolidation #id_to").input_value() == OFFICE
        assert GMAIL in page.locator(".consolidation #id_cc").input_value()
        assert "USD 8.10/pc FOB Ningbo" in page.locator(".consolidation #id_body").input_value()
        page.screenshot(path=str(artifacts / "deals-deal.png"), full_page=True)
        page.locator(".js-accept-stage").click()
        page.wait_for_load_state("load")
        assert "Stage changed from Inquiry to Order." in page.locator(".flash").inner_text()
        assert page.locator(".pipeline-step.step-current").inner_text() == "Order"
        assert "suggestion accepted" in page.locator(".history").inner_text()

        # Amount and currency; pause the follow-ups.
        page.fill("#id_amount", "8100")
        page.fill("#id_currency", "usd")
        page.locator(".deal-form button[type=submit]").click()
        page.wait_for_load_state("load")
        assert page.locator(".deal-amount").inner_text() == "$8,100.00"  # money filter, en locale
        page.locator(".js-pause").click()
        page.wait_for_load_state("load")
        assert "Follow-ups paused." in page.locator(".flash").inner_text()
        assert page.locator(".js-resume").count() == 1
        page.screenshot(path=str(artifacts / "deals-deal-order.png"), full_page=True)

        # The deal list.
        page.goto(f"{base}/deals/all/")
        assert "$8,100.00" in page.locator(f".deal-row[data-deal='{deal.pk}']").inner_text()
        page.screenshot(path=str(artifacts / "deals-list.png"), full_page=True)

        # Dashboard: four charts, each an accessible SVG with a title.
        page.goto(f"{base}/deals/dashboard/?weeks=52")  # the fixture deal is from March 2026
        charts = page.locator(".chart svg[role=img]")
        assert charts.count() == 4
        titles = [charts.nth(i).locator("title").first.text_content() for i in range(4)]
        assert titles == [
            "Inquiries per week by grade",
            "Response time against deadline (business hours)",
            "Deals by stage",
            "Follow-ups done vs due",
        ]
        assert "Order" in page.locator(".chart-funnel").inner_text()
        assert page.locator(".stats-row").count() >= 1
        page.screenshot(path=str(artifacts / "deals-dashboard.png"), full_page=True)

        # Settings: a manager sets the office's time zone and holidays.
        page.goto(f"{base}/deals/settings/")
        page.fill("#id_time_zone", "Asia/Shanghai")
        page.fill("#id_country", "CN")
        page.locator(".settings-form button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "Settings saved" in page.locator(".flash").inner_text()
        assert DealSettings.load().time_zone == "Asia/Shanghai"
        page.screenshot(path=str(artifacts / "deals-settings.png"), full_page=True)

        # The Due list in Chinese.
        page.goto(f"{base}/deals/")
        page.select_option("#language-select", "zh-hans")
        # The change submits a form: wait for the new page, not the one already loaded.
        page.wait_for_selector("html[lang='zh-hans']")
        assert page.locator("h1").inner_text() == "待回复"
        assert "已逾期" in page.locator(".due-row.is-overdue").first.inner_text()
        page.screenshot(path=str(artifacts / "deals-due-zh.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
