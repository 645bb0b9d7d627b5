"""Translatable texts of the domain layer, without tying the core to Django.

Core functions write user-facing sentences (lint findings, send-time reasons, DNS check
details ...) as ``tr("... %(name)s ...", name=value)``: the English text is the message id
and ``%(name)s`` placeholders are filled *after* translation, so a translator can move them.

By default the translator is the identity, so the CLI and plain-Python callers get English.
The web app installs Django's ``gettext`` in an ``AppConfig.ready()``; texts computed during
a request then come out in the user's active language. ``tr_noop`` only marks a literal for
extraction (``makemessages`` is run with ``--keyword=tr --keyword=tr_noop``) where the text is
translated later, e.g. a label kept in a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Translator = Callable[[str], str]


def _identity(message: str) -> str:
    return message


_translator: Translator = _identity
# Set while computing texts that are stored (worker jobs, a request saving a deal's cadence):
# rows keep English, the form the display-time filter maps back to a message id.
_english: ContextVar[bool] = ContextVar("tradeinbox_core_i18n_english", default=False)


def install_translator(fn: Translator | None) -> Translator:
    """Use ``fn`` for every later :func:`tr` (``None``: back to English); returns the old one."""
    global _translator
    previous = _translator
    _translator = fn or _identity
    return previous


def tr(message: str, /, **params: Any) -> str:
    """``message`` translated by the installed translator, then ``%``-formatted with ``params``.

    A translation whose placeholders do not fit ``params`` (a translator's typo) must not
    break a page: the English text is used instead.
    """
    translated = message if _english.get() else str(_translator(message))
    if not params:
        return translated
    try:
        return translated % params
    except (KeyError, ValueError, TypeError):
        return message % params


def tr_noop(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


@contextmanager
def english() -> Iterator[None]:
    """Inside this block :func:`tr` gives English whatever language is active."""
    token = _english.set(True)
    try:
        yield
    finally:
        _english.reset(token)
