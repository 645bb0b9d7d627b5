"""Sign-in rate limiting: a fixed-window counter of failed attempts.

Two counters per window (OWASP Authentication Cheat Sheet, "Login Throttling"):
failures for one user name from one address (default 10 per 15 minutes), and
failures from one address over all user names (default 50), which stops a
password-spraying client from trying many names. A blocked attempt is answered
with HTTP 429 (RFC 6585 section 4) and ``Retry-After`` before the password is
checked at all, so blocking also saves the hashing work. A successful sign-in
clears its own user-name counter.

Counters live in Django's cache (``TRADEINBOX_RATELIMIT_CACHE``, default
"default"). With several web processes that cache must be shared (database,
file or Redis cache); the per-process memory cache would multiply the limits.
The client address is ``REMOTE_ADDR``: behind a reverse proxy, the proxy must set
it (e.g. gunicorn ``--forwarded-allow-ips``), never a header a client can forge.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class LoginLimits:
    window_seconds: int = 15 * 60
    per_user_and_address: int = 10
    per_address: int = 50


def _limits() -> LoginLimits:
    configured = getattr(settings, "TRADEINBOX", {}).get("LOGIN_RATE_LIMIT") or {}
    return LoginLimits(**configured)


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class FixedWindowLimiter:
    """Counts events per key in fixed windows of ``window_seconds``."""

    def __init__(self, prefix: str, window_seconds: int, cache_alias: str | None = None) -> None:
        self.prefix = prefix
        self.window = window_seconds
        alias = cache_alias or getattr(settings, "TRADEINBOX_RATELIMIT_CACHE", "default")
        self.cache = caches[alias]

    def _key(self, key: str, now: float) -> str:
        # Hashed: user names and addresses stay out of cache keys (and any cache dump).
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"{self.prefix}:{int(now // self.window)}:{digest}"

    def count(self, key: str, now: float | None = None) -> int:
        return int(self.cache.get(self._key(key, now if now is not None else time.time()), 0))

    def hit(self, key: str, now: float | None = None) -> int:
        """Add one event; returns the count in the current window."""
        cache_key = self._key(key, now if now is not None else time.time())
        # add() is atomic where the backend is; incr() then never races a missing key.
        self.cache.add(cache_key, 0, timeout=self.window + 5)
        try:
            return int(self.cache.incr(cache_key))
        except ValueError:  # expired between add() and incr()
            self.cache.set(cache_key, 1, timeout=self.window + 5)
            return 1

    def reset(self, key: str, now: float | None = None) -> None:
        self.cache.delete(self._key(key, now if now is not None else time.time()))

    def retry_after(self, now: float | None = None) -> int:
        now = now if now is not None else time.time()
        return max(1, int(self.window - now % self.window))


def _keys(request: HttpRequest, username: str) -> tuple[str, str]:
    address = client_address(request)
    return f"{username.strip().casefold()}\0{address}", address


def login_blocked(request: HttpRequest, username: str) -> int | None:
    """Seconds to wait when this attempt must be refused, else None."""
    limits = _limits()
    pair, address = _keys(request, username)
    by_pair = FixedWindowLimiter("login-fail-user", limits.window_seconds)
    by_address = FixedWindowLimiter("login-fail-addr", limits.window_seconds)
    if (
        by_pair.count(pair) >= limits.per_user_and_address
        or by_address.count(address) >= limits.per_address
    ):
        return by_pair.retry_after()
    return None


def record_failure(request: HttpRequest, username: str) -> None:
    limits = _limits()
    pair, address = _keys(request, username)
    FixedWindowLimiter("login-fail-user", limits.window_seconds).hit(pair)
    FixedWindowLimiter("login-fail-addr", limits.window_seconds).hit(address)


def record_success(request: HttpRequest, username: str) -> None:
    limits = _limits()
    pair, _address = _keys(request, username)
    FixedWindowLimiter("login-fail-user", limits.window_seconds).reset(pair)


class LoginRateLimitMixin:
    """Put first in the bases of a ``django.contrib.auth.views.LoginView`` subclass."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")[:300]
        wait = login_blocked(request, username)
        if wait is not None:
            minutes = max(1, (wait + 59) // 60)
            messages.error(
                request,
                _(
                    "Too many failed sign-in attempts. Please wait %(minutes)d minutes "
                    "and try again."
                )
                % {"minutes": minutes},
            )
            form = self.get_form_class()(request=request)  # unbound: no password check
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        record_failure(self.request, self.request.POST.get("username", "")[:300])
        return super().form_invalid(form)

    def form_valid(self, form):
        record_success(self.request, self.request.POST.get("username", "")[:300])
        return super().form_valid(form)
