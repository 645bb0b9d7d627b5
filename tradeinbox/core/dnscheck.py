"""Domain deliverability check: SPF, DKIM, DMARC, MX, forward-confirmed rDNS, DNS blocklists.

Every check returns a :class:`Check` with a pass/warn/fail status, the evidence it saw, a
plain-language fix and, where one helps, the exact DNS record to publish. DNS trouble
(timeouts, SERVFAIL) becomes a "could not check" warning, never an exception, because a
flaky resolver must not be reported as a broken domain.

References: SPF RFC 7208, DKIM RFC 6376 / RFC 8301 (key sizes), DMARC RFC 7489,
null MX RFC 7505, MX RFC 5321 §5, FCrDNS RFC 8601 §3 ("iprev"), DNSBL RFC 5782.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

from tradeinbox.core import spf
from tradeinbox.core.dnsquery import (  # noqa: F401 - re-exported: callers import them from here
    CLI_HINTS,
    FAIL,
    FORM_HINTS,
    PASS,
    WARN,
    Check,
    Dns,
    DnsUnavailable,
    Hints,
    make_resolver,
    parse_nameserver,
)
from tradeinbox.core.dnsquery import unavailable as _unavailable
from tradeinbox.core.i18n import tr

#: Default blocklists queried for the sending IP (all free for low-volume queries; note
#: Spamhaus refuses queries via big public resolvers, answered as 127.255.255.254).
DEFAULT_DNSBL_ZONES: tuple[str, ...] = (
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "psbl.surriel.com",
)
#: Selectors tried when none is given: the defaults of common providers and MTAs.
COMMON_SELECTORS: tuple[str, ...] = (
    "default", "selector1", "selector2", "google", "k1", "s1", "s2", "dkim", "mail", "smtp",
)  # fmt: skip
#: Spamhaus-style return codes meaning "your query was refused", not "listed".
DNSBL_ERROR_CODES = {
    "127.255.255.252": "query malformed (typo in the zone name)",
    "127.255.255.254": "queries through public/open resolvers are refused",
    "127.255.255.255": "too many queries: rate limited",
}


def _spf_fix_record(domain: str, record: spf.SpfRecord | None, ip: str | None) -> str:
    """Suggest a corrected SPF record that adds ``ip`` and ends in a real ``all``."""
    if record is None:
        terms = ["mx"] + ([f"ip{ipaddress.ip_address(ip).version}:{ip}"] if ip else []) + ["~all"]
        return f'{domain}. IN TXT "v=spf1 {" ".join(terms)}"'
    kept = [t.raw for t in record.terms if t.mechanism != "all"]
    if ip and not any(t.mechanism in ("ip4", "ip6") and t.value == ip for t in record.terms):
        kept.insert(0, f"ip{ipaddress.ip_address(ip).version}:{ip}")
    tail = "~all"
    if record.all_term and record.all_term.qualifier in "-~":
        tail = record.all_term.raw
    return f'{domain}. IN TXT "v=spf1 {" ".join(kept)} {tail}"'


def check_spf(dns_: Dns, domain: str, ip: str | None = None, hints: Hints = CLI_HINTS) -> Check:
    """SPF: one record, valid syntax, <= 10 lookups, a real ``all``, covers ``ip``."""
    try:
        text, found = spf.fetch_record(dns_, domain)
    except DnsUnavailable as exc:
        return _unavailable("spf", exc, hints)
    if not found:
        return Check(
            "spf", FAIL, tr("%(domain)s publishes no SPF record, so receivers cannot tell who "
                            "may send for it.", domain=domain),
            tr("Publish an SPF TXT record listing your mail servers."),
            _spf_fix_record(domain, None, ip),
        )  # fmt: skip
    if text is None:
        return Check(
            "spf", FAIL, tr("%(domain)s has %(count)d SPF records; RFC 7208 §4.5 makes that a "
                            "permanent error.", domain=domain, count=len(found)),
            tr("Merge them into a single v=spf1 TXT record."), "", found,
        )  # fmt: skip
    try:
        record = spf.parse_record(text)
    except spf.SpfSyntaxError as exc:
        return Check(
            "spf", FAIL, tr("SPF syntax error: %(error)s.", error=str(exc)),
            tr("Correct the record; receivers treat a malformed record as permerror."),
            _spf_fix_record(domain, None, ip), [text],
        )  # fmt: skip
    evidence = [f"record: {text}"]
    problems: list[tuple[str, str]] = []  # (status, message)
    try:
        count = spf.count_lookups(dns_, domain, record)
    except DnsUnavailable as exc:
        return _unavailable("spf", exc, hints)
    evidence.append(f"DNS lookups counted recursively: {count.total}")
    evidence.extend(count.tree)
    for err in count.errors:
        problems.append((FAIL, tr("included record problem: %(error)s", error=str(err))))
    if count.total > spf.LOOKUP_LIMIT:
        problems.append(
            (FAIL, tr("needs %(count)d DNS lookups; receivers stop at %(limit)d and return "
                      "permerror (RFC 7208 §4.6.4)", count=count.total, limit=spf.LOOKUP_LIMIT))
        )  # fmt: skip
    all_term = record.all_term
    if all_term is None and not record.redirect:
        problems.append((WARN, tr("no 'all' mechanism: mail from anywhere else gets 'neutral'")))
    elif all_term is not None and all_term.qualifier == "+":
        problems.append(
            (FAIL, tr("'+all' authorises every server on the internet to send as you"))
        )  # fmt: skip
    elif all_term is not None and all_term.qualifier == "?":
        problems.append(
            (WARN, tr("'?all' (neutral) gives receivers no guidance about other senders"))
        )  # fmt: skip
    if any(t.mechanism == "ptr" for t in record.terms):
        problems.append((WARN, tr("'ptr' is deprecated (RFC 7208 §5.5) and slow; use ip4/ip6")))
    if ip:
        ev = spf.check_host(dns_, ip, domain)
        evidence.append(f"check_host({ip}) = {ev.result} {ev.error}".strip())
        evidence.extend(ev.trail)
        if ev.result == "temperror":
            problems.append(
                (WARN, tr("could not evaluate for %(ip)s: %(error)s", ip=ip, error=ev.error))
            )  # fmt: skip
        elif ev.result == "permerror":
            problems.append(
                (FAIL, tr("evaluation for %(ip)s gives permerror: %(error)s", ip=ip, error=ev.error))
            )  # fmt: skip
        elif ev.result != "pass":
            problems.append(
                (FAIL, tr("%(ip)s is not authorised (result %(result)s)", ip=ip, result=ev.result))
            )  # fmt: skip
    if not problems:
        if ip:
            detail = tr("SPF record is valid (%(count)d lookups) and authorises %(ip)s.",
                        count=count.total, ip=ip)  # fmt: skip
        else:
            detail = tr("SPF record is valid (%(count)d lookups).", count=count.total)
        return Check("spf", PASS, detail, "", "", evidence)
    status = FAIL if any(s == FAIL for s, _ in problems) else WARN
    detail = "; ".join(m for _, m in problems) + "."
    if count.total > spf.LOOKUP_LIMIT:
        fix = tr("Publish the corrected record below; replace includes with ip4:/ip6: ranges "
                 "(flatten) or drop unused services.")  # fmt: skip
    else:
        fix = tr("Publish the corrected record below.")
    return Check("spf", status, detail, fix, _spf_fix_record(domain, record, ip), evidence)


def parse_tags(text: str) -> dict[str, str]:
    """Parse a DKIM/DMARC tag-list ``k=v; k2=v2`` (RFC 6376 §3.2). Raises on duplicates."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or not re.match(r"^[a-z][a-z0-9_]*$", key):
            raise ValueError(tr("'%(part)s' is not a tag=value pair", part=part))
        if key in tags:
            raise ValueError(tr("tag '%(tag)s' appears twice", tag=key))
        tags[key] = re.sub(r"\s+", "", value) if key == "p" else value.strip()
    return tags


def dkim_key_bits(p: str) -> tuple[str, int]:
    """Key type and size of a DKIM p= value (base64 SubjectPublicKeyInfo or raw ed25519)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    der = base64.b64decode(p, validate=True)
    if len(der) == 32:  # RFC 8463: ed25519 keys are published raw, not as SPKI
        return "ed25519", 256
    key = load_der_public_key(der)
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.key_size
    return type(key).__name__, 0


def _check_dkim_selector(dns_: Dns, domain: str, selector: str, fix: str) -> Check | None:
    name = f"{selector}._domainkey.{domain}"
    records = [t for t in dns_.txt(name) if "p=" in t or "v=DKIM1" in t]
    if not records:
        return None
    text = records[0]
    record = f'{name}. IN TXT "v=DKIM1; k=rsa; p=<base64 public key of a 2048-bit RSA key>"'
    try:
        tags = parse_tags(text)
    except ValueError as exc:
        return Check("dkim", FAIL, tr("DKIM record at %(name)s is malformed: %(error)s.",
                                      name=name, error=str(exc)), fix, record, [text])  # fmt: skip
    if "v" in tags and tags["v"] != "DKIM1":
        return Check("dkim", FAIL, tr("DKIM record at %(name)s has v=%(version)s, expected DKIM1.",
                                      name=name, version=tags["v"]), fix, record, [text])  # fmt: skip
    if "p" not in tags:
        return Check("dkim", FAIL, tr("DKIM record at %(name)s has no p= tag.", name=name), fix,
                     record, [text])  # fmt: skip
    if tags["p"] == "":
        return Check("dkim", FAIL, tr("the key at %(name)s is revoked (empty p=); mail signed with "
                                      "this selector fails DKIM.", name=name), fix, record, [text])  # fmt: skip
    try:
        ktype, bits = dkim_key_bits(tags["p"])
    except (ValueError, TypeError) as exc:
        return Check("dkim", FAIL, tr("the p= value at %(name)s is not a valid public key "
                                      "(%(error)s).", name=name, error=str(exc)), fix, record,
                     [text])  # fmt: skip
    evidence = [f"{name}: {text[:90]}{'...' if len(text) > 90 else ''}", f"{ktype} {bits} bits"]
    if tags.get("k", "rsa") not in ("rsa", "ed25519"):
        return Check("dkim", FAIL, tr("unknown key type k=%(type)s.", type=tags["k"]), fix,
                     record, evidence)  # fmt: skip
    testing = "y" in tags.get("t", "").split(":")
    if ktype == "rsa" and bits < 1024:
        return Check("dkim", FAIL, tr("RSA key of %(bits)d bits at %(name)s: verifiers must reject "
                                      "keys under 1024 bits (RFC 8301 §3.2).", bits=bits, name=name),
                     fix, record, evidence)  # fmt: skip
    if ktype == "rsa" and bits < 2048:
        return Check("dkim", WARN, tr("RSA key of %(bits)d bits at %(name)s is weak; 2048 is the "
                                      "norm.", bits=bits, name=name), fix, record, evidence)  # fmt: skip
    if testing:
        return Check("dkim", WARN, tr("key at %(name)s is in testing mode (t=y): receivers may "
                                      "ignore DKIM results.", name=name),
                     tr("Remove t=y from the record once signing works."), "", evidence)  # fmt: skip
    return Check("dkim", PASS, tr("%(type)s %(bits)d-bit key published at %(name)s.",
                                  type=ktype.upper(), bits=bits, name=name), "", "", evidence)  # fmt: skip


def check_dkim(
    dns_: Dns, domain: str, selector: str | None = None, hints: Hints = CLI_HINTS
) -> Check:
    """DKIM key record at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.2.2)."""
    selectors = [selector] if selector else list(COMMON_SELECTORS)
    try:
        for sel in selectors:
            fix = tr(hints.dkim_fix, name=f"{sel}._domainkey.{domain}")
            result = _check_dkim_selector(dns_, domain, sel, fix)
            if result is not None:
                if not selector:
                    result.detail += " " + tr(hints.found_selector, selector=sel)
                return result
    except DnsUnavailable as exc:
        return _unavailable("dkim", exc, hints)
    sel = selector or "default"
    if selector:
        detail = tr("no DKIM key published at %(name)s.", name=f"{sel}._domainkey.{domain}")
    else:
        detail = tr("no DKIM key published at any common selector of %(domain)s.", domain=domain)
        detail += " " + tr(hints.give_selector)
    status = FAIL if selector else WARN
    return Check("dkim", status, detail, tr(hints.dkim_fix, name=f"{sel}._domainkey.{domain}"),
                 f'{sel}._domainkey.{domain}. IN TXT "v=DKIM1; k=rsa; p=<base64 public key>"')  # fmt: skip


def organizational_domain(domain: str) -> str:
    """RFC 7489 §3.2 organisational domain via the bundled public suffix list (no network)."""
    parts = _extractor()(domain)
    found = getattr(parts, "top_domain_under_public_suffix", None)
    if found is None:  # tldextract < 5.3
        found = parts.registered_domain
    return found or domain


@functools.cache
def _extractor():
    import tldextract

    # suffix_list_urls=() -> use the snapshot bundled with tldextract, never the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _dmarc_record(dns_: Dns, domain: str) -> tuple[str, list[str]]:
    found = [t for t in dns_.txt(f"_dmarc.{domain}") if t.lower().startswith("v=dmarc")]
    return f"_dmarc.{domain}", found


def check_dmarc(dns_: Dns, domain: str, hints: Hints = CLI_HINTS) -> Check:
    """DMARC policy record (RFC 7489 §6.3) at _dmarc.DOMAIN or its organisational domain."""
    suggest = (f'_dmarc.{domain}. IN TXT "v=DMARC1; p=quarantine; adkim=r; aspf=r; '
               f'rua=mailto:dmarc-reports@{domain}"')  # fmt: skip
    try:
        name, found = _dmarc_record(dns_, domain)
        org = organizational_domain(domain)
        if not found and org != domain:
            name, found = _dmarc_record(dns_, org)
    except DnsUnavailable as exc:
        return _unavailable("dmarc", exc, hints)
    if not found:
        return Check("dmarc", FAIL, tr("no DMARC record at %(name)s: Gmail and Yahoo require one "
                                       "from bulk senders and receivers have no policy for "
                                       "spoofed mail.", name=f"_dmarc.{domain}"),
                     tr("Publish a DMARC record; start with p=none to collect reports, then move "
                        "to quarantine/reject."), suggest)  # fmt: skip
    if len(found) > 1:
        return Check("dmarc", FAIL, tr("%(name)s has %(count)d DMARC records; receivers ignore all "
                                       "of them (RFC 7489 §6.6.3).", name=name, count=len(found)),
                     tr("Keep exactly one."), suggest, found)  # fmt: skip
    text = found[0]
    evidence = [f"{name}: {text}"]
    try:
        tags = parse_tags(text)
        if not text.replace(" ", "").startswith("v=DMARC1;") and text.strip() != "v=DMARC1":
            raise ValueError(tr("must start with 'v=DMARC1;'"))
        if "p" not in tags:
            raise ValueError(tr("the required p= tag is missing"))
        for key, allowed in (("p", ("none", "quarantine", "reject")),
                             ("sp", ("none", "quarantine", "reject")),
                             ("adkim", ("r", "s")), ("aspf", ("r", "s"))):  # fmt: skip
            if key in tags and tags[key].lower() not in allowed:
                raise ValueError(tr("%(tag)s=%(value)s is not one of %(allowed)s", tag=key,
                                    value=tags[key], allowed=", ".join(allowed)))  # fmt: skip
        pct = int(tags.get("pct", "100"))
        if not 0 <= pct <= 100:
            raise ValueError(tr("pct=%(pct)d is outside 0-100", pct=pct))
    except ValueError as exc:
        return Check("dmarc", FAIL, tr("malformed DMARC record: %(error)s.", error=str(exc)),
                     tr("Replace it with a valid record; receivers ignore malformed ones."),
                     suggest, evidence)  # fmt: skip
    policy = tags["p"].lower()
    sp = tags.get("sp", policy).lower()
    rua = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    adkim, aspf = tags.get("adkim", "r").lower(), tags.get("aspf", "r").lower()
    mode = {"r": "relaxed (same organisational domain)", "s": "strict (exact domain)"}
    evidence.append(f"policy p={policy} sp={sp} pct={pct}")
    evidence.append(f"alignment with From: {domain}: DKIM d= {mode[adkim]}, SPF "
                    f"MAIL FROM {mode[aspf]}")  # fmt: skip
    if name != f"_dmarc.{domain}":
        evidence.append(f"inherited from organisational domain {org} (subdomain policy sp={sp})")
    problems: list[tuple[str, str]] = []
    if policy == "none":
        problems.append((WARN, tr("p=none only monitors: spoofed mail is still delivered")))
    if pct < 100 and policy != "none":
        problems.append(
            (WARN, tr("pct=%(pct)d: the policy applies to only %(pct)d%% of failing mail", pct=pct))
        )  # fmt: skip
    if not rua:
        problems.append((WARN, tr("no rua= address: you receive no aggregate reports")))
    for uri in rua:
        if not uri.lower().startswith("mailto:"):
            problems.append((WARN, tr("rua URI '%(uri)s' is not a mailto: address", uri=uri)))
            continue
        target = uri[7:].split("!")[0].rpartition("@")[2].lower()
        if target and organizational_domain(target) != organizational_domain(domain):
            auth = f"{domain}._report._dmarc.{target}"
            try:
                ok = any(t.lower().startswith("v=dmarc1") for t in dns_.txt(auth))
            except DnsUnavailable:
                ok = True
            if not ok:
                problems.append((WARN, tr("external report address needs %(name)s TXT "
                                          "\"v=DMARC1\" (RFC 7489 §7.1) or reports are not sent",
                                          name=auth)))  # fmt: skip
    if "sp" in tags and ["none", "quarantine", "reject"].index(sp) < [
        "none", "quarantine", "reject"].index(policy):  # fmt: skip
        problems.append((WARN, tr("subdomain policy sp=%(sp)s is weaker than p=%(policy)s: "
                                  "attackers can spoof any.subdomain", sp=sp, policy=policy)))  # fmt: skip
    if not problems:
        return Check("dmarc", PASS, tr("DMARC p=%(policy)s for 100%% of mail with reports to "
                                       "%(rua)s.", policy=policy, rua=", ".join(rua)), "", "",
                     evidence)  # fmt: skip
    status = FAIL if any(s == FAIL for s, _ in problems) else WARN
    fixed = {**tags, "p": policy if policy != "none" else "quarantine", "pct": "100"}
    fixed.setdefault("rua", f"mailto:dmarc-reports@{domain}")
    if "sp" in fixed and fixed["sp"] == "none":
        fixed["sp"] = fixed["p"]
    if fixed["pct"] == "100":
        del fixed["pct"]
    body = "; ".join(f"{k}={v}" for k, v in fixed.items())
    return Check("dmarc", status, "; ".join(m for _, m in problems) + ".",
                 tr("Once reports show your own mail passes, tighten the policy as below."),
                 f'{name}. IN TXT "{body}"', evidence)  # fmt: skip


def check_mx(dns_: Dns, domain: str, hints: Hints = CLI_HINTS) -> Check:
    """MX: present, not null (RFC 7505), every exchange resolves to an address."""
    try:
        mx = dns_.mx(domain)
        evidence = [f"MX {pref} {host}" for pref, host in mx]
        record = f"{domain}. IN MX 10 mail.{domain}."
        if not mx:
            if dns_.all_addresses(domain):
                detail = tr("%(domain)s has no MX record; mail to it falls back to the A record "
                            "(RFC 5321 §5.1), so replies and bounces to your sending address get "
                            "lost.", domain=domain)  # fmt: skip
            else:
                detail = tr("%(domain)s has no MX record; mail to it is undeliverable, so "
                            "replies and bounces to your sending address get lost.", domain=domain)  # fmt: skip
            return Check("mx", FAIL, detail,
                         tr("Publish MX records pointing to your mail server or provider."),
                         record, evidence)  # fmt: skip
        if len(mx) == 1 and mx[0][1] in ("", "."):
            return Check("mx", FAIL, tr("%(domain)s publishes a null MX (RFC 7505): it declares it "
                                        "accepts no mail, and many receivers reject mail *from* "
                                        "such domains.", domain=domain),
                         tr("Remove the null MX and publish real MX records."), record,
                         evidence)  # fmt: skip
        bad: list[str] = []
        unusable = 0  # exchanges that cannot take mail at all (no address, an IP literal)
        for _, host in mx:
            if host in ("", "."):
                bad.append(tr("null MX mixed with real MX records"))
                continue
            try:
                ipaddress.ip_address(host)
                bad.append(tr("%(host)s is an IP address, not a host name", host=host))
                unusable += 1
                continue
            except ValueError:
                pass
            addrs = dns_.all_addresses(host)
            evidence.append(f"{host} -> {', '.join(addrs) or 'no address'}")
            if not addrs:
                bad.append(tr("%(host)s does not resolve", host=host))
                unusable += 1
            elif dns_.cname(host):
                bad.append(tr("%(host)s is a CNAME (RFC 2181 §10.3 forbids MX targets that are "
                              "aliases)", host=host))  # fmt: skip
    except DnsUnavailable as exc:
        return _unavailable("mx", exc, hints)
    if not bad:
        return Check("mx", PASS, tr("%(count)d MX record(s), all resolve.", count=len(mx)), "", "",
                     evidence)  # fmt: skip
    status = WARN if len(mx) - unusable > 0 and len(bad) < len(mx) else FAIL
    return Check("mx", status, "; ".join(bad) + ".",
                 tr("Point every MX at a host name that has an A/AAAA record."), record,
                 evidence)  # fmt: skip


_GENERIC_PTR = re.compile(r"(\d{1,3}[-.]){3}\d{1,3}|dynamic|dhcp|pool|dsl|cable|dyn\b|ppp")


def check_ptr(dns_: Dns, ip: str | None, domain: str = "", hints: Hints = CLI_HINTS) -> Check:
    """Forward-confirmed reverse DNS (RFC 8601 §3 iprev): PTR exists and maps back to the IP."""
    if not ip:
        return Check("ptr", WARN, tr(hints.no_ip), "")
    try:
        addr = ipaddress.ip_address(ip)
        rev = dns.reversename.from_address(ip).to_text(omit_final_dot=True)
        names = dns_.ptr_names(ip)
        record = f"{rev}. IN PTR mail.{domain or 'example.com'}."
        if not names:
            return Check("ptr", FAIL, tr("%(ip)s has no reverse DNS (PTR) record; many receivers "
                                         "reject or spam-folder such mail.", ip=ip),
                         tr("Ask whoever owns the IP (hosting provider or ISP) to set the PTR to "
                            "your mail host name, which must resolve back to the IP."), record)  # fmt: skip
        evidence = [f"PTR {rev} -> {', '.join(names)}"]
        confirmed = []
        for name in names:
            addrs = dns_.addresses(name, "A" if addr.version == 4 else "AAAA")
            evidence.append(f"{name} -> {', '.join(addrs) or 'no address'}")
            if any(ipaddress.ip_address(a) == addr for a in addrs):
                confirmed.append(name)
    except DnsUnavailable as exc:
        return _unavailable("ptr", exc, hints)
    except ValueError:
        return Check("ptr", FAIL, tr("'%(ip)s' is not an IP address.", ip=ip), tr(hints.bad_ip))
    if not confirmed:
        fwd = f"{names[0]}. IN {'A' if addr.version == 4 else 'AAAA'} {ip}"
        return Check("ptr", FAIL, tr("PTR of %(ip)s is %(name)s but that name does not resolve "
                                     "back to the IP (not forward-confirmed).", ip=ip, name=names[0]),
                     tr("Add the forward record below, or have the PTR changed to a name that "
                        "resolves to the IP."), fwd, evidence)  # fmt: skip
    name = confirmed[0]
    if _GENERIC_PTR.search(name):
        return Check("ptr", WARN, tr("%(ip)s <-> %(name)s is forward-confirmed but looks like a "
                                     "generic ISP name; receivers score those as "
                                     "dynamic/residential.", ip=ip, name=name),
                     tr("Ask for a PTR naming your mail host."), record, evidence)  # fmt: skip
    return Check("ptr", PASS, tr("%(ip)s <-> %(name)s is forward-confirmed.", ip=ip, name=name),
                 "", "", evidence)  # fmt: skip


def dnsbl_query_name(ip: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4: reversed octets (IPv4) or reversed nibbles (IPv6) + zone."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        rev = ".".join(reversed(str(addr).split(".")))
    else:
        rev = ".".join(reversed(addr.exploded.replace(":", "")))
    return f"{rev}.{zone.rstrip('.')}"


def check_dnsbl(
    dns_: Dns,
    ip: str | None,
    zones: Iterable[str] = DEFAULT_DNSBL_ZONES,
    hints: Hints = CLI_HINTS,
) -> Check:
    """Is the sending IP on a DNS blocklist? 127.0.0.x = listed; 127.255.255.x = refused."""
    if not ip:
        return Check("dnsbl", WARN, tr(hints.no_ip), "")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return Check("dnsbl", FAIL, tr("'%(ip)s' is not an IP address.", ip=ip), tr(hints.bad_ip))
    listed, refused, unchecked, evidence = [], [], [], []
    for zone in zones:
        qname = dnsbl_query_name(ip, zone)
        try:
            answers = dns_.addresses(qname, "A")
        except DnsUnavailable as exc:
            unchecked.append(zone)
            evidence.append(f"{zone}: could not check ({exc})")
            continue
        codes = [a for a in answers if a.startswith("127.")]
        errors = [DNSBL_ERROR_CODES.get(a, "query refused") for a in codes
                  if a.startswith("127.255.255.")]  # fmt: skip
        hits = [a for a in codes if not a.startswith("127.255.255.")]
        if errors:
            refused.append(zone)
            evidence.append(f"{zone}: {', '.join(errors)}")
        elif hits:
            try:
                reason = " ".join(dns_.txt(qname))[:200]
            except DnsUnavailable:
                reason = ""
            listed.append(zone)
            evidence.append(f"{zone}: LISTED ({', '.join(hits)}) {reason}".strip())
        elif answers:
            unchecked.append(zone)
            evidence.append(f"{zone}: unexpected answer {', '.join(answers)} (zone may be dead)")
        else:
            evidence.append(f"{zone}: not listed")
    if listed:
        return Check("dnsbl", FAIL, tr("%(ip)s is listed on %(lists)s.", ip=ip,
                                       lists=", ".join(listed)),
                     tr("Find and stop the cause (compromised account, bad list, open relay), "
                        "then request delisting on each list's website; nothing to publish in "
                        "your own DNS."), "", evidence)  # fmt: skip
    if refused or unchecked:
        why = []
        if refused:
            why.append(tr("%(lists)s refused the query", lists=", ".join(refused)))
        if unchecked:
            why.append(tr("could not check %(lists)s", lists=", ".join(unchecked)))
        return Check("dnsbl", WARN, tr("%(ip)s: %(problems)s.", ip=ip, problems="; ".join(why)),
                     tr(hints.own_resolver), "", evidence)  # fmt: skip
    return Check("dnsbl", PASS, tr("%(ip)s is not listed on %(count)d blocklist(s).", ip=ip,
                                   count=len(evidence)), "", "", evidence)  # fmt: skip


@dataclass(slots=True)
class Report:
    """All checks for one domain."""

    domain: str
    ip: str | None
    checks: list[Check]

    @property
    def worst(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

    def to_dict(self) -> dict:
        return {"domain": self.domain, "ip": self.ip, "status": self.worst,
                "checks": [c.to_dict() for c in self.checks]}  # fmt: skip


def check_domain(
    domain: str,
    *,
    ip: str | None = None,
    selector: str | None = None,
    resolver: dns.resolver.Resolver | None = None,
    dnsbl_zones: Iterable[str] = DEFAULT_DNSBL_ZONES,
    hints: Hints = CLI_HINTS,
) -> Report:
    """Run all six checks. ``resolver`` defaults to the system one with a 5 s lifetime.

    ``hints``: how the remedies name missing input (:data:`FORM_HINTS` on the web page).
    """
    domain = domain.strip().rstrip(".").lower()
    dns_ = Dns(resolver or make_resolver())
    checks = [
        check_spf(dns_, domain, ip, hints),
        check_dkim(dns_, domain, selector, hints),
        check_dmarc(dns_, domain, hints),
        check_mx(dns_, domain, hints),
        check_ptr(dns_, ip, domain, hints),
        check_dnsbl(dns_, ip, dnsbl_zones, hints),
    ]
    return Report(domain, ip, checks)
