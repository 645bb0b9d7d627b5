"""Quotations in the web app (issue 9): numbering, documents, the reply draft, history,
conversion to an order. Real PDFs (WeasyPrint), real blob store, the real outbox."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from tradeinbox.core.costsheet import load_sheet
from tradeinbox.core.quotation import quote as price_sheet
from tradeinbox.core.quotebuild import (
    LineInput,
    PricePoint,
    QuoteInput,
    build_sheet,
    parse_tiers,
    price_chart_svg,
)
from tradeinbox.customers.models import Company, EmailAddress, Person
from tradeinbox.deals.models import Deal, Stage, StageChange
from tradeinbox.mailbox import drafts
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.quotes import numbering, replies, services
from tradeinbox.quotes.models import CompanySettings, DocumentSequence, Quote, QuoteReply
from tradeinbox.store.rawstore import blob_store
from tradeinbox.users.roles import assign_role

ROOT = Path(__file__).resolve().parents[1]
PDFTOTEXT = shutil.which("pdftotext")
ACCOUNT_NO = "3580 5812 3456"
SWIFT = "BKCHCNBJ92A"


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def simple_input(**overrides) -> QuoteInput:
    """One product at 72 CNY, 1 USD = 7.20 CNY, no VAT: net cost exactly 10.00 USD."""
    line = LineInput(
        sku="LP-600", description={"en": "LED panel 600x600", "zh": "LED面板灯"},
        quantity=100, costs={"materials": Decimal("72")}, moq=50, tiers=[500],
    )  # fmt: skip
    values = dict(
        lines=[line], cost_currency="CNY", quote_currency="USD", rate=Decimal("7.20"),
        rate_date=dt.date(2026, 3, 1), rate_source="BOC", margin_pct=Decimal(20),
        incoterm="FOB", origin_port="Ningbo", inland_freight=Decimal("720"),
        issued_on=dt.date(2026, 3, 2), valid_days=30,
        payment_terms="30% T/T deposit, 70% against B/L copy", lead_time="35 days",
    )  # fmt: skip
    values.update(overrides)
    return QuoteInput(**values)


# -- core: the form's values become a cost sheet priced by the calculator ------------------


def test_build_sheet_prices_by_hand():
    # EXW = net cost / (1 - margin) = 10 / 0.8 = 12.50; FOB adds 720 CNY / 7.2 / 100 = 1.00.
    data = price_sheet(load_sheet(build_sheet(simple_input())))
    assert data["incoterms"]["EXW"]["lines"][0]["unit_price"] == "12.50"
    assert data["incoterms"]["FOB"]["lines"][0]["unit_price"] == "13.50"
    assert data["incoterms"]["FOB"]["total"] == "1350.00"
    assert data["incoterms"]["FOB"]["named_place"] == "Ningbo"
    assert data["rates"] == [{"from": "USD", "to": "CNY", "rate": "7.20", "date": "2026-03-01",
                              "source": "BOC"}]  # fmt: skip
    assert [t["quantity"] for t in data["tiers"]["LP-600"]] == [500]
    kinds = [p["kind"] for p in data["value_packs"]]
    assert kinds == ["volume", "warranty", "samples", "payment_terms"]
    assert data["value_packs"][0]["params"]["extra_qty_pct"] == "10.00"


def test_parse_tiers_and_chart():
    assert parse_tiers("5000, 500;1000 500") == [500, 1000, 5000]
    with pytest.raises(ValueError):
        parse_tiers("500, lots")
    svg = price_chart_svg(
        [PricePoint(dt.date(2026, 1, 5), Decimal("13.50"), "Q-2026-0001"),
         PricePoint(dt.date(2026, 3, 5), Decimal("12.90"), "Q-2026-0007 <b>")],
        title="LP-600 FOB", currency="USD",
    )  # fmt: skip
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and "<polyline" in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg  # labels are escaped


def test_logo_may_be_an_inline_image_but_nothing_else():
    import base64

    from tradeinbox.core.costsheet import SheetError
    from tradeinbox.core.documents import context

    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    raw = build_sheet(simple_input())
    raw["seller"] = {"name": "Brightway", "logo": f"data:image/svg+xml;base64,{svg}"}
    assert context(load_sheet(raw))["logo"] == f"data:image/svg+xml;base64,{svg}"
    for bad in ("data:text/html;base64,PHNjcmlwdD4=", "data:image/png;base64,@@@"):
        raw["seller"]["logo"] = bad
        with pytest.raises(SheetError, match="seller.logo"):
            context(load_sheet(raw))


# -- numbering --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_numbers_count_per_kind_and_year():
    with transaction.atomic():
        assert [numbering.allocate("quotation", 2026) for _ in range(3)] == [1, 2, 3]
        assert numbering.allocate("proforma", 2026) == 1
        assert numbering.allocate("quotation", 2027) == 1
        assert numbering.next_number("quotation", "Q-{yyyy}-{seq:4}", dt.date(2026, 5, 1)) == (
            "Q-2026-0004",
            4,
        )


@pytest.mark.django_db
def test_a_failed_save_gives_its_number_back():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert numbering.allocate("quotation", 2026) == 1
        _ = 1 / 0
    with transaction.atomic():
        assert numbering.allocate("quotation", 2026) == 1  # no gap


@pytest.mark.django_db(transaction=True)
def test_numbers_have_no_gaps_under_concurrency():
    with pytest.raises(RuntimeError):
        numbering.allocate("quotation", 2026)  # outside a transaction: refused
    if connection.vendor != "postgresql":
        pytest.skip("threads share one in-memory SQLite test database; see the process test")
    workers, per_worker = 6, 5
    got: list[int] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(workers)

    def work() -> None:
        try:
            start.wait()
            for _ in range(per_worker):
                with transaction.atomic():
                    n = numbering.allocate("quotation", 2026)
                with lock:
                    got.append(n)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == list(range(1, workers * per_worker + 1))
    assert DocumentSequence.objects.get(kind="quotation", year=2026).last == workers * per_worker


ALLOCATE = """
import sys
from tradeinbox import setup_django
setup_django()
from django.db import transaction
from tradeinbox.quotes.numbering import allocate
for _ in range(int(sys.argv[1])):
    with transaction.atomic():
        print(allocate("quotation", 2026), flush=True)
"""


@pytest.mark.slow
def test_numbers_have_no_gaps_across_processes_on_sqlite(tmp_path):
    """Real web/worker processes on the real SQLite file database, writing at once."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRADEINBOX_DATA"] = str(tmp_path / "data")
    subprocess.run([sys.executable, "-m", "tradeinbox", "manage", "migrate", "-v0"], env=env,
                   check=True, cwd=ROOT)  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ALLOCATE, "15"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    got = []
    for proc in procs:
        out, _err = proc.communicate(timeout=300)
        assert proc.returncode == 0
        got += [int(x) for x in out.split()]
    assert sorted(got) == list(range(1, 61))


# -- quotes, documents, replies ------------------------------------------------------------------


@pytest.fixture
def world():
    li = User.objects.create_user("li", password="quotes pass 1")
    assign_role(li, "salesperson")
    bo = User.objects.create_user("bo", password="quotes pass 2")
    assign_role(bo, "salesperson")
    account = Account(
        owner=li, email_address="li.wei@brightway.example", sender_name="Li Wei",
        company="Brightway Lighting", imap_host="127.0.0.1", smtp_host="127.0.0.1",
        username="li.wei@brightway.example",
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    company = Company.objects.create(name="Iluminación Levante", country="ES", owner=li)
    person = Person.objects.create(name="Marta García", company=company)
    EmailAddress.objects.create(
        address="marta@levante.example", person=person, kind="official", is_formal=True
    )
    deal = Deal.objects.create(
        title="LED panels for Valencia", company=company, person=person, owner=li,
        stage=Stage.QUOTED, opened_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    s = CompanySettings.load()
    s.name, s.address = "Ningbo Brightway Lighting Co., Ltd.", "No. 88 Jiangnan Road\nNingbo"
    s.bank_name, s.bank_account, s.bank_swift = "Bank of China", ACCOUNT_NO, SWIFT
    s.save()
    return {"li": li, "bo": bo, "person": person, "company": company, "deal": deal,
            "account": account}  # fmt: skip


@pytest.mark.django_db
def test_create_quote_numbers_and_lines(world):
    q1 = services.create_quote(user=world["li"], inp=simple_input(), person=world["person"])
    q2 = services.create_quote(
        user=world["li"], inp=simple_input(margin_pct=Decimal(25)), person=world["person"],
        deal=world["deal"], revises=q1,
    )  # fmt: skip
    q3 = services.create_quote(
        user=world["li"], inp=simple_input(issued_on=dt.date(2027, 1, 4)), person=world["person"]
    )
    assert (q1.number, q2.number, q3.number) == ("Q-2026-0001", "Q-2026-0002", "Q-2027-0001")
    assert q1.total == Decimal("1350.00") and q1.currency == "USD" and q1.incoterm == "FOB"
    assert q1.company == world["company"] and q1.buyer_email == "marta@levante.example"
    assert q1.valid_until == dt.date(2026, 4, 1)
    line = q2.lines.get()
    assert line.sku == "LP-600" and line.unit_price == Decimal("14.33")  # 10/0.75 + 1.00
    assert set(line.prices) == {
        "EXW",
        "FCA",
        "FOB",
        "CFR",
        "CIF",
        "CPT",
        "CIP",
        "DAP",
        "DPU",
        "DDP",
    }
    assert q2.revises == q1 and list(q1.revisions.all()) == [q2]


@pytest.mark.django_db
@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils not installed")
def test_proforma_pdf_has_number_total_and_bank_never_margins(world, tmp_path):
    q = services.create_quote(user=world["li"], inp=simple_input(), person=world["person"])
    pi = services.generate_document(q, kind="proforma", language="en", user=world["li"])
    again = services.generate_document(q, kind="proforma", language="es", user=world["li"])
    assert pi.number == again.number == "PI-" + str(timezone.localdate().year) + "-0001"
    assert pi.filename == f"{pi.number}-en.pdf" and pi.total == "1350.00"
    pdf = blob_store().get(pi.sha256)
    assert pdf.startswith(b"%PDF") and len(pdf) == pi.size
    text = pdf_text(pdf, tmp_path)
    assert "PROFORMA INVOICE" in text and pi.number in text and "1,350.00" in text
    assert ACCOUNT_NO in text and SWIFT in text and "Ningbo Brightway" in text
    margin = q.result["incoterms"]["FOB"]["lines"][0]["seller_only"]["margin_pct"]
    assert margin not in text and "margin" not in text.lower()
    quotation = services.generate_document(q, kind="quotation", language="en", user=world["li"])
    qtext = pdf_text(blob_store().get(quotation.sha256), tmp_path)
    assert "QUOTATION" in qtext and "Q-2026-0001" in qtext and ACCOUNT_NO not in qtext


@pytest.mark.django_db
def test_reply_draft_carries_the_pdf_into_the_outbox(world, client):
    q = services.create_quote(
        user=world["li"], inp=simple_input(), person=world["person"], deal=world["deal"]
    )
    pi = services.generate_document(q, kind="proforma", language="en", user=world["li"])
    reply = replies.prepare_reply(
        q, world["li"], documents=[pi], template="quotation_cover", language="en"
    )
    assert reply.to == "marta@levante.example" and reply.account == world["account"]
    assert "Q-2026-0001" in reply.subject and "Q-2026-0001" in reply.body
    assert "1,350.00" in reply.body and "FOB Ningbo" in reply.body
    assert ACCOUNT_NO not in reply.body and SWIFT not in reply.body
    assert "margin" not in reply.body.lower()
    # The compose page's view of it: another salesperson cannot open it.
    draft = drafts.load(f"quote:{reply.pk}", world["li"])
    assert draft is not None and [f.filename for f in draft.files] == [pi.filename]
    assert draft.files[0].read().startswith(b"%PDF")
    assert drafts.load(f"quote:{reply.pk}", world["bo"]) is None
    client.force_login(world["li"])
    page = client.get(f"/mailbox/compose/?draft=quote:{reply.pk}").content.decode()
    assert pi.filename in page and 'name="draft_keep"' in page and "Q-2026-0001" in page
    response = client.post(f"/mailbox/compose/?draft=quote:{reply.pk}", {
        "account": world["account"].pk, "to": reply.to, "subject": reply.subject,
        "body": reply.body, "draft": f"quote:{reply.pk}", "draft_keep": [f"doc:{pi.pk}"],
        "confirm_errors": "on",
    })  # fmt: skip
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    sent = message_from_bytes(blob_store().get(row.raw_sha256), policy=policy.default)
    parts = [p for p in sent.iter_attachments()]
    assert [p.get_filename() for p in parts] == [pi.filename]
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_content() == blob_store().get(pi.sha256)
    reply.refresh_from_db()
    q.refresh_from_db()
    assert reply.status == QuoteReply.Status.SENT and reply.outbox == row
    assert q.status == Quote.Status.SENT
    assert drafts.load(f"quote:{reply.pk}", world["li"]) is None  # sent: not a draft any more


@pytest.mark.django_db
def test_reply_needs_a_mailbox(world):
    q = services.create_quote(user=world["bo"], inp=simple_input(), person=world["person"])
    pi = services.generate_document(q, kind="quotation", language="en", user=world["bo"])
    with pytest.raises(replies.ReplyProblem, match="mailbox"):
        replies.prepare_reply(q, world["bo"], documents=[pi], template="quotation_cover",
                              language="en")  # fmt: skip


@pytest.mark.django_db
def test_convert_to_order_moves_the_deal(world):
    deal = world["deal"]
    q = services.create_quote(user=world["li"], inp=simple_input(), person=world["person"],
                              deal=deal)  # fmt: skip
    other = services.create_quote(user=world["li"], inp=simple_input(), person=world["person"],
                                  deal=deal)  # fmt: skip
    services.convert_to_order(q, world["li"])
    deal.refresh_from_db()
    q.refresh_from_db()
    other.refresh_from_db()
    assert (
        deal.stage == Stage.ORDER and deal.amount == Decimal("1350.00") and deal.currency == "USD"
    )
    change = StageChange.objects.filter(deal=deal).last()
    assert (change.from_stage, change.to_stage, change.by) == ("quoted", "order", world["li"])
    assert q.status == Quote.Status.ORDERED and q.converted_by == world["li"]
    assert other.status == Quote.Status.LOST
    with pytest.raises(ValueError, match="already"):
        services.convert_to_order(q, world["li"])


@pytest.mark.django_db
def test_price_history_per_product_and_customer(world):
    for day, margin in ((dt.date(2026, 1, 5), 20), (dt.date(2026, 2, 5), 25)):
        services.create_quote(user=world["li"], person=world["person"],
                              inp=simple_input(issued_on=day, margin_pct=Decimal(margin)))  # fmt: skip
    history = services.price_history(world["li"], "LP-600")
    assert history["incoterm"] == "FOB" and history["currency"] == "USD"
    assert [str(r.price) for r in history["rows"]] == ["14.33", "13.50"]  # newest first
    assert [p.label for p in history["points"]] == ["Q-2026-0002", "Q-2026-0001"]
    exw = services.price_history(world["li"], "LP-600", "EXW")
    assert [str(r.price) for r in exw["rows"]] == ["13.33", "12.50"]
    assert services.price_history(world["bo"], "LP-600")["rows"] == []  # not their quotes
