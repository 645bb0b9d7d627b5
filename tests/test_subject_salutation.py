"""Subject builder and check, salutations, and signatures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeinbox.core.writing.context import Company, Person, SenderInfo
from tradeinbox.core.writing.salutation import find_salutation, salutation, title_from_text
from tradeinbox.core.writing.signature import (
    build_signature,
    check_signature,
    display_name,
    find_signature,
    format_phone,
)
from tradeinbox.core.writing.subject import (
    build_subject,
    check_subject,
    is_vague,
    strip_prefixes,
    suggest_fresh_subject,
    topic_of,
)


def test_build_subject_patterns():
    assert build_subject("Quotation for LED panels", "Sunrise", "4471", "rfq") == (
        "Quotation for LED panels - Sunrise - RFQ#4471"
    )
    assert build_subject("Order confirmation", "Sunrise", "PO# 88123", "po").endswith("- PO# 88123")
    assert build_subject("Proforma invoice", "Sunrise", "2025-031", "pi").endswith(
        "PI No. 2025-031"
    )
    assert build_subject("Catalogue", "Sunrise") == "Catalogue - Sunrise"


@pytest.mark.parametrize(
    "subject",
    ["Hello", "Hi", "Price", "Inquiry", "Question", "URGENT", "Re: Hello!", "hi there", "你好", "询价",
     "紧急询价", "Hola", "Precio", "Consulta urgente", "Fwd: Price inquiry"],
)  # fmt: skip
def test_vague_subjects(subject):
    assert is_vague(subject)
    assert check_subject(subject).problem == "vague"


@pytest.mark.parametrize(
    "subject",
    ["Price for XR-200 drills - Sunrise - RFQ#4471", "Inquiry about LED panels for Lagos project",
     "Re: PO# 88123 shipping marks", "关于LED面板的报价 - 宁波日升", "Precio de los taladros XR-200"],
)  # fmt: skip
def test_specific_subjects_pass(subject):
    assert not is_vague(subject) and check_subject(subject).problem == ""


def test_empty_subject_and_suggestion():
    result = check_subject(
        "  ", topic="Quotation for drills", our_company="Sunrise", reference="RFQ#4471"
    )
    assert (
        result.problem == "empty"
        and result.suggestion == "Quotation for drills - Sunrise - RFQ#4471"
    )
    assert check_subject("Re: ").problem == "empty"


def test_fresh_subject_from_second_unanswered_followup():
    subject = "Re: Re: Quotation for LED panels - Sunrise - RFQ#4471"
    assert suggest_fresh_subject(subject, 1, "Sunrise") is None
    second = suggest_fresh_subject(subject, 2, "Sunrise", "Okafor Hardware")
    third = suggest_fresh_subject(subject, 3, "Sunrise", "Okafor Hardware")
    assert second and third and second != third
    assert "Quotation for LED panels" in second and "Re:" not in second
    assert "RFQ" not in topic_of(subject, "Sunrise")
    assert suggest_fresh_subject("回复：LED面板报价", 2, "日升", language="zh").startswith(
        "关于LED面板报价"
    )
    assert strip_prefixes("RE: Fwd: AW: 回复：x") == "x"


def test_salutation_forms_and_languages():
    ada = Person(first_name="Ada", last_name="Okafor", title="ms")
    assert salutation(ada).text == "Dear Ms. Okafor,"
    assert salutation(ada, language="es").text == "Estimada Sra. Okafor:"
    assert salutation(ada, language="zh").text == "尊敬的Okafor女士："
    juan = Person(first_name="Juan", last_name="García", title="mr")
    assert salutation(juan, language="es").text == "Estimado Sr. García:"
    wang = Person(first_name="伟", last_name="王", title="mr")
    assert salutation(wang, language="zh").text == "尊敬的王先生："
    assert salutation(Person(first_name="Ada", last_name="Okafor")).text == "Dear Ada,"
    assert salutation(Person(), Company(name="ACME")).text == "Dear ACME Team,"
    assert salutation(Person(), Company(name="ACME"), "es").text == "Estimado equipo de ACME:"
    assert salutation(Person(), Company(name="ACME"), "zh").text == "尊敬的ACME团队："
    assert salutation(Person()).basis == "generic"


@pytest.mark.parametrize("first", ["Maria", "John", "Andrea", "Jean", "Mohammed", "Anna", "Kim"])
def test_never_guesses_gender_from_a_name(first):
    for language in ("en", "es", "zh"):
        text = salutation(Person(first_name=first, last_name="Rossi"), language=language).text
        assert not any(t in text for t in ("Mr", "Ms", "Sr.", "Sra.", "先生", "女士", "Estimad")), (
            text
        )


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=12))
def test_no_title_means_no_gendered_form(first):
    text = salutation(Person(first_name=first, last_name="Lee"), language="en").text
    assert text == f"Dear {first.strip()},"


def test_title_from_signature_text():
    assert title_from_text("Best regards,\nMs. Jane Doe\nPurchasing Manager") == "ms"
    assert title_from_text("王先生\n采购经理") == "mr"
    assert title_from_text("Maria Lopez\nBuyer") == ""


def test_find_salutation():
    assert find_salutation("Dear Ada,\n\nThanks") == (0, 9)
    assert find_salutation("王经理，您好！\n我们") is not None
    assert find_salutation("\nSean -\nsee below") is not None
    assert find_salutation("The price is USD 5.") is None


def test_signature_builder_check_and_display_name():
    sender = SenderInfo(first_name="Lily", last_name="Chen", job_title="Sales Manager", phone="0574 8765 4321",
                        website="www.sunrise-tools.cn", linkedin="https://linkedin.com/in/lilychen",
                        company=Company(name="Sunrise", legal_name="Ningbo Sunrise Tools Co., Ltd.", country="CN"))  # fmt: skip
    block = build_signature(sender)
    assert "+86 574 8765 4321" in block and "Ningbo Sunrise Tools Co., Ltd." in block
    assert check_signature(block, sender) == []
    assert display_name(sender) == "Lily Chen @ Sunrise"
    weak = check_signature("Lily\nTel: 0574 8765 4321")
    fields = {p.field for p in weak}
    assert {"job_title", "company", "phone", "website", "linkedin"} <= fields
    assert format_phone("0574 8765 4321", "CN") == "+86 574 8765 4321"


def test_find_signature_forms():
    assert find_signature("Text.\n\nBest regards,\nLily") is not None
    assert find_signature("Text.\n\nMark\n713-853-1234\nmark@enron.com") is not None
    assert find_signature("Text here.\n\nE") is not None
    assert find_signature("more later.  Christi", ["Christi Nicolay", "Christi"]) is not None
    assert find_signature("We will keep you apprised as things evolve.") is None
