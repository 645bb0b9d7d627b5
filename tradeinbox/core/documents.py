"""Quotation and proforma-invoice PDFs (WeasyPrint) from a cost sheet.

The HTML template is rendered by a Jinja2 *sandboxed* environment with autoescaping, so
text from a cost sheet (buyer names, notes ...) can neither run template code nor inject
markup. WeasyPrint gets a URL fetcher that only serves ``data:`` URIs: the logo is read by
us from the sheet's folder and embedded, and nothing else is ever fetched.

Labels come from ``data/document_labels.json`` (en, zh, es). Numbers and dates are
formatted per language with Babel. Seller-only figures (costs, margins) never reach the
template; bank details appear only here, never in the JSON output.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import mimetypes
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import Sheet, SheetError
from tradeinbox.core.quotation import negotiation_rule, quote

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "documents"
LANGS = ("en", "zh", "es")
KINDS = ("quotation", "proforma")
DEFAULT_PATTERNS = {"quotation": "Q-{yyyy}-{seq:4}", "proforma": "PI-{yyyy}-{seq:4}"}
BABEL_LOCALE = {"en": "en_US", "zh": "zh_Hans_CN", "es": "es_ES"}
_TOKEN = re.compile(r"\{(yyyy|yy|mm|dd|seq)(?::(\d))?\}")


@cache
def labels(lang: str) -> dict[str, str]:
    data = json.loads((HERE / "data" / "document_labels.json").read_text(encoding="utf-8"))
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}")
    return data[lang]


def document_number(pattern: str, seq: int, date: dt.date) -> str:
    """Expand a numbering pattern: {yyyy} {yy} {mm} {dd} {seq} {seq:N} (zero-padded to N).

    Deliberately not ``str.format``: a pattern from a user file must not reach Python
    attribute lookups (``{0.__class__}``). Any other brace is an error.
    """

    def repl(m: re.Match[str]) -> str:
        name, width = m.group(1), int(m.group(2) or 0)
        value = {"yyyy": f"{date.year:04d}", "yy": f"{date.year % 100:02d}",
                 "mm": f"{date.month:02d}", "dd": f"{date.day:02d}"}.get(name)  # fmt: skip
        return value if value is not None else str(seq).zfill(width)

    out = _TOKEN.sub(repl, pattern)
    if "{" in out or "}" in out:
        raise SheetError(f"number pattern '{pattern}': unknown token (use yyyy yy mm dd seq)")
    return out


def localized(value, lang: str) -> str:
    """A sheet text that is a plain string or a {lang: text} map (falls back to en)."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _fmt_amount(value: str | Decimal, lang: str) -> str:
    from babel.numbers import format_decimal

    d = Decimal(str(value))
    places = max(-d.as_tuple().exponent, 0)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(d, format=pattern, locale=BABEL_LOCALE[lang], decimal_quantization=False)


def _fmt_date(date: dt.date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(date, format="long", locale=BABEL_LOCALE[lang])


def _logo_uri(path_text: str | None, base_dir: Path | None) -> str:
    if not path_text:
        return ""
    if path_text.startswith("data:"):
        return _checked_data_uri(path_text)
    path = Path(path_text)
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if not path.is_file():
        raise SheetError(f"seller.logo: file not found: {path}")
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime not in ("image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"):
        raise SheetError(f"seller.logo: unsupported image type '{mime or path.suffix}'")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


_DATA_URI = re.compile(r"data:(image/(?:svg\+xml|png|jpeg|gif|webp));base64,([A-Za-z0-9+/=]+)")


def _checked_data_uri(uri: str) -> str:
    """A logo given inline (the web app keeps logos in its blob store, not as files)."""
    m = _DATA_URI.fullmatch(uri.strip())
    if m is None:
        raise SheetError("seller.logo: a data URI must be base64 SVG, PNG, JPEG, GIF or WebP")
    try:
        base64.b64decode(m.group(2), validate=True)
    except ValueError as exc:
        raise SheetError("seller.logo: the data URI is not valid base64") from exc
    return uri.strip()


def context(sheet: Sheet, *, kind: str = "quotation", lang: str = "en", rule: str | None = None,
            base_dir: Path | None = None, data: dict | None = None) -> dict:  # fmt: skip
    """Everything the template shows, already localised and formatted."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    L = labels(lang)
    data = data or quote(sheet)
    raw = sheet.raw
    doc = raw.get("document") or {}
    rule = incoterms.normalise(rule or doc.get("incoterm") or negotiation_rule(sheet))
    if rule not in data["incoterms"]:
        raise SheetError(f"incoterm {rule} is not in the sheet's incoterms list")
    date = dt.date.fromisoformat(str(doc.get("date") or dt.datetime.now(dt.UTC).date()))
    patterns = doc.get("number_pattern") or {}
    pattern = patterns.get(kind) if isinstance(patterns, dict) else patterns
    number = document_number(pattern or DEFAULT_PATTERNS[kind], int(doc.get("sequence", 1)), date)
    valid_days = int(doc.get("valid_days", 30))
    seller, buyer = raw.get("seller") or {}, raw.get("buyer") or {}
    products = {p.sku: p for p in sheet.products}
    block = data["incoterms"][rule]
    lines = [{
        "sku": ln["sku"], "description": localized(products[ln["sku"]].description, lang),
        "hs_code": products[ln["sku"]].hs_code, "quantity": _fmt_amount(str(ln["quantity"]), lang),
        "unit": ln["unit"], "unit_price": _fmt_amount(ln["unit_price"], lang),
        "amount": _fmt_amount(ln["amount"], lang),
    } for ln in block["lines"]]  # fmt: skip
    tiers, alternatives = [], None
    if kind == "quotation":
        for sku, rows in data["tiers"].items():
            tiers += [{"sku": sku, "quantity": _fmt_amount(str(r["quantity"]), lang),
                       "price": _fmt_amount(r["unit_prices"][rule], lang)} for r in rows]  # fmt: skip
        others = [r for r in data["incoterms"] if r != rule]
        if others:
            alternatives = {
                "rules": others,
                "places": [data["incoterms"][r]["named_place"] for r in others],
                "rows": [{"sku": ln["sku"], "prices": [
                    _fmt_amount(data["incoterms"][r]["lines"][i]["unit_price"], lang) for r in others
                ]} for i, ln in enumerate(block["lines"])],
            }  # fmt: skip
    bank_keys = ("beneficiary", "bank_name", "bank_address", "account", "swift")
    bank = [(k, localized((raw.get("bank") or {}).get(k), lang)) for k in bank_keys
            if (raw.get("bank") or {}).get(k)]  # fmt: skip
    return {
        "L": L, "html_lang": {"zh": "zh-Hans"}.get(lang, lang), "kind": kind,
        "title": L[kind], "number": number, "date": _fmt_date(date, lang),
        "valid_until": _fmt_date(date + dt.timedelta(days=valid_days), lang) if valid_days else "",
        "rule": rule, "named_place": block["named_place"], "currency": data["currency"],
        "seller": {
            "name": localized(seller.get("name"), lang),
            "name_local": localized((seller.get("name_i18n") or {}).get(lang), lang),
            "address": [localized(a, lang) for a in seller.get("address") or []],
            "contact": " · ".join(str(seller[k]) for k in ("phone", "email", "website") if seller.get(k)),
            "tax_id": seller.get("tax_id", ""),
        },
        "buyer": {"name": localized(buyer.get("name"), lang), "contact": buyer.get("contact", ""),
                  "address": [localized(a, lang) for a in buyer.get("address") or []],
                  "email": buyer.get("email", ""), "tax_id": buyer.get("tax_id", "")},
        "logo": _logo_uri(seller.get("logo"), base_dir),
        "lines": lines, "total": _fmt_amount(block["total"], lang),
        "tiers": tiers, "alternatives": alternatives,
        "payment_terms": localized(doc.get("payment_terms"), lang),
        "lead_time": localized(doc.get("lead_time"), lang),
        "notes": localized(doc.get("notes"), lang),
        "insurance": block.get("insurance_cover", ""),
        "bank": bank, "rounding": data["rounding"],
    }  # fmt: skip


@cache
def _environment():
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined
    )


def render_html(ctx: dict) -> str:
    return _environment().get_template("document.html").render(**ctx)


def _css_string(text: str) -> str:
    """Text safe inside a CSS double-quoted string (no quotes, backslashes, newlines)."""
    return re.sub(r'["\\\n\r<>]', "", text)


def _data_only_fetcher():
    """A WeasyPrint URL fetcher that serves inline ``data:`` URIs only, never files or the
    network (WeasyPrint >= 70 has ``URLFetcher(allowed_protocols=...)``; older ones take a
    plain function)."""
    import weasyprint.urls as urls

    if hasattr(urls, "URLFetcher"):
        return urls.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args, **kwargs):  # WeasyPrint < 70
        if not url.startswith("data:"):
            raise ValueError(f"external resource refused: {url[:80]}")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def render_pdf(sheet: Sheet, *, kind: str = "quotation", lang: str = "en", rule: str | None = None,
               base_dir: Path | None = None, data: dict | None = None) -> bytes:  # fmt: skip
    """Render the quotation or proforma invoice as PDF bytes."""
    from weasyprint import CSS, HTML

    ctx = context(sheet, kind=kind, lang=lang, rule=rule, base_dir=base_dir, data=data)
    L = ctx["L"]
    box = 'font-size: 7.5pt; color: #667; white-space: nowrap; font-family: "Noto Sans CJK SC"'
    number = _css_string(ctx["number"])
    page = (f'"{_css_string(L["page"])} " counter(page) " {_css_string(L["of"])} " '
            f'counter(pages) " {_css_string(L["page_suffix"])}"')  # fmt: skip
    footer = (f"@page {{ @bottom-left {{ content: \"{number}\"; {box} }} "
              f"@bottom-right {{ content: {page}; {box} }} }}")  # fmt: skip
    stylesheets = [CSS(string=(TEMPLATES / "document.css").read_text(encoding="utf-8")),
                   CSS(string=footer)]  # fmt: skip
    html = HTML(string=render_html(ctx), url_fetcher=_data_only_fetcher(), base_url=str(TEMPLATES))
    return html.write_pdf(stylesheets=stylesheets)
