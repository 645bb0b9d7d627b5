"""Consent for bulk mail: signed links, who may be mailed, RFC 8058 one-click unsubscribe.

Pure functions over plain dataclasses; the outbound app stores the facts and calls these.

* :func:`sign_token` / :func:`read_token` make the links in confirmation and campaign mail.
  A token is ``base64url(payload|issued).base64url(HMAC-SHA256)`` with a *purpose* mixed
  into the MAC, so an unsubscribe token can never be replayed as an opt-in confirmation.
  Links work without signing in; the secret never leaves the server.
* :func:`eligibility` decides whether one address may receive one campaign: a confirmed,
  not withdrawn consent for the campaign's list and no suppression (unsubscribed,
  hard-bounced, complained, manual) that covers the list. Every "no" says why.
* :func:`unsubscribe_headers` and :func:`is_one_click` implement RFC 8058: the
  ``List-Unsubscribe`` HTTPS URI (RFC 2369) plus ``List-Unsubscribe-Post:
  List-Unsubscribe=One-Click``; the receiver POSTs exactly that body to the URI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from tradeinbox.core.evidence import Evidence

#: Consent states (one row per address and list).
PENDING, CONFIRMED, WITHDRAWN = "pending", "confirmed", "withdrawn"
#: Suppression reasons.
UNSUBSCRIBED, HARD_BOUNCE, COMPLAINT, MANUAL, SOFT_BOUNCES = (
    "unsubscribed",
    "hard_bounce",
    "complaint",
    "manual",
    "repeated_soft_bounce",
)
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"  # RFC 8058 §3.1
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


class BadToken(ValueError):
    """The link was altered, made for something else, or is too old."""


def normalise_address(address: str) -> str:
    """Lower-case and trim; raise ValueError for anything that is not one plain address."""
    value = (address or "").strip().strip("<>").strip().lower()
    if not _ADDRESS.match(value) or len(value) > 320:
        raise ValueError(f"\u201c{address.strip()}\u201d is not an email address")
    return value


def mask_address(address: str) -> str:
    """``ana.lopez@buyer.example`` -> ``a***z@buyer.example`` (shown on public pages)."""
    local, _, domain = address.partition("@")
    if len(local) <= 2:
        return f"{local[:1]}***@{domain}"
    return f"{local[0]}***{local[-1]}@{domain}"


# -- signed links -----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, body: bytes) -> bytes:
    # 128 bits of HMAC-SHA256 is far beyond guessing range and keeps URLs short.
    return hmac.new(secret, purpose.encode() + b"\0" + body, hashlib.sha256).digest()[:16]


def sign_token(secret: bytes, purpose: str, payload: str, *, issued: datetime | None = None) -> str:
    """A URL-safe token carrying ``payload`` (no "|"), valid only for ``purpose``."""
    if "|" in payload:
        raise ValueError("payload must not contain '|'")
    when = int((issued or datetime.now(UTC)).timestamp())
    body = f"{payload}|{when}".encode()
    return f"{_b64(body)}.{_b64(_mac(secret, purpose, body))}"


def read_token(
    secret: bytes,
    purpose: str,
    token: str,
    *,
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """The payload of a token made by :func:`sign_token`; :class:`BadToken` otherwise."""
    try:
        body_part, mac_part = token.strip().split(".", 1)
        body = _unb64(body_part)
        mac = _unb64(mac_part)
    except (ValueError, TypeError):
        raise BadToken("the link is incomplete or damaged") from None
    if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        raise BadToken("the link is not valid (altered, or made for something else)")
    payload, _, issued = body.decode("utf-8", "replace").rpartition("|")
    if max_age is not None:
        age = (now or datetime.now(UTC)).timestamp() - int(issued)
        if age > max_age.total_seconds():
            raise BadToken("the link has expired")
    return payload


# -- who may receive a campaign -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """The stored consent of one address for one list."""

    status: str  # PENDING | CONFIRMED | WITHDRAWN
    how: str = ""
    confirmed_at: datetime | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SuppressionFacts:
    """One suppression entry; ``list_key`` None means every list."""

    reason: str
    list_key: int | None = None
    since: datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    send: bool
    reason: str  # "ok" | "no_consent" | "consent_pending" | "consent_withdrawn" | a suppression
    evidence: list[Evidence] = field(default_factory=list)


def eligibility(
    address: str,
    *,
    list_key: int,
    consent: ConsentFacts | None,
    suppressions: list[SuppressionFacts] = (),
) -> Verdict:
    """May ``address`` receive a campaign of list ``list_key``? Suppression wins over consent."""
    for item in suppressions:
        if item.list_key is None or item.list_key == list_key:
            scope = "every list" if item.list_key is None else "this list"
            since = f" since {item.since:%Y-%m-%d}" if item.since else ""
            detail = f"{address} is suppressed for {scope} ({item.reason}{since})"
            if item.detail:
                detail += f": {item.detail[:200]}"
            return Verdict(
                False, item.reason, [Evidence(f"suppressed.{item.reason}", -1.0, detail)]
            )
    if consent is None:
        return Verdict(
            False,
            "no_consent",
            [Evidence("consent.none", -1.0, f"{address} never agreed to receive this list")],
        )
    if consent.status == PENDING:
        return Verdict(
            False,
            "consent_pending",
            [Evidence("consent.pending", -1.0, f"{address} has not confirmed the opt-in link yet")],
        )
    if consent.status == WITHDRAWN:
        when = f" on {consent.withdrawn_at:%Y-%m-%d}" if consent.withdrawn_at else ""
        return Verdict(
            False,
            "consent_withdrawn",
            [Evidence("consent.withdrawn", -1.0, f"{address} withdrew consent{when}")],
        )
    when = f" on {consent.confirmed_at:%Y-%m-%d}" if consent.confirmed_at else ""
    how = f" ({consent.how})" if consent.how else ""
    return Verdict(
        True, "ok", [Evidence("consent.confirmed", 1.0, f"{address} confirmed{when}{how}")]
    )


# -- RFC 8058 -------------------------------------------------------------------------


def unsubscribe_headers(https_url: str) -> list[tuple[str, str]]:
    """The two header fields of RFC 8058 §3.1 for a one-click unsubscribe ``https_url``.

    RFC 8058 asks for an HTTPS URI; a plain http URL (a test server) is kept as given.
    The URI must identify the recipient and list on its own (the POST carries no cookie).
    """
    if not re.match(r"^https?://[^\s<>]+$", https_url):
        raise ValueError(f"not an http(s) URL: {https_url!r}")
    return [
        ("List-Unsubscribe", f"<{https_url}>"),
        ("List-Unsubscribe-Post", ONE_CLICK_BODY),
    ]


def is_one_click(content_type: str, body: bytes) -> bool:
    """True for the RFC 8058 POST body, urlencoded or multipart/form-data (§3.2)."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if len(body) > 4096:
        return False
    if ctype in ("application/x-www-form-urlencoded", ""):
        try:
            fields = parse_qsl(body.decode("ascii"), keep_blank_values=True)
        except UnicodeDecodeError:
            return False
        return ("List-Unsubscribe", "One-Click") in fields
    if ctype == "multipart/form-data":
        flat = re.sub(rb"\s+", b" ", body)
        return b'name="List-Unsubscribe"' in flat and b" One-Click " in flat + b" "
    return False
