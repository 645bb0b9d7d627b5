"""Settings of the outbound app, from ``settings.TRADEINBOX`` first, then the environment.

| key / environment variable | default | meaning |
| --- | --- | --- |
| ``CAMPAIGN_PER_HOUR`` / ``TRADEINBOX_CAMPAIGN_PER_HOUR`` | 30 | messages per mailbox per hour (one send) |
| ``CAMPAIGN_PER_DAY`` / ``TRADEINBOX_CAMPAIGN_PER_DAY`` | 120 | messages per mailbox per 24 hours |
| ``CAMPAIGN_PER_DOMAIN_PER_HOUR`` / ``TRADEINBOX_CAMPAIGN_PER_DOMAIN_PER_HOUR`` | 10 | per recipient domain |
| ``CAMPAIGN_DOMAIN_GAP_SECONDS`` / ``TRADEINBOX_CAMPAIGN_DOMAIN_GAP_SECONDS`` | 60 | pause between two mails to one domain |
| ``PUBLIC_URL`` / ``TRADEINBOX_PUBLIC_URL`` | none | address of this app as recipients reach it (unsubscribe and opt-in links) |
| ``DNS_NAMESERVER`` / ``TRADEINBOX_DNS_NAMESERVER`` | system resolver | ``HOST:PORT`` for the domain check |
| ``DNSBL_ZONES`` / ``TRADEINBOX_DNSBL_ZONES`` | Spamhaus, SpamCop, Barracuda, PSBL | blocklists, comma separated |
| ``OPTIN_LINK_DAYS`` / ``TRADEINBOX_OPTIN_LINK_DAYS`` | 7 | how long a confirmation link works |
"""

from __future__ import annotations

import hashlib
import os

from django.conf import settings

from tradeinbox.core.pacing import Caps

_DEFAULTS = {
    "CAMPAIGN_PER_HOUR": "30",
    "CAMPAIGN_PER_DAY": "120",
    "CAMPAIGN_PER_DOMAIN_PER_HOUR": "10",
    "CAMPAIGN_DOMAIN_GAP_SECONDS": "60",
    "PUBLIC_URL": "",
    "DNS_NAMESERVER": "",
    "DNSBL_ZONES": "",
    "OPTIN_LINK_DAYS": "7",
}


def value(key: str) -> str:
    configured = (getattr(settings, "TRADEINBOX", {}) or {}).get(key)
    if configured not in (None, ""):
        return str(configured)
    return os.environ.get(f"TRADEINBOX_{key}", _DEFAULTS[key]).strip()


def _int(key: str) -> int:
    text = value(key)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"TRADEINBOX_{key} must be a whole number, not {text!r}") from None


def default_caps() -> Caps:
    return Caps(
        per_hour=_int("CAMPAIGN_PER_HOUR"),
        per_day=_int("CAMPAIGN_PER_DAY"),
        per_domain_per_hour=_int("CAMPAIGN_PER_DOMAIN_PER_HOUR"),
        domain_gap_seconds=_int("CAMPAIGN_DOMAIN_GAP_SECONDS"),
    )


def public_url() -> str:
    """The app's public base URL without a trailing slash ("" when not configured)."""
    return value("PUBLIC_URL").rstrip("/")


def nameserver() -> str:
    return value("DNS_NAMESERVER")


def dnsbl_zones() -> tuple[str, ...]:
    from tradeinbox.core.dnscheck import DEFAULT_DNSBL_ZONES

    zones = [z.strip() for z in value("DNSBL_ZONES").split(",") if z.strip()]
    return tuple(zones) or DEFAULT_DNSBL_ZONES


def optin_link_days() -> int:
    return _int("OPTIN_LINK_DAYS")


def token_secret() -> bytes:
    """Key for unsubscribe and opt-in links, derived from SECRET_KEY (kept in the data folder)."""
    return hashlib.sha256(b"tradeinbox.outbound.links\0" + settings.SECRET_KEY.encode()).digest()


def django_language(code: str) -> str:
    """Template languages ("en", "zh", "es") as Django language codes."""
    return {"zh": "zh-hans"}.get(code, code or "en")
