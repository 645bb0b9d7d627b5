"""In a real browser: build a quote for a person from typed cost lines, see the price per
Incoterm and the seller-only value packs, save it (Q-yyyy-0001), make the proforma invoice,
prepare the reply and find the PI attached to the draft on the compose page; the PDF link
serves application/pdf whose text carries the total and the bank details."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.contrib.auth.models import User

from tradeinbox.customers.models import Company, EmailAddress, Person
from tradeinbox.mailbox.models import Account
from tradeinbox.quotes.models import CompanySettings, Quote, QuoteReply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser quotes pass 9"


def sign_in(page, url: str) -> None:
    page.goto(url + "/login/")
    page.fill("#id_username", "sales")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(url + "/")


@pytest.fixture
def crm():
    User.objects.create_user("sales", password=PASSWORD)
    account = Account(
        email_address="li.wei@brightway.example", sender_name="Li Wei", company="Brightway",
        imap_host="127.0.0.1", smtp_host="127.0.0.1", username="li.wei@brightway.example",
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    company = Company.objects.create(name="Iluminación Levante", country="GB")
    person = Person.objects.create(name="Marta Garcia", title="Buyer", company=company)
    EmailAddress.objects.create(
        address="marta@levante.example", person=person, kind="official", is_formal=True
    )
    s = CompanySettings.load()
    s.name, s.address = "Ningbo Brightway Lighting Co., Ltd.", "No. 88 Jiangnan Road\nNingbo"
    s.bank_name, s.bank_account, s.bank_swift = "Bank of China", "3580 5812 3456", "BKCHCNBJ92A"
    s.save()
    return {"person": person, "account": account}


def test_quote_to_proforma_attached_to_the_draft_reply(
    live_server, chromium, artifacts, crm, tmp_path
):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        sign_in(page, live_server.url)
        page.click("nav.mainnav a[href='/quotes/']")
        page.click("a.button-primary:has-text('New quote')")
        page.select_option("#id_person", str(crm["person"].pk))
        page.select_option("#id_language", "en")
        page.fill("#id_line-0-sku", "LP-600")
        page.fill("#id_line-0-description", "LED panel 600x600 mm, 40 W")
        page.fill("#id_line-0-quantity", "100")
        page.fill("#id_line-0-materials", "72")
        page.fill("#id_line-0-tiers", "500")
        page.select_option("#id_incoterm", "FOB")
        page.fill("#id_origin_port", "Ningbo")
        page.fill("#id_cost_currency", "CNY")
        page.fill("#id_quote_currency", "USD")
        page.fill("#id_rate", "7.20")
        page.fill("#id_rate_date", "2026-03-01")
        page.fill("#id_margin_pct", "20")
        page.fill("#id_vat_pct", "0")
        page.fill("#id_rebate_pct", "0")
        page.fill("#id_inland_freight", "720")
        page.fill("#id_payment_terms", "30% T/T deposit, 70% against B/L copy")
        page.fill("#id_lead_time", "35 days after deposit")

        # Calculate: 72 CNY / 7.20 = 10.00 USD net, 20 % margin -> EXW 12.50, FOB +1.00.
        page.click("#calculate-button")
        page.wait_for_selector("#preview")
        fob = page.locator("tbody.incoterm-block[data-rule='FOB']")
        assert fob.locator(".unit-price").inner_text() == "13.50"
        assert fob.locator(".rule-total").inner_text() == "1350.00"
        assert (
            page.locator("tbody.incoterm-block[data-rule='EXW'] .unit-price").inner_text()
            == "12.50"
        )
        assert page.locator("tr.value-pack").count() == 4
        assert "seller only" in page.inner_text("#packs-h")
        assert Quote.objects.count() == 0
        page.screenshot(path=str(artifacts / "quote-calculated.png"), full_page=True)

        page.click("#save-button")
        page.wait_for_selector("h1.quote-number")
        number = page.inner_text("h1.quote-number")
        assert number.startswith("Q-") and number.endswith("-0001")

        # The proforma invoice, in English, under FOB.
        page.select_option("#id_doc-kind", "proforma")
        page.select_option("#id_doc-language", "en")
        page.select_option("#id_doc-incoterm", "FOB")
        page.click("#make-document")
        page.wait_for_selector("li.q-doc[data-kind='proforma']")
        pi_name = page.inner_text("li.q-doc[data-kind='proforma'] .doc-link")
        assert pi_name.startswith("PI-") and pi_name.endswith("-0001-en.pdf")
        page.screenshot(path=str(artifacts / "quote-detail.png"), full_page=True)

        # Prepare the reply: the compose page opens on the draft with the PI attached.
        page.click("#prepare-reply")
        page.wait_for_url("**/mailbox/compose/?draft=quote*")
        assert page.input_value("#id_to") == "marta@levante.example"
        body = page.input_value("#id_body")
        assert number in body and "1,350.00" in body and "FOB Ningbo" in body
        assert "3580 5812 3456" not in body and "BKCHCNBJ92A" not in body
        attached = page.locator("#draft-files .draft-file")
        assert attached.count() == 1
        assert attached.locator(".draft-file-link").inner_text() == pi_name
        assert attached.locator("input[name=draft_keep]").is_checked()
        # The live pre-send check counts the PDF: "please find attached" is no error.
        page.wait_for_selector("#findings-card[data-errors='0']", timeout=15_000)
        page.screenshot(path=str(artifacts / "quote-draft-reply.png"), full_page=True)

        href = attached.locator(".draft-file-link").get_attribute("href")
        response = page.request.get(live_server.url + href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        pdf = response.body()
        assert pdf.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            path = tmp_path / "pi.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                                  text=True, check=True).stdout  # fmt: skip
            assert "PROFORMA INVOICE" in text and "1,350.00" in text
            assert "BKCHCNBJ92A" in text and pi_name.removesuffix("-en.pdf") in text
        reply = QuoteReply.objects.get()
        assert reply.status == QuoteReply.Status.DRAFT and reply.documents.count() == 1
    finally:
        page.close()


def test_products_price_history_and_letterhead_pages(
    live_server, chromium, artifacts, crm, tmp_path
):
    import datetime as dt
    from decimal import Decimal

    from tradeinbox.core.quotebuild import LineInput, QuoteInput
    from tradeinbox.quotes import services
    from tradeinbox.quotes.models import ProductCost

    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        sign_in(page, live_server.url)
        # A saved product cost sheet, through the form.
        page.goto(live_server.url + "/quotes/products/")
        page.click("a.button-primary:has-text('New product')")
        page.fill("#id_sku", "DL-150")
        page.fill("#id_name", "LED downlight 150 mm")
        page.fill("#id_name_zh", "LED筒灯 150毫米")
        page.fill("#id_materials", "15.12")
        page.fill("#id_moq", "1000")
        page.fill("#id_tiers", "5000, 1000")
        page.click("button[type=submit]:has-text('Save')")
        page.wait_for_url("**/quotes/products/")
        assert "DL-150" in page.inner_text("table.product-table")
        assert ProductCost.objects.get(sku="DL-150").tiers == "1000, 5000"

        # Two quotes a month apart: the history lists both and charts them.
        user = User.objects.get(username="sales")
        for day, margin in ((dt.date(2026, 1, 5), 20), (dt.date(2026, 2, 5), 25)):
            services.create_quote(user=user, person=crm["person"], inp=QuoteInput(
                lines=[LineInput(sku="DL-150", description="LED downlight", quantity=3000,
                                 costs={"materials": Decimal("15.12")})],
                cost_currency="CNY", quote_currency="USD", rate=Decimal("7.2"),
                rate_date=day, margin_pct=Decimal(margin), incoterm="FOB", issued_on=day,
                payment_terms="T/T", lead_time="30 days",
            ))  # fmt: skip
        page.click("table.product-table a:has-text('Price history')")
        page.wait_for_selector("svg.price-chart")
        assert page.locator("svg.price-chart circle.point").count() == 2
        assert page.locator("tr.history-row").count() == 2
        assert page.inner_text("tr.history-row >> nth=0 >> .history-price") == "USD 2.80"
        page.screenshot(path=str(artifacts / "quote-price-history.png"), full_page=True)

        # Letterhead and bank: the logo is shown back from the blob store.
        logo = tmp_path / "logo.svg"
        logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20">'
                        '<rect width="60" height="20" fill="#1d4ed8"/></svg>')  # fmt: skip
        page.goto(live_server.url + "/quotes/settings/")
        page.fill("#id_bank_swift", "BKCHCNBJ92A")
        page.set_input_files("#id_logo", str(logo))
        page.click("button[type=submit]:has-text('Save')")
        page.wait_for_selector("img.q-logo")
        assert page.evaluate("() => document.querySelector('img.q-logo').naturalWidth") == 60
        assert CompanySettings.load().bank_swift == "BKCHCNBJ92A"
        page.screenshot(path=str(artifacts / "quote-letterhead.png"), full_page=True)
    finally:
        page.close()
