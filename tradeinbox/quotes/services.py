"""What a user does with quotations: price, save with a number, print the PDFs, link a deal,
convert to an order, and read the history. Views call one of these each.

Prices come from :mod:`tradeinbox.core.quotation` over the cost sheet that
:func:`tradeinbox.core.quotebuild.build_sheet` made from the form; PDFs from
:mod:`tradeinbox.core.documents`. Company letterhead and bank details are read from
:class:`~tradeinbox.quotes.models.CompanySettings` when a PDF is made and go into that
PDF only: never into the mail, the JSON result or the page of the quote.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeinbox import audit
from tradeinbox.core.costsheet import load_sheet
from tradeinbox.core.documents import localized, render_pdf
from tradeinbox.core.quotation import quote as price_sheet
from tradeinbox.core.quotebuild import PricePoint, QuoteInput, build_sheet
from tradeinbox.customers.models import Person
from tradeinbox.quotes.models import (
    CompanySettings,
    ProductCost,
    Quote,
    QuoteDocument,
    QuoteLine,
)
from tradeinbox.quotes.numbering import next_number
from tradeinbox.store.rawstore import blob_store
from tradeinbox.users import roles


def visible_quotes(user) -> QuerySet[Quote]:
    """Quotes of the user's scope: their own (a manager: the team's) and unowned ones."""
    return roles.visible(user, Quote.objects.all())


def price(inp: QuoteInput) -> tuple[dict, dict]:
    """``(cost sheet, prices)`` for a form's values; raises SheetError/ValueError."""
    sheet = build_sheet(inp)
    return sheet, price_sheet(load_sheet(sheet))


@dataclass(frozen=True, slots=True)
class Buyer:
    person: Person
    name: str
    contact: str
    email: str
    country: str


def buyer_of(person: Person) -> Buyer:
    from tradeinbox.writing.filling import formal_address

    company = person.company
    return Buyer(
        person=person,
        name=(company.name if company is not None and company.name else "") or person.name,
        contact=person.name,
        email=formal_address(person),
        country=company.country if company is not None else "",
    )


def create_quote(*, user, inp: QuoteInput, person: Person, deal=None,
                 products: list[ProductCost | None] = (), revises: Quote | None = None) -> Quote:  # fmt: skip
    """Price and save a quotation with the next number of its year (gap-free)."""
    sheet, result = price(inp)
    buyer = buyer_of(person)
    settings_row = CompanySettings.load()
    rule = sheet["document"]["incoterm"]
    block = result["incoterms"][rule]
    issued = inp.issued_on or timezone.localdate()
    with transaction.atomic():
        # Everything slow happened above: the number's lock is held only for the inserts.
        number, seq = next_number("quotation", settings_row.quotation_pattern, issued)
        row = Quote.objects.create(
            number=number, year=issued.year, seq=seq,
            owner=user if getattr(user, "is_authenticated", False) else None,
            person=person, company=person.company, deal=deal, revises=revises,
            buyer_name=buyer.name, buyer_contact=buyer.contact, buyer_email=buyer.email,
            language=inp.language, incoterm=rule, named_place=block["named_place"],
            currency=result["currency"], total=Decimal(block["total"]), issued_on=issued,
            valid_until=issued + dt.timedelta(days=inp.valid_days) if inp.valid_days else None,
            sheet=sheet, result=result,
        )  # fmt: skip
        by_sku = {p.sku: p for p in products if p is not None}
        for i, line in enumerate(block["lines"]):
            desc = next(p["description"] for p in sheet["products"] if p["sku"] == line["sku"])
            QuoteLine.objects.create(
                quote=row, position=i, product=by_sku.get(line["sku"]), sku=line["sku"],
                description=localized(desc, "en")[:300], quantity=line["quantity"],
                unit=line["unit"], unit_price=Decimal(line["unit_price"]),
                amount=Decimal(line["amount"]),
                prices={r: b["lines"][i]["unit_price"] for r, b in result["incoterms"].items()},
            )  # fmt: skip
    audit.record(user, "quote.create", row, after={"number": number, "total": str(row.total)})
    return row


# -- documents ----------------------------------------------------------------------------


def _logo(settings_row: CompanySettings) -> str:
    if not settings_row.logo_sha256:
        return ""
    data = blob_store().get(settings_row.logo_sha256)
    return f"data:{settings_row.logo_type};base64,{base64.b64encode(data).decode('ascii')}"


def document_sheet(q: Quote, settings_row: CompanySettings, *, kind: str, number: str,
                   date: dt.date) -> dict:  # fmt: skip
    """The quote's cost sheet with the letterhead, buyer, bank and the fixed number."""
    sheet = copy.deepcopy(q.sheet)
    s = settings_row
    sheet["seller"] = {
        "name": s.name, "address": [a.strip() for a in s.address.splitlines() if a.strip()],
        "phone": s.phone, "email": s.email, "website": s.website, "tax_id": s.tax_id,
        "logo": _logo(s),
    }  # fmt: skip
    if s.name_zh:
        sheet["seller"]["name_i18n"] = {"zh": s.name_zh}
    sheet["buyer"] = {"name": q.buyer_name, "contact": q.buyer_contact, "email": q.buyer_email}
    if kind == "proforma":
        sheet["bank"] = {
            "beneficiary": s.bank_beneficiary or s.name, "bank_name": s.bank_name,
            "bank_address": s.bank_address, "account": s.bank_account, "swift": s.bank_swift,
        }  # fmt: skip
    doc = sheet.setdefault("document", {})
    doc["number_pattern"] = {kind: number}  # already expanded: no tokens left
    doc["sequence"] = 1
    doc["date"] = date.isoformat()
    if kind == "proforma" and q.valid_until:
        doc["valid_days"] = max((q.valid_until - date).days, 0)
    return sheet


def _filename(number: str, lang: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") or "document"
    return f"{safe}-{lang}.pdf"


def generate_document(
    q: Quote, *, kind: str, language: str, user, incoterm: str = ""
) -> QuoteDocument:
    """Render the quotation or the proforma invoice and keep it in the blob store.

    A proforma invoice gets its number (PI-yyyy-nnnn) the first time one is made for the
    quote; later ones (another language, another Incoterm) carry the same number.
    """
    if kind not in QuoteDocument.Kind.values:
        raise ValueError(f"unknown document kind {kind!r}")
    rule = incoterm or q.incoterm
    if rule not in q.result["incoterms"]:
        raise ValueError(f"{rule} was not priced in this quote")
    settings_row = CompanySettings.load()
    today = timezone.localdate()
    if kind == "proforma" and not q.pi_number:
        with transaction.atomic():
            locked = Quote.objects.select_for_update().get(pk=q.pk)
            if not locked.pi_number:
                locked.pi_number, _seq = next_number(
                    "proforma", settings_row.proforma_pattern, today
                )
                locked.save(update_fields=["pi_number"])
        q.pi_number = locked.pi_number
    number = q.number if kind == "quotation" else q.pi_number
    date = q.issued_on if kind == "quotation" else today
    sheet = load_sheet(document_sheet(q, settings_row, kind=kind, number=number, date=date))
    pdf = render_pdf(sheet, kind=kind, lang=language, rule=rule, data=q.result)
    digest = blob_store().put(pdf)
    doc = QuoteDocument.objects.create(
        quote=q, kind=kind, number=number, language=language, incoterm=rule, sha256=digest,
        size=len(pdf), filename=_filename(number, language),
        total=q.result["incoterms"][rule]["total"],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip
    audit.record(user, f"quote.{kind}", q, after={"number": number, "language": language})
    return doc


def document_bytes(doc: QuoteDocument) -> bytes:
    return blob_store().get(doc.sha256)


# -- deal and order -----------------------------------------------------------------------


def link_deal(q: Quote, deal, user) -> Quote:
    q.deal = deal
    q.save(update_fields=["deal"])
    audit.record(user, "quote.link_deal", q, after={"deal": deal.pk if deal else None})
    return q


def convert_to_order(q: Quote, user, *, now: datetime | None = None) -> Quote:
    """Mark the quote ordered and move its deal to the *order* stage with the quote's total.

    Goes through the deals app's own actions, so the stage history, the cadence and the
    deal's figures stay what the deals app would make of a change by hand.
    """
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=q.pk)
        if locked.status == Quote.Status.ORDERED:
            raise ValueError(_("This quote was already converted to an order."))
        locked.status = Quote.Status.ORDERED
        locked.converted_at = now or datetime.now(UTC)
        locked.converted_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(update_fields=["status", "converted_at", "converted_by"])
        # Other quotes of the same deal were not accepted.
        if locked.deal_id:
            Quote.objects.filter(deal_id=locked.deal_id, status__in=["open", "sent"]).exclude(
                pk=locked.pk
            ).update(status=Quote.Status.LOST)
            from tradeinbox.deals import actions
            from tradeinbox.deals.models import Stage

            deal = locked.deal
            actions.update_details(
                deal, title=deal.title, amount=locked.total.quantize(Decimal("0.01")),
                currency=locked.currency, formal_address=deal.formal_address,
            )  # fmt: skip
            actions.set_stage(deal, Stage.ORDER, user)
    audit.record(user, "quote.order", locked, after={"deal": locked.deal_id})
    return locked


def set_status(q: Quote, status: str, user) -> Quote:
    if status not in (Quote.Status.OPEN, Quote.Status.SENT, Quote.Status.LOST):
        raise ValueError(_("This status cannot be set by hand."))
    if q.status == Quote.Status.ORDERED:
        raise ValueError(_("An order stays an order."))
    q.status = status
    q.save(update_fields=["status"])
    return q


# -- history ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceRow:
    line: QuoteLine
    price: Decimal | None


def price_history(user, sku: str, incoterm: str = "") -> dict:
    """A product's quoted unit prices, newest first, under one Incoterm, and its chart.

    ``incoterm`` defaults to the rule most of its quotes were priced under. The chart
    shows the most used currency only: prices in two currencies do not share an axis.
    """
    lines = list(
        QuoteLine.objects.filter(sku=sku, quote__in=visible_quotes(user))
        .select_related("quote", "quote__company", "quote__person")
        .order_by("-quote__issued_on", "-quote__seq")
    )
    rules = Counter(r for ln in lines for r in ln.prices)
    if not incoterm:
        on_docs = Counter(ln.quote.incoterm for ln in lines)
        incoterm = on_docs.most_common(1)[0][0] if on_docs else "FOB"
    rows = [
        PriceRow(ln, Decimal(ln.prices[incoterm]) if incoterm in ln.prices else None)
        for ln in lines
    ]
    currencies = Counter(r.line.quote.currency for r in rows if r.price is not None)
    currency = currencies.most_common(1)[0][0] if currencies else ""
    points = [
        PricePoint(r.line.quote.issued_on, r.price, r.line.quote.number)
        for r in rows
        if r.price is not None and r.line.quote.currency == currency
    ]
    return {
        "rows": rows, "incoterm": incoterm, "rules": sorted(rules), "currency": currency,
        "points": points, "other_currencies": sorted(set(currencies) - {currency}),
    }  # fmt: skip
