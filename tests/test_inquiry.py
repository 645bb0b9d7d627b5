"""Inquiry detection: first-contact requests for price/quotation/samples in 8 languages."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from inquiry_helpers import make  # noqa: E402

from tradeinbox.core import language  # noqa: E402
from tradeinbox.core.inquiry import detect_inquiry  # noqa: E402
from tradeinbox.core.parse import parse_message  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "inquiries"
CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)

# Written for this test (not in the fixture set): one fresh inquiry per language.
FRESH = {
    "en": (
        "Quote needed",
        "Hi, could you quote 500 units of your 20W LED tube, FOB Shenzhen? Thanks.",
    ),
    "zh": ("询价", "你好，请问你们的不锈钢保温杯500毫升的价格是多少？起订量多少？"),
    "es": (
        "Cotización",
        "Hola, ¿me pueden enviar precio de 300 sillas de oficina modelo K-22? Gracias.",
    ),
    "pt": (
        "Orçamento",
        "Olá, podem me enviar o orçamento de 200 cadeiras de escritório? Obrigado.",
    ),
    "fr": (
        "Devis",
        "Bonjour, pourriez-vous m'envoyer un devis pour 150 chaises de bureau ? Merci.",
    ),
    "de": (
        "Anfrage",
        "Hallo, können Sie mir bitte ein Angebot für 250 Bürostühle schicken? Danke.",
    ),
    "ru": ("Запрос", "Здравствуйте! Пришлите, пожалуйста, цену на 400 офисных кресел. Спасибо."),
    "ar": ("استفسار", "مرحبا، نرجو إرسال عرض سعر لعدد ٢٠٠ كرسي مكتب. شكرا."),
}


@pytest.mark.parametrize("lang", sorted(FRESH))
def test_fresh_inquiry_each_language(lang: str) -> None:
    subject, body = FRESH[lang]
    result = detect_inquiry(make(body, subject=subject))
    assert result.is_inquiry, result.evidence
    assert result.language == lang
    assert result.signals and all(isinstance(s, str) for s in result.signals)


def test_reply_in_thread_is_not_first_contact() -> None:
    body = (
        "Thanks, can you do a better price for 3,000 pcs?\n\n"
        "On Mon, 2 Mar 2026 at 10:12, Lily <lily@example-seller.com> wrote:\n> Quotation attached.\n"
    )
    msg = make(body, subject="Re: Quote for ball valves", headers={"In-Reply-To": "<q1@x.com>"})
    result = detect_inquiry(msg)
    assert not result.is_inquiry
    assert "inquiry.not.reply" in result.signals
    # The same words as a new mail are an inquiry: the veto, not the words, decided.
    fresh = make("Hi, can you give me your best price for 3,000 pcs of DN50 ball valves?")
    assert detect_inquiry(fresh).is_inquiry


def test_forward_and_internal_are_not_inquiries() -> None:
    body = "Please send me your best price for 2,000 pcs of model HD-BV50."
    fwd = make(body, subject="FW: price request")
    assert not detect_inquiry(fwd).is_inquiry
    internal = make(
        body, sender="Lily <lily@example-seller.com>", to="Frank <frank@example-seller.com>"
    )
    result = detect_inquiry(internal)
    assert not result.is_inquiry and "inquiry.not.internal" in result.signals


def test_thread_headers_without_reply_markers_are_noted() -> None:
    msg = make(
        "Good day, please send your best offer for 39 pieces of magnetic drive pumps.",
        subject="Request for Quotation",
        headers={"In-Reply-To": "<forged@example.net>"},
    )
    result = detect_inquiry(msg)
    assert result.is_inquiry
    assert "inquiry.thread_headers_without_reply" in result.signals


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Supplier of bearings",
            "We are a professional manufacturer of bearings. Our price is very competitive. "
            "Please check our catalogue attached and tell us which items you need.",
        ),
        (
            "Remittance advice",
            "Payment of USD 18,420.00 for Invoice No. 88 was released today. Please confirm.",
        ),
        ("Lunch", "Are we still on for lunch tomorrow? Let me know."),
        (
            "Weekly news",
            "LED chip prices rise 5% this week. Unsubscribe here: https://news.example.com/u",
        ),
    ],
)
def test_non_inquiries(subject: str, body: str) -> None:
    assert not detect_inquiry(make(body, subject=subject)).is_inquiry


def test_language_detector_is_built_once() -> None:
    first = language._language_detector()
    assert language._language_detector() is first
    assert language.detect_language("Bitte senden Sie uns Ihre Preisliste") == "de"
    assert language.detect_language("12345 !!!") is None


def test_labelled_set_accuracy() -> None:
    rows = list(csv.DictReader((FIXTURES / "labels.csv").open(encoding="utf-8")))
    for extra in ("validation.csv", "unseen.csv"):
        rows += list(csv.DictReader((FIXTURES / extra).open(encoding="utf-8")))
    own = [r for r in rows if not r["file"].startswith("corpora/")]
    assert len(own) >= 140
    correct = lang_ok = inquiries = 0
    for row in own:
        msg = parse_message((FIXTURES / row["file"]).read_bytes())
        result = detect_inquiry(msg)
        correct += result.is_inquiry == (row["inquiry"] == "true")
        if row["inquiry"] == "true":
            inquiries += 1
            lang_ok += result.language == row["language"]
    assert correct / len(own) >= 0.95
    assert lang_ok / inquiries >= 0.95


@pytest.mark.corpora
def test_corpus_candidates_detection() -> None:
    if not (CORPORA / "b2b_inquiry_candidates").is_dir():
        pytest.skip("shared corpora absent")
    rows = list(csv.DictReader((FIXTURES / "labels.csv").open(encoding="utf-8")))
    rows = [r for r in rows if r["file"].startswith("corpora/")]
    correct = 0
    for row in rows:
        raw = (CORPORA / row["file"][len("corpora/") :]).read_bytes()
        correct += detect_inquiry(parse_message(raw)).is_inquiry == (row["inquiry"] == "true")
    assert correct / len(rows) >= 0.9
