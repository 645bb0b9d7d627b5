"""Downloads: the calendar feed (secret-token URL, no sign-in), vCards and CSV files."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from tradeinbox.core.deals.exports import token_matches
from tradeinbox.customers.models import Person
from tradeinbox.deals import exporting
from tradeinbox.deals.models import Deal, FeedToken
from tradeinbox.web.views import page


def _download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body.encode("utf-8"), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def feed(request: HttpRequest, user_pk: int, token: str) -> HttpResponse:
    """The user's due replies and follow-ups as iCalendar. Calendar apps cannot sign in,
    so the URL's secret is the key: compared in constant time, and a wrong or revoked
    token is a plain 404 that says nothing about which part was wrong."""
    row = FeedToken.objects.filter(user_id=user_pk).select_related("user").first()
    if row is None or not row.user.is_active or not token_matches(token, row.token):
        raise Http404
    base = request.build_absolute_uri("/")

    def url_for(kind: str, key: str) -> str:
        if kind == "reply":
            return base.rstrip("/") + reverse("message_detail", args=[int(key)])
        return base.rstrip("/") + reverse("deals:deal", args=[int(key)])

    body = exporting.calendar_feed(
        row.user,
        datetime.now(UTC),
        url_for,
        domain=request.get_host().split(":")[0] or "tradeinbox",
    )
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _people(request: HttpRequest):
    return (
        Person.objects.visible_to(request.user)
        .active()
        .filter(addresses__is_own=False)
        .distinct()
        .select_related("company", "company__owner")
        .prefetch_related("addresses", "channels", "deals")
        .order_by("name", "id")
    )


@require_GET
@page
def people_vcf(request: HttpRequest) -> HttpResponse:
    return _download(
        exporting.people_vcards(_people(request)), "text/vcard; charset=utf-8", "contacts.vcf"
    )


@require_GET
@page
def deal_vcf(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(Deal.objects.visible_to(request.user), pk=pk)
    senders = deal.deal_messages.filter(direction="in").values_list(
        "message__from_email", flat=True
    )
    people = (
        Person.objects.visible_to(request.user)
        .active()
        .filter(addresses__address__in=[s.lower() for s in senders])
        .distinct()
        .prefetch_related("addresses", "channels")
    )
    return _download(
        exporting.people_vcards(people), "text/vcard; charset=utf-8", f"deal-{deal.pk}.vcf"
    )


@require_GET
@page
def deals_csv(request: HttpRequest) -> HttpResponse:
    deals = (
        Deal.objects.visible_to(request.user)
        .select_related("company", "person", "owner")
        .prefetch_related("references")
        .order_by("-last_message_at", "-id")
    )
    return _download(exporting.deals_rows(deals), "text/csv; charset=utf-8", "deals.csv")


@require_GET
@page
def contacts_csv(request: HttpRequest) -> HttpResponse:
    return _download(
        exporting.contacts_rows(_people(request)), "text/csv; charset=utf-8", "contacts.csv"
    )
