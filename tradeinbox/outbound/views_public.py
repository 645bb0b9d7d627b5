"""Pages for recipients, without signing in: unsubscribe, confirm a subscription, sign up.

* ``/outbound/unsubscribe/<token>/`` - GET shows a button (link scanners that open every
  URL in a mail must not unsubscribe anyone); the button POSTs with a CSRF token. A POST
  with the RFC 8058 body ``List-Unsubscribe=One-Click`` unsubscribes at once: that is the
  request Gmail or Yahoo send for their own "Unsubscribe" button (no cookie, no CSRF
  token; see :mod:`tradeinbox.outbound.middleware`).
* ``/outbound/confirm/<token>/`` - double opt-in: GET shows a button, POST confirms and
  records when, from which IP and browser.
* ``/outbound/subscribe/<slug>/`` - the public sign-up form of a list that allows it,
  rate limited per client address; the answer never reveals whether an address is known.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tradeinbox.core.consent import BadToken, mask_address
from tradeinbox.outbound import consent as consent_service
from tradeinbox.outbound.forms import SubscribeForm
from tradeinbox.outbound.models import NewsletterList
from tradeinbox.users.ratelimit import FixedWindowLimiter, client_address

SIGNUPS_PER_HOUR = 20  # per client address


def _problem(request: HttpRequest, text: str, status: int = 400) -> HttpResponse:
    return render(
        request,
        "outbound/public_message.html",
        {"title": _("Link not valid"), "text": text},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        consent, recipient = consent_service.read_unsubscribe(token)
    except (BadToken, ValueError, ObjectDoesNotExist):
        return _problem(
            request,
            _(
                "This unsubscribe link is not valid. If you keep receiving mail, reply to it and ask to be removed."
            ),
        )
    if request.method == "POST":
        one_click = getattr(request, "one_click", False)
        consent_service.withdraw(
            consent,
            how="one-click (RFC 8058)" if one_click else "unsubscribe page",
            evidence={
                "ip": client_address(request)[:64],
                "user_agent": request.headers.get("User-Agent", "")[:300],
            },
            recipient=recipient,
        )
        if one_click:
            return HttpResponse("unsubscribed\n", content_type="text/plain; charset=utf-8")
        return render(
            request,
            "outbound/unsubscribe.html",
            {"consent": consent, "done": True, "masked": mask_address(consent.address)},
        )
    return render(
        request,
        "outbound/unsubscribe.html",
        {
            "consent": consent,
            "done": consent.status == consent.Status.WITHDRAWN,
            "masked": mask_address(consent.address),
        },
    )


unsubscribe.accepts_one_click = True  # read by OneClickUnsubscribeMiddleware


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        consent = consent_service.read_confirm(token)
    except BadToken as exc:
        return _problem(
            request,
            _("This confirmation link is not valid (%(why)s). Please sign up again.")
            % {"why": str(exc)},
        )
    except (ValueError, ObjectDoesNotExist):
        return _problem(request, _("This confirmation link is not valid. Please sign up again."))
    if consent.status == consent.Status.WITHDRAWN:
        # An old link must not undo an unsubscribe; only a new sign-up can.
        return _problem(request, _("This confirmation link is not valid. Please sign up again."))
    done = consent.status == consent.Status.CONFIRMED
    if request.method == "POST" and not done:
        consent_service.confirm(
            consent,
            ip=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        done = True
    return render(
        request,
        "outbound/confirm.html",
        {"consent": consent, "done": done, "masked": mask_address(consent.address)},
    )


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = get_object_or_404(NewsletterList, slug=slug, public_signup=True)
    form = SubscribeForm(request.POST or None)
    sent = False
    status = 200
    if request.method == "POST":
        limiter = FixedWindowLimiter("newsletter-signup", 3600)
        if limiter.hit(client_address(request)) > SIGNUPS_PER_HOUR:
            form.add_error(None, _("Too many sign-ups from your network. Please try again later."))
            status = 429
        elif form.is_valid():
            consent_service.request_signup(
                newsletter,
                form.cleaned_data["address"],
                how="public sign-up form",
                evidence=f"IP {client_address(request)}; {request.headers.get('User-Agent', '')[:200]}",
                link_base=request.build_absolute_uri("/").rstrip("/"),
            )
            sent = True
        else:
            status = 400
    return render(
        request,
        "outbound/subscribe.html",
        {"newsletter": newsletter, "form": form, "sent": sent},
        status=status,
    )
