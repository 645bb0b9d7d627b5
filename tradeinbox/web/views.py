"""Pages: the inbox list, search, threads, quarantine, sign-in and language.

Every page needs a signed-in user (:func:`page`). Pages are plain server-rendered
HTML that work without JavaScript; htmx, where loaded, only swaps parts of them.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from tradeinbox import audit
from tradeinbox.store.models import Message, Quarantine, Thread
from tradeinbox.store.querying import SearchSyntaxError, inbox_page, search_page
from tradeinbox.users import roles
from tradeinbox.users.middleware import profile_of
from tradeinbox.users.models import Profile
from tradeinbox.users.ratelimit import LoginRateLimitMixin

QUARANTINE_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 50
MAX_QUERY_LENGTH = 500
MAX_SEARCH_PAGE = 2000  # 100k results deep; beyond that, narrow the search


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for signed-in users, with dates shown in the user's own time zone."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        profile = profile_of(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(profile.time_zone or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapped


def mail_scope(request: HttpRequest):
    """Whose mail the lists show (tradeinbox.users.mailscope); None: everyone's."""
    return roles.mail_scope(request.user)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# -- inbox ---------------------------------------------------------------------------


@require_GET
@page
def inbox(request: HttpRequest) -> HttpResponse:
    size = int(settings.TRADEINBOX.get("INBOX_PAGE_SIZE", 50))
    result = inbox_page(
        request.GET.get("cursor") or None, page_size=size, scope=mail_scope(request)
    )
    context = {"page": result, "messages_list": result.messages, "nav": "inbox"}
    template = "web/_inbox_list.html" if is_htmx(request) else "web/inbox.html"
    return render(request, template, context)


# -- search --------------------------------------------------------------------------

_SYNTAX = re.compile(r"^(before|after): needs a date like [\d-]+, not (.*)$")


def search_error_text(error: SearchSyntaxError) -> str:
    """The parser's error in the user's language."""
    match = _SYNTAX.match(str(error))
    if not match:
        return _("The search could not be understood: %(detail)s") % {"detail": str(error)}
    return _("“%(operator)s:” needs a date like 2026-03-31, not %(value)s.") % {
        "operator": match.group(1),
        "value": match.group(2),
    }


@require_GET
@page
def search(request: HttpRequest) -> HttpResponse:
    query_text = (request.GET.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    try:
        page_number = min(MAX_SEARCH_PAGE, max(1, int(request.GET.get("page", "1"))))
    except ValueError:
        page_number = 1
    context: dict = {"q": query_text, "page_number": page_number, "nav": "search"}
    status = 200
    if query_text:
        try:
            result = search_page(
                query_text,
                page=page_number,
                page_size=SEARCH_PAGE_SIZE,
                scope=mail_scope(request),
            )
        except SearchSyntaxError as exc:
            context["error"] = search_error_text(exc)
            # htmx does not swap error responses; it must still show the message.
            status = 200 if is_htmx(request) else 400
        else:
            context["result"] = result
            context["hits"] = result.hits
    template = "web/_search_results.html" if is_htmx(request) else "web/search.html"
    return render(request, template, context, status=status)


# -- threads -------------------------------------------------------------------------


@require_GET
@page
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(roles.visible(request.user, Thread.objects.all()), pk=pk)
    messages = list(
        roles.visible_messages(request.user, Message.objects.filter(thread=thread))
        .prefetch_related("attachments")
        .order_by("date", "id")
    )
    return render(
        request,
        "web/thread.html",
        {"thread": thread, "thread_messages": messages, "nav": "inbox"},
    )


# -- quarantine ----------------------------------------------------------------------


@require_GET
@page
def quarantine(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, "quarantine.view")
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    start = (page_number - 1) * QUARANTINE_PAGE_SIZE
    rows = list(
        Quarantine.objects.order_by("-created_at", "-id")[start : start + QUARANTINE_PAGE_SIZE + 1]
    )
    return render(
        request,
        "web/quarantine.html",
        {
            "items": rows[:QUARANTINE_PAGE_SIZE],
            "has_next": len(rows) > QUARANTINE_PAGE_SIZE,
            "page_number": page_number,
            "nav": "quarantine",
        },
    )


# -- sign-in and language ------------------------------------------------------------


class LoginView(LoginRateLimitMixin, auth_views.LoginView):
    """Django's sign-in, which also switches to the language saved in the profile."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        profile, _created = Profile.objects.get_or_create(user=form.get_user())
        if profile.language and translation.check_for_language(profile.language):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                profile.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                httponly=False,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (cookie), remembered in the profile when signed in."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    profile = profile_of(request)
    if profile is not None and translation.check_for_language(code):
        before = {"language": profile.language}
        profile.language = code
        profile.save(update_fields=["language"])
        if before["language"] != code:
            audit.record(
                request, "settings.language", profile, before=before, after={"language": code}
            )
    return response
