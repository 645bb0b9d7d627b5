"""Consolidation mail: terms extracted with their sources, To formal, Cc the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradeinbox.core.deals.consolidation import (
    ConsolidationMessage,
    DealFacts,
    agreed_terms,
    choose_formal_address,
    draft_consolidation,
    extract_facts,
    needs_consolidation,
)

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def m(i: int, sender: str, direction: str, text: str) -> ConsolidationMessage:
    return ConsolidationMessage(f"m{i}", sender, direction, text, T0 + timedelta(days=i))


THREAD = [
    m(0, "john.acme@gmail.com", "in",
      "Hi, we need 500 pcs of LED panel LP-600 60x60cm 40W white.\n"
      "Also 200 sets of driver DR-40.\nPlease quote FOB Ningbo."),
    m(1, "sales@bright.cn", "out",
      "Dear John,\nLP-600 40W: USD 12.50/pc FOB Ningbo\nDR-40: USD 3.10/set FOB Ningbo\n"
      "Lead time: 25-30 days after deposit.\n"
      "Payment terms: 30% T/T deposit, 70% before shipment.\n\n"
      "On Mon, 2 Feb 2026 John wrote:\n> we need 500 pcs of LED panel LP-600"),
    m(2, "john@acme-trading.com", "in",
      "OK, we confirm 800 pcs LP-600 at USD 12.20/pc FOB Ningbo.\n"
      "Lead time 30 days please."),
    m(3, "purchasing@acme-trading.com", "in", "Noted, please send the PI."),
]  # fmt: skip
DEAL = DealFacts(
    "LED panels for Acme",
    ["john.acme@gmail.com", "john@acme-trading.com", "purchasing@acme-trading.com"],
    THREAD,
    buyer_name="John",
    seller_name="Anna Wang",
    seller_company="Ningbo Bright Lighting",
)


def test_every_fact_quotes_its_source_span():
    facts = extract_facts(THREAD)
    assert facts
    texts = {msg.id: msg.text for msg in THREAD}
    for f in facts:
        assert texts[f.message_id][f.span[0] : f.span[1]] == f.quote
    # Quoted history in m1 ("> we need 500 pcs") is not a new statement.
    assert not any(f.message_id == "m1" and f.kind == "item" for f in facts)


def test_latest_statement_wins():
    terms = agreed_terms(THREAD)
    items = {f.field("model"): f for f in terms.items}
    assert items["LP-600"].field("qty") == "800" and items["LP-600"].message_id == "m2"
    assert "40W" in items["LP-600"].field("specs")  # specs from the first mention carry over
    assert items["DR-40"].field("qty") == "200" and items["DR-40"].field("unit") == "sets"
    prices = {(p.field("model"), p.field("unit")): p for p in terms.prices}
    assert prices[("LP-600", "pc")].field("amount") == "12.20"
    assert prices[("LP-600", "pc")].field("currency") == "USD"
    assert prices[("LP-600", "pc")].field("incoterm") == "FOB"
    assert prices[("LP-600", "pc")].field("place") == "Ningbo"
    assert prices[("DR-40", "set")].field("amount") == "3.10"
    assert terms.lead_time.value == "30 days" and terms.lead_time.message_id == "m2"
    assert terms.payment.value == "30% T/T deposit, 70% before shipment"


def test_formal_address_prefers_personal_company_address():
    addr, ev = choose_formal_address(DEAL.buyer_addresses, THREAD)
    assert addr == "john@acme-trading.com"
    assert ev[0].rule == "consolidation.formal_address"
    assert needs_consolidation(DEAL).rule == "consolidation.several_addresses"
    assert needs_consolidation(DealFacts("x", ["a@b.com", "A@b.com"], [])) is None
    with pytest.raises(ValueError):
        choose_formal_address([])


def test_english_draft():
    d = draft_consolidation(DEAL, "en", link_template="https://crm.example.com/m/{message_id}/")
    assert d.to == ["john@acme-trading.com"]
    assert d.cc == ["john.acme@gmail.com", "purchasing@acme-trading.com"]
    assert "LED panels for Acme" in d.subject
    assert "Dear John," in d.body
    assert "USD 12.20/pc FOB Ningbo" in d.body and "12.50" not in d.body
    assert "800 pcs" in d.body
    assert "30 days" in d.body and "30% T/T deposit" in d.body
    assert "to john@acme-trading.com only" in d.body
    assert "https://crm.example.com/m/m2/" in d.body
    # Every [n] marker in the body has its source line.
    for n in range(1, len(d.sources) + 1):
        assert f"[{n}] https://crm.example.com/m/" in d.body
    assert d.body.rstrip().splitlines()[-1].startswith(f"[{len(d.sources)}]")


def test_chinese_and_spanish_drafts():
    zh = draft_consolidation(DEAL, "zh-CN")
    assert "今后所有单据" in zh.body and "john@acme-trading.com" in zh.body
    assert "付款方式" in zh.body and "交货期" in zh.body
    es = draft_consolidation(DEAL, "es")
    assert "únicamente a john@acme-trading.com" in es.body
    assert es.subject.startswith("Resumen de lo acordado")


def test_user_choice_and_missing_terms():
    deal = DealFacts(
        "Pumps",
        ["buyer@gmail.com", "ops@pumps.example"],
        [m(0, "buyer@gmail.com", "in", "Price ok, please proceed.")],
        formal_address="ops@pumps.example",
    )
    d = draft_consolidation(deal, "en")
    assert d.to == ["ops@pumps.example"] and d.cc == ["buyer@gmail.com"]
    assert d.body.count("not stated yet") == 4  # items, prices, lead time, payment
    assert d.sources == []
    assert "chosen by the user" in d.evidence[0].detail


def test_chinese_and_spanish_terms():
    msgs = [
        m(0, "a@x.cn", "in", "我们需要1000件 型号 AB-12，交货期 20天，付款方式：30%定金，70%见提单副本"),
        m(1, "b@y.es", "in", "Plazo de entrega: 45 días. Forma de pago: 50% de anticipo y saldo antes del embarque."),
    ]  # fmt: skip
    facts = {f.kind: f for f in extract_facts(msgs[:1])}
    assert facts["item"].field("qty") == "1000" and facts["item"].field("model") == "AB-12"
    assert facts["lead_time"].field("value") == "20"
    assert facts["payment"].value.startswith("30%定金")
    es = agreed_terms(msgs)
    assert es.lead_time.value == "45 días"
    assert es.payment.value.startswith("50% de anticipo")


def test_document_numbers_are_not_models_and_one_model_takes_unnamed_offers():
    from tradeinbox.core.deals.consolidation import ConsolidationMessage as M
    from tradeinbox.core.deals.consolidation import agreed_terms

    messages = [
        M("1", "carlos@gmail.com", "in", "Please quote 800 pcs LP-600 LED panel, 600x600 mm, 48W."),
        M("2", "li@factory.example", "out", "For 1,000 pcs we can offer USD 8.10/pc FOB Ningbo, quotation QT-2026-031 revised."),
        M("3", "c@andina.example", "in", "OK, we confirm 1,000 pcs LP-600 at USD 8.10/pc FOB Ningbo as per QT-2026-031."),
    ]  # fmt: skip
    terms = agreed_terms(messages)
    assert [(f.field("model"), f.field("qty")) for f in terms.items] == [("LP-600", "1000")]
    assert "600x600 mm" in terms.items[0].field("specs")  # specs of the first statement kept
    assert [(f.field("model"), f.value) for f in terms.prices] == [
        ("LP-600", "USD 8.10/pc FOB Ningbo")
    ]
