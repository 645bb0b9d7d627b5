"""Deal stage suggestions from message content (EN/ZH/ES), never silently backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradeinbox.core.deals.stages import (
    STAGE_ORDER,
    DealMessage,
    Stage,
    rank,
    stage_signals,
    suggest_stage,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def msgs(*pairs: tuple[str, str]) -> list[DealMessage]:
    return [
        DealMessage(f"m{i}", d, text, T0 + timedelta(days=i)) for i, (d, text) in enumerate(pairs)
    ]


CASES = [
    # (direction, text, expected stage) in English, Chinese and Spanish.
    ("in", "Hello, please send your catalogue and price list. What is your MOQ?", Stage.INQUIRY),
    ("out", "Dear John, please find attached our quotation for LP-600.", Stage.QUOTED),
    ("in", "Could you send us 2 samples for testing?", Stage.SAMPLE),
    ("out", "The samples have been sent by DHL today.", Stage.SAMPLE),
    ("in", "Your price is too high, our target price is USD 11.50.", Stage.NEGOTIATION),
    ("in", "We confirm the order, please find attached our PO No. 45871.", Stage.ORDER),
    ("in", "Deposit has been paid today, please check.", Stage.ORDER),
    ("out", "Your order is in production, it will be completed next week.", Stage.PRODUCTION),
    ("out", "The goods have been shipped, B/L No. COSU6123456780 attached.", Stage.SHIPPED),
    ("in", "We received the goods but 20 pcs are damaged.", Stage.AFTER_SALES),
    ("in", "We have decided to go with another supplier. Thank you.", Stage.CLOSED_LOST),
    ("in", "您好，请报价并发送产品目录", Stage.INQUIRY),
    ("out", "您好，附件是我们的报价单，请查收。", Stage.QUOTED),
    ("in", "请寄样品给我们测试", Stage.SAMPLE),
    ("in", "价格太高了，能否给个折扣？", Stage.NEGOTIATION),
    ("in", "已付定金，请安排生产", Stage.ORDER),
    ("out", "大货生产中，预计下周完成", Stage.PRODUCTION),
    ("out", "货物已发货，提单副本见附件", Stage.SHIPPED),
    ("in", "货已收到，但有破损，质量问题", Stage.AFTER_SALES),
    ("in", "不需要了，我们已经找到其他供应商", Stage.CLOSED_LOST),
    ("in", "Hola, por favor envíenos su catálogo y lista de precios.", Stage.INQUIRY),
    ("out", "Estimado cliente, adjunto nuestra cotización.", Stage.QUOTED),
    ("in", "¿Pueden enviarnos muestras?", Stage.SAMPLE),
    ("in", "El precio es muy caro, ¿pueden hacer un descuento?", Stage.NEGOTIATION),
    ("in", "Confirmamos el pedido, adjunto la orden de compra.", Stage.ORDER),
    ("out", "El pedido ya está en producción.", Stage.PRODUCTION),
    ("out", "La mercancía ha sido embarcada, adjunto documentos de embarque.", Stage.SHIPPED),
    ("in", "Hemos recibido la mercancía pero hay productos dañados.", Stage.AFTER_SALES),
    ("in", "Ya no estamos interesados, compramos a otro proveedor.", Stage.CLOSED_LOST),
]


@pytest.mark.parametrize(("direction", "text", "expected"), CASES)
def test_single_message_signal(direction, text, expected):
    signals = stage_signals(DealMessage("x", direction, text, T0))
    assert signals, text
    assert signals[0].stage is expected
    assert signals[0].weight >= 1.0
    assert all(e.rule.startswith("stage.") for e in signals[0].evidence)


def test_direction_matters():
    # "Attached our quotation" from the buyer is not our quotation.
    assert not any(
        s.stage is Stage.QUOTED for s in stage_signals(DealMessage("x", "in", "see our quotation"))
    )
    # A PO number in our own mail (a reference back) is weaker than one from the buyer.
    ours = stage_signals(DealMessage("x", "out", "Regarding PO 45871"))
    theirs = stage_signals(DealMessage("x", "in", "Regarding PO 45871"))
    assert theirs and theirs[0].stage is Stage.ORDER
    assert not any(s.stage is Stage.ORDER and s.weight >= 1 for s in ours)


def test_references_drive_stage():
    sig = stage_signals(DealMessage("x", "in", "Hi", attachment_names=("PO_2026-0456.pdf",)))
    assert sig[0].stage is Stage.ORDER
    assert any(e.rule == "stage.reference.po" for e in sig[0].evidence)


def test_quoted_history_is_ignored():
    text = "Thanks, noted.\n\nOn Mon, 5 Jan 2026 Anna wrote:\n> The goods have been shipped."
    assert stage_signals(DealMessage("x", "in", text)) == []


def test_pipeline_moves_forward_to_the_furthest_stage():
    history = msgs(
        ("in", "Please send your price list."),
        ("out", "Please find attached our quotation."),
        ("in", "We confirm the order, attached our purchase order."),
        ("in", "By the way, can you also send a sample of the new colour?"),
    )
    s = suggest_stage(history, Stage.QUOTED)
    assert s.stage is Stage.ORDER and s.changed and not s.backwards
    assert s.message_id == "m2"
    assert any(e.rule == "stage.forward" for e in s.evidence)


def test_no_silent_backwards_move():
    history = msgs(("in", "Can you send us a sample of the new colour for next season?"))
    s = suggest_stage(history, Stage.PRODUCTION)
    assert s.stage is Stage.PRODUCTION and not s.changed and not s.backwards
    assert s.evidence[-1].rule == "stage.kept"


def test_backwards_suggestion_is_flagged():
    history = msgs(
        ("in", "We confirm the order, attached our purchase order."),
        ("out", "Please find attached our revised quotation Q-2026-018 as requested."),
    )
    s = suggest_stage(history, Stage.ORDER)
    assert s.stage is Stage.QUOTED
    assert s.changed and s.backwards
    assert any(e.rule == "stage.backwards" for e in s.evidence)


def test_closed_lost_from_any_stage_and_no_signal():
    s = suggest_stage(msgs(("in", "We are no longer interested, thanks.")), Stage.NEGOTIATION)
    assert s.stage is Stage.CLOSED_LOST and s.changed and not s.backwards
    none = suggest_stage(msgs(("in", "Happy new year!")), Stage.QUOTED)
    assert none.stage is Stage.QUOTED and not none.changed
    assert none.evidence[0].rule == "stage.no_signal"


def test_closed_won_needs_delivery_first():
    early = suggest_stage(msgs(("in", "Everything is fine, see you at the fair.")), Stage.QUOTED)
    assert early.stage is Stage.QUOTED and not early.changed
    done = suggest_stage(
        msgs(
            ("out", "The goods have been shipped, shipping notice attached."),
            ("in", "We are very satisfied with the quality, thank you!"),
        ),
        Stage.SHIPPED,
    )
    assert done.stage is Stage.CLOSED_WON


def test_since_limits_the_window():
    history = msgs(("in", "We confirm the order, attached our purchase order."), ("in", "hello"))
    s = suggest_stage(history, Stage.QUOTED, since=T0 + timedelta(hours=12))
    assert not s.changed


def test_rank_and_order():
    assert STAGE_ORDER[0] is Stage.COLD and STAGE_ORDER[-1] is Stage.CLOSED_LOST
    assert rank("closed_lost") == rank(Stage.CLOSED_WON) > rank(Stage.AFTER_SALES)
    assert Stage.AFTER_SALES.label == "After-sales"
    assert suggest_stage([], "inquiry").as_dict()["stage"] == "inquiry"


def test_from_parsed_message_uses_attachment_names():
    from tradeinbox.core.parse import parse_message

    raw = (
        b"From: buyer@acme.example\r\nTo: anna@bright.cn\r\nSubject: our order\r\n"
        b"Date: Tue, 10 Mar 2026 02:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nPlease see attached.\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="PO_2026-0456.pdf"\r\n\r\n%PDF-1.4\r\n--b--\r\n'
    )
    msg = DealMessage.from_parsed(parse_message(raw), "m9", "in")
    assert msg.attachment_names == ("PO_2026-0456.pdf",)
    assert msg.sent_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    s = suggest_stage([msg], Stage.QUOTED)
    assert s.stage is Stage.ORDER and s.message_id == "m9"


def test_new_business_on_a_closed_deal_is_a_flagged_reopen():
    s = suggest_stage(msgs(("in", "Please send your new price list for 2027.")), Stage.CLOSED_LOST)
    assert s.stage is Stage.INQUIRY and s.changed and s.backwards
    assert s.evidence[-1].rule == "stage.reopen"
    same = suggest_stage(msgs(("in", "We are very satisfied with the goods.")), Stage.CLOSED_WON)
    assert not same.changed


def test_equal_rank_cues_cite_the_latest_message():
    s = suggest_stage(
        msgs(
            ("in", "We confirm the order, attached our purchase order."),
            ("in", "Deposit has been paid today, please check."),
        ),
        Stage.NEGOTIATION,
    )
    assert s.stage is Stage.ORDER and s.message_id == "m1"


@pytest.mark.parametrize(
    "text",
    [
        "Please send an e-mail to the list to unsubscribe.",
        "The costs are broken down between your offices.",
        "If that link doesn't work, copy it into your browser.",
        "Any items that are no longer needed such as Sent Items can be deleted.",
        "It will never pass muster with the arbitrator.",
        "Food is not allowed on the premises.",
        "We will set this up in the test system first.",
    ],
)
def test_ordinary_office_mail_gives_no_stage(text):
    assert [s for s in stage_signals(DealMessage("x", "in", text)) if s.weight >= 1] == []
