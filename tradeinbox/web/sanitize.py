"""Making a message's HTML safe to show.

Mail HTML is hostile input: scripts, event handlers, forms that phish for
passwords, ``<meta refresh>`` redirects, ``<base>`` hijacking, and above all
remote images whose only job is to tell the sender that (and when, and where)
the mail was opened. Three layers keep it harmless:

1. :func:`sanitise_html` (nh3/ammonia, an allow-list parser) keeps a formatting
   subset and drops everything else; remote images lose their ``src`` unless
   the user asked to see them; ``cid:`` images point at our own attachment URL.
2. The sanitised document is served from its own URL with a strict
   Content-Security-Policy (:func:`body_csp`): no script at all, images only
   from our origin (plus http/https once allowed), no fonts, no forms.
3. It is shown in an ``<iframe sandbox>`` without ``allow-scripts``.

Each layer alone would stop a script; together they also stop tracking pixels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins",
        "kbd", "li", "main", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
        "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

# Removed together with their content: code, styling we cannot vet, embedded
# documents, and the document head (its <title> would otherwise show as text).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "title", "noscript", "template", "object", "embed", "applet",
        "iframe", "frame", "frameset", "noframes", "svg", "math", "head", "xml",
    }
)  # fmt: skip

_GENERIC_ATTRIBUTES = {"align", "valign", "dir", "lang", "title", "width", "height", "style",
                       "bgcolor"}  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "frame", "rules", "summary"},
    "td": {"colspan", "rowspan", "nowrap", "abbr", "headers", "scope"},
    "th": {"colspan", "rowspan", "nowrap", "abbr", "headers", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"face", "size", "color"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "time": {"datetime"},
    "hr": {"noshade", "size"},
    "details": {"open"},
}

# CSS properties that format text and tables. Nothing here takes a URL
# (background-image, list-style-image, border-image, content, cursor, filter are
# left out) and nothing can lift content out of its box (position, z-index).
ALLOWED_CSS_PROPERTIES = frozenset(
    {
        "background-color", "border", "border-bottom", "border-bottom-color",
        "border-bottom-style", "border-bottom-width", "border-collapse", "border-color",
        "border-left", "border-left-color", "border-left-style", "border-left-width",
        "border-radius", "border-right", "border-right-color", "border-right-style",
        "border-right-width", "border-spacing", "border-style", "border-top",
        "border-top-color", "border-top-style", "border-top-width", "border-width",
        "caption-side", "clear", "color", "direction", "display", "float", "font",
        "font-family", "font-size", "font-style", "font-variant", "font-weight", "height",
        "letter-spacing", "line-height", "list-style-position", "list-style-type",
        "margin", "margin-bottom", "margin-left", "margin-right", "margin-top",
        "max-height", "max-width", "min-height", "min-width", "overflow-wrap", "padding",
        "padding-bottom", "padding-left", "padding-right", "padding-top", "table-layout",
        "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
        "white-space", "width", "word-break", "word-spacing", "word-wrap",
    }
)  # fmt: skip

# Raster formats browsers decode without running anything, safe to show inline
# (judged on the sniffed type). SVG is not here: it is a document that can script.
SAFE_INLINE_IMAGES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
# A declaration that could fetch something or hide a keyword behind a CSS escape.
_RISKY_CSS = re.compile(r"url\s*\(|image-set|expression|@import|\\|javascript:", re.I)
_REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
_ABSOLUTE = re.compile(r"^\s*(https?://|mailto:|tel:)", re.I)


@dataclass
class SanitisedHtml:
    """The safe HTML and what was held back from it."""

    html: str
    blocked_remote_images: int = 0
    inline_images: list[str] = field(default_factory=list)


def _clean_style(value: str) -> str | None:
    kept = [d.strip() for d in value.split(";") if d.strip() and not _RISKY_CSS.search(d)]
    return "; ".join(kept) or None


def sanitise_html(
    html: str,
    *,
    allow_remote_images: bool = False,
    cid_url: Callable[[str], str] | None = None,
) -> SanitisedHtml:
    """The message HTML reduced to a safe formatting subset.

    ``cid_url(content_id)`` gives the URL of an inline (``cid:``, RFC 2392)
    image; without it such images are dropped. Remote images keep their ``src``
    only with ``allow_remote_images``; otherwise their number is reported so the
    page can offer to show them.
    """
    result = SanitisedHtml(html="")

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "style":
            return _clean_style(value)
        if tag == "img" and attribute == "src":
            if value[:4].lower() == "cid:":
                content_id = value[4:].strip().strip("<>")
                if cid_url is None or not content_id:
                    return None
                result.inline_images.append(content_id)
                return cid_url(content_id)
            if _REMOTE.match(value):
                if allow_remote_images:
                    return value
                result.blocked_remote_images += 1
            return None
        if tag == "a" and attribute == "href" and not _ABSOLUTE.match(value):
            # A relative link would point into tradeinbox itself; ammonia has
            # already removed schemes outside LINK_SCHEMES.
            return None
        return value

    result.html = nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=set(LINK_SCHEMES),
        filter_style_properties=set(ALLOWED_CSS_PROPERTIES),
        # Relative URLs are refused in attribute_filter, which runs first and
        # must be able to emit our own relative cid: image URLs.
        url_relative="pass_through",
    )
    return result


def body_csp(allow_remote_images: bool) -> str:
    """The Content-Security-Policy of the sanitised message document.

    ``sandbox`` repeats the iframe's own sandbox, so the document stays
    script-less even when someone opens its URL directly.
    """
    images = "'self' https: http:" if allow_remote_images else "'self'"
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; "
        "font-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
        "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
    )


BODY_STYLE = (
    "html{color-scheme:light}"
    "body{margin:0;padding:16px;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1f2933;"
    "background:#fff;overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}table{max-width:100%}"
    "pre{white-space:pre-wrap}blockquote{margin:0 0 0 .8em;padding-left:.8em;"
    "border-left:3px solid #cbd2d9;color:#52606d}"
    "a{color:#1d4ed8}"
)


def body_document(safe_html: str, language: str = "") -> str:
    """A complete HTML document around already-sanitised HTML."""
    lang = f' lang="{quote(language, safe="-")}"' if language else ""
    return (
        f'<!DOCTYPE html><html{lang}><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{BODY_STYLE}</style></head><body>{safe_html}</body></html>"
    )
