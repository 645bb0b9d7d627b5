"""Per-user language and time zone, and the role policy for role-only pages.

``UserPreferencesMiddleware`` applies the language and time zone saved in the user's
profile to every request (after sign-in is known, so it wins over the language cookie
LocaleMiddleware read): the same person sees the same language on every device.

``RolePolicyMiddleware`` refuses (403) pages listed in :data:`URL_POLICY` to users
without the role; views of every app stay free of role checks for these pages, and
the role matrix test reads the same table.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from fnmatch import fnmatchcase

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from tradeinbox.users import roles
from tradeinbox.users.models import Profile

# (URL name pattern, action needed; None: no role check). First match wins.
URL_POLICY: list[tuple[str, str | None]] = [
    ("outbound:unsubscribe", None),  # public: recipients of a campaign, no sign-in
    ("outbound:confirm", None),
    ("outbound:subscribe", None),
    ("outbound:dkim*", "settings.security"),
    ("outbound:*", "settings.organisation"),
    ("audit:*", "audit.view"),
    ("quarantine", "quarantine.view"),
]


def policy_for(view_name: str) -> str | None:
    for pattern, action in URL_POLICY:
        if fnmatchcase(view_name, pattern):
            return action
    return None


def profile_of(request: HttpRequest) -> Profile | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(request, "_tradeinbox_profile", None)
    if cached is None:
        cached, _created = Profile.objects.get_or_create(user=user)
        request._tradeinbox_profile = cached
    return cached


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        profile = profile_of(request)
        if profile is not None:
            language = profile.language
            if language and translation.check_for_language(language):
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(profile.time_zone or settings.TIME_ZONE))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class RolePolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return None  # anonymous: the view's own sign-in check redirects
        action = policy_for(match.view_name)
        if action is not None and not roles.can(user, action):
            raise PermissionDenied
        return None


def role_context(request: HttpRequest) -> dict:
    """Template context: the user's role and which role-only pages to link to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": roles.role_of(user),
        "nav_can": {
            "audit": roles.can(user, "audit.view"),
            "quarantine": roles.can(user, "quarantine.view"),
            "outbound": roles.can(user, "settings.organisation"),
        },
    }
