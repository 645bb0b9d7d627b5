"""Customer pages in a real browser: the company page, confirming a proposed merge,
splitting it again, and importing a WhatsApp export into the timeline."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.customers_mail import OWN, WHATSAPP, write_mail
from tradeinbox.customers import services
from tradeinbox.customers.models import Company, EmailAddress, MergeProposal
from tradeinbox.store.importer import Importer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "browser customers pass 42"


def test_customer_page_merge_split_and_whatsapp(live_server, chromium, artifacts, tmp_path):
    User.objects.create_user("li", email=OWN, password=PASSWORD)
    summary = Importer().import_paths([write_mail(tmp_path / "mail")])
    services.analyse_messages(summary.new_message_ids)
    company = Company.objects.get()
    proposal = MergeProposal.objects.get(status="proposed")
    anna = EmailAddress.objects.get(address="anna.silva@buyer.com.br").person
    chat_file = tmp_path / "WhatsApp Chat with Anna Silva.txt"
    chat_file.write_text(WHATSAPP, encoding="utf-8")

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "li")
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(live_server.url + "/")

        # The customer page: people with addresses and kinds, ranking, timeline, owner.
        page.goto(f"{live_server.url}/customers/{company.pk}/")
        assert page.locator(".company-name").inner_text() == str(company)
        anna_card = page.locator(f".person-card[data-person='{anna.pk}']")
        assert (
            anna_card.locator("[data-address='anna.silva77@gmail.com'] .tag-kind").inner_text()
            == "free-mail"
        )
        assert (
            anna_card.locator("[data-address='anna.silva@buyer.com.br'] .tag-formal").count() == 1
        )
        assert page.locator(".ranking-item").first.locator("a").inner_text() == str(anna)
        assert page.locator(".timeline-email").count() >= 5
        assert "Public pool" in page.locator(".owner-box").inner_text()
        page.screenshot(path=str(artifacts / "customers-company.png"), full_page=True)

        # Confirm the proposed merge (Pedro at work and at hotmail) with one click.
        item = page.locator(f".proposal[data-proposal='{proposal.pk}']")
        assert "identity.same_name" in item.inner_text()
        item.locator(".js-confirm-merge").click()
        page.wait_for_load_state("load")
        assert "are one person" in page.locator(".flash").inner_text()
        proposal.refresh_from_db()
        assert proposal.status == "confirmed"
        pedro = services._resolve(EmailAddress.objects.get(address="pedro@buyer.com.br").person)
        assert EmailAddress.objects.get(address="pgomes.br@hotmail.com").person == pedro
        page.screenshot(path=str(artifacts / "customers-merged.png"), full_page=True)

        # Split it again.
        page.locator(f".proposal[data-proposal='{proposal.pk}'] .js-split-merge").click()
        page.wait_for_load_state("load")
        assert "two people again" in page.locator(".flash").inner_text()
        assert EmailAddress.objects.get(address="pgomes.br@hotmail.com").person != pedro

        # Import a WhatsApp export on Anna's page: the chat joins the emails.
        page.goto(f"{live_server.url}/customers/people/{anna.pk}/")
        page.set_input_files("#chat-file", str(chat_file))
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
        page.wait_for_load_state("load")
        assert "Imported 3 chat messages" in page.locator(".flash").inner_text()
        chats = page.locator(".timeline-chat")
        assert chats.count() == 3
        assert "send the PO tomorrow" in chats.first.inner_text()
        assert page.locator(".timeline-email").count() >= 2
        page.screenshot(path=str(artifacts / "customers-person-whatsapp.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
