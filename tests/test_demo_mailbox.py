"""The demo mailbox must keep showing what the README promises.

Each test reads the committed ``.eml`` files (what ``tradeinbox import`` loads) and
checks one promise: countries and languages, charsets and encodings, the buyer with
three addresses, the PO thread, the phishing mail, the DSN and auto-replies, valid
attachments, reserved domains and IP ranges only, and that the generator still
reproduces the files byte for byte.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from functools import lru_cache

import phonenumbers
import pytest

from tradeinbox.core.autoreplies import detect_autoreply
from tradeinbox.core.bounces import detect_bounce
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.parse import parse_message
from tradeinbox.demo import DEMO_NOW, MAILBOX_DIR

OWN = "brightway-lighting.example"
PO = "4500012345"
FREEMAIL = {"gmail.com", "yahoo.com", "outlook.com"}
DOC_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]


@lru_cache(maxsize=1)
def mailbox() -> dict[str, tuple[bytes, ParsedMessage]]:
    files = sorted(MAILBOX_DIR.glob("*.eml"))
    return {p.name: (p.read_bytes(), parse_message(p.read_bytes())) for p in files}


def messages() -> list[ParsedMessage]:
    return [parsed for _, parsed in mailbox().values()]


def by_slug(fragment: str) -> tuple[bytes, ParsedMessage]:
    hits = [value for name, value in mailbox().items() if fragment in name]
    assert len(hits) == 1, f"expected one file matching {fragment!r}, got {len(hits)}"
    return hits[0]


def inbound() -> list[ParsedMessage]:
    return [m for m in messages() if m.from_address and m.from_address.domain != OWN]


def stdlib(raw: bytes) -> Message:
    return message_from_bytes(raw, policy=policy.default)


def test_size_and_clean_parse():
    box = mailbox()
    assert 40 <= len(box) <= 60
    for name, (raw, parsed) in box.items():
        assert parsed.defects == [], name
        assert parsed.message_id, name
        assert parsed.date is not None and parsed.utc_offset_minutes is not None, name
        assert raw.endswith(b"\n") and b"\r" not in raw, name
        assert stdlib(raw).defects == [], name
    ids = [m.message_id for m in messages()]
    assert len(set(ids)) == len(ids)


def test_dates_span_six_weeks_in_sending_order():
    dates = [m.date for m in messages()]
    assert dates == sorted(dates), "file numbers must follow the sending time"
    assert dates[0] >= datetime(2026, 10, 9, tzinfo=UTC)
    assert dates[-1] <= DEMO_NOW <= datetime(2026, 11, 21, tzinfo=UTC)
    assert (dates[-1] - dates[0]).days >= 40
    # Daylight saving ends inside the span: Germany +0200 -> +0100, USA -0400 -> -0500.
    offsets: dict[str, set[int]] = {}
    for m in inbound():
        offsets.setdefault(m.from_address.domain, set()).add(m.utc_offset_minutes)
    assert offsets["schaefer-lichttechnik.example"] == {120, 60}
    assert offsets["sunrise-home.example"] == {-240, -300}


def test_inquiries_come_from_many_countries():
    regions: set[str] = set()
    for m in inbound():
        # POSSIBLE: +44 1632 960xxx is Ofcom's range for fiction, not "valid" numbers.
        for match in phonenumbers.PhoneNumberMatcher(m.text, None, phonenumbers.Leniency.POSSIBLE):
            regions.add(phonenumbers.region_code_for_country_code(match.number.country_code))
    assert {"US", "DE", "MX", "BR", "RU", "SA", "AE", "IN", "NG", "GB", "CN", "GH"} <= regions
    offsets = {m.utc_offset_minutes for m in inbound()}
    assert {-300, -240, -360, -180, 0, 60, 120, 180, 240, 330, 480} <= offsets


def test_languages_and_search_words():
    from lingua import Language, LanguageDetectorBuilder

    wanted = [
        Language.ENGLISH,
        Language.GERMAN,
        Language.SPANISH,
        Language.PORTUGUESE,
        Language.RUSSIAN,
        Language.CHINESE,
        Language.ARABIC,
    ]
    detector = LanguageDetectorBuilder.from_languages(*wanted).build()
    found = {detector.detect_language_of(m.text[:600]) for m in inbound()}
    assert set(wanted) - {Language.ARABIC} <= found
    assert any(re.search(r"[\u0600-\u06ff]{4}", m.text) for m in inbound())
    corpus = "\n".join(m.subject + "\n" + m.text for m in messages())
    for word in ("报价单", "订舱", "海运费", "Anfrage", "cotización", "Cotação", "коммерческого"):
        assert word in corpus, word


def _text_parts(raw: bytes):
    for part in message_from_bytes(raw).walk():
        if part.get_content_maintype() == "text" and not part.get_filename():
            yield (
                part.get_content_charset(),
                (part.get("Content-Transfer-Encoding") or "7bit").lower(),
            )


def test_charsets_and_transfer_encodings():
    charsets, encodings, words = set(), set(), set()
    for raw, _ in mailbox().values():
        for charset, cte in _text_parts(raw):
            charsets.add(charset)
            encodings.add(cte)
        words.update(c.lower() for c in re.findall(rb"=\?([\w-]+)\?[bqBQ]\?", raw))
    assert {"utf-8", "gb2312", "gbk", "iso-8859-1", "koi8-r", "windows-1251"} <= charsets
    assert {"7bit", "8bit", "quoted-printable", "base64"} <= encodings
    assert {b"gb2312", b"koi8-r", b"iso-8859-1", b"utf-8"} <= words
    # Only IANA names in encoded-words (Python's "eucgb2312_cn" must not leak out).
    assert words <= {b"utf-8", b"gb2312", b"gbk", b"iso-8859-1", b"koi8-r", b"windows-1251"}
    raw, parsed = by_slug("ru-zapros-kp-koi8r")
    assert "светодиодные" in parsed.subject and parsed.from_address.name == "Дмитрий Смирнов"
    assert str(stdlib(raw)["Subject"]) == parsed.subject


_QUOTE_START = re.compile(r"^(?:_{10,}|-+ Original -+|On .+ wrote:)$", re.M)


def _signed_by_michael(m: ParsedMessage) -> bool:
    own_text = _QUOTE_START.split(m.text, 1)[0]
    return "Senior Sourcing Manager - Lighting & Electrical" in own_text


def test_one_buyer_writes_from_three_addresses_in_one_deal():
    own = [m for m in messages() if _signed_by_michael(m) and "h0me" not in m.from_address.email]
    addresses = {m.from_address.email for m in own}
    assert addresses == {
        "mtorres.sourcing@gmail.com",
        "m.torres@sunrise-home.example",
        "purchase@sunrise-home.example",
    }
    first = min(own, key=lambda m: m.date)
    assert first.from_address.domain == "gmail.com" and not first.references
    assert all(m is first or first.message_id in m.references for m in own)
    assert {m.from_address.name for m in own} <= {"Michael Torres", "Sunrise Home Depot Purchasing"}


def test_quotation_po_thread_is_linked():
    ids = {m.message_id for m in messages()}
    for m in messages():  # every reply points at a message that is in the demo
        if m.in_reply_to:
            assert m.in_reply_to in ids and m.references[-1] == m.in_reply_to, m.subject
            assert set(m.references) <= ids, m.subject
    _, quote = by_slug("sunrise-quotation-QT-2026-0187")
    _, order = by_slug("sunrise-po-4500012345")
    _, proforma = by_slug("sunrise-proforma-invoice")
    _, shipping = by_slug("sunrise-shipping-advice-bl")
    _, inquiry = by_slug("sunrise-inquiry-from-gmail")
    assert quote.attachments[0].sniffed_type == "application/pdf"
    assert b"QT-2026-0187" in quote.attachments[0].data
    assert f"PO# {PO}" in order.subject and order.from_address.email.startswith("purchase@")
    assert PO.encode() in order.attachments[0].data
    chain = shipping.references
    positions = [chain.index(m.message_id) for m in (inquiry, quote, order, proforma)]
    assert positions == sorted(positions)
    assert re.search(r"B/L No\.: PCLUNGB\d{8}", shipping.text)
    assert re.search(r"AWB No\. \d{10}", shipping.text)
    for container in re.findall(r"\b([A-Z]{4}\d{7})\b", shipping.text):
        assert _iso6346_ok(container), container


def _iso6346_ok(code: str) -> bool:
    values, number = {}, 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        number += number % 11 == 0
        values[letter] = number
        number += 1
    total = sum((values.get(c) or int(c)) * 2**i for i, c in enumerate(code[:10]))
    return total % 11 % 10 == int(code[10])


def test_phishing_mail():
    raw, phish = by_slug("phishing")
    domain = phish.from_address.domain
    assert domain != "sunrise-home.example"
    assert domain.translate(str.maketrans("0", "o")) == "sunrise-home.example"
    assert phish.reply_to and phish.reply_to[0].domain in FREEMAIL
    assert "bank account has changed" in phish.text
    results = " ".join(phish.authentication_results)
    for verdict in ("spf=fail", "dkim=fail", "dmarc=fail"):
        assert verdict in results
    (page,) = phish.attachments
    assert page.filename == f"Invoice_{PO}.pdf.html" and page.sniffed_type == "text/html"
    assert b'type="password"' in page.data
    assert phish.in_reply_to == by_slug("sunrise-shipping-advice-bl")[1].message_id


def test_dkim_signatures_verify_except_the_phishing_one():
    import dkim

    from tradeinbox.demo._dkim import dns_txt

    results = {
        name: dkim.verify(raw, dnsfunc=dns_txt)
        for name, (raw, _) in mailbox().items()
        if b"\nDKIM-Signature:" in raw
    }
    assert len(results) >= 25
    failed = {name for name, ok in results.items() if not ok}
    assert len(failed) == 1 and "phishing" in next(iter(failed))


def test_bounce_is_an_rfc3464_dsn():
    raw, dsn = by_slug("bounce-dsn")
    message = stdlib(raw)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert dsn.from_address.email == f"mailer-daemon@mx.{OWN}"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    status = raw.split(b"Content-Type: message/delivery-status", 1)[1].decode()
    assert "Final-Recipient: rfc822; tom.baker@evergreen-lighting.example" in status
    assert "Action: failed" in status and "Status: 5.1.1" in status
    assert re.search(r"Diagnostic-Code: smtp; 550 5\.1\.1 .*User\s+unknown", status, re.S)
    original = re.search(rb"text/rfc822-headers.*?^Message-ID: (<[^>]+>)", raw, re.S | re.M)
    sent = [m for m in messages() if m.message_id == original.group(1).decode().strip("<>")]
    assert sent and sent[0].from_address.email == f"lily@{OWN}"
    report = detect_bounce(dsn, raw=raw)
    assert report.kind == "dsn"
    assert report.hard_addresses == ["tom.baker@evergreen-lighting.example"]


def test_auto_replies():
    _, away = by_slug("de-out-of-office")
    _, left = by_slug("has-left-the-company")
    for m in (away, left):
        assert m.header("Auto-Submitted") == "auto-replied" and m.in_reply_to
    assert detect_autoreply(away.headers, away.text).kind == "vacation"
    assert detect_autoreply(left.headers, left.text).kind == "left_company"
    assert "sarah.mitchell@evergreen-lighting.example" in left.text


def test_outbound_bulk_and_scams():
    sent = [m for m in messages() if m.from_address.email == f"lily@{OWN}"]
    assert len(sent) >= 15
    external = [m for m in sent if any(a.domain != OWN for a in m.to)]
    assert len(external) == len(sent) - 1  # one internal mail to her manager
    assert all("www.brightway-lighting.example" in m.text or "陈丽" in m.text for m in external)
    assert any("WhatsApp" in m.subject and "As discussed" in m.text for m in sent)
    newsletters = [m for m in messages() if "list-unsubscribe" in m.list_headers]
    assert newsletters
    for m in newsletters:
        value = m.list_headers["list-unsubscribe"]
        assert "<https://" in value and "<mailto:" in value
        assert m.list_headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    _, visa = by_slug("visa-invitation")
    assert "INVITATION" in visa.text and visa.from_address.domain in FREEMAIL
    _, nigeria = by_slug("ng-send-price-list")
    assert nigeria.date.hour < 6 and nigeria.from_address.domain == "yahoo.com"


def test_attachments_are_valid_files():
    seen: set[str] = set()
    for m in messages():
        for a in m.attachments:
            kind = a.filename.rsplit(".", 1)[-1].lower()
            seen.add(kind)
            if kind == "pdf":
                _check_pdf(a.data)
            elif kind == "png":
                _check_png(a.data)
            elif kind == "xlsx":
                with zipfile.ZipFile(io.BytesIO(a.data)) as archive:
                    assert archive.testzip() is None
                    assert "萨凡纳" in archive.read("xl/worksheets/sheet1.xml").decode()
            elif kind == "csv":
                rows = list(csv.reader(io.StringIO(a.data.decode("ascii"))))
                assert len(rows) > 5 and len({len(r) for r in rows}) == 1
    assert {"pdf", "png", "xlsx", "csv", "html"} <= seen


def _check_pdf(data: bytes) -> None:
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\s+(\d+)", data).group(1))
    assert data[start:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", data[start:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)


def _check_png(data: bytes) -> None:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, kinds = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        kinds.append(kind)
        position += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"


def test_only_reserved_domains_and_documentation_addresses():
    for name, (raw, m) in mailbox().items():
        people = [*m.from_, *m.to, *m.cc, *m.reply_to]
        for address in people:
            if address.email == "undisclosed-recipients:;" or not address.email:
                continue
            assert address.domain.endswith(".example") or address.domain in FREEMAIL, (
                name,
                address,
            )
        for value in m.received:
            for literal in re.findall(r"\[([0-9a-fA-F.:]+)\]", value):
                ip = ipaddress.ip_address(literal)
                assert ip.is_private or any(ip in net for net in DOC_NETS), (name, literal)
        assert b"Received" in raw or m.from_address.email == f"lily@{OWN}", name


@pytest.mark.slow
def test_generator_reproduces_the_committed_files():
    from tradeinbox.demo.build_mailbox import README, build_all, readme_text

    files = build_all()
    assert {name for name, _ in files} == set(mailbox())
    for name, entry in files:
        assert entry.data == mailbox()[name][0], name
    assert README.read_text(encoding="utf-8") == readme_text(files)
