"""Plain text from an HTML body, for search, snippets and text rules.

This is not a sanitiser (the web view uses nh3 for that); it only has to be fast
and keep the words and line breaks a person would read.
"""

from __future__ import annotations

import html
import re

_DROP = re.compile(r"<(script|style|head|title|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BREAK = re.compile(
    r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|p|li|tr|h[1-6]|blockquote|/blockquote)\b[^>]*>", re.I
)
_CELL = re.compile(r"<\s*/t[dh]\s*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\u00a0\u200b\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def html_to_text(markup: str) -> str:
    """Visible text of ``markup`` with paragraph breaks kept."""
    if not markup:
        return ""
    text = _COMMENT.sub(" ", markup)
    text = _DROP.sub(" ", text)
    text = _BREAK.sub("\n", text)
    text = _CELL.sub("\t", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()
