"""Filters that show the domain layer's stored English texts in the reader's language.

``{{ item.detail|domain_text }}``: a DNS check detail, a cadence reason, stage evidence
(see :mod:`tradeinbox.web.domain_text`); ``{{ e.rule|rule_title }}``: an evidence rule's title.
"""

from __future__ import annotations

from django import template

from tradeinbox.web.domain_text import rule_title as _rule_title
from tradeinbox.web.domain_text import translate_stored

register = template.Library()


@register.filter
def domain_text(text: str) -> str:
    return translate_stored(text) if isinstance(text, str) else text


@register.filter
def rule_title(rule: str) -> str:
    return _rule_title(str(rule or ""))
