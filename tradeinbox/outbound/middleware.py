"""CSRF exemption for RFC 8058 one-click unsubscribe, and nothing else.

A mail provider (Gmail, Yahoo ...) unsubscribes a reader by POSTing the body
``List-Unsubscribe=One-Click`` to the List-Unsubscribe URL, with no cookie and no CSRF
token (RFC 8058 §3.2). The URL holds a signed token naming the consent, so knowing the
URL is the authorisation; a forged cross-site POST could do nothing the URL holder
cannot do anyway. Every other POST to that view (the button on the unsubscribe page)
and every other view keep Django's CSRF check. No view is marked ``csrf_exempt``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tradeinbox.core.consent import is_one_click


class OneClickUnsubscribeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if request.method != "POST" or not getattr(view_func, "accepts_one_click", False):
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if 0 < length <= 4096 and is_one_click(request.content_type or "", request.body):
            request.one_click = True
            request._dont_enforce_csrf_checks = True  # honoured by CsrfViewMiddleware
        return None
