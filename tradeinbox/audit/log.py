"""Writing audit entries: who (a request, a user, or None for the system), what, where.

``who`` may be a request (actor, IP and user agent come from it) or a user; for a user
the request being handled, if any, still supplies the IP and user agent (the
middleware keeps it in a context variable), so a call deep in a service function
records where the click came from. Worker actions have no request: IP stays empty.
"""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from tradeinbox.audit.models import AuditEntry

_current: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "tradeinbox_audit_request", default=None
)


class AuditContextMiddleware:
    """Remember the request being handled, for entries recorded with only a user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind ``TRUSTED_PROXIES`` reverse proxies (each appends
    the address it saw to X-Forwarded-For) it is the entry that many from the end;
    without proxies the header is ignored (a client could write anything there)."""
    hops = int(getattr(settings, "TRADEINBOX", {}).get("TRUSTED_PROXIES", 0) or 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if hops > 0:
        chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        chain = [p for p in chain if p]
        if len(chain) >= hops:
            candidate = chain[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _identify(obj: Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    return obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200]


def record(
    who,
    action: str,
    obj: Model | None = None,
    *,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    **details,
) -> AuditEntry:
    """Write one entry. Extra keyword ``details`` go into ``after`` (JSON)."""
    request = who if isinstance(who, HttpRequest) else _current.get()
    user = who.user if isinstance(who, HttpRequest) else who
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    object_type, object_id, label = _identify(obj)
    if details:
        after = {**(after or {}), **details}
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=(summary or label)[:2000],
        before=before,
        after=after,
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
    )
