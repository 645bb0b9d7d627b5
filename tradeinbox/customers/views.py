"""Customer pages: list, company, person, merges, chat import, pools.

Every query goes through ``visible_to(user)``: a salesperson asking for another
salesperson's customer gets 404, exactly as for a customer that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tradeinbox import audit
from tradeinbox.core.channels import KINDS, normalise_channel
from tradeinbox.customers import services
from tradeinbox.customers.chats import ChatImportError, import_chat
from tradeinbox.customers.models import (
    Channel,
    Company,
    MergeProposal,
    Person,
    is_manager,
)
from tradeinbox.customers.queries import decision_ranking, recipients_for_thread, timeline
from tradeinbox.store.models import Thread
from tradeinbox.users import roles
from tradeinbox.web.views import page

PAGE_SIZE = 100


def _visible_person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user), pk=pk)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


@require_GET
@page
def customer_list(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "all")
    query = (request.GET.get("q") or "").strip()[:200]
    companies = Company.objects.visible_to(request.user)
    if scope == "mine":
        companies = companies.filter(owner=request.user)
    elif scope == "pool":
        companies = companies.in_pool()
    if query:
        companies = companies.filter(
            Q(name__icontains=query)
            | Q(domains__domain__icontains=query)
            | Q(people__addresses__address__icontains=query)
            | Q(people__name__icontains=query)
        ).distinct()
    companies = (
        companies.select_related("owner")
        .prefetch_related("domains")
        .annotate(people_count=Count("people", filter=Q(people__merged_into__isnull=True)))
        .order_by("-last_inbound_at", "name", "id")[:PAGE_SIZE]
    )
    open_proposals = MergeProposal.objects.filter(
        status=MergeProposal.Status.PROPOSED,
        target__in=Person.objects.visible_to(request.user),
    ).count()
    return render(
        request,
        "customers/list.html",
        {
            "companies": companies,
            "scope": scope,
            "q": "",
            "query": query,
            "open_proposals": open_proposals,
            "manager": is_manager(request.user),
            "nav": "customers",
        },
    )


@require_GET
@page
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.visible_to(request.user), pk=pk)
    people = list(
        company.people.filter(merged_into__isnull=True).prefetch_related("addresses", "channels")
    )
    ranking = decision_ranking(company)
    proposals = MergeProposal.objects.filter(
        Q(target__company=company) | Q(source__company=company)
    ).select_related("target", "source")
    users = roles.assignable_users(request.user)
    return render(
        request,
        "customers/company.html",
        {
            "company": company,
            "people": people,
            "ranking": ranking,
            "timeline": timeline(people, user=request.user),
            "proposals": proposals.filter(status=MergeProposal.Status.PROPOSED),
            "merges": proposals.filter(status=MergeProposal.Status.CONFIRMED),
            "manager": is_manager(request.user),
            "users": users,
            "nav": "customers",
        },
    )


@require_GET
@page
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    if person.merged_into_id:
        return redirect("customers:person", pk=services._resolve(person).pk)
    proposals = MergeProposal.objects.filter(Q(target=person) | Q(source=person)).select_related(
        "target", "source"
    )
    return render(
        request,
        "customers/person.html",
        {
            "person": person,
            "addresses": person.addresses.all(),
            "channels": person.channels.all(),
            "channel_kinds": KINDS,
            "timeline": timeline([person], user=request.user),
            "proposals": proposals.filter(status=MergeProposal.Status.PROPOSED),
            "merges": proposals.filter(status=MergeProposal.Status.CONFIRMED),
            "imports": person.chat_imports.order_by("-created_at"),
            "nav": "customers",
        },
    )


@require_GET
@page
def merge_list(request: HttpRequest) -> HttpResponse:
    visible = Person.objects.visible_to(request.user)
    proposals = (
        MergeProposal.objects.filter(target__in=visible, source__in=visible)
        .select_related("target", "source", "decided_by")
        .order_by("status", "-weight", "-id")[:300]
    )
    return render(request, "customers/merges.html", {"proposals": proposals, "nav": "customers"})


def _proposal_for(request: HttpRequest, pk: int) -> MergeProposal:
    visible = Person.objects.visible_to(request.user)
    return get_object_or_404(
        MergeProposal.objects.filter(target__in=visible, source__in=visible), pk=pk
    )


def _act_on_merge(request: HttpRequest, pk: int, action, success, back: str | None) -> HttpResponse:
    """Run one merge service on a visible proposal and report its outcome.

    ``success`` is a message with %(a)s/%(b)s for the two addresses; ``back`` is
    where to go afterwards (None: the surviving person's page).
    """
    proposal = _proposal_for(request, pk)
    before = {"status": proposal.status, "target": proposal.target_id, "source": proposal.source_id}
    try:
        action(proposal, request.user)
        audit.record(
            request,
            f"merge.{action.__name__.removesuffix('_merge')}",
            proposal,
            before=before,
            after={"status": proposal.status, "moved": proposal.moved},
        )
        messages.success(request, success % {"a": proposal.address_a, "b": proposal.address_b})
    except ValueError as exc:
        messages.error(request, str(exc))
    return _back(request, back or f"/customers/people/{proposal.target_id}/")


@require_POST
@page
def merge_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_merge(
        request, pk, services.confirm_merge, _("Merged: %(a)s and %(b)s are one person."), None
    )


@require_POST
@page
def merge_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_merge(request, pk, services.reject_merge, _("Kept apart."), "/customers/merges/")


@require_POST
@page
def merge_split(request: HttpRequest, pk: int) -> HttpResponse:
    return _act_on_merge(
        request,
        pk,
        services.split_merge,
        _("Split: %(a)s and %(b)s are two people again."),
        None,
    )


@require_POST
@page
def chat_upload(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a WhatsApp .txt or Telegram .json export."))
        return redirect("customers:person", pk=person.pk)
    try:
        result = import_chat(
            person,
            upload.read(),
            upload.name,
            user=request.user,
            tz=(request.POST.get("tz") or None),
            me=(request.POST.get("me") or None),
        )
    except (ChatImportError, ValueError) as exc:
        messages.error(request, _("Could not import the chat: %(e)s") % {"e": exc})
    else:
        messages.success(
            request,
            _("Imported %(n)s chat messages from %(f)s.")
            % {"n": result.message_count, "f": result.filename},
        )
    return redirect("customers:person", pk=person.pk)


@require_POST
@page
def channel_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    try:
        kind, value = normalise_channel(
            request.POST.get("kind", ""),
            request.POST.get("value", ""),
            (person.company.country if person.company else None) or None,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        Channel.objects.get_or_create(
            person=person, kind=kind, value=value, defaults={"source": "manual"}
        )
        messages.success(request, _("Channel added."))
    return redirect("customers:person", pk=person.pk)


@require_POST
@page
def channel_delete(request: HttpRequest, pk: int, channel_pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    Channel.objects.filter(person=person, pk=channel_pk).delete()
    return redirect("customers:person", pk=person.pk)


@require_POST
@page
def company_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers reassign (or release to the pool); salespeople claim from the pool or
    release their own customers."""
    company = get_object_or_404(Company.objects.visible_to(request.user), pk=pk)
    action = request.POST.get("action")
    before = {"owner": company.owner.get_username() if company.owner else None}
    if action == "assign":
        user_id = request.POST.get("owner") or ""
        if not user_id.isdigit() and user_id:
            raise PermissionDenied
        # Giving to a user needs the manager role and that user in the manager's team;
        # releasing to the pool is the "release" rule.
        roles.require(request.user, f"assign:{user_id}" if user_id else "release", company)
        owner = (
            get_object_or_404(roles.assignable_users(request.user), pk=int(user_id))
            if user_id
            else None
        )
        services.assign(company, owner)
    elif action == "claim":
        roles.require(request.user, "claim", company)
        services.assign(company, request.user)
    elif action == "release":
        roles.require(request.user, "release", company)
        services.assign(company, None)
    else:
        messages.error(request, _("Unknown action."))
        return redirect("customers:company", pk=company.pk)
    after = {"owner": company.owner.get_username() if company.owner else None}
    audit.record(request, "customer.owner", company, before=before, after=after, how=action)
    return redirect("customers:company", pk=company.pk)


@require_GET
@page
def thread_recipients(request: HttpRequest, thread_pk: int) -> HttpResponse:
    """JSON for the compose form: recommended To/Cc and warnings for a reply."""
    thread = get_object_or_404(roles.visible(request.user, Thread.objects.all()), pk=thread_pk)
    chosen = [c for c in request.GET.getlist("to") if c]
    rec = recipients_for_thread(thread.pk, chosen)
    return JsonResponse(
        {
            "to": rec.to,
            "cc": rec.cc,
            "warnings": [w.as_dict() for w in rec.warnings],
            "evidence": [e.as_dict() for e in rec.evidence],
        }
    )
