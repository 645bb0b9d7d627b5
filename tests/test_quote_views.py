"""Quotation pages: the form (calculate, add a line, save), a quote and its PDFs, the reply,
deal link and order, products, price history, company settings; visibility and CSRF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tradeinbox.customers.models import Company, EmailAddress, Person
from tradeinbox.deals.models import Deal, Stage
from tradeinbox.mailbox.models import Account
from tradeinbox.quotes.models import CompanySettings, ProductCost, Quote, QuoteDocument, QuoteReply
from tradeinbox.users.roles import assign_role

pytestmark = [pytest.mark.django_db]
LOGO_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#1d4ed8"/></svg>'


@pytest.fixture
def world():
    li = User.objects.create_user("li", password="views pass 1")
    bo = User.objects.create_user("bo", password="views pass 2")
    boss = User.objects.create_user("boss", password="views pass 3")
    assign_role(li, "salesperson")
    assign_role(bo, "salesperson")
    assign_role(boss, "manager")
    account = Account(
        owner=li, email_address="li@brightway.example", sender_name="Li Wei", company="Brightway",
        imap_host="127.0.0.1", smtp_host="127.0.0.1", username="li@brightway.example",
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    company = Company.objects.create(name="Levante", country="ES", owner=li)
    person = Person.objects.create(name="Marta García", company=company)
    EmailAddress.objects.create(
        address="marta@levante.example", person=person, kind="official", is_formal=True
    )
    deal = Deal.objects.create(
        title="Panels", company=company, person=person, owner=li, stage=Stage.QUOTED,
        opened_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    product = ProductCost.objects.create(
        sku="LP-600", name="LED panel", name_es="Panel LED", materials=Decimal("72"), moq=50,
        units_per_carton=4, carton_length_cm=63, carton_width_cm=63, carton_height_cm=20,
        carton_kg=Decimal("14.5"), tiers="500",
    )  # fmt: skip
    return {"li": li, "bo": bo, "boss": boss, "person": person, "deal": deal, "product": product}


def client_for(user, csrf: bool = False) -> Client:
    c = Client(enforce_csrf_checks=csrf)
    c.force_login(user)
    return c


def form_data(world, **extra) -> dict:
    data = {
        "person": world["person"].pk, "deal": world["deal"].pk, "language": "es",
        "incoterm": "CIF", "origin_port": "Ningbo", "destination_port": "Valencia",
        "cost_currency": "CNY", "quote_currency": "USD", "rate": "7.20",
        "rate_date": "2026-03-01", "rate_source": "BOC", "margin_pct": "20", "vat_pct": "0",
        "rebate_pct": "0", "carriage_mode": "sea_fcl", "container": "40HQ",
        "freight_rate": "2850", "inland_freight": "1200", "insurance_pct": "0.3",
        "issued_on": "2026-03-02", "valid_days": "30", "payment_terms": "30% T/T, 70% vs B/L",
        "lead_time": "35 days",
        "line-TOTAL_FORMS": "2", "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "50",
        "line-0-product": world["product"].pk, "line-0-quantity": "2000",
        "line-1-sku": "DL-150", "line-1-description": "LED downlight", "line-1-quantity": "3000",
        "line-1-materials": "15.12", "line-1-labour": "3.20",
    }  # fmt: skip
    data.update(extra)
    return data


def test_form_calculates_then_saves_with_a_number(world):
    c = client_for(world["li"])
    page = c.get(f"/quotes/new/?person={world['person'].pk}")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "LP-600" in page.content.decode()
    html = c.post("/quotes/new/", form_data(world, action="calculate")).content.decode()
    assert 'data-rule="CIF"' in html and 'data-rule="DDP"' in html
    assert "seller only" in html and Quote.objects.count() == 0
    more = c.post("/quotes/new/", form_data(world, action="add_line")).content.decode()
    assert 'name="line-2-sku"' in more
    response = c.post("/quotes/new/", form_data(world, action="save"))
    q = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quotes/{q.pk}/"
    assert q.number == "Q-2026-0001" and q.incoterm == "CIF" and q.language == "es"
    assert q.deal == world["deal"] and q.owner == world["li"]
    lines = list(q.lines.all())
    assert [ln.sku for ln in lines] == ["LP-600", "DL-150"] and lines[0].product == world["product"]
    # the saved product's packing and tiers were used
    assert q.sheet["products"][0]["packing"]["carton_cm"] == ["63.00", "63.00", "20.00"]
    assert q.result["tiers"]["LP-600"][0]["quantity"] == 500


def test_form_errors_are_reported_and_nothing_saved(world):
    c = client_for(world["li"])
    bad = form_data(world, action="save", rate="", **{"line-1-materials": "", "line-1-labour": ""})
    html = c.post("/quotes/new/", bad).content.decode()
    assert "Enter the exchange rate" in html and "Enter the cost lines" in html
    assert Quote.objects.count() == 0


def test_quote_page_documents_reply_and_order(world):
    c = client_for(world["li"])
    c.post("/quotes/new/", form_data(world, action="save"))
    q = Quote.objects.get()
    page = c.get(f"/quotes/{q.pk}/").content.decode()
    assert "Q-2026-0001" in page and "Convert to order" in page
    r = c.post(
        f"/quotes/{q.pk}/document/",
        {"doc-kind": "proforma", "doc-language": "es", "doc-incoterm": "FOB"},
    )
    assert r.status_code == 302
    doc = QuoteDocument.objects.get()
    assert doc.kind == "proforma" and doc.incoterm == "FOB" and doc.number.startswith("PI-")
    pdf = c.get(f"/quotes/documents/{doc.pk}/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    reply = c.post(
        f"/quotes/{q.pk}/reply/",
        {"reply-documents": [doc.pk], "reply-template": "quotation_cover", "reply-language": "es"},
    )
    row = QuoteReply.objects.get()
    assert reply["Location"] == f"/mailbox/compose/?draft=quote%3A{row.pk}"
    assert "Oferta Q-2026-0001" in row.subject and "FOB Ningbo" in row.body
    compose = c.get(reply["Location"]).content.decode()
    assert doc.filename in compose
    # The order confirmation needs the buyer's PO number.
    missing = c.post(
        f"/quotes/{q.pk}/reply/",
        {
            "reply-documents": [doc.pk],
            "reply-language": "en",
            "reply-template": "order_confirmation",
        },
        follow=True,
    )
    assert "PO number" in missing.content.decode() and QuoteReply.objects.count() == 1
    assert c.post(f"/quotes/{q.pk}/order/").status_code == 302
    world["deal"].refresh_from_db()
    assert world["deal"].stage == Stage.ORDER


def test_other_salesperson_sees_nothing_and_csrf_is_checked(world):
    c = client_for(world["li"])
    c.post("/quotes/new/", form_data(world, action="save"))
    q = Quote.objects.get()
    bo = client_for(world["bo"])
    assert bo.get(f"/quotes/{q.pk}/").status_code == 404
    assert "Q-2026-0001" not in bo.get("/quotes/").content.decode()
    assert bo.post(f"/quotes/{q.pk}/order/").status_code == 404
    assert client_for(world["boss"]).get(f"/quotes/{q.pk}/").status_code == 200
    strict = client_for(world["li"], csrf=True)
    assert strict.post(f"/quotes/{q.pk}/order/").status_code == 403
    assert c.get(f"/quotes/{q.pk}/order/").status_code == 405
    assert Client().get("/quotes/").status_code == 302  # sign in first


def test_lists_history_products_and_settings(world):
    c = client_for(world["li"])
    c.post("/quotes/new/", form_data(world, action="save"))
    c.post("/quotes/new/", form_data(world, action="save", margin_pct="25"))
    person = c.get(f"/quotes/?person={world['person'].pk}").content.decode()
    assert "Q-2026-0001" in person and "Q-2026-0002" in person
    assert "Q-2026-0002" in c.get("/quotes/?sku=LP-600").content.decode()
    history = c.get("/quotes/history/LP-600/?incoterm=FOB").content.decode()
    assert history.count('class="history-row"') == 2 and "<svg" in history
    assert "Q-2026-0002" in c.get("/quotes/history/DL-150/").content.decode()
    assert c.get("/quotes/products/").status_code == 200
    # Salespeople read the settings; only a manager changes them (and products).
    assert c.get("/quotes/settings/").status_code == 200
    assert c.post("/quotes/settings/", {"name": "X"}).status_code == 403
    assert c.get("/quotes/products/new/").status_code == 403


def test_manager_sets_letterhead_logo_and_bank(world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    boss = client_for(world["boss"])
    row = CompanySettings.load()
    data = {f.name: getattr(row, f.name) for f in CompanySettings._meta.fields
            if f.name not in ("id", "logo_sha256", "logo_type", "updated_at")}  # fmt: skip
    data.update(name="Ningbo Brightway", bank_account="3580 5812 3456", bank_swift="BKCHCNBJ92A")
    bad = boss.post("/quotes/settings/", {**data, "logo": SimpleUploadedFile("x.png", b"nope")})
    assert "SVG, PNG or JPEG" in bad.content.decode()
    good = boss.post("/quotes/settings/", {**data, "logo": SimpleUploadedFile("l.svg", LOGO_SVG)})
    assert good.status_code == 302
    row.refresh_from_db()
    assert row.logo_type == "image/svg+xml" and row.bank_swift == "BKCHCNBJ92A"
    logo = boss.get("/quotes/settings/logo/")
    assert logo.content == LOGO_SVG and "sandbox" in logo["Content-Security-Policy"]
    wrong = boss.post("/quotes/settings/", {**data, "quotation_pattern": "Q-{year}-{seq}"})
    assert "tokens" in wrong.content.decode()
    product = boss.post("/quotes/products/new/", {
        "sku": "DL-150", "name": "Downlight", "unit": "pcs", "cost_currency": "cny",
        "materials": "15", "labour": "3", "overhead": "0", "packaging": "0.8",
        "units_per_carton": "20", "moq": "1000", "import_duty_pct": "3.7", "tiers": "5000 1000",
    })  # fmt: skip
    assert product.status_code == 302
    saved = ProductCost.objects.get(sku="DL-150")
    assert saved.cost_currency == "CNY" and saved.tiers == "1000, 5000"
