"""The parser on the inputs real trade mail throws at it."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.headers import decode_header_text, parse_addresses
from tradeinbox.core.parse import NotAnEmail, looks_like_email, parse_message


def mail(headers: str, body: bytes = b"Hello\n") -> bytes:
    return headers.strip().encode("ascii").replace(b"\n", b"\r\n") + b"\r\n\r\n" + body


def test_raw_is_hashed_byte_exact_and_basic_headers_read():
    raw = mail(
        """
From: "Smith, John" <John.Smith@Buyer.COM>
To: sales@brightway.example, Lily <lily@brightway.example>
Cc: purchase@buyer.com
Reply-To: john.smith@gmail.com
Subject: RFQ-2026-001 LED panels
Date: Tue, 03 Nov 2026 09:15:00 -0500
Message-ID: <abc123@buyer.com>
In-Reply-To: <parent@brightway.example>
References: <root@brightway.example> <parent@brightway.example>
List-Unsubscribe: <mailto:unsub@buyer.com>
"""
    )
    parsed = parse_message(raw)
    assert parsed.sha256 == hashlib.sha256(raw).hexdigest()
    assert parsed.raw_size == len(raw)
    assert parsed.from_[0].name == "Smith, John"
    assert parsed.from_[0].email == "john.smith@buyer.com"
    assert [a.email for a in parsed.to] == ["sales@brightway.example", "lily@brightway.example"]
    assert parsed.cc[0].email == "purchase@buyer.com"
    assert parsed.reply_to[0].email == "john.smith@gmail.com"
    assert parsed.message_id == "abc123@buyer.com"
    assert parsed.in_reply_to == "parent@brightway.example"
    assert parsed.references == ["root@brightway.example", "parent@brightway.example"]
    assert parsed.utc_offset_minutes == -300
    assert parsed.date.utcoffset() == timedelta(hours=-5)
    assert parsed.list_headers["list-unsubscribe"] == "<mailto:unsub@buyer.com>"


def test_received_chain_kept_in_header_order_unfolded():
    raw = mail(
        """
Received: from mx.buyer.com (mx.buyer.com [203.0.113.5])
\tby mx.brightway.example with ESMTPS; Tue, 3 Nov 2026 14:15:02 +0000
Received: from [192.168.1.20] (unknown [198.51.100.7])
\tby mx.buyer.com; Tue, 3 Nov 2026 09:15:01 -0500
From: a@buyer.com
Subject: x
"""
    )
    parsed = parse_message(raw)
    assert len(parsed.received) == 2
    assert parsed.received[0].startswith("from mx.buyer.com")
    assert "\n" not in parsed.received[0]
    assert "198.51.100.7" in parsed.received[1]


def test_encoded_word_split_inside_a_multibyte_character():
    # "报价单" in UTF-8 is 9 bytes; split the base64 after 4 bytes (mid-character).
    data = "报价单".encode()
    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    value = f"=?UTF-8?B?{first}?= =?UTF-8?B?{second}?="
    assert decode_header_text(value) == "报价单"


def test_gb2312_label_with_gbk_only_characters():
    # 镕 and 喆 are in GBK but not GB2312; clients label such text GB2312 anyway.
    text = "朱镕基 张喆 报价"
    encoded = base64.b64encode(text.encode("gbk")).decode()
    assert decode_header_text(f"=?gb2312?B?{encoded}?=") == text
    raw = mail(
        "From: a@b.cn\nSubject: test\nContent-Type: text/plain; charset=gb2312\n"
        "Content-Transfer-Encoding: 8bit",
        text.encode("gbk"),
    )
    assert parse_message(raw).text == text


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("big5", "報價單與樣品"),
        ("iso-2022-jp", "お見積もりをお願いします"),
        ("koi8-r", "Запрос цены на светильники"),
        ("windows-1251", "Коммерческое предложение"),
        ("windows-1250", "Zapytanie ofertowe źdźbło"),
        ("gb18030", "询价：LED面板灯 𠀀"),
    ],
)
def test_body_charsets(charset, text):
    raw = mail(
        f"From: a@b.example\nSubject: x\nContent-Type: text/plain; charset={charset}",
        text.encode(charset),
    )
    assert parse_message(raw).text == text


def test_iso_8859_1_label_with_windows_1252_quotes():
    text = "We’re pleased — “best price” €"
    raw = mail(
        "From: a@b.example\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1",
        text.encode("cp1252"),
    )
    assert parse_message(raw).text == text


def test_missing_charset_utf8_body_and_raw_utf8_header():
    raw = "From: 张三 <zhang@qq.com>\r\nSubject: 询价 LED\r\n\r\n请报价\r\n".encode()
    parsed = parse_message(raw)
    assert parsed.subject == "询价 LED"
    assert parsed.from_[0].name == "张三"
    assert parsed.text.strip() == "请报价"


def test_wrong_declared_charset_falls_back_and_notes_defect():
    raw = mail(
        "From: a@b.example\nSubject: x\nContent-Type: text/plain; charset=us-ascii",
        "Precio por unidad: 3,50 €, envío incluido".encode(),
    )
    parsed = parse_message(raw)
    assert "envío" in parsed.text


def test_unknown_charset_name_does_not_crash():
    raw = mail(
        "From: a@b.example\nSubject: =?x-made-up?Q?caf=E9?=\nContent-Type: text/plain; charset=x-made-up",
        "café".encode(),
    )
    parsed = parse_message(raw)
    assert "caf" in parsed.subject
    assert parsed.text == "café"


def test_broken_base64_and_quoted_printable_bodies():
    raw = mail(
        "From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ\r\n"  # missing padding
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Caf=C3=A9 =ZZ soft=\r\nbreak</p>\r\n"
        b"--b--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.text.startswith("Hello worl")
    assert "Café" in parsed.html
    assert "softbreak" in parsed.html


def test_html_only_message_gets_text_for_search():
    raw = mail(
        "From: a@b.example\nSubject: x\nContent-Type: text/html; charset=utf-8",
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        b"<body><p>Please quote&nbsp;<b>5000 pcs</b></p><img src='http://t.example/p.gif'></body></html>",
    )
    parsed = parse_message(raw)
    assert parsed.html is not None
    assert "Please quote 5000 pcs" in parsed.text
    assert "alert" not in parsed.text and "color" not in parsed.text


def test_attachments_metadata_rfc2231_names_and_sniffing():
    exe = b"MZ\x90\x00" + b"\x00" * 200
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    raw = mail(
        "From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(pdf) + b"\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="../../etc/invoice.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(exe) + b"\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="=?GBK?B?'
        + base64.b64encode("合同.xls".encode("gbk"))
        + b'?="\r\n\r\nxx\r\n--b--\r\n',
    )
    parsed = parse_message(raw)
    names = [a.filename for a in parsed.attachments]
    assert names[0] == "报价单.pdf"
    assert "/" not in names[1] and names[1].endswith("invoice.pdf")
    assert names[2] == "合同.xls"
    first, second = parsed.attachments[0], parsed.attachments[1]
    assert first.sniffed_type == "application/pdf"
    assert first.sha256 == hashlib.sha256(pdf).hexdigest() and first.size == len(pdf)
    assert second.declared_type == "application/pdf"
    assert second.sniffed_type != "application/pdf"  # an executable posing as a PDF
    assert parsed.text.strip() == "see attached"


def test_attached_message_is_one_attachment_not_body_text():
    inner = mail("From: x@y.example\nSubject: original", b"ORIGINAL BODY\r\n")
    raw = mail(
        "From: a@b.example\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b",
        b"--b\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--b--\r\n",
    )
    parsed = parse_message(raw)
    assert "ORIGINAL BODY" not in parsed.text
    assert parsed.attachments[0].declared_type == "message/rfc822"
    assert b"ORIGINAL BODY" in parsed.attachments[0].data


def test_mbox_from_line_is_skipped_for_parsing_but_hashed():
    raw = b"From someone@example.com Mon Jan  1 00:00:00 2026\n" + mail(
        "From: a@b.example\nSubject: s"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "s"
    assert parsed.sha256 == hashlib.sha256(raw).hexdigest()


def test_bad_dates():
    assert parse_message(mail("From: a@b.example\nDate: yesterday-ish")).date is None
    assert (
        "unreadable Date header" in parse_message(mail("From: a@b.example\nDate: 99 Foo")).defects
    )
    no_zone = parse_message(mail("From: a@b.example\nDate: Tue, 3 Nov 2026 09:15:00"))
    assert no_zone.date is not None and no_zone.date.tzinfo is not None


def test_group_syntax_and_garbage_addresses():
    assert parse_addresses(["undisclosed-recipients:;"]) == []
    found = parse_addresses(["team: a@b.example, c@d.example;, e@f.example"])
    assert [a.email for a in found] == ["a@b.example", "c@d.example", "e@f.example"]
    assert parse_addresses(["not an address at all"]) == []


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4 binary", b"\x00\x01\x02", b"just some words\n"])
def test_not_an_email(data):
    assert not looks_like_email(data)
    with pytest.raises(NotAnEmail):
        parse_message(data)


def test_deep_nesting_is_bounded():
    depth = 3000
    headers = "From: a@b.example\nSubject: nest\nContent-Type: multipart/mixed; boundary=b0"
    body = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(depth)
    )
    parsed = parse_message(mail(headers, body))
    assert parsed.subject == "nest"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_after_a_header_parse_without_exception(tail):
    parsed = parse_message(b"Subject: fuzz\r\n" + tail)
    assert parsed.raw_size == len(tail) + 15


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_header_decoding_never_raises(value):
    assert isinstance(decode_header_text(value), str)


def test_nul_characters_are_replaced_everywhere_text_is_kept():
    raw = (
        b"From: Bad\x00Name <a@b.example>\r\nSubject: price\x00list\r\n"
        b"Message-ID: <id\x00x@b.example>\r\n\r\nbody with \x00 inside\r\n"
    )
    parsed = parse_message(raw)
    texts = [parsed.subject, parsed.text, parsed.from_[0].name, parsed.message_id or ""]
    texts += [value for _, value in parsed.headers]
    assert all("\x00" not in text for text in texts)
    assert parsed.subject == "price\ufffdlist"
    assert "NUL characters replaced by U+FFFD" in parsed.defects


def test_many_nested_boundaries_do_not_make_parsing_slow():
    # The stdlib parser matches every line against every enclosing boundary: 150
    # levels with text on each level used to take a quarter of a second or more.
    import time

    depth = 150
    parts = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        + b"filler line\r\n" * 20
        for i in range(depth)
    )
    raw = mail(
        "From: a@b.example\nSubject: nest\nContent-Type: multipart/mixed; boundary=b0", parts
    )
    started = time.process_time()
    parsed = parse_message(raw)
    assert time.process_time() - started < 0.1
    assert "MIME structure nested too deeply; body kept as raw text" in parsed.defects
    assert "filler line" in parsed.text
