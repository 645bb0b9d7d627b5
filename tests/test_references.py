"""Reference (PO / PI / RFQ / invoice / B/L ...) extraction, including false-hit cases."""

from __future__ import annotations

import csv
import os
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.parse import parse_message
from tradeinbox.core.references import (
    Reference,
    extract_message_references,
    extract_references,
    normalise_value,
)

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
LABELS = Path(__file__).parent / "fixtures" / "references_labels.csv"


def pairs(text: str, **kw) -> list[tuple[str, str]]:
    return [(r.kind, r.value) for r in extract_references(text, **kw)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PO#12345", ("po", "12345")),
        ("Please see P/O No. 4500012345 attached", ("po", "4500012345")),
        ("PO No.: 4500012345", ("po", "4500012345")),
        ("Our ref RFQ-2026-001, due Friday", ("rfq", "RFQ-2026-001")),
        ("PI NO.: ABC123", ("pi", "ABC123")),
        ("Proforma Invoice No. PI-2026-05", ("pi", "PI-2026-05")),
        ("Quotation No. Q-2026-17", ("quotation", "Q-2026-17")),
        ("Invoice No. HD-INV-2026-0088", ("invoice", "HD-INV-2026-0088")),
        ("B/L No. OLF2603001234", ("bl", "OLF2603001234")),
        ("订单号：HD20260301", ("order", "HD20260301")),
        ("您的订单号HD20260301已发货", ("order", "HD20260301")),
        ("合同号 SX-HT-2026-009", ("contract", "SX-HT-2026-009")),
        ("报价单号：HD-Q-2026-088", ("quotation", "HD-Q-2026-088")),
        ("询价单号：RFQ-SX-2026-031", ("rfq", "RFQ-SX-2026-031")),
        ("referente ao pedido n.º 4471", ("order", "4471")),
        ("anbei unsere Bestellnummer 4500123987", ("po", "4500123987")),
        ("Rechnungsnummer 2026-00451", ("invoice", "2026-00451")),
        ("N° de commande 2026-0412", ("order", "2026-0412")),
        ("номер заказа 2026/117", ("order", "2026/117")),
        ("Оплата по договору № 17/2026", ("contract", "17/2026")),
        ("سنرسل أمر الشراء رقم 7781", ("po", "7781")),
        ("Solicitud de oferta SO-2026/114", ("rfq", "SO-2026/114")),
        ("container MSKU1234565 loaded", ("container", "MSKU1234565")),
        ("Order confirmed - PO 7781", ("po", "7781")),
        ("NEW ORDER (PO#WB-UK-0022)", ("po", "WB-UK-0022")),
    ],
)
def test_finds_reference(text: str, expected: tuple[str, str]) -> None:
    found = pairs(text)
    assert expected in found, found


@pytest.mark.parametrize(
    "text",
    [
        "Tel: +44 113 496 0123, Fax +86-574-8765-4321",  # phone numbers
        "CALL TO ORDER: 1-402-597-4111",  # phone after a keyword with a colon
        "fax your order to1-415-873-2700",  # phone glued to a word
        "P.O. Box 12345, Dubai",  # a post office box is not a purchase order
        "PO Box 4321, Nairobi 00100",
        "order of 5000 pcs, dated 12/03/2026",  # quantity and date
        "NDR Energy Group request for quote 12/01",  # month/year
        "offer valid till 2026-03-31",  # ISO date
        "Invoice 2026 will follow",  # a year
        "please quote 550W panels and DN100 valves",  # measurements
        "price USD 18,420.00 per container, quotation 1,250.50",  # prices
        "Quote for VFFS-420 machine, model HD-BV50",  # model numbers
        "Dallas, TX 75207 and Leeds LS10 1DJ",  # ZIP / postcodes
        "we need an order of 40HQ and 3 x 20GP",  # containers as quantities
        "certified to ISO 9001 and EN 10204 3.1",  # standards
        "In Order No. 637-A the Commission addressed backhaul",  # short regulatory number
        "счет № 45 на расчетный счет 40702810900000012345",  # bank account
        "forms LC126A (group cert)",  # a form code, not a letter of credit
        "container 40HQ",  # not an ISO 6346 number
        "CSQU3054384 is not a valid container number",  # bad check digit
    ],
)
def test_no_false_hit(text: str) -> None:
    assert pairs(text) == []


def test_spans_point_at_the_value() -> None:
    text = "Hello, PO No.: 4500012345 and Invoice No. INV-2026-0088 and 合同号 SX-HT-2026-009."
    refs = extract_references(text)
    assert len(refs) == 3
    for ref in refs:
        assert text[ref.span[0] : ref.span[1]] == ref.value
        assert ref.source == "text"


def test_attachment_names() -> None:
    refs = extract_references(
        "",
        attachment_names=[
            "PO45638 - PO76483.Xls.htm",
            "PO_7781.pdf",
            "Invoice_INV-2026-001.pdf",
            "King_Supply_2026_purchase_list.xlsx",
            "IMG_20260301_1234.jpg",
        ],
    )
    got = {(r.kind, r.value) for r in refs}
    assert got == {
        ("po", "PO45638"),
        ("po", "PO76483"),
        ("po", "7781"),
        ("invoice", "INV-2026-001"),
    }
    assert all(r.source.startswith("attachment:") for r in refs)


def test_duplicates_collapse_and_as_dict() -> None:
    refs = extract_references("PO# 45120 ... as per PO No. 45120 and po 45-120")
    assert [r.as_dict() for r in refs] == [{"kind": "po", "value": "45120"}]
    assert normalise_value("q-2026/17") == "Q202617"
    assert isinstance(refs[0], Reference)


def _message(subject: str, body: str, attachments: tuple[str, ...] = ()) -> bytes:
    m = EmailMessage()
    m["From"] = "Buyer <buyer@example-buyer.com>"
    m["To"] = "sales@example-seller.com"
    m["Subject"] = subject
    m.set_content(body)
    for name in attachments:
        m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=name)
    return bytes(m)


def test_message_references_skip_quoted_history() -> None:
    raw = _message(
        "Re: order",
        "Please ship against PO No. 4500099999.\n\n"
        "On Mon, 2 Mar 2026 at 10:12, Seller <s@example-seller.com> wrote:\n"
        "> Our Quotation No. Q-2026-17 is attached.\n",
        ("PI-2026-0042.pdf",),
    )
    refs = extract_message_references(parse_message(raw))
    got = [(r.kind, r.value, r.source.split(":")[0]) for r in refs]
    assert ("po", "4500099999", "body") in got
    assert ("pi", "PI-2026-0042", "attachment") in got
    assert not any(v == "Q-2026-17" for _, v, _ in got)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(100, 999),
    st.integers(100, 999),
    st.integers(1000, 9999),
    st.integers(1, 28),
    st.integers(1, 12),
    st.integers(1990, 2035),
)
def test_phones_and_dates_never_references(a: int, b: int, c: int, d: int, m: int, y: int) -> None:
    text = (
        f"Tel: +1 {a}-{b}-{c}. Order date {d:02d}/{m:02d}/{y}; invoice dated {y}-{m:02d}-{d:02d}."
        f" Call to order: {a}-{b}-{c}. Offer valid {d}.{m}.{y}."
    )
    assert pairs(text) == []


@pytest.mark.corpora
def test_precision_on_labelled_corpus_references() -> None:
    if not CORPORA.is_dir():
        pytest.skip("shared corpora absent")
    rows = list(csv.DictReader(LABELS.open(encoding="utf-8")))
    judged = {(r["file"], r["kind"], r["value"]): r["correct"] == "yes" for r in rows}
    files = sorted({r["file"] for r in rows})
    ok = bad = 0
    for name in files:
        path = CORPORA / name
        if not path.is_file():
            continue
        for ref in extract_message_references(parse_message(path.read_bytes())):
            label = judged.get((name, ref.kind, ref.value))
            assert label is not None, f"unlabelled reference {ref} in {name}: label it by hand"
            ok += label
            bad += not label
    if ok + bad == 0:
        pytest.skip("labelled corpus files absent")
    assert ok / (ok + bad) >= 0.9
