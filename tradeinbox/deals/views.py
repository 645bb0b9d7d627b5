"""Deal pages: the Due list, the deal list, a deal, the dashboard, settings, actions.

Every query goes through ``visible_to(user)``: a salesperson asking for another
salesperson's deal gets 404, exactly as for a deal that does not exist. Every change is a
POST (CSRF-protected) that calls one function of :mod:`tradeinbox.deals.actions`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tradeinbox import audit
from tradeinbox.core.references import canonical_value
from tradeinbox.customers.models import is_manager
from tradeinbox.deals import actions, queries, references
from tradeinbox.deals.exporting import feed_token
from tradeinbox.deals.forms import (
    ConsolidationForm,
    DealForm,
    FollowUpForm,
    SettingsForm,
    StageForm,
)
from tradeinbox.deals.models import Deal, DealSettings, FollowUp, Stage
from tradeinbox.store.models import Thread
from tradeinbox.users.roles import assignable_users, visible
from tradeinbox.web.views import page
from tradeinbox.worker.jobs import enqueue

PAGE_SIZE = 200
PERIODS = (4, 12, 26, 52)  # dashboard periods in weeks


def _now() -> datetime:
    return datetime.now(UTC)


def _deal(request: HttpRequest, pk: int) -> Deal:
    return get_object_or_404(Deal.objects.visible_to(request.user), pk=pk)


@require_GET
@page
def due(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("scope") == "mine"
    data = queries.due_page(request.user, _now(), mine=mine)
    token = feed_token(request.user)
    feed_url = request.build_absolute_uri(
        reverse("deals:feed", args=[request.user.pk, token.token])
    )
    return render(
        request,
        "deals/due.html",
        {"due": data, "mine": mine, "feed_url": feed_url, "nav": "deals", "tab": "due"},
    )


@require_GET
@page
def deal_list(request: HttpRequest) -> HttpResponse:
    deals = Deal.objects.visible_to(request.user).select_related("company", "person", "owner")
    stage = request.GET.get("stage", "")
    if stage == "open":
        deals = deals.open()
    elif stage in Stage.values:
        deals = deals.filter(stage=stage)
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        deals = deals.filter(
            Q(title__icontains=query)
            | Q(company__name__icontains=query)
            | Q(person__name__icontains=query)
            # Stored as canonical numbers: "PO 4500-012345" and "INV4500012345" find 4500012345.
            | Q(
                references__value__icontains=canonical_value(
                    "invoice", canonical_value("po", query)
                )
            )
        ).distinct()
    return render(
        request,
        "deals/list.html",
        {
            "deals": deals[:PAGE_SIZE],
            "stage": stage,
            "stages": Stage.choices,
            "query": query,
            "nav": "deals",
            "tab": "list",
        },
    )


@require_GET
@page
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    addresses = actions.buyer_addresses(deal)
    manager = is_manager(request.user)
    users = assignable_users(request.user) if manager else None
    form = DealForm(
        initial={
            "title": deal.title,
            "amount": deal.amount,
            "currency": deal.currency,
            "formal_address": deal.formal_address,
            "owner": str(deal.owner_id or ""),
        },
        addresses=addresses,
        users=users,
    )
    link = request.build_absolute_uri("/messages/0/").replace("/0/", "/{message_id}/")
    draft = actions.consolidation(deal, link_template=link)
    consolidation_form = (
        ConsolidationForm(
            initial={
                "to": ", ".join(draft.to),
                "cc": ", ".join(draft.cc),
                "subject": draft.subject,
                "body": draft.body,
            }
        )
        if draft
        else None
    )
    conflicts = [e for e in deal.link_evidence if e.get("rule") == "deal.link.conflict"]
    related = _conflicting_deals(request, deal, conflicts)
    return render(
        request,
        "deals/deal.html",
        {
            "deal": deal,
            "steps": queries.stage_steps(deal),
            "stage_form": StageForm(initial={"stage": deal.stage}),
            "form": form,
            "timeline": queries.deal_timeline(deal),
            "terms": queries.agreed(deal),
            "clocks": deal.clocks.select_related("message", "salesperson").order_by("received_at"),
            "followups": deal.followups.select_related("outbox").order_by("-due_at", "-id"),
            "history": deal.stage_changes.select_related("by"),
            "references": references.rows_for(deal),
            "addresses": addresses,
            "draft": draft,
            "consolidation_form": consolidation_form,
            "related": related,
            "suggested_label": dict(Stage.choices).get(deal.suggested_stage, ""),
            "manager": manager,
            "nav": "deals",
        },
    )


def _conflicting_deals(request: HttpRequest, deal: Deal, conflicts: list[dict]) -> list[Deal]:
    import re

    ids = {int(m) for e in conflicts for m in re.findall(r"deal (\d+)", e.get("detail", ""))}
    ids.discard(deal.pk)
    return list(Deal.objects.visible_to(request.user).filter(pk__in=ids))


@require_POST
@page
def deal_stage(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage from the list."))
        return redirect("deals:deal", pk=deal.pk)
    stage = form.cleaned_data["stage"]
    accepted = bool(form.cleaned_data.get("accepted")) and stage == deal.suggested_stage
    before = deal.get_stage_display()
    old_stage = deal.stage
    actions.set_stage(deal, stage, request.user, accepted=accepted)
    audit.record(
        request, "deal.stage", deal, before={"stage": old_stage}, after={"stage": deal.stage}
    )
    messages.success(
        request,
        _("Stage changed from %(before)s to %(after)s.")
        % {"before": before, "after": deal.get_stage_display()},
    )
    return redirect("deals:deal", pk=deal.pk)


@require_POST
@page
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    manager = is_manager(request.user)
    users = assignable_users(request.user) if manager else None
    form = DealForm(request.POST, addresses=actions.buyer_addresses(deal), users=users)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("deals:deal", pk=deal.pk)
    data = form.cleaned_data
    owner = None
    if manager and data.get("owner"):
        owner = get_object_or_404(assignable_users(request.user), pk=int(data["owner"]))
    actions.update_details(
        deal,
        title=data["title"],
        amount=data["amount"],
        currency=data["currency"] or "",
        formal_address=data["formal_address"] or "",
        owner=owner,
        change_owner=manager,
    )
    messages.success(request, _("Deal saved."))
    return redirect("deals:deal", pk=deal.pk)


@require_POST
@page
def deal_cadence(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    paused = request.POST.get("action") == "pause"
    actions.set_paused(deal, paused)
    messages.success(request, _("Follow-ups paused.") if paused else _("Follow-ups running again."))
    return redirect("deals:deal", pk=deal.pk)


@require_POST
@page
def followup_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    fu = get_object_or_404(
        FollowUp.objects.filter(deal__in=Deal.objects.visible_to(request.user)), pk=pk
    )
    try:
        if action == "send":
            actions.followup_send(fu, request.user)
            messages.success(request, _("The follow-up is in the outbox."))
        elif action == "done":
            actions.followup_done(fu, request.user)
            messages.success(request, _("Marked as done."))
        elif action == "cancel":
            actions.followup_cancel(fu, request.user)
            messages.success(request, _("Follow-up stopped."))
        elif action == "save":
            form = FollowUpForm(request.POST)
            if not form.is_valid():
                raise ValueError(_("Subject and text must not be empty."))
            actions.followup_save(fu, request.user, **form.cleaned_data)
            messages.success(request, _("Follow-up saved."))
        else:
            raise PermissionDenied
    except ValueError as exc:
        messages.error(request, str(exc))
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("deals:deal", pk=fu.deal_id)


@require_POST
@page
def consolidation_send(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    form = ConsolidationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("deals:deal", pk=deal.pk)
    try:
        row = actions.send_consolidation(deal, request.user, **form.cleaned_data)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("deals:deal", pk=deal.pk)
    messages.success(request, _("Sending “%(subject)s”.") % {"subject": row.subject})
    return redirect("deals:deal", pk=deal.pk)


@require_POST
@page
def deal_merge(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    try:
        other_pk = int(request.POST.get("other", ""))
    except ValueError:
        other_pk = 0
    other = _deal(request, other_pk)
    if other.pk == deal.pk:
        messages.error(request, _("A deal cannot be merged into itself."))
        return redirect("deals:deal", pk=deal.pk)
    actions.merge(deal, other, request.user)
    messages.success(request, _("The two deals are one now."))
    return redirect("deals:deal", pk=deal.pk)


@require_POST
@page
def deal_from_thread(request: HttpRequest, thread_pk: int) -> HttpResponse:
    thread = get_object_or_404(visible(request.user, Thread.objects.all()), pk=thread_pk)
    try:
        deal = actions.deal_from_thread(thread, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("thread_detail", pk=thread.pk)
    return redirect("deals:deal", pk=deal.pk)


@require_GET
@page
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        weeks = int(request.GET.get("weeks", "12"))
    except ValueError:
        weeks = 12
    weeks = weeks if weeks in PERIODS else 12
    data = queries.dashboard(request.user, _now(), weeks=weeks)
    return render(
        request,
        "deals/dashboard.html",
        {"dash": data, "weeks": weeks, "periods": PERIODS, "nav": "deals", "tab": "dashboard"},
    )


@require_http_methods(["GET", "POST"])
@page
def settings_view(request: HttpRequest) -> HttpResponse:
    row = DealSettings.load()
    manager = is_manager(request.user)
    if request.method == "POST" and not manager:
        raise PermissionDenied
    form = SettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        old = DealSettings.load()  # ``row`` already holds the new values
        before = {name: getattr(old, name, None) for name in form.changed_data}
        form.save()
        after = {name: form.cleaned_data[name] for name in form.changed_data}
        audit.record(request, "settings.deals", row, before=before, after=after)
        enqueue("deals.recompute_deadlines", {})
        messages.success(request, _("Settings saved. Waiting deadlines are being recalculated."))
        return redirect("deals:settings")
    return render(
        request,
        "deals/settings.html",
        {"form": form, "manager": manager, "nav": "deals", "tab": "settings"},
    )


@require_POST
@page
def feed_reset(request: HttpRequest) -> HttpResponse:
    feed_token(request.user, renew=True)
    messages.success(request, _("New calendar link made; the old one no longer works."))
    return redirect("deals:due")
