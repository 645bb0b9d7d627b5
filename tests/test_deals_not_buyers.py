"""Stored mail: forwarders and bulk mail never open deals nor become buyer addresses;
one order number is one reference on the deal page (deals app over core rules)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from tests.deals_mail import (
    COLLEAGUE,
    GMAIL,
    OFFICE,
    SELLER,
    SELLER_FROM,
    START,
    deal_messages,
    mail,
    store,
)
from tradeinbox.deals import actions, references
from tradeinbox.deals.models import Deal, DealReference, ReplyClock
from tradeinbox.store.models import Message

pytestmark = [pytest.mark.django_db]
H = timedelta(hours=1)
FORWARDER = "zhang.wei@nb-freight.example"
RATES = (
    "Dear Li,\n\nPlease find our ocean freight rates for the second half of March, valid until "
    "March 31:\nNingbo - Buenaventura 20GP USD 1,950 / 40HQ USD 2,600\n"
    "Space is tight, please book 10 days in advance.\n\n"
    "Zhang Wei\nNB Freight Forwarding Co., Ltd.\n"
)
BOOKING = (
    "Dear Li,\n\nBooking confirmed: 1x40HQ Ningbo - Buenaventura, vessel MSC ANNA 012E, "
    "SO NGB260412. Cut-off time April 10 17:00.\n\nZhang Wei\nNB Freight Forwarding Co., Ltd.\n"
)


@pytest.fixture
def deal(db, tmp_path):
    User.objects.create_user("li", email=SELLER, password="deals not buyers 42")
    store(tmp_path, deal_messages(), now=START + 41 * 24 * H)
    return Deal.objects.get()


def by_msgid(key: str) -> Message:
    return Message.objects.get(message_id=f"{key}@deal.test")


def test_forwarder_joins_the_deal_but_is_no_buyer_address(deal, tmp_path):
    at = START + 30 * 24 * H
    store(
        tmp_path,
        [
            ("f1.eml", mail(FORWARDER, SELLER_FROM, "Ocean freight rates March", RATES,
                            at=at, msgid="f1")),
            ("f2.eml", mail(SELLER_FROM, FORWARDER, "Booking for PO 4500012345",
                            "Dear Zhang,\nplease book 1x40HQ for PO 4500012345, ETD April 12.\n",
                            at=at + H, msgid="f2")),
            ("f3.eml", mail(FORWARDER, SELLER_FROM, "Re: Booking for PO 4500012345", BOOKING,
                            at=at + 3 * H, msgid="f3", reply_to="f2")),
        ],
        now=at + 4 * H,
    )  # fmt: skip
    # The rate sheet opened nothing; the booking request and its answer joined the deal.
    assert Deal.objects.count() == 1
    assert not hasattr(by_msgid("f1"), "deal_link")
    assert by_msgid("f2").deal_link.deal == deal and by_msgid("f3").deal_link.deal == deal
    rules = [e["rule"] for e in by_msgid("f3").deal_link.evidence]
    assert rules[0] == "deal.link.thread" and "deal.provider.domain" in rules
    # Not one of the buyer's addresses: not in the consolidation mail.
    addresses = actions.buyer_addresses(deal)
    assert FORWARDER not in addresses and {GMAIL, OFFICE, COLLEAGUE} <= set(addresses)
    draft = actions.consolidation(deal)
    assert draft is not None and FORWARDER not in draft.to + draft.cc
    assert not any("1,950" in f.value for f in draft.sources)  # its rates are not our prices


def test_a_logistics_company_asking_for_lamps_is_a_buyer(db, tmp_path):
    User.objects.create_user("li", email=SELLER, password="deals not buyers 42")
    inquiry = (
        "Dear Sir,\n\nWe are a logistics company building a new warehouse in Lima. Please quote "
        "your best price for 300 pcs LED high bay 150W, 5000K, IP65, CIF Callao, and advise "
        "the lead time.\n\nAna Ruiz\nPurchasing Manager\nAndes Logistics S.A.C.\n"
    )
    store(
        tmp_path,
        [("l1.eml", mail("Ana Ruiz <ana.ruiz@andes-logistics.example>", SELLER_FROM,
                         "RFQ: LED high bays for our warehouse", inquiry, at=START, msgid="l1"))],
        now=START + H,
    )  # fmt: skip
    deal = Deal.objects.get()
    assert actions.buyer_addresses(deal) == ["ana.ruiz@andes-logistics.example"]


PROMO = (
    "Dear purchasing manager,\n\nPlease quote your best price for 500 pcs LED panel light "
    "600x600 40W 4000K, FOB Ningbo, and send your catalogue with MOQ and lead time.\n"
    "Special offers every week for our registered buyers.\n\n"
    "This e-mail was sent to li.wei@ningbo-tools.example.\n"
    "To unsubscribe from these mailings, click here.\n"
)


def test_bulk_mail_graded_as_an_inquiry_opens_no_deal(db, tmp_path):
    store(
        tmp_path,
        [("b1.eml", mail("Global Sourcing Digest <digest@sourcing-digest.example>", SELLER_FROM,
                         "Buyer request: LED panel 600x600", PROMO, at=START, msgid="b1"))],
        now=START + H,
    )  # fmt: skip
    clock = ReplyClock.objects.get(message=by_msgid("b1"))
    assert clock.is_inquiry and clock.grade in ("B", "C", "D"), "triage reads it as an inquiry"
    assert Deal.objects.count() == 0  # ... the bulk gate keeps it out of deals


def test_one_number_is_one_reference_and_the_invoice_is_linked_to_it(deal, tmp_path):
    at = START + 45 * 24 * H
    store(
        tmp_path,
        [("i1.eml", mail(SELLER_FROM, OFFICE, "Commercial invoice and packing list",
                         "Dear Carlos,\nplease find our commercial invoice attached.\n",
                         at=at, msgid="i1", attachment="Invoice_4500012345.pdf"))],
        now=at + H,
    )  # fmt: skip
    link = by_msgid("i1").deal_link
    assert link.deal == deal and link.evidence[0]["rule"] == "deal.link.same_number"
    stored = set(deal.references.values_list("group", "value"))
    assert {("po", "4500012345"), ("invoice", "4500012345")} <= stored
    assert DealReference.objects.filter(deal=deal, group="po").count() == 1
    rows = {r.shown: r.kinds for r in references.rows_for(deal)}
    assert rows["4500012345"] == ("po", "invoice")
    assert not any(shown.upper().startswith("PO") for shown in rows)


@pytest.mark.slow
def test_the_demo_mailbox_deals(db, tmp_path):
    """The review of ``tradeinbox run --demo``: the forwarder opened a deal and sat in the
    Sunrise summary's Cc, the Mexican inquiry opened at After-sales, the PO showed thrice."""
    from tradeinbox.commands.run import DEMO_EMAIL
    from tradeinbox.demo import MAILBOX_DIR

    User.objects.create_user("demo", email=DEMO_EMAIL, password="demo pass 42")
    files = sorted(MAILBOX_DIR.glob("*.eml"))
    store(tmp_path, [(p.name, p.read_bytes()) for p in files])
    forwarder = "zhangwei@yh-logistics.example"
    rate_sheet = Message.objects.get(from_email=forwarder, subject__contains="10月下半月")
    clock = ReplyClock.objects.get(message=rate_sheet)
    assert clock.is_inquiry and clock.grade in ("B", "C", "D"), "triage reads it as an inquiry"
    assert not hasattr(rate_sheet, "deal_link")
    po_deal = DealReference.objects.get(group="po", value="4500012345").deal
    assert forwarder not in actions.buyer_addresses(po_deal)
    draft = actions.consolidation(po_deal)
    assert draft is not None and forwarder not in draft.to + draft.cc
    assert "m.torres@sunrise-home.example" in draft.to + draft.cc
    mexico = Deal.objects.get(title__startswith="Solicitud de cotización")
    assert mexico.stage != "after_sales"
    rows = [(r.kinds, r.shown) for r in references.rows_for(po_deal) if "4500012345" in r.shown]
    assert rows == [(("po", "invoice"), "4500012345")]


def test_migration_rekeys_old_reference_rows(deal):
    import importlib

    from django.apps import apps

    rekey = importlib.import_module(
        "tradeinbox.deals.migrations.0002_reference_canonical_values"
    ).rekey
    # Rows as the old key stored them: the attachment's "PO4500012345" beside "4500012345".
    DealReference.objects.create(
        deal=deal, group="po", value="PO4500012345", kind="po", shown="PO4500012345"
    )
    DealReference.objects.create(
        deal=deal, group="lc", value="LC77881234", kind="lc", shown="LC77881234"
    )
    rfq_before = set(deal.references.filter(group="rfq").values_list("value", flat=True))
    rekey(apps, None)
    assert list(deal.references.filter(group="po").values_list("value", flat=True)) == [
        "4500012345"
    ]
    assert deal.references.get(group="lc").value == "77881234"
    assert set(deal.references.filter(group="rfq").values_list("value", flat=True)) == rfq_before
