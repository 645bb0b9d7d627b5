"""Authentication-Results trust rules and the offline-safe local DKIM check."""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tradeinbox.core.authres import (
    DnsUnavailable,
    authenticate,
    parse_authentication_results,
    trusted_verdict,
    verify_dkim,
)
from tradeinbox.core.origin import find_client_ip
from tradeinbox.core.parse import parse_message


def test_parse_rfc8601_header() -> None:
    parsed = parse_authentication_results(
        "mx.example.org 1; spf=pass smtp.mailfrom=a@b.com; dkim=pass (2048-bit key) "
        "header.d=b.com header.s=s1; dmarc=fail (p=REJECT) header.from=b.com"
    )
    assert parsed.authserv_id == "mx.example.org"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "fail"),
    ]
    assert parsed.results[1].properties["header.d"] == "b.com"


def test_parse_microsoft_header_without_authserv_id() -> None:
    parsed = parse_authentication_results(
        "spf=fail (sender IP is 1.2.3.4) smtp.mailfrom=x.com; dkim=none (message not signed) "
        "header.d=none;dmarc=fail action=quarantine header.from=bank.com;compauth=fail reason=001"
    )
    assert parsed.authserv_id == ""
    results = {r.method: r.result for r in parsed.results}
    assert results == {"spf": "fail", "dkim": "none", "dmarc": "fail", "compauth": "fail"}


def test_none_result_header() -> None:
    assert parse_authentication_results("mx.example.org; none").results == []


MESSAGE = """Authentication-Results: mx.ours.example; dmarc=fail header.from=bank.example
Received: from evil.example (evil.example [45.33.32.156])
\tby mx.ours.example (Postfix) with ESMTP id 1; Tue, 3 Mar 2026 10:00:00 +0000
Authentication-Results: mx.ours.example; dmarc=pass header.from=bank.example
Authentication-Results: forged.example; spf=pass smtp.mailfrom=bank.example
From: Bank <alerts@bank.example>
To: you@ours.example
Subject: hi
Date: Tue, 3 Mar 2026 10:00:00 +0000

body
"""


def test_position_trust_uses_only_headers_above_the_boundary() -> None:
    msg = parse_message(MESSAGE.encode())
    _, boundary, _, _ = find_client_ip(msg)
    assert boundary == 0
    verdict = trusted_verdict(msg, None, boundary)
    # The "pass" below the boundary line could be the sender's forgery; our MTA's
    # own authserv-id makes the first one count, and "fail" is what it said on top.
    assert verdict.dmarc == "fail"
    assert verdict.spf is None  # forged.example is nobody we know
    assert verdict.failed
    assert any(e.rule == "auth.dmarc_fail" and e.weight > 0 for e in verdict.evidence)


def test_configured_authserv_ids_only() -> None:
    msg = parse_message(MESSAGE.encode())
    verdict = trusted_verdict(msg, ["forged.example"], None)
    assert verdict.spf == "pass" and verdict.dmarc is None
    assert trusted_verdict(msg, [], None).dmarc is None


def test_nothing_trusted_without_boundary_or_ids() -> None:
    raw = b"Authentication-Results: x; dmarc=pass\nFrom: a@b.example\nSubject: s\n\nhi\n"
    verdict = trusted_verdict(parse_message(raw), None, None)
    assert (verdict.spf, verdict.dkim, verdict.dmarc) == (None, None, None)


# ------------------------------------------------------------------ local DKIM


@pytest.fixture(scope="module")
def signing_key() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _signed(private: bytes) -> bytes:
    message = (
        b"From: Sales <sales@supplier.example>\r\nTo: buyer@ours.example\r\n"
        b"Subject: Quotation\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\nPrice: 10 USD\r\n"
    )
    signature = dkim.sign(
        message, b"s1", b"supplier.example", private, include_headers=[b"from", b"subject"]
    )
    return signature + message


def test_dkim_pass_with_injected_dns(signing_key) -> None:
    private, txt = signing_key
    asked = []

    def dns(name: bytes, timeout: float = 3.0) -> bytes | None:
        asked.append(name)
        return txt if name == b"s1._domainkey.supplier.example." else None

    verdict = verify_dkim(_signed(private), dns)
    assert verdict.dkim == "pass" and verdict.dkim_domains == ["supplier.example"]
    assert asked


def test_dkim_fail_when_body_altered(signing_key) -> None:
    private, txt = signing_key
    tampered = _signed(private).replace(b"10 USD", b"99 USD")
    verdict = verify_dkim(tampered, lambda name, timeout=3.0: txt)
    assert verdict.dkim == "fail"
    assert any(e.rule == "auth.dkim_fail" for e in verdict.evidence)


def test_dkim_without_dns_is_no_verdict(signing_key) -> None:
    private, _ = signing_key

    def offline(name: bytes, timeout: float = 3.0) -> bytes | None:
        raise DnsUnavailable("network unreachable")

    verdict = verify_dkim(_signed(private), offline)
    assert verdict.dkim is None
    assert any(e.rule == "auth.dkim_no_dns" for e in verdict.evidence)


def test_unsigned_message_is_no_verdict() -> None:
    verdict = verify_dkim(
        b"From: a@b.example\r\nSubject: x\r\n\r\nhi\r\n", lambda n, timeout=3: None
    )
    assert verdict.dkim is None


def test_authenticate_skips_dns_when_not_injected(signing_key) -> None:
    private, _ = signing_key
    raw = _signed(private)
    verdict = authenticate(parse_message(raw), raw)
    assert verdict.dkim is None  # offline by default: no DNS function given
