"""Tests for tradeinbox.core.signatures (signature block and contact fields)."""

from __future__ import annotations

import email.utils
import os
from pathlib import Path

import pytest

from tradeinbox.core.message import Address
from tradeinbox.core.signatures import extract_contact_fields, find_signature

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)

BODY = "Dear Ana,\n\nPlease find the price list attached. MOQ is 500 pcs.\n\n"


def test_delimiter_block() -> None:
    text = BODY + "-- \nJohn Doe\nSales Manager\nAcme Trading Co., Ltd.\n"
    block = find_signature(text)
    assert block is not None
    assert block.lines[0] == "-- "
    assert block.lines[-1] == "Acme Trading Co., Ltd."
    assert block.evidence[0].rule == "signature.delimiter"


@pytest.mark.parametrize(
    "closing",
    ["Best regards,", "Kind regards", "Thanks,", "Saludos,", "Atentamente,", "Cordialmente,",
     "Mit freundlichen Grüßen", "Cordialement,", "此致敬礼", "谢谢", "С уважением,"],
)  # fmt: skip
def test_closings_start_the_block(closing: str) -> None:
    text = BODY + f"{closing}\nWang Wei\n"
    block = find_signature(text)
    assert block is not None
    assert block.lines == [closing, "Wang Wei"]
    assert any(e.rule == "signature.closing" for e in block.evidence)


def test_contact_dense_block_without_closing() -> None:
    text = BODY + "Jim Griffin\nManager, Gas Transmission Marketing\nPhone:  406-497-2806\n"
    block = find_signature(text, Address("Griffin, James", "jgriffin@example.com"))
    assert block is not None and block.lines[0] == "Jim Griffin"


def test_mobile_footer_is_part_of_the_signature() -> None:
    text = "Fine, go ahead.\n\nSent from my iPhone\n"
    block = find_signature(text)
    assert block is not None and block.lines == ["Sent from my iPhone"]


def test_no_signature_in_prose_or_tables() -> None:
    assert find_signature("Please call me on my cell phone. 713-302-6442.\n") is None
    table = "Schedule:\nOh\tJohn\t1\nRance\tSusan\t2\nShields\tJeff\t2\n"
    assert find_signature(table) is None
    assert find_signature("Happy New Year\n\nSee you in January at the fair in Canton.\n") is None
    assert find_signature("") is None


def test_sender_name_line() -> None:
    text = "Attached is the revised contract.\n\nBryn\n"
    block = find_signature(text, Address("Bryn O'Shaughnessy", "bryno@example.com"))
    assert block is not None and block.lines == ["Bryn"]


def test_contact_fields_with_labels_and_regions() -> None:
    lines = [
        "Best regards,",
        "Wang Wei",
        "Sales Manager",
        "Ningbo Sunrise Trading Co., Ltd.",
        "Tel: +86 574 8765 4321",
        "Mob/WhatsApp: +86 138 1234 5678",
        "Fax: +86 574 8765 4300",
        "微信: sunrise_wang",
        "Skype: wang.wei.sunrise",
        "Email: wang@sunrise-trade.cn",
        "Web: www.sunrise-trade.cn",
        "linkedin.com/in/wangwei",
        "Add: No. 88 Zhongshan Road, Ningbo, China",
    ]
    f = extract_contact_fields(lines)
    assert f.name == "Wang Wei"
    assert f.title == "Sales Manager"
    assert f.company == "Ningbo Sunrise Trading Co., Ltd."
    kinds = {p.e164: p.kind for p in f.phones}
    assert kinds["+8657487654321"] == "phone"
    assert kinds["+8613812345678"] == "whatsapp"
    assert kinds["+8657487654300"] == "fax"
    assert all(p.country == "CN" for p in f.phones)
    assert f.whatsapp == "+8613812345678"
    assert f.wechat == "sunrise_wang"
    assert f.skype == "wang.wei.sunrise"
    assert f.emails == ["wang@sunrise-trade.cn"]
    assert f.website == "www.sunrise-trade.cn"
    assert f.linkedin == "linkedin.com/in/wangwei"
    assert f.address and "Zhongshan Road" in f.address
    assert f.evidence


def test_national_numbers_need_a_region() -> None:
    lines = ["Ana Lopez", "Móvil: 612 345 678"]
    without = extract_contact_fields(lines)
    assert without.phones and without.phones[0].e164 is None
    spain = extract_contact_fields(lines, default_region="ES")
    assert spain.phones[0].e164 == "+34612345678"
    assert spain.phones[0].country == "ES" and spain.phones[0].kind == "mobile"
    telegram = extract_contact_fields(["Telegram: @ana_lopez", "手机: 13812345678"], "CN")
    assert telegram.telegram == "ana_lopez"
    assert telegram.phones[0].kind == "mobile" and telegram.phones[0].e164 == "+8613812345678"


@pytest.mark.corpora
def test_forge_line_f1_above_floor() -> None:
    root = CORPORA / "forge_signatures"
    if not root.is_dir():
        pytest.skip("forge_signatures corpus absent")
    tp = fp = fn = 0
    for body in sorted(root.glob("*/*_body")):
        raw = body.read_text(errors="replace").split("\n")
        truth = {i for i, line in enumerate(raw) if line.startswith("#sig#")}
        lines = [line.removeprefix("#sig#") for line in raw]
        sender_line = body.with_name(body.name.replace("_body", "_sender")).read_text()
        name, addr = email.utils.parseaddr(sender_line)
        sender = Address(name or sender_line.strip(), addr if "@" in addr else "")
        block = find_signature("\n".join(lines), sender)
        pred = set(range(block.start_line, block.end_line + 1)) if block else set()
        pred = {i for i in pred if lines[i].strip()}
        tp += len(pred & truth)
        fp += len(pred - truth)
        fn += len(truth - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.85, f1
