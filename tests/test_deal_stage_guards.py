"""Stage cues said as terms of sale are not stages (core: stages + stage_guards).

The demo's Mexican inquiry asked for "garantía de 7 años" and the deal opened at
After-sales. Warranty terms, return policies, "if anything arrives damaged", "70% against
B/L copy" and "deposit to be paid" belong to inquiries and offers; a complaint, a delivery
or a paid deposit is a fact about the deal.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradeinbox.core.deals.stages import DealMessage, Stage, stage_signals, suggest_stage

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

MEXICO_INQUIRY = (
    "Estimada Sra. Chen:\n\n"
    "Le solicitamos una cotización de los siguientes productos:\n"
    "- Luminaria LED para alumbrado público de 150 W, 5000 K, IP66: 400 piezas\n\n"
    "Requisitos: certificado NOM-031-ENER-2019, vida útil L70 mínima de 100,000 horas, "
    "garantía de 7 años, precio CIF Manzanillo, pago 30% anticipo y 70% contra copia del "
    "B/L.\n¿Podría indicarnos también el tiempo de entrega?\n"
)


def stages_of(direction: str, text: str) -> dict[Stage, float]:
    return {s.stage: s.weight for s in stage_signals(DealMessage("x", direction, text, T0))}


def clear(direction: str, text: str) -> set[Stage]:
    return {stage for stage, w in stages_of(direction, text).items() if w >= 1.0}


def test_the_demo_mexico_inquiry_opens_at_inquiry_not_after_sales():
    assert Stage.AFTER_SALES not in stages_of("in", MEXICO_INQUIRY)
    assert Stage.SHIPPED not in stages_of("in", MEXICO_INQUIRY)  # "contra copia del B/L"
    first = suggest_stage([DealMessage("m1", "in", MEXICO_INQUIRY, T0)], Stage.COLD)
    assert first.stage is Stage.INQUIRY


@pytest.mark.parametrize(
    "text",
    [
        # Warranty terms asked for or offered, in every language the rules read.
        "We require 5 years warranty against defective drivers. Please quote 500 pcs.",
        "Garantía de 3 años contra piezas defectuosas; por favor cotice 200 piezas.",
        "Precisamos de garantia de 5 anos contra defeito de fabricação.",
        "Bitte bieten Sie 5 Jahre Garantie, auch für beschädigte Ware beim Transport.",
        "请报价500台，质保5年，如有质量问题免费更换。",
        # Conditions and policies of sale.
        "If any lamps arrive damaged, will you send replacements free of charge?",
        "En caso de productos dañados, ¿cuál es su política de devolución?",
        "What is your return policy for damaged goods? We need 300 units.",
        "如果运输中破损怎么处理？破损率是多少？",
        # Problems with someone else's goods: the reason to ask us.
        "Our current supplier has quality problems, so we are looking for a new factory.",
        "Nuestro proveedor actual tiene productos defectuosos; buscamos una alternativa.",
        # Out of stock and after-sales *service* are not complaints.
        "我们这边缺货了，请报价2000个，售后服务怎么样？",
    ],
)
def test_terms_of_sale_are_not_after_sales(text):
    assert Stage.AFTER_SALES not in clear("in", text), stages_of("in", text)


@pytest.mark.parametrize(
    "text",
    [
        "We received the goods but 20 pcs are damaged.",
        "We want to make a warranty claim: 12 drivers do not work.",
        "Queremos hacer válida la garantía: 30 luminarias no funcionan.",
        "Recebemos a mercadoria, mas 10 caixas estão danificadas.",
        "Die Ware ist beschädigt angekommen, wir senden eine Reklamation.",
        "货已收到，有20个灯坏了，申请售后。",
        "Solicitamos la devolución de 40 piezas defectuosas del pedido.",
        # A polite "if possible" does not make a complaint hypothetical.
        "The lamps arrived broken; if possible send replacements with the next order.",
    ],
)
def test_real_complaints_still_are_after_sales(text):
    assert Stage.AFTER_SALES in clear("in", text), stages_of("in", text)


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        # Payment terms name documents and receipt of goods.
        ("Payment: 30% T/T deposit, 70% against B/L copy.", Stage.SHIPPED),
        ("Forma de pago: 30% anticipo, 70% contra documentos de embarque.", Stage.SHIPPED),
        ("付款方式：30%定金，70%见提单副本。", Stage.SHIPPED),
        ("Balance payable after we have received the goods in good order.", Stage.AFTER_SALES),
        ("The 30% deposit is to be paid before production starts.", Stage.ORDER),
        # Inquiry words that named later stages.
        ("请报样品和大货价格，谢谢。", Stage.PRODUCTION),
        ("Before mass production we need pre-shipment inspection by SGS.", Stage.PRODUCTION),
        ("Como muestra la foto adjunta, necesitamos el modelo de 150 W.", Stage.SAMPLE),
        ("Hola Lily, ¿todo bien? Le escribo por la cotización.", Stage.CLOSED_WON),
    ],
)
def test_terms_and_inquiry_words_are_not_later_stages(text, stage):
    direction = "in"
    assert stage not in clear(direction, text), stages_of(direction, text)


@pytest.mark.parametrize(
    ("direction", "text", "stage"),
    [
        ("out", "Shipping advice: the goods have been shipped, B/L copy attached.", Stage.SHIPPED),
        ("in", "The 30% deposit of USD 47,205.00 was wired today.", Stage.ORDER),
        ("out", "We received the deposit today, thank you.", Stage.ORDER),
        ("out", "Thank you for your order! We confirm PO# 4500012345.", Stage.ORDER),
        ("out", "大货生产中，预计下周完成", Stage.PRODUCTION),
        ("in", "¿Pueden enviarnos dos muestras por DHL?", Stage.SAMPLE),
        ("in", "Bitte senden Sie die Muster per Express.", Stage.SAMPLE),
        ("in", "La mercancía está perfecta, muy satisfechos con la calidad.", Stage.CLOSED_WON),
    ],
)
def test_facts_still_count(direction, text, stage):
    assert stage in clear(direction, text), stages_of(direction, text)
