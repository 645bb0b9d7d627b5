"""Order and document numbers in subjects, bodies and attachment names.

Export correspondence is held together by document numbers: the buyer's PO, our
proforma invoice (PI), the quotation, the sales contract, the bill of lading (B/L),
the letter of credit (L/C). Extracting them lets the CRM link a mail to a deal even
when the thread headers are lost (forwarded from WhatsApp, re-sent from a phone ...).

A reference is only taken when a *document keyword* announces it ("PO No.", "Invoice #",
"订单号", "pedido n.º", "Bestellnummer", "номер заказа", "رقم الفاتورة" ...), or when
the token itself carries a document prefix glued to digits ("RFQ-2026-001",
"PO45638"), or when it is an ISO 6346 container number whose check digit is valid.
Values are then vetted so that phone numbers, dates, prices, quantities, years and
ZIP codes are not returned: a bare number needs an explicit marker (No. # : № 号)
unless it is long, a year or a date never counts, and a number followed by a unit
("PO for 500 pcs") is a quantity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tradeinbox.core.fastmatch import Anchored, Prepared

__all__ = [
    "Reference",
    "extract_references",
    "extract_message_references",
    "KINDS",
    "normalise_value",
    "canonical_value",
    "display_value",
]


@dataclass(frozen=True, slots=True)
class Reference:
    """One document number.

    ``kind`` is one of :data:`KINDS`; ``value`` the number as written (trimmed);
    ``span`` the ``(start, end)`` of the value in the searched string (the text, or the
    attachment's file name); ``source`` is ``"text"``, ``"subject"``, ``"body"`` or
    ``"attachment:<file name>"``.
    """

    kind: str
    value: str
    span: tuple[int, int]
    source: str

    @property
    def key(self) -> tuple[str, str]:
        """Identity for de-duplication and linking: kind + :func:`canonical_value`."""
        return self.kind, canonical_value(self.kind, self.value)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


def normalise_value(value: str) -> str:
    """``"q-2026/17"`` -> ``"Q202617"``: how two spellings of one number compare (spacing,
    punctuation and case dropped; full-width forms such as "ＰＯ４５" folded by NFKC)."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", value)).upper()


# Letters that only *label* a number of their kind. A buyer's PO is its ERP number, an L/C
# number the bank's, an invoice number the accounting system's: people write "PO 4500012345",
# "PO#4500012345", "PO4500012345" and "PO_4500012345.pdf" for one PO. RFQ, RFP, quotation,
# PI and contract numbers are issued as schemes whose letters belong to the number
# ("RFQ-2026-001", "QT-2026-0187", "PI-BW261024-01") and are copied whole, so they keep them.
_LABEL = {"po": "PO", "order": "PO", "lc": "LC", "invoice": "INV"}
_LABEL_WRITTEN = {
    "po": re.compile(r"^(?:P\s?[/.]?\s?O\.?)[\s#:_.\-]*(?=\d)", re.IGNORECASE),
    "lc": re.compile(r"^(?:L\s?/?\s?C)[\s#:_.\-]*(?=\d)", re.IGNORECASE),
    "invoice": re.compile(r"^INV[\s#:_.\-]*(?=\d)", re.IGNORECASE),
}
_LABEL_WRITTEN["order"] = _LABEL_WRITTEN["po"]


def canonical_value(kind: str, value: str) -> str:
    """The number a reference of ``kind`` stands for: :func:`normalise_value`, and for PO /
    order, L/C and invoice numbers without the label letters glued in front of the digits
    (``("po", "PO-4500012345")`` -> ``"4500012345"``; ``("rfq", "RFQ-2026-001")`` ->
    ``"RFQ2026001"``)."""
    v = normalise_value(value)
    label = _LABEL.get(kind)
    if label and v.startswith(label) and v[len(label) : len(label) + 1].isdigit():
        return v[len(label) :]
    return v


def display_value(kind: str, value: str) -> str:
    """``value`` as written, without a label that repeats the kind shown next to it
    (``("po", "PO_4500012345")`` -> ``"4500012345"``)."""
    rx = _LABEL_WRITTEN.get(kind)
    return rx.sub("", value, count=1) if rx else value


# --- keywords ---------------------------------------------------------------------------
# Each kind lists keyword regexes (compiled case-insensitively). ``(?-i:...)`` keeps
# acronyms case-sensitive: "PO"/"PI"/"BL" in capitals are document codes, "po"/"pi"/"bl"
# in lower case are mostly words or noise. ``MARKED`` keywords contain their own
# number word ("Bestellnummer", "订单号") so a bare value after them is enough.

_K = dict[str, list[str]]
KEYWORDS: _K = {
    "pi": [
        r"pro[\s-]?forma(?:\s+invoice)?",
        r"(?-i:P\s?/\s?I|PI)",
        r"factura\s+pro[\s-]?forma",
        r"fatura\s+pro[\s-]?forma",
        r"facture\s+pro[\s-]?forma",
        r"Proformarechnung",
        r"形式发票",
        r"проформ[аы](?:-инвойс)?",
    ],
    "po": [
        r"purchase\s+order",
        r"(?-i:P\s?/\s?O|P\.O\.?|PO)(?!\s*\.?\s*box)",
        r"orden\s+de\s+compra",
        r"ordem\s+de\s+compra",
        r"bon\s+de\s+commande",
        r"Bestellung",
        r"采购订单",
        r"заказ[а-я]*\s+на\s+закупку",
        r"أمر\s+(?:ال)?شراء",
    ],
    "rfq": [
        r"(?-i:RFQ)",
        r"request\s+for\s+quot(?:ation|e)",
        r"solicitud\s+de\s+cotizaci[oó]n",
        r"solicitud\s+de\s+oferta",
        r"pedido\s+de\s+cota[cç][aã]o",
        r"demande\s+de\s+(?:prix|devis|cotation)",
        r"Anfrage",
        r"询价单?",
        r"запрос(?:а)?\s+(?:цен[ыа]?|котировок|предложени[яй])",
        r"طلب\s+عرض\s+(?:ال)?سعر",
    ],
    "rfp": [
        r"(?-i:RFP)",
        r"request\s+for\s+proposals?",
        r"tender",
        r"licitaci[oó]n",
        r"licita[cç][aã]o",
        r"edital",
        r"appel\s+d'offres",
        r"Ausschreibung",
        r"招标",
        r"тендер[аеу]?",
        r"مناقصة",
    ],
    "quotation": [
        r"quotation",
        r"quote",
        r"offer",
        r"cotizaci[oó]n",
        r"oferta",
        r"cota[cç][aã]o",
        r"or[cç]amento",
        r"devis",
        r"offre",
        r"Angebot",
        r"报价单?",
        r"коммерческо(?:е|го)\s+предложени[ея]",
        r"(?-i:КП)",
        r"عرض\s+(?:ال)?سعر",
    ],
    "invoice": [
        r"commercial\s+invoice",
        r"invoice",
        r"(?-i:INV)",
        r"factura",
        r"fatura",
        r"facture",
        r"Rechnung",
        r"发票",
        r"сч[её]т(?:а|у|ом|е)?(?:-фактур[аыуе])?",
        r"فاتورة",
    ],
    "contract": [
        r"sales\s+contract",
        r"contract",
        r"(?-i:S\s?/\s?C)",
        r"contrato",
        r"contrat",
        r"Vertrag",
        r"合同",
        r"договор(?:а|у|ом|е)?",
        r"عقد",
    ],
    "bl": [
        r"bill\s+of\s+lading",
        r"(?-i:[MH]?B\s?/\s?L|[MH]?BL|MBL|HBL)",
        r"conocimiento\s+de\s+embarque",
        r"conhecimento\s+de\s+embarque",
        r"connaissement",
        r"Konnossement",
        r"提单",
        r"коносамент[а]?",
        r"بوليصة\s+(?:ال)?شحن",
    ],
    "lc": [r"letter\s+of\s+credit", r"(?-i:L\s?/\s?C|LC)", r"信用证", r"аккредитив[а]?"],
    "sample": [r"sample\s+order", r"样品单", r"muestra", r"amostra", r"échantillon", r"Muster"],
    "order": [
        r"sales\s+order",
        r"order",
        r"pedido",
        r"commande",
        r"Auftrag",
        r"订单",
        r"заказ(?:а|у|ом|е)?",
        r"طلب(?:ية)?",
    ],
    "booking": [r"booking", r"订舱"],
    "container": [r"container", r"集装箱", r"柜", r"контейнер[а]?"],
}
KINDS = tuple(KEYWORDS)

# Keywords that already contain the number word.
MARKED: _K = {
    "po": [r"Bestell(?:nummer|[\s-]?Nr\.?)", r"采购订单号", r"номер\s+заказа\s+на\s+закупку"],
    "order": [
        r"订单号(?:码)?",
        r"Auftragsnummer",
        r"Auftrags?[\s-]?Nr\.?",
        r"n(?:[°º]|o\.?|uméro)\s*de\s+commande",
        r"n(?:[úu]mero|\.?\s?[°º])\s*de(?:l)?\s+pedido",
        r"pedido\s+n\.?\s?[°ºo]\.?",
        r"номер\s+заказа",
        r"رقم\s+(?:ال)?طلب(?:ية)?",
    ],
    "quotation": [
        r"报价单号",
        r"报价编号",
        r"Angebotsnummer",
        r"Angebots?[\s-]?Nr\.?",
        r"номер\s+(?:коммерческого\s+)?предложения",
    ],
    "rfq": [r"询价单号", r"询价编号", r"Anfragenummer", r"Anfrage[\s-]?Nr\.?"],
    "invoice": [
        r"发票号(?:码)?",
        r"Rechnungsnummer",
        r"Rechnungs?[\s-]?Nr\.?",
        r"номер\s+сч[её]та",
        r"رقم\s+(?:ال)?فاتورة",
    ],
    "contract": [
        r"合同号",
        r"合同编号",
        r"Vertragsnummer",
        r"номер\s+договора",
        r"رقم\s+(?:ال)?عقد",
    ],
    "pi": [r"形式发票号"],
    "bl": [r"提单号"],
    "lc": [r"信用证号"],
    "booking": [r"订舱号", r"booking\s+ref(?:erence)?"],
    "container": [r"柜号", r"箱号", r"集装箱号"],
    "rfp": [r"招标编号", r"招标号"],
    "sample": [r"样品单号"],
}

# A number word after the keyword ("No.", "#", "n.º", "№", "号", "رقم" ...).
_MARKER = (
    r"(?:no\b\.?|nos\b\.?|nr\b\.?|num\b\.?|number\b|ref\b\.?|reference\b|#|№|"
    r"n\.?\s?[°º]\.?|nº|n°|núm\.?|número\b|numero\b|nummer\b|номер\b|رقم|号码|号|编号)"
)
# Value: starts with an alphanumeric, may contain - / . _ inside, must hold a digit.
_VALUE = r"(?P<value>[A-Za-z0-9](?:[A-Za-z0-9]|[-/._](?=[A-Za-z0-9])){1,39})"

_UNIT_AFTER = re.compile(
    r"\s*(?:pcs?\b|pieces?\b|units?\b|sets?\b|pairs?\b|nos\b|tons?\b|tonnes?\b|mt\b|kgs?\b|"
    r"m\b|meters?\b|metres?\b|rolls?\b|cartons?\b|ctns?\b|boxes\b|containers?\b|x\s?\d|"
    r"w\b|kw\b|mw\b|v\b|mm\b|cm\b|%|uds?\b|unidades\b|piezas\b|peças\b|Stück\b|stk\b|шт|"
    r"件|个|套|台|米|吨|只|片|قطعة|طن)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥]|usd|eur|rmb|cny|us\$)\s*$", re.IGNORECASE)
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DATE = re.compile(
    rf"^(?:{_MONTH}[-/]\d{{2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|"
    rf"{_MONTH}[-/.]\d{{4}}|\d{{4}}[-/.]{_MONTH})$"
)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_PRICE = re.compile(r"^\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?$|^\d+[.,]\d{1,2}$")
# Measurements and standards look like numbers with letters but are not documents.
_MEASURE = re.compile(
    r"^\d+(?:[.,]\d+)?(?:w|kw|kwh|wp|mw|mwp|v|a|ah|mah|mm|cm|m|km|kg|g|gsm|mt|hq|gp|ft|"
    r"k|d|mpa|bar|psi|hz|lm|pcs|x\d+)$",
    re.IGNORECASE,
)
_STANDARD = re.compile(
    r"^(?:ISO|IEC|EN|DIN|ASTM|ANSI|UL|GB|IP|IK|DN|PN|NSF|LM|TM|BS|JIS|API|CE|SS|AISI|SUS)[-\s]?\d",
    re.IGNORECASE,
)
# 1-402-597-4111, 415-873-2700, 0351-7654321: numeric groups that add up to a phone number.
_PHONE_SHAPE = re.compile(r"^(?:\d{1,4}[-.]){2,4}\d{2,4}$|^\d{3,5}-\d{6,8}$")
_TIME = re.compile(r"^\d{1,2}[.:]\d{2}$")
# An acronym glued to its number is itself the reference: "RFQ-2026-001", "PO45638".
_PREFIXED = Anchored(
    r"(?<![A-Za-z0-9\-/.+=])(?P<value>(?P<prefix>RFQ|RFP|PO|PI|INV|QUO|QTN|SC|BL|LC)"
    r"(?:[-#]?)(?=\d)[0-9](?:[A-Za-z0-9]|[-/.](?=[A-Za-z0-9])){2,30})(?![A-Za-z0-9])"
)
_HAS_DIGIT = re.compile(r"\d")
_PREFIX_KIND = {
    "RFQ": "rfq",
    "RFP": "rfp",
    "PO": "po",
    "PI": "pi",
    "INV": "invoice",
    "QUO": "quotation",
    "QTN": "quotation",
    "SC": "contract",
    "BL": "bl",
    "LC": "lc",
}
_CONTAINER = re.compile(r"(?<![A-Za-z0-9])(?P<value>[A-Z]{3}[UJZ]\s?\d{6}\s?\d)(?![A-Za-z0-9])")


# Letters that make a keyword part of a longer word. CJK is left out on purpose: Chinese
# has no spaces, so "您的订单号" must still find "订单号".
_WORDCHAR = r"[A-Za-z0-9\u00c0-\u024f\u0400-\u04ff\u0600-\u06ff]"


def _alternation(patterns: Iterable[str]) -> str:
    # Longest first so "purchase order" wins over "order", "proforma invoice" over "invoice".
    return "|".join(sorted(patterns, key=len, reverse=True))


def _build() -> list[tuple[str, Anchored]]:
    # Anchored: the same regexes, only tried where a keyword occurs (fastmatch).
    compiled: list[tuple[str, Anchored]] = []
    for kind, patterns in MARKED.items():
        rx = rf"(?<!{_WORDCHAR})(?P<kw>{_alternation(patterns)})\s*(?:{_MARKER}\s*)?[:：.\-]?\s*{_VALUE}"
        compiled.append((kind, Anchored(re.compile(rx, re.IGNORECASE))))
    for kind, patterns in KEYWORDS.items():
        rx = (
            rf"(?<!{_WORDCHAR}|/)(?P<kw>{_alternation(patterns)})(?!{_WORDCHAR}|/)"
            rf"(?P<sep>\s*(?P<mark>{_MARKER})?\s*(?P<colon>[:：])?\s*)"
            rf"{_VALUE}"
        )
        compiled.append((kind, Anchored(re.compile(rx, re.IGNORECASE))))
    return compiled


_PATTERNS = _build()


def _container_check_digit_ok(code: str) -> bool:
    """ISO 6346 check digit: letters map to 10..38 skipping multiples of 11."""
    code = code.replace(" ", "")
    values: dict[str, int] = {}
    n = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        values[letter] = n
        n += 1
    total = 0
    for i, ch in enumerate(code[:10]):
        v = values[ch] if ch.isalpha() else int(ch)
        total += v * (2**i)
    return (total % 11) % 10 == int(code[10])


def _value_ok(value: str, text: str, start: int, end: int, marked: bool, strong: bool) -> bool:
    """Vet a candidate value; ``marked``: an explicit number marker preceded it."""
    if not any(c.isdigit() for c in value):
        return False
    if sum(c.islower() for c in value) >= 2:
        return False  # "to1-415-..." (a glued word), base64 noise: document codes are upper-case
    if _PHONE_SHAPE.match(value):
        return False
    digits = sum(c.isdigit() for c in value)
    if _DATE.match(value) or _TIME.match(value) or _PRICE.match(value):
        return False
    if _YEAR.match(value) or _MEASURE.match(value) or _STANDARD.match(value):
        return False
    if value.isdigit() and len(value) > 14:
        return False  # bank accounts, IBAN bodies, tracking barcodes
    if _UNIT_AFTER.match(text, end):
        return False
    if _CURRENCY_BEFORE.search(text[max(0, start - 6) : start]):
        return False
    if value.isdigit():
        # Bare numbers: after an unambiguous acronym ("PO 781") 3+ digits will do; after a
        # word with a marker ("Order No. 4471") 4+; after a plain word ("order 500") 5+.
        if strong:
            return len(value) >= 3
        if marked:
            return len(value) >= 4
        return len(value) >= 5
    if len(value) < 3:
        return False
    # Mixed letters and digits ("Q-2026-17", "HD20260301"). After a plain word ("quote
    # DN100", "offer VFFS-420") such tokens are usually model numbers, so without a marker
    # it must look like a document number: 4+ digits and a separator or some length.
    if strong:
        return digits >= 2 or len(value) >= 5
    if marked:
        # "Order No. 637-A", "contract no. 9ME3", "Section No. 12": short numbers after a
        # plain word are as often regulations, items or sections as business documents.
        return digits >= 4
    return digits >= 4 and (any(c in "-/._" for c in value) or len(value) >= 6)


_STRONG_ACRONYMS = re.compile(
    r"^(?:P\s?/\s?[OI]|PO|PI|RFQ|RFP|INV|[MH]?B\s?/\s?L|[MH]?BL|L\s?/\s?C|S\s?/\s?C)$"
)


def _find(text: str, source: str) -> list[Reference]:
    found: list[Reference] = []
    if not _HAS_DIGIT.search(text):
        return found  # every reference value holds a digit
    prepared = Prepared(text)
    taken: list[tuple[int, int]] = []

    def overlaps(a: int, b: int) -> bool:
        return any(a < y and x < b for x, y in taken)

    def add(kind: str, value: str, start: int, end: int) -> None:
        if overlaps(start, end):
            return
        taken.append((start, end))
        found.append(Reference(kind, value, (start, end), source))

    for index, (kind, pattern) in enumerate(_PATTERNS):
        is_marked_keyword = index < len(MARKED)
        for m in pattern.finditer(prepared):
            value = m.group("value")
            start, end = m.start("value"), m.end("value")
            marked = is_marked_keyword or bool(
                m.groupdict().get("mark") or m.groupdict().get("colon")
            )
            keyword = m.group("kw")
            strong = bool(_STRONG_ACRONYMS.match(keyword.strip()))
            sep = m.groupdict().get("sep")
            if sep is not None and not sep and not strong:
                continue  # a word glued to a number ("Order123") is not a keyword use
            if sep and len(sep) > 4 and not marked:
                continue  # "this offer          24344": a tracking number set apart
            if kind == "container":
                code = value.replace(" ", "")
                if not (re.fullmatch(r"[A-Z]{4}\d{7}", code) and _container_check_digit_ok(code)):
                    continue
            if not _value_ok(value, text, start, end, marked, strong):
                continue
            add(kind, value, start, end)

    for m in _PREFIXED.finditer(prepared):
        value = m.group("value")
        # 4+ digits: "LC126A", "PO3" are form or model codes more often than documents.
        if sum(c.isdigit() for c in value) < 4 or _DATE.match(value[len(m.group("prefix")) :]):
            continue
        if sum(c.islower() for c in value) >= 2:
            continue
        if _UNIT_AFTER.match(text, m.end()):
            continue
        add(_PREFIX_KIND[m.group("prefix")], value, m.start("value"), m.end("value"))

    for m in _CONTAINER.finditer(text):
        code = m.group("value").replace(" ", "")
        if _container_check_digit_ok(code):
            add("container", m.group("value"), m.start("value"), m.end("value"))
    found.sort(key=lambda r: r.span)
    return found


def _filename_text(name: str) -> str:
    # In file names "_" and "+" separate words ("PO_7781.pdf", "Invoice_INV-001.pdf");
    # keep the same length so spans stay valid, and drop the extension's dot.
    stem = name
    for _ in range(2):  # "PO45638.Xls.htm": double extensions are common in lures
        stem = re.sub(r"\.[A-Za-z][A-Za-z0-9]{1,4}\s*$", lambda m: " " * len(m.group(0)), stem)
    return stem.replace("_", " ").replace("+", " ")


def extract_references(text: str, *, attachment_names: Iterable[str] = ()) -> list[Reference]:
    """All document numbers in ``text`` and in the attachment file names.

    Duplicates (same kind, same value up to separators and case) are returned once,
    the first occurrence winning; text references come before attachment ones.
    """
    results: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for ref in _find(text or "", "text"):
        if ref.key not in seen:
            seen.add(ref.key)
            results.append(ref)
    for name in attachment_names:
        if not name:
            continue
        for ref in _find(_filename_text(name), f"attachment:{name}"):
            ref = Reference(ref.kind, name[ref.span[0] : ref.span[1]], ref.span, ref.source)
            if ref.key not in seen:
                seen.add(ref.key)
                results.append(ref)
    return results


_LAST_SPLIT: tuple[str, Any] | None = None


def reply_parts(body: str) -> Any:
    """:func:`tradeinbox.core.quotes.split_reply` of ``body``, remembered for the last body.

    Inquiry detection, grading and reference extraction all need the new text of the
    same message; splitting it once saves a good share of the time per message.
    """
    global _LAST_SPLIT
    last = _LAST_SPLIT
    if last is not None and last[0] is body:
        return last[1]
    from tradeinbox.core.quotes import split_reply

    parts = split_reply(body)
    _LAST_SPLIT = (body, parts)
    return parts


def extract_message_references(msg: object) -> list[Reference]:
    """References of a :class:`~tradeinbox.core.message.ParsedMessage`: subject, new body
    text (quoted history is skipped: its numbers belong to older mails) and attachments."""
    subject = getattr(msg, "subject", "") or ""
    body = getattr(msg, "text", "") or ""
    new_text = reply_parts(body).new_text if body else ""
    results: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for source, text in (("subject", subject), ("body", new_text)):
        for ref in _find(text, source):
            if ref.key not in seen:
                seen.add(ref.key)
                results.append(ref)
    names = [a.filename for a in getattr(msg, "attachments", []) or []]
    for ref in extract_references("", attachment_names=names):
        if ref.key not in seen:
            seen.add(ref.key)
            results.append(ref)
    return results
