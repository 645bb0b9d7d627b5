"""The main pages in each language, chosen per user (not per browser).

The browser always asks for English (``Accept-Language: en-US``) and starts without
cookies; the language comes from the user's saved preference, applied by
``UserPreferencesMiddleware``. Dates and amounts follow the language too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.roles_world import PRIVATE, build_world
from tradeinbox.users.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "i18n browser pass 42"

# Per language: words each page must show, the message date, and the deal amount.
EXPECTED = {
    "en": {
        "nav": ["Inbox", "Search", "Customers", "Outbox", "Deals", "Audit"],
        "customers": "Customers",
        "audit": "Audit log",
        "preferences": "Preferences",
        "date": "March 2, 2026",
        "amount": "$12,345.50",
    },
    "zh-hans": {
        "nav": ["收件箱", "搜索", "客户", "发件箱", "商机", "审计"],
        "customers": "客户",
        "audit": "审计日志",
        "preferences": "偏好设置",
        "date": "2026年3月2日",
        "amount": "US$12,345.50",
    },
    "es": {
        "nav": ["Bandeja de entrada", "Buscar", "Clientes", "Bandeja de salida", "Auditoría"],
        "customers": "Clientes",
        "audit": "Registro de auditoría",
        "preferences": "Preferencias",
        "date": "2 de marzo de 2026",
        "amount": "12.345,50\xa0US$",
    },
}


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", "manager_a")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("language", ["zh-hans", "en", "es"])
def test_main_pages_in_each_language(language, live_server, chromium, artifacts, tmp_path):
    world = build_world(tmp_path)
    manager = world.users["manager_a"]
    manager.set_password(PASSWORD)
    manager.save()
    Profile.objects.update_or_create(user=manager, defaults={"language": language})
    deal = world.objects.get("deal")
    if deal is not None:
        deal.amount, deal.currency = Decimal("12345.50"), "USD"
        deal.save(update_fields=["amount", "currency"])
    want = EXPECTED[language]
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    try:
        _sign_in(page, base)
        assert page.locator("html").get_attribute("lang") == language
        nav = page.locator(".mainnav").inner_text()
        for word in want["nav"]:
            assert word in nav, (language, word, nav)
        row = page.locator(".message-row", has_text=PRIVATE).first
        assert want["date"] in row.locator("time").get_attribute("title")
        page.screenshot(path=str(artifacts / f"i18n-inbox-{language}.png"), full_page=True)

        page.goto(f"{base}/customers/")
        assert page.locator("h1").first.inner_text() == want["customers"]
        page.goto(f"{base}/audit/")
        assert page.locator("h1").inner_text() == want["audit"]
        assert PRIVATE in page.locator(".audit-table").inner_text()
        page.goto(f"{base}/preferences/")
        assert page.locator("h1").inner_text() == want["preferences"]
        if deal is not None:
            page.goto(f"{base}/deals/{deal.pk}/")
            assert page.locator(".deal-amount").inner_text() == want["amount"]
        for path in ("/search?q=valves", "/mailbox/", "/mailbox/outbox/", "/deals/"):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == language, path
        page.screenshot(path=str(artifacts / f"i18n-last-{language}.png"), full_page=True)
    finally:
        context.close()
    assert errors == []


def test_language_saved_in_preferences_follows_the_user(live_server, chromium, tmp_path):
    world = build_world(tmp_path)
    manager = world.users["manager_a"]
    manager.set_password(PASSWORD)
    manager.save()
    base = live_server.url
    first = chromium.new_context(locale="en-US")
    page = first.new_page()
    _sign_in(page, base)
    page.goto(base + "/preferences/")
    page.select_option("#id_language", "es")
    page.select_option("#id_time_zone", "America/Lima")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Preferencias"
    first.close()
    # Another browser, no cookies, English asked for: still Spanish, and Lima time.
    second = chromium.new_context(locale="en-US")
    page = second.new_page()
    try:
        _sign_in(page, base)
        assert page.locator("html").get_attribute("lang") == "es"
        title = page.locator(".message-row", has_text=PRIVATE).first.locator("time")
        assert "04:30" in title.get_attribute("title")  # 09:30 UTC in Lima (UTC-5)
    finally:
        second.close()
