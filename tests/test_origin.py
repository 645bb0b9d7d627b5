"""Origin analysis: Received-chain walk, client IP, claimed countries, local hour."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradeinbox.core.origin import (
    analyse_origin,
    countries_with_offset,
    find_client_ip,
    parse_received,
    registered_domain,
)
from tradeinbox.core.parse import parse_message

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)


def build(headers: str, body: str = "Hello") -> bytes:
    return (headers.strip("\n") + "\n\n" + body + "\n").encode()


GMAIL_TO_US = build(
    """Received: from localhost (localhost [127.0.0.1])
\tby mx.ourfactory.cn (Postfix) with ESMTP id AAA; Tue, 3 Mar 2026 10:00:02 +0800 (CST)
Received: from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54])
\tby mx.ourfactory.cn (Postfix) with ESMTPS id BBB; Tue, 3 Mar 2026 10:00:01 +0800 (CST)
Received: by mail-wr1-f54.google.com with SMTP id x; Mon, 02 Mar 2026 18:00:00 -0800 (PST)
X-Originating-IP: [41.58.10.20]
From: "Buyer" <buyer@gmail.com>
To: sales@ourfactory.cn
Subject: Inquiry
Date: Tue, 3 Mar 2026 03:10:00 +0100
Message-ID: <a@b>"""
)


def test_parse_received_dialects() -> None:
    postfix = parse_received(
        "from mail.example.de (mail.example.de [81.169.145.1]) by mx.us.cn (Postfix) with ESMTPS id 1"
    )
    assert postfix and postfix.ip == "81.169.145.1" and postfix.by_host == "mx.us.cn"
    qmail = parse_received(
        "from unknown (HELO mailgateway.cursor-system.com) (62.189.7.27) by mta2"
    )
    assert qmail and qmail.ip == "62.189.7.27"
    exim = parse_received("from [5.6.7.8] (helo=fake.example) by smtp.example.org with esmtp")
    assert exim and exim.ip == "5.6.7.8"
    microsoft = parse_received(
        "from BN0PR03CA0023.namprd03.prod.outlook.com (2603:10b6:408:e6::28) by "
        "SA3PR19MB7370.namprd19.prod.outlook.com with Microsoft SMTP Server"
    )
    assert microsoft and microsoft.ip == "2603:10b6:408:e6::28"
    # A HELO that claims an IP must not beat the address the MTA saw.
    liar = parse_received("from [8.8.8.8] (unknown [203.0.113.9]) by mx.example.org")
    assert liar and liar.ip == "203.0.113.9"
    assert parse_received("by mail.example.org (Postfix, from userid 0)").ip is None


def test_boundary_skips_private_hops_and_uses_webmail_client_ip() -> None:
    msg = parse_message(GMAIL_TO_US)
    ip, boundary, hops, evidence = find_client_ip(msg)
    assert boundary == 1  # hop 0 is localhost, internal
    # Gmail is a webmail relay: the recorded client address wins.
    assert ip == "41.58.10.20"
    assert any(e.rule == "origin.webmail_client" for e in evidence)


def test_forged_lower_hops_do_not_move_the_origin() -> None:
    raw = build(
        """Received: from relay.badhost.example (unknown [45.33.32.156])
\tby mx.ourfactory.cn (Postfix) with ESMTP id C; Tue, 3 Mar 2026 10:00:01 +0800
Received: from trusted.bank.example ([93.184.216.34]) by mail.bank.example; Tue, 3 Mar 2026 10:00:00 +0800
From: x@bank.example
Subject: s
Date: Tue, 3 Mar 2026 10:00:00 +0800"""
    )
    ip, boundary, _, _ = find_client_ip(parse_message(raw))
    # the lower hop was "received by mail.bank.example", which is not the host that
    # talked to us: the chain does not link, so it is not followed.
    assert (ip, boundary) == ("45.33.32.156", 0)


def test_local_hour_night_and_offset_countries() -> None:
    result = analyse_origin(parse_message(GMAIL_TO_US))
    assert result.local_hour == 3
    assert result.night is True
    assert any(e.rule == "origin.night_hour" for e in result.evidence)
    assert "DE" in result.offset_countries and "NG" in result.offset_countries
    assert "CN" not in result.offset_countries


def test_claimed_countries_from_phone_tld_and_address() -> None:
    raw = build(
        """From: Hans <hans@maschinen-handel.de>
To: sales@ourfactory.cn
Subject: RFQ
Date: Tue, 3 Mar 2026 14:00:00 +0100""",
        "Please quote 200 pcs.\n\nBest regards\nHans Meier\nMaschinen Handel GmbH\n"
        "Hauptstr. 1, 80331 Munich, Germany\nTel: +49 89 1234567\n",
    )
    result = analyse_origin(parse_message(raw))
    assert set(result.claimed) == {"DE"}
    sources = " ".join(result.claimed["DE"])
    assert "phone" in sources and ".de" in sources and "germany" in sources.lower()
    assert result.night is False


def test_country_mismatch_evidence() -> None:
    raw = build(
        """Received: from client (unknown [41.58.10.20]) by mx.ourfactory.cn (Postfix); Tue, 3 Mar 2026 10:00:01 +0800
From: Hans <hans@maschinen-handel.de>
Subject: RFQ
Date: Tue, 3 Mar 2026 14:00:00 +0100""",
        "Regards\nHans\nTel +49 89 1234567",
    )
    result = analyse_origin(parse_message(raw))
    assert result.ip == "41.58.10.20" and result.country == "NG"
    assert any(e.rule == "origin.country_mismatch" for e in result.evidence)


def test_offset_table_respects_daylight_saving() -> None:
    assert "GB" in countries_with_offset(60, "2026-07-01")
    assert "GB" not in countries_with_offset(60, "2026-01-15")
    assert "CN" in countries_with_offset(480, "2026-01-15")


def test_no_received_lines_gives_no_ip() -> None:
    result = analyse_origin(parse_message(build("From: a@b.example\nSubject: x")))
    assert result.ip is None and result.country is None and result.local_hour is None


def test_registered_domain_offline() -> None:
    assert registered_domain("mail-sor-f41.google.com") == "google.com"
    assert registered_domain("smtp.example.co.uk") == "example.co.uk"


@pytest.mark.corpora
def test_spamassassin_corpus_origins_are_public() -> None:
    folder = CORPORA / "spamassassin_public" / "easy-ham-1"
    if not folder.is_dir():
        pytest.skip("corpora absent")
    files = sorted(folder.iterdir())[:60]
    found = 0
    for path in files:
        result = analyse_origin(parse_message(path.read_bytes()))
        if result.ip:
            found += 1
            assert not result.ip.startswith(("10.", "127.", "192.168."))
    assert found >= 50
