"""Domain deliverability check (issue 8) against a real NSD server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

try:  # tests/ as a package (rootdir on sys.path) or as a plain folder (pytest prepend mode)
    from tests.servers.dns import (  # noqa: F401 - dns_server is a fixture
        BL_ZONE,
        IP_GENERIC,
        IP_GOOD,
        IP_LISTED,
        IP_MISMATCH,
        IP_NO_PTR,
        IP_REFUSED,
        dns_server,
    )
except ModuleNotFoundError:
    from servers.dns import (  # type: ignore[no-redef]  # noqa: F401
        BL_ZONE,
        IP_GENERIC,
        IP_GOOD,
        IP_LISTED,
        IP_MISMATCH,
        IP_NO_PTR,
        IP_REFUSED,
        dns_server,
    )
from tradeinbox.core import dnscheck, spf
from tradeinbox.core.dkimsign import (
    DEFAULT_SIGNED_HEADERS,
    dns_record,
    generate_key,
    sign_message,
    verify_message,
)
from tradeinbox.core.dnscheck import (
    Dns,
    check_dkim,
    check_dmarc,
    check_dnsbl,
    check_mx,
    check_ptr,
    check_spf,
    dnsbl_query_name,
    parse_nameserver,
)

ROOT = Path(__file__).resolve().parents[1]
SERVERS = pytest.mark.servers  # tests that talk to the local nsd


@pytest.fixture()
def dns_(dns_server):  # noqa: F811
    return Dns(dns_server.resolver())


# --- pure units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record, error",
    [
        ("v=spf1 ip4:192.0.2.300 -all", "invalid address"),
        ("v=spf1 include -all", "needs a domain"),
        ("v=spf1 foo:bar -all", "unknown mechanism"),
        ("v=spf1 ip6:192.0.2.1 -all", "wrong address family"),
        ("v=spf1 redirect=a.test redirect=b.test", "more than once"),
        ("v=spf1 all:x", "takes no argument"),
        ("spf1 -all", "must start"),
        ("v=spf1 a:192.0.2.1 -all", "looks like an IP"),
        ("v=spf1 a/33 -all", "prefix length"),
    ],
)
def test_spf_syntax_errors(record, error):
    with pytest.raises(spf.SpfSyntaxError, match=error):
        spf.parse_record(record)


def test_spf_parse_valid_terms():
    rec = spf.parse_record("v=spf1 a/24 mx:mail.x.test//64 ~ip4:10.0.0.0/8 exp=e.x.test -all")
    assert [(t.qualifier, t.mechanism) for t in rec.terms] == [
        ("+", "a"), ("+", "mx"), ("~", "ip4"), ("-", "all")
    ]  # fmt: skip
    assert rec.terms[0].cidr4 == 24 and rec.terms[1].cidr6 == 64
    assert rec.terms[1].value == "mail.x.test" and rec.exp == "e.x.test"


def test_spf_macro_expansion():
    # RFC 7208 §7.4 worked examples
    kw = {
        "ip": "192.0.2.3",
        "domain": "email.example.com",
        "sender": "strong-bad@email.example.com",
    }
    assert spf.expand_macros("%{s}", **kw) == "strong-bad@email.example.com"
    assert spf.expand_macros("%{d4}", **kw) == "email.example.com"
    assert spf.expand_macros("%{d2}", **kw) == "example.com"
    assert spf.expand_macros("%{dr}", **kw) == "com.example.email"
    assert spf.expand_macros("%{l-}", **kw) == "strong.bad"
    assert spf.expand_macros("%{ir}.%{v}._spf.%{d2}", **kw) == "3.2.0.192.in-addr._spf.example.com"


def test_dnsbl_query_name_reverses():
    assert dnsbl_query_name("192.0.2.66", "bl.test") == "66.2.0.192.bl.test"
    v6 = dnsbl_query_name("2001:db8::1", "bl.test")
    assert v6.startswith("1.0.0.0.0.0.0.0") and v6.endswith("8.b.d.0.1.0.0.2.bl.test")


def test_parse_nameserver():
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:53") == ("::1", 53)
    assert parse_nameserver("ns.example") == ("ns.example", 53)
    assert parse_nameserver(None) == (None, 53)


def test_organizational_domain_offline():
    assert dnscheck.organizational_domain("mail.shop.example.co.uk") == "example.co.uk"


def test_dns_errors_become_could_not_check_warnings():
    # A port nobody listens on: every query times out, nothing raises.
    free_port = sys.modules[dns_server.__module__].free_port

    dead = Dns(dnscheck.make_resolver("127.0.0.1", free_port(), timeout=0.3))
    checks = [
        check_spf(dead, "good.test", IP_GOOD),
        check_dkim(dead, "good.test", "sel2048"),
        check_dmarc(dead, "good.test"),
        check_mx(dead, "good.test"),
        check_ptr(dead, IP_GOOD),
    ]
    for check in checks:
        assert check.status == "warn" and "could not check" in check.detail, check
    bl = check_dnsbl(dead, IP_GOOD, [BL_ZONE])
    assert bl.status == "warn" and "could not check" in bl.detail


# --- SPF --------------------------------------------------------------------------------


@SERVERS
def test_spf_pass_covers_ip_and_counts_lookups(dns_):
    check = check_spf(dns_, "good.test", IP_GOOD)
    assert check.status == "pass", check
    assert "DNS lookups counted recursively: 2" in check.evidence  # include + mx
    # an IP authorised only through the include
    assert check_spf(dns_, "good.test", "198.51.100.7").status == "pass"


@SERVERS
def test_spf_exactly_ten_lookups_passes(dns_):
    check = check_spf(dns_, "spften.test")
    assert check.status == "pass" and "(10 lookups)" in check.detail


@SERVERS
def test_spf_too_many_lookups_fails(dns_):
    check = check_spf(dns_, "spfmany.test")
    assert check.status == "fail"
    assert "needs 12 DNS lookups" in check.detail and "flatten" in check.fix
    ev = spf.check_host(dns_, IP_GOOD, "spfmany.test")
    assert ev.result == "permerror" and "more than 10" in ev.error


@SERVERS
def test_spf_syntax_error_fails(dns_):
    check = check_spf(dns_, "spfsyntax.test", IP_GOOD)
    assert check.status == "fail" and "syntax" in check.detail
    assert f"ip4:{IP_GOOD}" in check.record and check.record.startswith("spfsyntax.test. IN TXT")


@SERVERS
def test_spf_plus_all_fails(dns_):
    check = check_spf(dns_, "spfplusall.test")
    assert check.status == "fail" and "+all" in check.detail
    assert "+all" not in check.record and check.record.endswith('~all"')


@SERVERS
def test_spf_not_covering_ip_fails_with_fixed_record(dns_):
    check = check_spf(dns_, "spfnocover.test", IP_GOOD)
    assert check.status == "fail" and "not authorised (result fail)" in check.detail
    assert check.record == f'spfnocover.test. IN TXT "v=spf1 ip4:{IP_GOOD} ip4:203.0.113.0/24 -all"'
    assert spf.check_host(dns_, "203.0.113.9", "spfnocover.test").result == "pass"


@SERVERS
def test_spf_missing_and_duplicate(dns_):
    missing = check_spf(dns_, "nodmarc.test", IP_GOOD)
    assert missing.status == "fail" and "no SPF record" in missing.detail
    assert missing.record == f'nodmarc.test. IN TXT "v=spf1 mx ip4:{IP_GOOD} ~all"'
    two = check_spf(dns_, "spftwo.test")
    assert two.status == "fail" and "2 SPF records" in two.detail


# --- DKIM -------------------------------------------------------------------------------


@SERVERS
def test_dkim_2048_passes(dns_):
    check = check_dkim(dns_, "good.test", "sel2048")
    assert check.status == "pass" and "2048-bit" in check.detail


@SERVERS
def test_dkim_1024_warns(dns_):
    check = check_dkim(dns_, "good.test", "weak1024")
    assert check.status == "warn" and "1024 bits" in check.detail


@SERVERS
@pytest.mark.parametrize(
    "selector, words",
    [("revoked", "revoked"), ("missing", "no DKIM key"), ("garbage", "not a valid public key")],
)
def test_dkim_failures(dns_, selector, words):
    check = check_dkim(dns_, "good.test", selector)
    assert check.status == "fail" and words in check.detail
    assert f"{selector}._domainkey.good.test. IN TXT" in check.record


@SERVERS
def test_dkim_without_selector_warns_when_none_found(dns_):
    assert check_dkim(dns_, "good.test").status == "warn"


# --- DMARC ------------------------------------------------------------------------------


@SERVERS
def test_dmarc_reject_passes_and_reports_alignment(dns_):
    check = check_dmarc(dns_, "good.test")
    assert check.status == "pass"
    assert any("DKIM d= strict" in e and "SPF MAIL FROM relaxed" in e for e in check.evidence)


@SERVERS
@pytest.mark.parametrize(
    "domain, status, words",
    [
        ("nodmarc.test", "fail", "no DMARC record"),
        ("dmarcbad.test", "fail", "p=maybe"),
        ("dmarcnone.test", "warn", "p=none only monitors"),
        ("dmarcpct.test", "warn", "pct=20"),
    ],
)
def test_dmarc_problems(dns_, domain, status, words):
    check = check_dmarc(dns_, domain)
    assert check.status == status and words in check.detail, check
    assert check.record.startswith(f"_dmarc.{domain}. IN TXT")


@SERVERS
def test_dmarc_external_rua_needs_authorisation(dns_):
    check = check_dmarc(dns_, "dmarcpct.test")
    assert "dmarcpct.test._report._dmarc.good.test" in check.detail
    assert check_dmarc(dns_, "dmarcext.test").status == "pass"  # authorised by good.test


# --- MX ---------------------------------------------------------------------------------


@SERVERS
def test_mx_good(dns_):
    check = check_mx(dns_, "good.test")
    assert check.status == "pass" and "mail.good.test -> 192.0.2.10" in check.evidence


@SERVERS
@pytest.mark.parametrize(
    "domain, words",
    [
        ("nomx.test", "no MX record"),
        ("nullmx.test", "null MX"),
        ("mxbroken.test", "does not resolve"),
    ],
)
def test_mx_failures(dns_, domain, words):
    check = check_mx(dns_, domain)
    assert check.status == "fail" and words in check.detail
    assert check.record == f"{domain}. IN MX 10 mail.{domain}."


# --- PTR / FCrDNS -----------------------------------------------------------------------


@SERVERS
def test_ptr_forward_confirmed(dns_):
    assert check_ptr(dns_, IP_GOOD).status == "pass"


@SERVERS
def test_ptr_mismatch_fails_with_forward_record(dns_):
    check = check_ptr(dns_, IP_MISMATCH)
    assert check.status == "fail" and "does not resolve back" in check.detail
    assert check.record == f"mismatch.good.test. IN A {IP_MISMATCH}"


@SERVERS
def test_ptr_missing_fails(dns_):
    check = check_ptr(dns_, IP_NO_PTR, "good.test")
    assert check.status == "fail"
    assert check.record == "30.2.0.192.in-addr.arpa. IN PTR mail.good.test."


@SERVERS
def test_ptr_generic_name_warns(dns_):
    assert check_ptr(dns_, IP_GENERIC).status == "warn"


# --- DNSBL ------------------------------------------------------------------------------


@SERVERS
def test_dnsbl_not_listed(dns_):
    assert check_dnsbl(dns_, IP_GOOD, [BL_ZONE, "bl2.test"]).status == "pass"


@SERVERS
def test_dnsbl_listed_with_reason(dns_):
    check = check_dnsbl(dns_, IP_LISTED, [BL_ZONE, "bl2.test"])
    assert check.status == "fail" and "listed on bl.test" in check.detail
    assert any("spam trap hits" in e for e in check.evidence)


@SERVERS
def test_dnsbl_rfc5782_test_point(dns_):
    assert check_dnsbl(dns_, "127.0.0.2", [BL_ZONE]).status == "fail"


@SERVERS
def test_dnsbl_refused_code_is_not_a_listing(dns_):
    check = check_dnsbl(dns_, IP_REFUSED, [BL_ZONE])
    assert check.status == "warn" and "refused" in check.detail
    assert any("public/open resolvers" in e for e in check.evidence)


# --- whole report and CLI ---------------------------------------------------------------


@SERVERS
def test_cli_json_good_domain(dns_server):  # noqa: F811
    out = subprocess.run(
        [sys.executable, "-m", "tradeinbox", "dnscheck", "good.test", "--ip", IP_GOOD,
         "--selector", "sel2048", "--nameserver", dns_server.nameserver, "--dnsbl", BL_ZONE,
         "--json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [c["name"] for c in data["checks"]] == ["spf", "dkim", "dmarc", "mx", "ptr", "dnsbl"]
    assert {c["status"] for c in data["checks"]} == {"pass"}
    assert all({"name", "status", "detail", "fix"} <= set(c) for c in data["checks"])


@SERVERS
def test_cli_table_broken_domain_exits_1(dns_server):  # noqa: F811
    out = subprocess.run(
        [sys.executable, "-m", "tradeinbox", "dnscheck", "spfplusall.test", "--ip", IP_LISTED,
         "--nameserver", dns_server.nameserver, "--dnsbl", BL_ZONE],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "FAIL  SPF" in out.stdout and "Record: spfplusall.test. IN TXT" in out.stdout
    assert "FAIL  DNSBL" in out.stdout and "Overall: FAIL" in out.stdout


# --- DKIM signing, verified against the nsd-published keys ------------------------------

MESSAGE = (
    b"From: Li Wei <sales@good.test>\r\n"
    b"To: buyer@example.org\r\n"
    b"Subject: Quotation Q-2026-0001\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0800\r\n"
    b"Message-ID: <q1@good.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Dear buyer,\r\nplease find our offer attached.\r\n"
)


@SERVERS
def test_dkim_sign_and_verify_against_nsd(dns_server):  # noqa: F811
    signed = sign_message(
        MESSAGE, selector="sel2048", domain="good.test", private_pem=dns_server.keys["sel2048"]
    )
    assert signed.startswith(b"DKIM-Signature:")
    header = signed.split(b"\r\n\r\n")[0].decode()
    assert "c=relaxed/relaxed" in header and "a=rsa-sha256" in header
    result = verify_message(signed, nameserver=dns_server.host, port=dns_server.port)
    assert result.ok, result
    assert result.signatures[0]["keysize"] == "2048"
    # relaxed canonicalization survives header re-folding and trailing whitespace
    refolded = signed.replace(b"Subject: Quotation", b"Subject:   Quotation").replace(
        b"attached.\r\n", b"attached.  \r\n"
    )
    assert verify_message(refolded, nameserver=dns_server.host, port=dns_server.port).ok


@SERVERS
def test_dkim_tampering_and_wrong_key_fail(dns_server):  # noqa: F811
    kw = {"nameserver": dns_server.host, "port": dns_server.port}
    signed = sign_message(
        MESSAGE, selector="sel2048", domain="good.test", private_pem=dns_server.keys["sel2048"]
    )
    assert not verify_message(signed.replace(b"offer", b"0ffer"), **kw).ok
    # oversigned From: adding a second From header breaks the signature
    assert not verify_message(signed.replace(b"To:", b"From: evil@x.test\r\nTo:", 1), **kw).ok
    # signed with a key that is not the one published
    other = sign_message(
        MESSAGE, selector="sel2048", domain="good.test", private_pem=generate_key().private_pem
    )
    assert not verify_message(other, **kw).ok
    revoked = sign_message(
        MESSAGE, selector="revoked", domain="good.test", private_pem=dns_server.keys["sel2048"]
    )
    assert not verify_message(revoked, **kw).ok
    assert not verify_message(MESSAGE, **kw).ok  # unsigned


def test_dkim_dns_record_format():
    key = generate_key()
    rec = dns_record("s1", "example.com", key.public_b64)
    assert rec.name == "s1._domainkey.example.com"
    assert rec.value == f"v=DKIM1; k=rsa; p={key.public_b64}"
    assert all(len(s) <= 255 for s in rec.strings) and len(rec.strings) == 2
    assert rec.zone_line().startswith('s1._domainkey.example.com. 3600 IN TXT ( "v=DKIM1')
    kind, bits = dnscheck.dkim_key_bits(key.public_b64)
    assert (kind, bits) == ("rsa", 2048)
    assert DEFAULT_SIGNED_HEADERS.count("from") == 2
    with pytest.raises(ValueError):
        generate_key(512)
