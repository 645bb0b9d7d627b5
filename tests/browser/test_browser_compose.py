"""In a real browser: pick a template, fill it for a CRM person, watch the live pre-send
findings change as the text is edited, accept the suggested send time and find the
message scheduled in the outbox; and write a template of one's own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from tradeinbox.customers.models import Company, CompanyDomain, EmailAddress, Person
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.writing.models import UserTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser compose pass 5"
# Countries with one time zone and a Saturday-Sunday weekend, so the test can pick one
# where it is not business morning now and the suggestion lies in the future.
CANDIDATES = [
    ("JP", "Asia/Tokyo"), ("DE", "Europe/Berlin"), ("IN", "Asia/Kolkata"),
    ("ZA", "Africa/Johannesburg"), ("TH", "Asia/Bangkok"), ("PE", "America/Lima"),
    ("GB", "Europe/London"), ("KE", "Africa/Nairobi"),
]  # fmt: skip


def country_outside_business_morning() -> str:
    now = datetime.now(UTC)
    for country, zone in CANDIDATES:
        local = now.astimezone(ZoneInfo(zone))
        if not (8 <= local.hour < 11):
            return country
    raise AssertionError("every candidate zone is in business morning")


def sign_in(page, url: str) -> None:
    page.goto(url + "/login/")
    page.fill("#id_username", "sales")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(url + "/")


def wait_for_errors(page, count: int) -> None:
    page.wait_for_selector(f"#findings-card[data-errors='{count}']", timeout=15_000)


@pytest.fixture
def crm():
    User.objects.create_user("sales", password=PASSWORD)
    account = Account(
        email_address="li.wei@ningbo-tools.example", sender_name="Li Wei",
        company="Ningbo Tools", imap_host="127.0.0.1", smtp_host="127.0.0.1",
        username="li.wei@ningbo-tools.example", signature="Li Wei\nNingbo Tools",
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    country = country_outside_business_morning()
    company = Company.objects.create(name="Sato Trading", country=country)
    CompanyDomain.objects.create(company=company, domain="sato-trading.example")
    person = Person.objects.create(name="Kenji Sato", title="Purchasing Manager", company=company)
    EmailAddress.objects.create(
        address="kenji@sato-trading.example", person=person, kind="official", is_formal=True
    )
    return {"person": person, "account": account}


def test_template_fill_live_check_and_scheduled_send(live_server, chromium, artifacts, crm):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/mailbox/compose/")
        page.select_option("#tpl", "builtin:en:sample_followup")
        page.select_option("#tpl_person", str(crm["person"].pk))
        page.select_option("#tpl_title", "mr")
        page.wait_for_selector("input[name='var.deal.product']")

        # The template needs the product: filling without it names the variable.
        page.click("#fill-button")
        page.wait_for_selector("#fill-problems")
        assert "deal.product" in page.inner_text("#fill-problems")
        assert page.input_value("#id_body") == ""

        page.fill("input[name='var.deal.product']", "stainless hinges")
        page.fill("input[name='var.deal.sample_sent_on']", "2026-03-02")
        page.fill("input[name='var.deal.tracking_no']", "DHL 1234567890")
        page.click("#fill-button")
        page.wait_for_selector("#fill-ok")
        body = page.input_value("#id_body")
        assert body.startswith("Dear Mr. Sato,") and "stainless hinges" in body
        assert "DHL 1234567890" in body and "{{" not in body
        assert page.input_value("#id_to") == "kenji@sato-trading.example"
        assert page.input_value("#id_subject").startswith("Stainless hinges samples")
        wait_for_errors(page, 0)
        page.screenshot(path=str(artifacts / "compose-filled.png"), full_page=True)

        # Promise an attachment that is not there: the live check flags it and marks it.
        page.click("#id_body")
        page.keyboard.press("Control+End")
        page.keyboard.type("\nPlease find attached our test report.")
        wait_for_errors(page, 1)
        finding = page.locator(".finding-error[data-rule='attachment.missing']")
        assert finding.count() == 1
        assert "Please find attached" in page.inner_text("#preview-body mark.mark-error")
        page.screenshot(path=str(artifacts / "compose-finding.png"), full_page=True)
        # Clicking the finding selects its words in the text box.
        finding.locator(".js-select-span").click()
        selected = page.evaluate(
            "() => { const b = document.getElementById('id_body');"
            " return b.value.slice(b.selectionStart, b.selectionEnd); }"
        )
        assert selected == "Please find attached"

        # Reword it: the finding goes away as the text changes.
        text = page.input_value("#id_body").replace(
            "Please find attached our test report.", "I can send our test report if useful."
        )
        page.fill("#id_body", text)
        wait_for_errors(page, 0)
        assert page.locator("[data-rule='attachment.missing']").count() == 0

        # The suggestion states its reasons; one click schedules the send.
        page.wait_for_selector("#accept-send-time")
        page.click("#sendtime-card summary")
        reasons = page.inner_text("#sendtime-card .reasons")
        assert "business window" in reasons and crm["person"].company.country in reasons
        value = page.get_attribute("#accept-send-time", "value")
        page.click("#accept-send-time")
        page.wait_for_url(re.compile(r".*/mailbox/outbox/$"))
        row_el = page.locator(".outbox-table tbody tr").first
        assert row_el.get_attribute("data-status") == "queued"
        assert "Stainless hinges samples" in row_el.inner_text()
        page.screenshot(path=str(artifacts / "compose-scheduled.png"), full_page=True)
    finally:
        page.close()

    row = OutboxMessage.objects.get()
    assert row.send_at == datetime.fromisoformat(value)
    assert row.send_at > datetime.now(UTC) + timedelta(minutes=5)
    assert row.recipients == ["kenji@sato-trading.example"] and row.status == "queued"


def test_write_own_template_and_use_it(live_server, chromium, artifacts, crm):
    page = chromium.new_page(viewport={"width": 1300, "height": 900})
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/writing/templates/")
        page.click("#new-template")
        page.fill("#id_name", "Trade fair invitation")
        page.fill("#id_subject", "Meet {{ sender.company.name }} at the {{ deal.fair }}")
        page.fill("#id_body", "{{ salutation }}\n\nWe will be at the fair.\n\n{{ signature }}")
        page.click(".template-form button[type=submit]")
        assert "unknown variable 'deal.fair'" in page.inner_text(".template-form")
        page.fill("#id_subject", "Meet {{ sender.company.name }} at the Canton Fair")
        page.click(".template-form button[type=submit]")
        page.wait_for_selector("#own-templates")
        assert "Trade fair invitation" in page.inner_text("#own-templates")
        page.screenshot(path=str(artifacts / "templates.png"), full_page=True)

        page.click("#own-templates a:has-text('Write with it')")
        page.select_option("#tpl_person", str(crm["person"].pk))
        page.wait_for_load_state("networkidle")
        page.click("#fill-button")
        page.wait_for_selector("#fill-ok")
        assert page.input_value("#id_subject") == "Meet Ningbo Tools at the Canton Fair"
        assert page.input_value("#id_body").startswith("Dear Kenji,")  # no title chosen
    finally:
        page.close()
    assert UserTemplate.objects.get().owner.username == "sales"


def test_reply_from_a_message_prefills_recipients_and_quote(
    live_server, chromium, artifacts, crm, tmp_path
):
    from tests.customers_mail import OWN, write_mail
    from tradeinbox.customers import services
    from tradeinbox.store.importer import Importer
    from tradeinbox.store.models import Message

    User.objects.filter(username="sales").update(email=OWN)  # our own address in that mail
    summary = Importer().import_paths([write_mail(tmp_path / "mail")])
    services.analyse_messages(summary.new_message_ids)
    original = Message.objects.get(message_id="m3@test")  # Anna writes from her gmail
    page = chromium.new_page(viewport={"width": 1300, "height": 1000})
    try:
        sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/messages/{original.pk}/")
        page.click("#reply-button")
        page.wait_for_selector("#compose-form")
        # To: the company address she does business from; Cc: the gmail she used here.
        assert page.input_value("#id_to") == "anna.silva@buyer.com.br"
        assert page.input_value("#id_cc") == "anna.silva77@gmail.com"
        assert page.input_value("#id_subject") == "Re: Inquiry: steel pipes"
        page.click(".quoted-row summary")
        assert "> Thanks, the price is fine" in page.input_value("#id_quoted")
        page.wait_for_selector("#recipients-card")
        page.fill("#id_body", "Dear Anna,\n\n30 days L/C is fine for us.\n\nBest regards,\nLi Wei")
        page.wait_for_selector("#preview-body:has-text('30 days L/C is fine')", timeout=15_000)
        # The recommended To + personal Cc is not flagged as a reply to two companies.
        assert page.locator("[data-rule='recipients.reply_all']").count() == 0
        page.screenshot(path=str(artifacts / "compose-reply.png"), full_page=True)
    finally:
        page.close()
