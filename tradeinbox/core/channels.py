"""Normalise messenger and phone channels so the same contact is stored once.

``+86 138-0013-8000``, ``0086 13800138000`` and ``wa.me/8613800138000`` are one WhatsApp
number; ``t.me/Anna_Buyer`` and ``@anna_buyer`` one Telegram account. Phones become E.164
(ITU-T E.164 via ``phonenumbers``); handles lose URL prefixes and case where the service
ignores case (Telegram, Skype, VK); LinkedIn profiles become one canonical URL.
"""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["KINDS", "normalise_channel"]

KINDS = ("phone", "mobile", "whatsapp", "wechat", "telegram", "vk", "skype", "linkedin")
_PHONE_KINDS = {"phone", "mobile", "whatsapp"}


def _phone(value: str, region: str | None) -> str | None:
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:api\.)?(?:wa\.me|whatsapp\.com/send\?phone=)/?", "+", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or not region:
        text = "+" + digits if digits else text
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_channel(kind: str, value: str, region: str | None = None) -> tuple[str, str]:
    """``(kind, normalised value)``. Raises ValueError for values that cannot be a channel."""
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown channel kind {kind!r}")
    value = (value or "").strip()
    if not value:
        raise ValueError("empty value")
    if kind in _PHONE_KINDS:
        phone = _phone(value, region)
        if phone is None:
            raise ValueError(f"not a phone number: {value!r}")
        return kind, phone
    if kind == "telegram":
        handle = re.sub(r"^(?:https?://)?(?:t|telegram)\.me/", "", value).lstrip("@")
        if re.fullmatch(r"\+?\d[\d\s-]{6,}", handle):
            phone = _phone(handle, region)
            if phone:
                return kind, phone
        if not re.fullmatch(r"[A-Za-z0-9_]{3,64}", handle):
            raise ValueError(f"not a Telegram username: {value!r}")
        return kind, "@" + handle.lower()
    if kind == "vk":
        handle = re.sub(r"^(?:https?://)?(?:m\.)?vk\.com/", "", value).strip("/@")
        if not re.fullmatch(r"[A-Za-z0-9_.]{2,64}", handle):
            raise ValueError(f"not a VK id: {value!r}")
        return kind, "vk.com/" + handle.lower()
    if kind == "linkedin":
        m = re.search(r"linkedin\.com/(in|company|pub)/([^/?#\s]+)", value, re.I)
        if m:
            return kind, f"https://www.linkedin.com/{m.group(1).lower()}/{m.group(2).lower()}"
        if re.fullmatch(r"[A-Za-z0-9-]{3,100}", value):
            return kind, f"https://www.linkedin.com/in/{value.lower()}"
        raise ValueError(f"not a LinkedIn profile: {value!r}")
    if kind == "skype":
        handle = re.sub(r"^skype:", "", value, flags=re.I).split("?")[0].strip()
        if not re.fullmatch(r"(?:live:)?[A-Za-z0-9_.,:@-]{3,64}", handle):
            raise ValueError(f"not a Skype name: {value!r}")
        return kind, handle.lower()
    # WeChat IDs are case-sensitive ASCII (6-20) or a phone number.
    handle = value.lstrip("@")
    if re.fullmatch(r"\+?[\d\s-]{7,}", handle):
        phone = _phone(handle, region)
        if phone:
            return kind, phone
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{3,40}", handle):
        raise ValueError(f"not a WeChat ID: {value!r}")
    return kind, handle
