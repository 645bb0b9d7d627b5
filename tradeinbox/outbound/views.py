"""Pages for the team: domain health, DKIM keys, newsletter lists, campaigns, suppression.

Thin: each view validates a form and calls one function of the app's services. Slow work
(the DNS check, campaign batches) is queued for the worker; pages poll with htmx.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tradeinbox.mailbox.models import Account
from tradeinbox.outbound import campaigns as campaign_service
from tradeinbox.outbound import consent as consent_service
from tradeinbox.outbound import dkim
from tradeinbox.outbound.forms import (
    CampaignForm,
    DkimGenerateForm,
    DkimImportForm,
    DomainCheckForm,
    InviteForm,
    NewsletterForm,
    SuppressionForm,
)
from tradeinbox.outbound.models import (
    Campaign,
    Consent,
    DeliveryEvent,
    DkimKey,
    DomainCheck,
    NewsletterList,
    Suppression,
)
from tradeinbox.web.views import is_htmx, page
from tradeinbox.worker.jobs import enqueue

PAGE_SIZE = 100


def _own_domains() -> list[str]:
    addresses = Account.objects.values_list("email_address", flat=True)
    return sorted({a.rpartition("@")[2].lower() for a in addresses})


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# -- domain health ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def health(request: HttpRequest) -> HttpResponse:
    domains = _own_domains()
    form = DomainCheckForm(request.POST or None, initial={"domain": domains[0] if domains else ""})
    if request.method == "POST" and form.is_valid():
        row = DomainCheck.objects.create(
            domain=form.cleaned_data["domain"],
            ip=form.cleaned_data["ip"] or "",
            selector=form.cleaned_data["selector"],
            requested_by=request.user,
        )
        enqueue("outbound.domain_check", {"check": row.pk})
        return redirect("outbound:health_detail", pk=row.pk)
    recent = DomainCheck.objects.all()[:20]
    return render(
        request,
        "outbound/health.html",
        {"form": form, "recent": recent, "domains": domains, "nav": "outbound", "tab": "health"},
    )


@require_GET
@page
def health_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(DomainCheck, pk=pk)
    template = "outbound/_health_result.html" if is_htmx(request) else "outbound/health_detail.html"
    keys = DkimKey.objects.filter(domain=row.domain)
    return render(
        request, template, {"check": row, "keys": keys, "nav": "outbound", "tab": "health"}
    )


# -- DKIM -----------------------------------------------------------------------------------


@require_GET
@page
def dkim_keys(request: HttpRequest) -> HttpResponse:
    domains = _own_domains()
    initial = {"domain": domains[0] if domains else ""}
    return _dkim_page(request, DkimGenerateForm(initial=initial), DkimImportForm(initial=initial))


def _dkim_page(request, generate_form, import_form, status: int = 200) -> HttpResponse:
    keys = [(key, dkim.record_for(key)) for key in DkimKey.objects.all()]
    return render(
        request,
        "outbound/dkim.html",
        {
            "keys": keys,
            "generate_form": generate_form,
            "import_form": import_form,
            "nav": "outbound",
            "tab": "dkim",
        },
        status=status,
    )


@require_POST
@page
def dkim_generate(request: HttpRequest) -> HttpResponse:
    form = DkimGenerateForm(request.POST)
    if form.is_valid():
        try:
            key = dkim.create_key(
                form.cleaned_data["domain"],
                form.cleaned_data["selector"],
                bits=form.cleaned_data["bits"],
                user=request.user,
            )
        except dkim.KeyProblem as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Key %(name)s created. Publish the record below, then turn signing on.")
                % {"name": str(key)},
            )
            return redirect("outbound:dkim")
    return _dkim_page(request, form, DkimImportForm(), status=400)


@require_POST
@page
def dkim_import(request: HttpRequest) -> HttpResponse:
    form = DkimImportForm(request.POST)
    if form.is_valid():
        try:
            key = dkim.import_key(
                form.cleaned_data["domain"],
                form.cleaned_data["selector"],
                form.cleaned_data["pem"],
                user=request.user,
            )
        except dkim.KeyProblem as exc:
            form.add_error("pem", str(exc))
        else:
            messages.success(request, _("Key %(name)s imported.") % {"name": str(key)})
            return redirect("outbound:dkim")
    return _dkim_page(request, DkimGenerateForm(), form, status=400)


@require_POST
@page
def dkim_activate(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(DkimKey, pk=pk)
    if request.POST.get("active") == "0":
        dkim.deactivate(key)
        messages.success(
            request, _("Mail from %(domain)s is no longer signed.") % {"domain": key.domain}
        )
    else:
        dkim.activate(key)
        messages.success(
            request,
            _("Mail from %(domain)s is now signed with %(name)s.")
            % {"domain": key.domain, "name": str(key)},
        )
    return redirect("outbound:dkim")


@require_POST
@page
def dkim_delete(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(DkimKey, pk=pk, active=False)
    key.delete()
    messages.success(request, _("Key deleted."))
    return redirect("outbound:dkim")


# -- newsletter lists and consent --------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def lists(request: HttpRequest) -> HttpResponse:
    form = NewsletterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        newsletter = form.save()
        return redirect("outbound:list_detail", pk=newsletter.pk)
    rows = NewsletterList.objects.annotate(
        confirmed=Count("consents", filter=Q(consents__status=Consent.Status.CONFIRMED)),
        pending=Count("consents", filter=Q(consents__status=Consent.Status.PENDING)),
        withdrawn=Count("consents", filter=Q(consents__status=Consent.Status.WITHDRAWN)),
    )
    return render(
        request,
        "outbound/lists.html",
        {"lists": rows, "form": form, "nav": "outbound", "tab": "lists"},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@page
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = get_object_or_404(NewsletterList, pk=pk)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = consent_service.request_signup(
                newsletter,
                form.cleaned_data["address"],
                how=form.cleaned_data["how"],
                evidence=form.cleaned_data["evidence"],
                link_base=_base_url(request),
                user=request.user,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            if consent is None:
                messages.info(request, _("That address has already confirmed."))
            else:
                messages.success(
                    request,
                    _("Confirmation mail queued for %(address)s.") % {"address": consent.address},
                )
            return redirect("outbound:list_detail", pk=newsletter.pk)
    status = request.GET.get("status", "")
    consents = newsletter.consents.all()
    if status in Consent.Status.values:
        consents = consents.filter(status=status)
    paginator = Paginator(consents.prefetch_related("events"), PAGE_SIZE)
    return render(
        request,
        "outbound/list_detail.html",
        {
            "newsletter": newsletter,
            "form": form,
            "page_obj": paginator.get_page(request.GET.get("page")),
            "status": status,
            "statuses": Consent.Status.choices,
            "signup_url": request.build_absolute_uri(f"/outbound/subscribe/{newsletter.slug}/"),
            "nav": "outbound",
            "tab": "lists",
        },
        status=400 if form.errors else 200,
    )


@require_POST
@page
def consent_withdraw(request: HttpRequest, pk: int, consent_id: int) -> HttpResponse:
    consent = get_object_or_404(Consent, pk=consent_id, newsletter_id=pk)
    consent_service.withdraw(
        consent,
        how=_("withdrawn by %(user)s") % {"user": request.user.get_username()},
        evidence={"note": request.POST.get("note", "")[:500]},
    )
    messages.success(
        request,
        _("%(address)s will not receive this list any more.") % {"address": consent.address},
    )
    return redirect("outbound:list_detail", pk=pk)


# -- campaigns ------------------------------------------------------------------------------


@require_GET
@page
def campaign_list(request: HttpRequest) -> HttpResponse:
    rows = Campaign.objects.select_related("newsletter", "account")[:200]
    return render(
        request,
        "outbound/campaigns.html",
        {"campaigns": rows, "nav": "outbound", "tab": "campaigns"},
    )


@require_http_methods(["GET", "POST"])
@page
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.created_by = request.user
        campaign.save()
        return redirect("outbound:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "outbound/campaign_form.html",
        {"form": form, "nav": "outbound", "tab": "campaigns"},
        status=400 if form.errors else 200,
    )


@require_GET
@page
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("newsletter", "account"), pk=pk)
    rows = campaign.recipients.all()
    show = request.GET.get("show", "")
    if show:
        rows = rows.filter(status=show)
    paginator = Paginator(rows, PAGE_SIZE)
    context = {
        "campaign": campaign,
        "results": campaign_service.results(campaign),
        "page_obj": paginator.get_page(request.GET.get("page")),
        "show": show,
        "nav": "outbound",
        "tab": "campaigns",
    }
    template = (
        "outbound/_campaign_results.html" if is_htmx(request) else "outbound/campaign_detail.html"
    )
    return render(request, template, context)


@require_POST
@page
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    if action == "start":
        try:
            counts = campaign_service.start(campaign, link_base=_base_url(request))
        except campaign_service.CampaignProblem as exc:
            messages.error(request, str(exc))
        else:
            enqueue("outbound.campaign_step", {"campaign": campaign.pk})
            messages.success(
                request,
                _(
                    "Started: %(ok)s recipients will receive it; %(skipped)s are not sent (see below)."
                )
                % {
                    "ok": counts.get("ok", 0),
                    "skipped": sum(counts.values()) - counts.get("ok", 0),
                },
            )
    elif action == "pause":
        campaign_service.pause(campaign)
    elif action == "resume":
        campaign_service.resume(campaign)
        enqueue("outbound.campaign_step", {"campaign": campaign.pk})
    elif action == "cancel":
        campaign_service.cancel(campaign)
    return redirect("outbound:campaign_detail", pk=pk)


# -- suppression ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def suppression(request: HttpRequest) -> HttpResponse:
    form = SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        consent_service.suppress(
            form.cleaned_data["address"],
            Suppression.Reason.MANUAL,
            newsletter=form.cleaned_data["newsletter"],
            evidence=[{"rule": "suppressed.manual", "weight": -1.0,
                       "detail": form.cleaned_data["note"] or request.user.get_username()}],
            user=request.user,
        )  # fmt: skip
        messages.success(
            request, _("%(address)s added.") % {"address": form.cleaned_data["address"]}
        )
        return redirect("outbound:suppression")
    query = request.GET.get("q", "").strip().lower()
    rows = Suppression.objects.select_related("newsletter")
    events = DeliveryEvent.objects.all()
    if query:
        rows = rows.filter(address__contains=query)
        events = events.filter(address__contains=query)
    paginator = Paginator(rows, PAGE_SIZE)
    return render(
        request,
        "outbound/suppression.html",
        {
            "form": form,
            "page_obj": paginator.get_page(request.GET.get("page")),
            "events": events[:50],
            "q": query,
            "nav": "outbound",
            "tab": "suppression",
        },
        status=400 if form.errors else 200,
    )


@require_POST
@page
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Suppression, pk=pk)
    consent_service.unsuppress(row)
    messages.success(
        request, _("%(address)s removed from the suppression list.") % {"address": row.address}
    )
    return redirect("outbound:suppression")
