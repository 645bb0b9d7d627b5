"""One number of one kind is one reference; one number under two kinds is linked as one.

The demo deal page listed "PO 4500012345", "PO PO4500012345" and "INVOICE 4500012345".
"""

from __future__ import annotations

import pytest

from tradeinbox.core.deals.linking import (
    KnownDeal,
    LinkKey,
    LinkMessage,
    link_key,
    link_keys,
    link_message,
    reference_rows,
    same_number,
    same_number_values,
)
from tradeinbox.core.references import (
    canonical_value,
    display_value,
    extract_references,
    normalise_value,
)


def keys(text: str, names: tuple[str, ...] = ()) -> list[LinkKey]:
    return link_keys(extract_references(text, attachment_names=names))


@pytest.mark.parametrize(
    "written",
    ["PO# 4500012345", "PO 4500012345", "P/O No. 4500012345", "PO4500012345", "PO-4500012345",
     "Order No.: 4500012345", "PO No. 4500.012345"],
)  # fmt: skip
def test_spellings_of_one_po_are_one_key(written):
    assert keys(written) == [LinkKey("po", "4500012345")], written


def test_subject_and_attachment_spellings_give_one_reference():
    refs = extract_references(
        "RE: PO# 4500012345 - Proforma Invoice PI-BW261024-01",
        attachment_names=("PI-BW261024-01 PO4500012345.pdf", "Wire_Confirmation_PO4500012345.png"),
    )
    assert [(r.kind, r.key[1]) for r in refs] == [("po", "4500012345"), ("pi", "PIBW26102401")]


def test_letters_that_belong_to_the_number_are_kept():
    # RFQ, quotation and PI numbers are issued with their letters: "RFQ-2026-001".
    assert canonical_value("rfq", "RFQ-2026-001") == "RFQ2026001"
    assert canonical_value("quotation", "qt-2026/0187") == "QT20260187"
    assert canonical_value("pi", "PI-2026-088") == "PI2026088"
    # Letters that are not the label stay: "POL" is no "PO", a B/L number keeps its carrier.
    assert canonical_value("po", "POL-12345") == "POL12345"
    assert canonical_value("bl", "COSU6234567890") == "COSU6234567890"
    assert normalise_value(" q-2026/17 ") == "Q202617"
    assert canonical_value("po", "ＰＯ－４５０００１２３４５") == "4500012345"  # full-width


def test_display_drops_only_a_repeated_label():
    assert display_value("po", "PO_4500012345") == "4500012345"
    assert display_value("po", "P.O. 77881") == "77881"
    assert display_value("pi", "PI-BW261024-01") == "PI-BW261024-01"
    assert display_value("po", "POL-12345") == "POL-12345"


def test_same_number_only_for_distinctive_order_documents():
    po, inv = LinkKey("po", "4500012345"), LinkKey("invoice", "4500012345")
    assert same_number(po, inv) and same_number(inv, LinkKey("po", "4500012345"))
    assert same_number(LinkKey("invoice", "INV4500012345".removeprefix("INV")), po)
    assert same_number(LinkKey("pi", "PI4500012345"), po)
    # False positives: a short number, a carrier's number, the same key.
    assert not same_number(LinkKey("po", "1234"), LinkKey("invoice", "1234"))
    assert not same_number(LinkKey("bl", "4500012345"), po)
    assert not same_number(po, po)
    assert same_number_values(LinkKey("bl", "4500012345")) == []
    assert "4500012345" in same_number_values(inv)


def test_an_invoice_numbered_like_the_po_joins_the_po_deal():
    deal = KnownDeal("9", people=frozenset({"torres"}))
    msg = LinkMessage(
        "m",
        "in",
        references=tuple(extract_references("", attachment_names=("Invoice_4500012345.pdf",))),
    )
    po = LinkKey("po", "4500012345")
    decision = link_message(
        msg, thread_deal=None, deals_by_key={}, deals_by_number={msg_key(msg): [(po, deal)]}
    )
    assert (decision.action, decision.deal) == ("join", "9")
    assert decision.evidence[0].rule == "deal.link.same_number"
    assert "PO 4500012345" in decision.evidence[0].detail
    # A short invoice number never crosses kinds, and an invoice opens no deal.
    short = LinkMessage("s", "in", references=tuple(extract_references("Invoice No. 88231")))
    weak = link_message(
        short,
        thread_deal=None,
        deals_by_key={},
        deals_by_number={msg_key(short): [(LinkKey("po", "88231"), deal)]},
    )
    assert weak.action == "skip"


def msg_key(msg: LinkMessage) -> LinkKey:
    return link_key(msg.references[0])


def test_deal_page_rows_merge_kinds_of_one_number():
    rows = reference_rows(
        [
            ("quotation", "QT20260187", "quotation", "QT-2026-0187"),
            ("po", "4500012345", "po", "PO4500012345"),
            ("pi", "PIBW26102401", "pi", "PI-BW261024-01"),
            ("invoice", "4500012345", "invoice", "4500012345"),
            ("container", "PCLU4521871", "container", "PCLU4521871"),
            ("invoice", "88231", "invoice", "88231"),
            ("po", "88231", "order", "88231"),
        ]
    )
    shown = [(r.kinds, r.shown) for r in rows]
    assert shown == [
        (("quotation",), "QT-2026-0187"),
        (("po", "invoice"), "4500012345"),
        (("pi",), "PI-BW261024-01"),
        (("container",), "PCLU4521871"),
        (("invoice",), "88231"),  # short: an invoice 88231 and a PO 88231 stay apart
        (("order",), "88231"),
    ]
