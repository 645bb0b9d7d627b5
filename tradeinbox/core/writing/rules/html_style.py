"""HTML formatting: too many font sizes, tiny or huge body text, mixed alignment.

A sales mail that looks like a ransom note (three sizes, centred and left-aligned text
mixed) looks unprofessional, and body text under 10px is unreadable on a phone. Text
inside the quoted history (``<blockquote>``, Gmail/Outlook quote containers) and headings
are not counted. Sizes are compared in CSS pixels (1pt = 4/3 px, 1em = 16px); the limit
for large body text is 15px so that Outlook's default 11pt (14.67px) passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

MIN_PX = 10.0
MAX_PX = 15.0
_FONT_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(px|pt|em|rem|%)?", re.I)
_NAMED = {
    "xx-small": 9,
    "x-small": 10,
    "small": 13,
    "medium": 16,
    "large": 18,
    "x-large": 24,
    "xx-large": 32,
}
_FONT_KEYWORD = re.compile(r"font-size\s*:\s*(" + "|".join(_NAMED) + r")\b", re.I)
_ALIGN = re.compile(r"text-align\s*:\s*(left|right|center|justify|start|end)", re.I)
_FONT_TAG_SIZES = {1: 10, 2: 13, 3: 16, 4: 18, 5: 24, 6: 32, 7: 48}
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_QUOTE_CLASS = re.compile(
    r"gmail_quote|yahoo_quoted|moz-cite-prefix|divRplyFwdMsg|OLK_SRC_BODY_SECTION", re.I
)
_SKIP_TAGS = {"style", "script", "head", "title", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}


def _px(value: str, unit: str | None) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    unit = (unit or "px").lower()
    return {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0, "%": 0.16}[unit] * number


class _Styles(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, float | None, str | None, bool]] = []
        self.sizes: dict[float, int] = {}
        self.aligns: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        attr = {k.lower(): (v or "") for k, v in attrs}
        size = self.stack[-1][1] if self.stack else None
        align = self.stack[-1][2] if self.stack else None
        skip = (self.stack[-1][3] if self.stack else False) or tag in _SKIP_TAGS
        if _QUOTE_CLASS.search(attr.get("class", "") + " " + attr.get("id", "")):
            skip = True
        style = attr.get("style", "")
        m = _FONT_SIZE.search(style)
        if m:
            size = _px(m.group(1), m.group(2)) or size
        else:
            k = _FONT_KEYWORD.search(style)
            if k:
                size = float(_NAMED[k.group(1).lower()])
        if tag == "font" and attr.get("size", "").strip().lstrip("+-").isdigit():
            n = int(attr["size"].strip().lstrip("+-"))
            size = float(_FONT_TAG_SIZES.get(max(1, min(7, n)), 16))
        a = _ALIGN.search(style)
        if a:
            align = {"start": "left", "end": "right"}.get(a.group(1).lower(), a.group(1).lower())
        elif attr.get("align", "").lower() in ("left", "right", "center", "justify"):
            align = attr["align"].lower()
        elif tag == "center":
            align = "center"
        self.stack.append((tag, size, align, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not data.strip() or (self.stack and self.stack[-1][3]):
            return
        size = self.stack[-1][1] if self.stack else None
        align = (self.stack[-1][2] if self.stack else None) or "left"
        weight = len(data.strip())
        if size is not None:
            key = round(size, 1)
            self.sizes[key] = self.sizes.get(key, 0) + weight
        self.aligns[align] = self.aligns.get(align, 0) + weight


def analyse_html(html: str) -> tuple[dict[float, int], dict[str, int]]:
    """``(sizes, alignments)``: characters of visible body text per font size / alignment."""
    parser = _Styles()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed HTML: report what was read so far
        pass
    return parser.sizes, parser.aligns


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    if not draft.body_html:
        return
    sizes, aligns = analyse_html(draft.body_html)
    # Ignore sizes used for only a few characters (a footnote, a single symbol).
    used = sorted(size for size, chars in sizes.items() if chars >= 5)
    if len(used) > 2:
        yield Finding(
            "html.font_sizes",
            "warning",
            None,
            None,
            tr(
                "The mail uses %(count)d font sizes (%(sizes)s).",
                count=len(used),
                sizes=", ".join(f"{s:g}px" for s in used),
            ),
            tr("Use one size for body text (and at most one more for headings)."),
            where="html",
        )
    small = [s for s in used if s < MIN_PX]
    large = [s for s in used if s > MAX_PX]
    if small:
        yield Finding(
            "html.font_small",
            "warning",
            None,
            None,
            tr("Body text at %(size)gpx is hard to read, especially on a phone.", size=small[0]),
            tr("Use 10-14px (e.g. 13px or 10pt-11pt) for body text."),
            where="html",
        )
    if large:
        yield Finding(
            "html.font_large",
            "warning",
            None,
            None,
            tr("Body text at %(size)gpx looks like shouting or an advertisement.", size=large[-1]),
            tr("Use 10-14px (e.g. 13px or 10pt-11pt) for body text."),
            where="html",
        )
    real = {a: n for a, n in aligns.items() if n >= 10}
    if len(real) > 1:
        yield Finding(
            "html.mixed_alignment",
            "warning",
            None,
            None,
            tr("Text alignment is mixed (%(aligns)s).", aligns=", ".join(sorted(real))),
            tr("Align all body text to the left."),
            where="html",
        )
