"""Quotation pages: list and history, the quote form, a quote, its PDFs, products, settings.

Thin: each view reads a form and calls one function of :mod:`tradeinbox.quotes.services`
or :mod:`tradeinbox.quotes.replies`. Quotes are fetched through the roles API, so a
quote outside the user's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tradeinbox import audit
from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import SheetError
from tradeinbox.core.quotebuild import price_chart_svg
from tradeinbox.customers.models import Company, Person
from tradeinbox.quotes import presenting, replies, services
from tradeinbox.quotes.forms import (
    CompanySettingsForm,
    DocumentForm,
    LineFormSet,
    ProductForm,
    QuoteForm,
    ReplyForm,
)
from tradeinbox.quotes.models import CompanySettings, ProductCost, Quote, QuoteDocument
from tradeinbox.store.rawstore import blob_store
from tradeinbox.users import roles
from tradeinbox.web.views import page
from tradeinbox.writing import filling, precheck

PAGE_SIZE = 50


def _quote(request: HttpRequest, pk: int) -> Quote:
    return get_object_or_404(services.visible_quotes(request.user), pk=pk)


def _deal(user, pk):
    if not pk:
        return None
    from tradeinbox.deals.models import Deal

    return get_object_or_404(Deal.objects.visible_to(user), pk=pk)


def _may_configure(user) -> bool:
    return roles.can(user, "settings.organisation")


@page
def quote_list(request: HttpRequest) -> HttpResponse:
    rows = services.visible_quotes(request.user).select_related("person", "company", "deal")
    query = request.GET.get("q", "").strip()[:200]
    person = company = None
    if request.GET.get("person", "").isdigit():
        person = get_object_or_404(
            Person.objects.visible_to(request.user), pk=int(request.GET["person"])
        )
        rows = rows.filter(person=person)
    if request.GET.get("company", "").isdigit():
        company = get_object_or_404(
            Company.objects.visible_to(request.user), pk=int(request.GET["company"])
        )
        rows = rows.filter(company=company)
    sku = request.GET.get("sku", "").strip()[:64]
    if sku:
        rows = rows.filter(lines__sku=sku).distinct()
    status = request.GET.get("status", "")
    if status in Quote.Status.values:
        rows = rows.filter(status=status)
    if query:
        rows = rows.filter(
            Q(number__icontains=query) | Q(pi_number__icontains=query)
            | Q(buyer_name__icontains=query) | Q(buyer_contact__icontains=query)
            | Q(lines__sku__icontains=query) | Q(lines__description__icontains=query)
        ).distinct()  # fmt: skip
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "quotes/list.html", {
        "page_obj": page_obj, "query": query, "person": person, "company": company, "sku": sku,
        "status": status, "statuses": Quote.Status.choices, "filters": filters, "nav": "quotes",
    })  # fmt: skip


def _initial(request: HttpRequest) -> tuple[dict, list[dict]]:
    s = CompanySettings.load()
    initial = {
        "language": "en", "incoterm": "FOB", "incoterms": list(incoterms.RULES),
        "origin_port": s.origin_port, "origin_place": s.origin_place,
        "cost_currency": s.cost_currency, "quote_currency": s.quote_currency,
        "rate_date": timezone.localdate(), "margin_pct": s.margin_pct, "vat_pct": s.vat_pct,
        "rebate_pct": s.rebate_pct, "carriage_mode": "none", "container": "40HQ",
        "issued_on": timezone.localdate(), "valid_days": s.valid_days,
        "payment_terms": s.payment_terms, "lead_time": s.lead_time,
    }  # fmt: skip
    lines: list[dict] = [{}]
    source = request.GET.get("from", "")
    if source.isdigit():
        old = _quote(request, int(source))
        initial, lines = presenting.form_initial(old.sheet)
        products = {ln.sku: ln.product_id for ln in old.lines.all() if ln.product_id}
        for line in lines:
            if line["sku"] in products:
                line["product"] = products[line["sku"]]
        initial.update(language=old.language, person=old.person_id, deal=old.deal_id)
    deal = request.GET.get("deal", "")
    if deal.isdigit():
        row = _deal(request.user, int(deal))
        initial["deal"] = row.pk
        if row.person_id and "person" not in initial:
            initial["person"] = row.person_id
        if row.currency:
            initial["quote_currency"] = row.currency
        if row.language in ("en", "zh", "es"):
            initial["language"] = row.language
    if request.GET.get("person", "").isdigit():
        initial["person"] = int(request.GET["person"])
    if initial.get("person") and "language" not in request.GET:
        person = Person.objects.filter(pk=initial["person"]).select_related("company").first()
        if person is not None and person.company is not None and not source:
            initial["language"] = filling.guess_language(person.company.country)
    return initial, lines


def _with_extra_line(data):
    data = data.copy()
    total = int(data.get("line-TOTAL_FORMS", "1") or 1)
    data["line-TOTAL_FORMS"] = str(min(total + 1, 50))
    return data


@require_http_methods(["GET", "POST"])
@page
def quote_new(request: HttpRequest) -> HttpResponse:
    """The quote form: "Calculate" shows the prices, "Save" gives the quote its number."""
    people = precheck.person_choices(request.user)
    deals = filling.deal_choices(request.user)
    action = request.POST.get("action", "calculate")
    data = request.POST if request.method == "POST" else None
    if data is not None and action == "add_line":
        data = _with_extra_line(data)
    if data is None:
        initial, lines = _initial(request)
        form = QuoteForm(initial=initial, people=people, deals=deals)
        formset = LineFormSet(initial=lines, prefix="line")
    else:
        form = QuoteForm(data, people=people, deals=deals)
        formset = LineFormSet(data, prefix="line")
    result = error = None
    if data is not None and action != "add_line" and form.is_valid() and formset.is_valid():
        lines = formset.lines()
        inp = form.to_input([line for line, _p in lines])
        try:
            sheet, result = services.price(inp)
        except (SheetError, ValueError) as exc:
            error = str(exc)
        if result is not None and action == "save":
            person = get_object_or_404(
                Person.objects.visible_to(request.user), pk=form.cleaned_data["person"]
            )
            deal = _deal(request.user, form.cleaned_data.get("deal"))
            revises = None
            if request.GET.get("from", "").isdigit():
                revises = _quote(request, int(request.GET["from"]))
            q = services.create_quote(
                user=request.user, inp=inp, person=person, deal=deal,
                products=[p for _l, p in lines], revises=revises,
            )  # fmt: skip
            messages.success(request, _("Quote %(number)s saved.") % {"number": q.number})
            return redirect("quotes:quote", pk=q.pk)
    context = {"form": form, "formset": formset, "error": error, "nav": "quotes",
               "products": ProductCost.objects.all()}  # fmt: skip
    if result is not None:
        rule = form.cleaned_data["incoterm"]
        context.update(
            preview=True, currency=result["currency"], rules=presenting.rules(result, rule),
            packs=presenting.packs(result), tiers=presenting.tiers(result, rule),
            warnings=result["warnings"], rates=result["rates"], rounding=result["rounding"],
        )  # fmt: skip
    return render(request, "quotes/form.html", context)


@page
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    q = _quote(request, pk)
    result = q.result
    documents = list(q.documents.all())
    doc_form = DocumentForm(
        prefix="doc",
        initial={"kind": "proforma" if q.pi_number else "quotation", "language": q.language,
                 "incoterm": q.incoterm},
    )  # fmt: skip
    doc_form.fields["incoterm"].choices = [
        c for c in doc_form.fields["incoterm"].choices if c[0] in result["incoterms"]
    ]
    latest = {}
    for d in documents:
        latest.setdefault(d.kind, d)
    reply_form = ReplyForm(
        prefix="reply",
        documents=[(str(d.pk), f"{d.filename} · {d.created_at:%Y-%m-%d %H:%M}") for d in documents],
        initial={"documents": [str(d.pk) for d in latest.values()], "language": q.language},
    )  # fmt: skip
    deals = filling.deal_choices(request.user)
    return render(request, "quotes/quote.html", {
        "quote": q, "lines": q.lines.all(), "currency": result["currency"],
        "rules": presenting.rules(result, q.incoterm), "packs": presenting.packs(result),
        "tiers": presenting.tiers(result, q.incoterm), "warnings": result["warnings"],
        "rates": result["rates"], "rounding": result["rounding"], "documents": documents,
        "doc_form": doc_form, "reply_form": reply_form,
        "replies": q.replies.select_related("outbox").prefetch_related("documents"),
        "deals": deals, "revisions": q.revisions.all(), "nav": "quotes",
        "may_change": roles.can(request.user, "change", q),
    })  # fmt: skip


def _changeable(request: HttpRequest, pk: int) -> Quote:
    q = _quote(request, pk)
    if not roles.can(request.user, "change", q):
        raise PermissionDenied
    return q


@require_POST
@page
def quote_document(request: HttpRequest, pk: int) -> HttpResponse:
    q = _changeable(request, pk)
    form = DocumentForm(request.POST, prefix="doc")
    if not form.is_valid():
        messages.error(request, _("Choose the document, its language and the Incoterm."))
        return redirect("quotes:quote", pk=q.pk)
    try:
        doc = services.generate_document(
            q, kind=form.cleaned_data["kind"], language=form.cleaned_data["language"],
            incoterm=form.cleaned_data["incoterm"], user=request.user,
        )  # fmt: skip
    except (SheetError, ValueError) as exc:
        messages.error(request, _("The PDF could not be made: %(error)s") % {"error": exc})
        return redirect("quotes:quote", pk=q.pk)
    messages.success(request, _("%(file)s is ready.") % {"file": doc.filename})
    return redirect(reverse("quotes:quote", args=[q.pk]) + "#documents")


@page
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    doc = get_object_or_404(
        QuoteDocument.objects.filter(quote__in=services.visible_quotes(request.user)), pk=pk
    )
    response = HttpResponse(services.document_bytes(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{doc.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@page
def quote_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Prepare the reply with the chosen PDFs and open it on the compose page."""
    q = _changeable(request, pk)
    docs = {str(d.pk): d for d in q.documents.all()}
    form = ReplyForm(request.POST, documents=[(k, k) for k in docs], prefix="reply")
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(request, errors or _("Choose at least one document to attach."))
        return redirect(reverse("quotes:quote", args=[q.pk]) + "#reply")
    try:
        reply = replies.prepare_reply(
            q, request.user, documents=[docs[k] for k in form.cleaned_data["documents"]],
            template=form.cleaned_data["template"], language=form.cleaned_data["language"],
            po_no=form.cleaned_data.get("po_no", ""),
        )  # fmt: skip
    except replies.ReplyProblem as exc:
        detail = ", ".join(exc.missing) or str(exc)
        messages.error(
            request, _("The mail could not be prepared: %(detail)s") % {"detail": detail}
        )
        return redirect(reverse("quotes:quote", args=[q.pk]) + "#reply")
    return redirect(reverse("mailbox:compose") + "?" + urlencode({"draft": f"quote:{reply.pk}"}))


@require_POST
@page
def quote_deal(request: HttpRequest, pk: int) -> HttpResponse:
    q = _changeable(request, pk)
    value = request.POST.get("deal", "")
    deal = _deal(request.user, int(value)) if value.isdigit() else None
    services.link_deal(q, deal, request.user)
    messages.success(request, _("Deal link saved."))
    return redirect("quotes:quote", pk=q.pk)


@require_POST
@page
def quote_order(request: HttpRequest, pk: int) -> HttpResponse:
    q = _changeable(request, pk)
    try:
        q = services.convert_to_order(q, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("quotes:quote", pk=q.pk)
    if q.deal_id:
        messages.success(request, _("Converted to an order; the deal is at the Order stage now."))
    else:
        messages.success(request, _("Converted to an order. Link a deal to follow it there."))
    return redirect("quotes:quote", pk=q.pk)


@require_POST
@page
def quote_status(request: HttpRequest, pk: int) -> HttpResponse:
    q = _changeable(request, pk)
    try:
        services.set_status(q, request.POST.get("status", ""), request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("quotes:quote", pk=q.pk)


# -- products and price history -----------------------------------------------------------


@page
def product_list(request: HttpRequest) -> HttpResponse:
    products = ProductCost.objects.annotate(quoted=Count("quote_lines"))
    typed = (
        services.visible_quotes(request.user)
        .filter(lines__product__isnull=True)
        .values_list("lines__sku", flat=True)
        .distinct()
    )
    return render(request, "quotes/products.html", {
        "products": products, "typed": sorted(set(typed) - {p.sku for p in products}),
        "may_configure": _may_configure(request.user), "nav": "quotes",
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
@page
def product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not _may_configure(request.user):
        raise PermissionDenied
    instance = get_object_or_404(ProductCost, pk=pk) if pk else None
    initial = {"cost_currency": CompanySettings.load().cost_currency} if instance is None else {}
    form = ProductForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        row = form.save()
        audit.record(request, "quote.product", row, after={"sku": row.sku})
        messages.success(request, _("Product %(sku)s saved.") % {"sku": row.sku})
        return redirect("quotes:products")
    return render(request, "quotes/product_form.html",
                  {"form": form, "product": instance, "nav": "quotes"})  # fmt: skip


@page
def price_history(request: HttpRequest, sku: str) -> HttpResponse:
    rule = request.GET.get("incoterm", "").upper()
    if rule and rule not in incoterms.RULES:
        rule = ""
    history = services.price_history(request.user, sku, rule)
    product = ProductCost.objects.filter(sku=sku).first()
    chart = ""
    if history["points"]:
        title = _("Unit price of %(sku)s, %(rule)s, %(currency)s") % {
            "sku": sku, "rule": history["incoterm"], "currency": history["currency"],
        }  # fmt: skip
        # Built by the core with every text XML-escaped.
        chart = mark_safe(price_chart_svg(history["points"], title=title,  # noqa: S308
                                          currency=history["currency"]))  # fmt: skip
    rules_seen = [r for r in incoterms.RULES if r in history["rules"]]
    return render(request, "quotes/history.html", {
        **history, "rules": rules_seen, "sku": sku, "product": product, "chart": chart,
        "nav": "quotes",
    })  # fmt: skip


# -- company settings ----------------------------------------------------------------------

AUDITED = ("name", "bank_beneficiary", "bank_name", "bank_account", "bank_swift",
           "quotation_pattern", "proforma_pattern")  # fmt: skip


@require_http_methods(["GET", "POST"])
@page
def settings_view(request: HttpRequest) -> HttpResponse:
    row = CompanySettings.load()
    may = _may_configure(request.user)
    if request.method == "POST" and not may:
        raise PermissionDenied
    before = {k: getattr(row, k) for k in AUDITED}
    form = CompanySettingsForm(request.POST or None, request.FILES or None, instance=row)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        logo = form.cleaned_data.get("logo")
        if form.cleaned_data.get("remove_logo"):
            saved.logo_sha256 = saved.logo_type = ""
        elif logo:
            saved.logo_type, data = logo
            saved.logo_sha256 = blob_store().put(data)
        saved.save()
        # Bank details are what a payment-diversion fraud changes: every change is logged.
        audit.record(request, "settings.quotes", saved, before=before,
                     after={k: getattr(saved, k) for k in AUDITED})  # fmt: skip
        messages.success(request, _("Company settings saved."))
        return redirect("quotes:settings")
    return render(request, "quotes/settings.html",
                  {"form": form, "row": row, "may_configure": may, "nav": "quotes"})  # fmt: skip


@page
def logo(request: HttpRequest) -> HttpResponse:
    row = CompanySettings.load()
    if not row.logo_sha256:
        raise Http404("no logo")
    response = HttpResponse(blob_store().get(row.logo_sha256), content_type=row.logo_type)
    # An SVG opened on its own is a document: no script, no requests, no plugins.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
