"""Template filters for showing mail: addresses, compact dates, file types, money."""

from __future__ import annotations

import functools
from datetime import datetime

from django import template
from django.contrib.staticfiles import finders
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.html import format_html

from tradeinbox.web.sanitize import SAFE_INLINE_IMAGES

register = template.Library()


@register.filter
def address(pair: list[str] | tuple[str, str] | None) -> str:
    """``["Li Wei", "li@x.cn"]`` -> ``Li Wei <li@x.cn>`` (escaped by the template)."""
    if not pair:
        return ""
    name, email = (list(pair) + ["", ""])[:2]
    if name and email and name.strip().lower() != email.lower():
        return f"{name} <{email}>"
    return email or name


@register.filter
def address_list(pairs: list[list[str]] | None) -> str:
    return ", ".join(address(pair) for pair in pairs or [] if pair)


@register.filter
def short_date(moment: datetime | None) -> str:
    """Time for today, day and month this year, the full date before that."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    now = timezone.localtime()
    if local.date() == now.date():
        return date_filter(local, "TIME_FORMAT")
    if local.year == now.year:
        return date_filter(local, "MONTH_DAY_FORMAT")
    return date_filter(local, "SHORT_DATE_FORMAT")


@register.filter
def money(amount, currency: str = "") -> str:
    """An amount in the reader's language (babel): ``US$12,345.50`` in English and
    Chinese, ``12.345,50 US$`` in Spanish; without an ISO currency, just the number."""
    if amount is None or amount == "":
        return ""
    from babel.numbers import format_currency, format_decimal

    locale = translation.to_locale(translation.get_language() or "en")
    try:
        if currency and len(currency) == 3 and currency.isalpha():
            return format_currency(amount, currency.upper(), locale=locale)
        return format_decimal(amount, locale=locale)
    except (ValueError, TypeError, ArithmeticError):
        return f"{currency} {amount}".strip()


@register.filter
def type_label(content_type: str) -> str:
    """``application/pdf`` -> ``PDF``; a short badge for the attachment list."""
    sub = (content_type or "").partition("/")[2]
    known = {
        "pdf": "PDF",
        "jpeg": "JPG",
        "png": "PNG",
        "gif": "GIF",
        "webp": "WEBP",
        "zip": "ZIP",
        "plain": "TXT",
        "html": "HTML",
        "rfc822": "EML",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
        "vnd.ms-excel": "XLS",
        "vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
        "msword": "DOC",
        "vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
        "x-rar-compressed": "RAR",
        "vnd.rar": "RAR",
        "x-7z-compressed": "7Z",
    }
    return known.get(sub, sub.split(".")[-1].upper()[:5] or "FILE")


@functools.cache
def _static_available(path: str) -> bool:
    return bool(finders.find(path))


@register.simple_tag
def vendor_script(path: str) -> str:
    """A deferred ``<script>`` for an installed static library, or nothing.

    htmx comes from a Python package (``django-js-lib-htmx``); when it is not
    installed the pages still work, so we leave the tag out instead of
    requesting a file that is not there.
    """
    if not _static_available(path):
        return ""
    return format_html('<script src="{}" defer></script>', static(path))


@register.filter
def is_safe_image(content_type: str) -> bool:
    """Whether an attachment of this (sniffed) type may be previewed inline."""
    return content_type in SAFE_INLINE_IMAGES
