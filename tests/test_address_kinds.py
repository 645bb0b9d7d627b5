"""Address kinds: official, role, free-mail, disposable, former (tradeinbox.core.addresses)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeinbox.core.addresses import (
    classify_address,
    company_domain,
    freemail_domains,
    registrable_domain,
    role_of,
)
from tradeinbox.core.bounces import detect_bounce, former_evidence
from tradeinbox.core.evidence import Evidence

KINDS = {"official", "role", "freemail", "disposable", "former"}


def test_role_address_at_official_domain_keeps_both_flags() -> None:
    k = classify_address("Purchase@Buyer.com.br", own_domains=["buyer.com.br"])
    assert k.kind == "role"
    assert k.is_role and k.is_official and k.known_domain
    assert k.role == "purchasing"
    assert k.email == "purchase@buyer.com.br"
    assert {e.rule for e in k.evidence} >= {"address.role", "address.official.known"}


def test_subdomain_and_country_suffix_give_registrable_domain() -> None:
    k = classify_address("john.smith@mail.buyer.co.uk")
    assert k.kind == "official"
    assert k.registrable_domain == "buyer.co.uk"
    assert company_domain("john.smith@mail.buyer.co.uk") == "buyer.co.uk"
    assert registrable_domain("sales.eu.acme.com.cn") == "acme.com.cn"


def test_own_domains_match_through_subdomains() -> None:
    k = classify_address("li.wei@sh.acme.com.cn", own_domains=["acme.com.cn"])
    assert k.known_domain
    other = classify_address("li.wei@other.com", own_domains=["acme.com.cn"])
    assert other.is_official and not other.known_domain


@pytest.mark.parametrize(
    "email",
    [
        "someone@gmail.com",
        "someone@googlemail.com",
        "someone@hotmail.co.uk",
        "someone@yahoo.co.jp",
        "someone@vip.163.com",
        "someone@qq.com",
        "someone@mail.ru",
        "someone@web.de",
        "someone@naver.com",
        "someone@uol.com.br",
        "someone@libero.it",
        "someone@wp.pl",
    ],
)
def test_freemail(email: str) -> None:
    k = classify_address(email)
    assert k.kind == "freemail" and k.is_freemail and not k.is_official
    assert company_domain(email) is None


@pytest.mark.parametrize("email", ["x@gmail.com.mx", "x@notgmail.com", "x@gmail.company.de"])
def test_lookalikes_of_freemail_are_company_domains(email: str) -> None:
    k = classify_address(email)
    assert not k.is_freemail
    assert k.kind == "official"
    assert company_domain(email) == registrable_domain(email.split("@")[1])


def test_disposable() -> None:
    k = classify_address("temp@mailinator.com")
    assert k.kind == "disposable" and k.is_disposable
    assert company_domain("temp@mailinator.com") is None


@pytest.mark.parametrize(
    ("local", "role"),
    [
        ("sales", "sales"),
        ("sales2", "sales"),
        ("export-dept", "export_import"),
        ("info.cn", "general"),
        ("caigou", "purchasing"),
        ("xiaoshou", "sales"),
        ("ventas", "sales"),
        ("compras", "purchasing"),
        ("vendas", "sales"),
        ("einkauf", "purchasing"),
        ("verkauf", "sales"),
        ("achats", "purchasing"),
        ("ventes", "sales"),
        ("zakupki", "purchasing"),
        ("prodazhi", "sales"),
        ("snab", "purchasing"),
        ("accounts", "accounts"),
        ("orders", "orders"),
        ("customerservice", "service"),
        ("no-reply", "system"),
    ],
)
def test_role_words_in_several_languages(local: str, role: str) -> None:
    k = classify_address(f"{local}@factory.com")
    assert k.is_role and k.role == role and k.kind == "role"


@pytest.mark.parametrize(
    "local", ["john.sales", "sales.li", "anna", "salesmanager.tom", "wang.fang"]
)
def test_personal_addresses_are_not_roles(local: str) -> None:
    assert role_of(local) is None
    assert classify_address(f"{local}@factory.com").kind == "official"


def test_former_needs_enough_evidence() -> None:
    weak = classify_address("a@b.com", former_evidence=[Evidence("x.weak", 0.2, "soft")])
    assert weak.kind == "official" and not weak.is_former
    strong = classify_address("a@b.com", former_evidence=[Evidence("former.x", 1.0, "hard")])
    assert strong.kind == "former" and strong.is_official


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.seller.com>
To: anna@seller.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.seller.com

Final-Recipient: rfc822; old.buyer@buyer.com.br
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <old.buyer@buyer.com.br>: Recipient address rejected: User unknown

--B--
"""


def test_hard_bounce_makes_address_former() -> None:
    report = detect_bounce(DSN)
    evidence = former_evidence(report, "old.buyer@buyer.com.br")
    assert evidence and evidence[0].rule == "former.hard_bounce"
    k = classify_address("old.buyer@buyer.com.br", former_evidence=evidence)
    assert k.kind == "former" and k.is_official
    assert former_evidence(report, "someone.else@buyer.com.br") == []


def test_invalid_input() -> None:
    with pytest.raises(ValueError):
        classify_address("not-an-address")
    assert company_domain("not-an-address") is None
    assert company_domain("x@localhost") is None


def test_freemail_data_file() -> None:
    domains = freemail_domains()
    assert len(domains) > 100
    assert all(d == d.lower() and " " not in d and "." in d for d in domains)
    assert "gmail.com.mx" not in domains
    from importlib import resources

    text = resources.files("tradeinbox.core").joinpath("data/freemail_domains.txt").read_text()
    assert text.startswith("#") and "Sources" in text
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == len(set(lines)), "duplicate entries"


_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(local=_label, provider=st.sampled_from(sorted(freemail_domains())))
def test_any_local_part_at_a_freemail_provider_never_names_a_company(
    local: str, provider: str
) -> None:
    k = classify_address(f"{local}@{provider}")
    assert k.is_freemail and k.kind in KINDS
    assert company_domain(f"{local}@{provider}") is None


@given(local=_label, sub=st.lists(_label, max_size=2), name=_label)
def test_subdomains_never_change_the_company(local: str, sub: list[str], name: str) -> None:
    base = f"{name}x.com.br"
    host = ".".join([*sub, base])
    assert company_domain(f"{local}@{host}") == base
    assert classify_address(f"{local}@{host}").kind in KINDS


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        # reserved names (RFC 2606, RFC 6761) are not in the Public Suffix List:
        # the last two labels, not the whole host name
        ("mx.brightway-lighting.example", "brightway-lighting.example"),
        ("brightway-lighting.example", "brightway-lighting.example"),
        ("smtp.eu.acme.test", "acme.test"),
        ("a.b.invalid", "b.invalid"),
        ("web.shop.localhost", "shop.localhost"),
        ("srv.corp.internal", "corp.internal"),  # a private TLD
        # unchanged: listed suffixes, IP literals, single labels
        ("mail.buyer.co.uk", "buyer.co.uk"),
        ("192.0.2.10", "192.0.2.10"),
        ("[192.0.2.10]", "192.0.2.10"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain_under_unlisted_suffixes(domain: str, registrable: str) -> None:
    assert registrable_domain(domain) == registrable


def test_company_domain_of_a_reserved_tld_host() -> None:
    assert company_domain("li@mx.brightway-lighting.example") == "brightway-lighting.example"
    assert company_domain("li@brightway-lighting.example") == "brightway-lighting.example"
    assert company_domain("x@localhost") is None
