"""fastmatch.Anchored must give exactly what ``re`` gives, on any text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core import inquiry, inquiry_lexicon, references
from tradeinbox.core.fastmatch import Anchored, Prepared, anchors_of

# Every pattern the triage runs through Anchored, plus the lexicon's standalone ones.
PATTERNS: list[re.Pattern[str]] = [
    a.pattern
    for _, _, a in inquiry._INQUIRY_RULES + inquiry._SCAM_RULES + inquiry._NOT_INQUIRY_RULES
]
PATTERNS += [a.pattern for _, a in references._PATTERNS] + [references._PREFIXED.pattern]
PATTERNS += [v for v in vars(inquiry_lexicon).values() if isinstance(v, re.Pattern)]

# Pieces that exercise anchors: lexicon words in several cases, glued to words,
# after '_' or CJK, with digits, case-equivalent letters (ı ſ K) and İ.
PIECES = [
    "price", "Prices", "PRICING", "quote", "Quotation", "please", "kindly", "send", "us",
    "we", "I", "would", "like", "to", "buy", "order", "PO", "P/O", "po", "PI", "P.O.",
    "S/C", "sc", "LC", "L/C", "B/L", "MBL", "RFQ", "rfq-2026-001", "PO45638", "Invoice",
    "INV-77", "No.", "#", "n°", "pedido", "Bestellnummer", "Preisliste", "Großhändler",
    "preis", "Angebot", "anfrage", "cotización", "cotação", "orçamento", "询价", "报价",
    "订单号", "价格", "запрос", "цены", "коммерческое", "предложение", "طلب", "عرض سعر",
    "MSCU1234565", "container", "contract", "commande", "de", "n°", "numéro", "?", "？",
    "¿", "؟", "%", "off", "click", "here", "unsubscribe", "dear", "sir", "ı", "ſ", "K",
    "İ", "_", "-", "/", ".", ",", ":", "\n", " ", "  ", "123", "4567", "2026", "x",
    "xprice", "pricex", "www.example.com", "https://x.web.app/a", "W", "kW", "ISO 9001",
    "CE", "RoHS", "500 pcs", "20GP", "MOQ", "FOB", "sample", "samples", "wechat",
]  # fmt: skip


def _same(pattern: re.Pattern[str], text: str) -> None:
    expected = [(m.span(), m.group(0)) for m in pattern.finditer(text)]
    anchored = Anchored(pattern)
    for use_index in (True, False):
        prepared = Prepared(text, use_index=use_index)
        got = [(m.span(), m.group(0)) for m in anchored.finditer(prepared)]
        assert got == expected, (pattern.pattern[:80], text, use_index)
        first = anchored.search(prepared)
        assert (first.span() if first else None) == (expected[0][0] if expected else None)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.data())
def test_anchored_equals_re(pieces: list[str], data: st.DataObject) -> None:
    joiner = data.draw(st.sampled_from(["", " ", "\n", "_"]))
    text = joiner.join(pieces)
    for pattern in PATTERNS:
        _same(pattern, text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_anchored_equals_re_on_random_text(text: str) -> None:
    for pattern in PATTERNS[:12]:
        _same(pattern, text)


def test_most_patterns_are_anchored() -> None:
    anchored = [p for p in PATTERNS if anchors_of(p) is not None]
    assert len(anchored) >= 0.8 * len(PATTERNS)


def test_special_cases() -> None:
    cases = [
        (r"\w*preis(?:e|liste)?\b", re.I, "Großhandelspreise und PREISLISTE, brochurepreis"),
        (r"\bbrochure|\w*preis\b", re.I, "brochurepreis brochure xpreis"),
        (r"(?-i:PO)\s*\d+", re.I, "po 12 PO 13 Po 14"),
        (r"\bp/n\b", re.I, "P/N 123, p/n"),
        (r"\bprice\b", re.I, "prıce PRİCE price ſ"),
        (r"(?<![a-z])kg\b", re.I, "5 KG, 5kg, 5 \u212ag"),
        (r"(?:a|b)?c", 0, "abc c bc"),  # optional start: falls back to re
    ]
    for pattern, flags, text in cases:
        _same(re.compile(pattern, flags), text)
    assert Anchored(re.compile(r"(?:a|b)?c")).anchors is None
