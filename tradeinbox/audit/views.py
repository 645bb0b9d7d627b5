"""The audit log page: managers and admins, filtered by who, what, object and dates.

Team managers see the entries of their team's members; admins (and managers of no
team) see everything, system entries included. Keyset pagination on
``(created_at, id)``: page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tradeinbox.audit.models import AuditEntry
from tradeinbox.store.querying import decode_cursor
from tradeinbox.users import roles
from tradeinbox.web.views import page

PAGE_SIZE = 100


def _day_start(text: str) -> datetime | None:
    day = parse_date(text or "")
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _cursor(entry: AuditEntry) -> str:
    import base64

    raw = f"a|{entry.created_at.isoformat()}|{entry.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _pretty(value) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


@require_GET
@page
@roles.role_required("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = roles.visible(request.user, AuditEntry.objects.all())
    filters = {k: (request.GET.get(k) or "").strip()[:200] for k in ("actor", "action", "object")}
    errors: list[str] = []
    if filters["actor"]:
        entries = entries.filter(actor_name=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action__startswith=filters["action"])
    if filters["object"]:
        kind, _sep, pk = filters["object"].partition(":")
        entries = entries.filter(object_type=kind.strip())
        if pk.strip():
            entries = entries.filter(object_id=pk.strip())
    dates = {k: request.GET.get(k) or "" for k in ("since", "until")}
    since, until = _day_start(dates["since"]), _day_start(dates["until"])
    if dates["since"] and since is None or dates["until"] and until is None:
        errors.append(_("Enter dates like 2026-03-31."))
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until + timedelta(days=1))
    position = decode_cursor(request.GET.get("cursor") or "")
    if position is not None:
        _direction, moment, pk = position
        entries = entries.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk))
    rows = list(entries.select_related("actor").order_by("-created_at", "-id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row.before_text, row.after_text = _pretty(row.before), _pretty(row.after)
    query = request.GET.copy()
    query.pop("cursor", None)
    if more:
        query["cursor"] = _cursor(rows[-1])
    actors = roles.assignable_users(request.user)
    return render(
        request,
        "audit/list.html",
        {
            "entries": rows,
            "next_query": query.urlencode() if more else "",
            "filters": filters,
            "dates": dates,
            "errors": errors,
            "actions": ACTION_LABELS,
            "actors": [u.get_username() for u in actors],
            "nav": "audit",
        },
    )


# The actions the app records, for the filter menu (a prefix such as "merge" also works).
ACTION_LABELS = [
    ("outbox", gettext_lazy("Sending")),
    ("merge", gettext_lazy("Merges")),
    ("customer.owner", gettext_lazy("Customer owners")),
    ("account", gettext_lazy("Mailboxes")),
    ("settings", gettext_lazy("Settings")),
    ("deal.stage", gettext_lazy("Deal stages")),
    ("role", gettext_lazy("Roles and teams")),
]
