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
from dataclasses import asdict, dataclass, field

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

from tradeinbox.core import spf

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
PASS, WARN, FAIL = "pass", "warn", "fail"


class DnsUnavailable(Exception):
    """The question could not be answered (timeout, SERVFAIL, no reachable nameserver)."""


@dataclass(slots=True)
class Check:
    """One check's verdict, evidence and remedy."""

    name: str
    status: str
    detail: str
    fix: str = ""
    record: str = ""
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def make_resolver(
    nameserver: str | None = None, port: int = 53, timeout: float = 5.0
) -> dns.resolver.Resolver:
    """A dnspython resolver; with ``nameserver`` it ignores /etc/resolv.conf entirely."""
    if nameserver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [nameserver]
        resolver.port = port
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def parse_nameserver(text: str | None) -> tuple[str | None, int]:
    """Split ``HOST:PORT`` / ``[v6]:PORT`` / ``HOST`` into (host, port)."""
    if not text:
        return None, 53
    m = re.match(r"^\[([0-9a-fA-F:.]+)\](?::(\d+))?$", text)
    if m:
        return m.group(1), int(m.group(2) or 53)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, 53


class Dns:
    """Cached, exception-normalised lookups. Empty list = NXDOMAIN or no data."""

    def __init__(self, resolver: dns.resolver.Resolver):
        self.resolver = resolver
        self._cache: dict[tuple[str, str], list] = {}
        self.nxdomain: set[str] = set()

    def _rdata(self, name: str, rdtype: str) -> list:
        key = (name.lower().rstrip("."), rdtype)
        if key in self._cache:
            return self._cache[key]
        try:
            answer = self.resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
            result = list(answer.rrset) if answer.rrset is not None else []
        except dns.resolver.NXDOMAIN:
            self.nxdomain.add(key[0])
            result = []
        except dns.resolver.NoNameservers as exc:
            raise DnsUnavailable(f"{name} {rdtype}: no nameserver answered ({exc})") from exc
        except dns.exception.Timeout as exc:
            raise DnsUnavailable(f"{name} {rdtype}: timed out") from exc
        except (dns.name.LabelTooLong, dns.name.EmptyLabel, dns.exception.SyntaxError) as exc:
            raise DnsUnavailable(f"{name}: not a valid DNS name ({exc})") from exc
        except dns.exception.DNSException as exc:
            raise DnsUnavailable(f"{name} {rdtype}: {exc}") from exc
        self._cache[key] = result
        return result

    def txt(self, name: str) -> list[str]:
        """TXT records, each with its character-strings joined (RFC 7208 §3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self._rdata(name, "TXT")]

    def addresses(self, name: str, rtype: str = "A") -> list[str]:
        return [r.address for r in self._rdata(name, rtype)]

    def all_addresses(self, name: str) -> list[str]:
        return self.addresses(name, "A") + self.addresses(name, "AAAA")

    def mx(self, name: str) -> list[tuple[int, str]]:
        return sorted(
            (r.preference, r.exchange.to_text(omit_final_dot=True).lower())
            for r in self._rdata(name, "MX")
        )

    def mx_hosts(self, name: str) -> list[str]:
        return [host for _, host in self.mx(name)]

    def ptr_names(self, ip: str) -> list[str]:
        rev = dns.reversename.from_address(ip).to_text()
        return [r.target.to_text(omit_final_dot=True).lower() for r in self._rdata(rev, "PTR")]

    def cname(self, name: str) -> list[str]:
        return [r.target.to_text(omit_final_dot=True) for r in self._rdata(name, "CNAME")]


def _unavailable(name: str, exc: Exception) -> Check:
    return Check(
        name,
        WARN,
        f"could not check: {exc}",
        "Retry later or with another resolver (--nameserver); the domain may be fine.",
    )


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


def check_spf(dns_: Dns, domain: str, ip: str | None = None) -> Check:
    """SPF: one record, valid syntax, <= 10 lookups, a real ``all``, covers ``ip``."""
    try:
        text, found = spf.fetch_record(dns_, domain)
    except DnsUnavailable as exc:
        return _unavailable("spf", exc)
    if not found:
        return Check(
            "spf", FAIL, f"{domain} publishes no SPF record, so receivers cannot tell who may "
            "send for it.", "Publish an SPF TXT record listing your mail servers.",
            _spf_fix_record(domain, None, ip),
        )  # fmt: skip
    if text is None:
        return Check(
            "spf", FAIL, f"{domain} has {len(found)} SPF records; RFC 7208 §4.5 makes that a "
            "permanent error.", "Merge them into a single v=spf1 TXT record.", "", found,
        )  # fmt: skip
    try:
        record = spf.parse_record(text)
    except spf.SpfSyntaxError as exc:
        return Check(
            "spf", FAIL, f"SPF syntax error: {exc}.", "Correct the record; receivers treat a "
            "malformed record as permerror.", _spf_fix_record(domain, None, ip), [text],
        )  # fmt: skip
    evidence = [f"record: {text}"]
    problems: list[tuple[str, str]] = []  # (status, message)
    try:
        count = spf.count_lookups(dns_, domain, record)
    except DnsUnavailable as exc:
        return _unavailable("spf", exc)
    evidence.append(f"DNS lookups counted recursively: {count.total}")
    evidence.extend(count.tree)
    for err in count.errors:
        problems.append((FAIL, f"included record problem: {err}"))
    if count.total > spf.LOOKUP_LIMIT:
        problems.append(
            (FAIL, f"needs {count.total} DNS lookups; receivers stop at {spf.LOOKUP_LIMIT} and "
                   "return permerror (RFC 7208 §4.6.4)")
        )  # fmt: skip
    all_term = record.all_term
    if all_term is None and not record.redirect:
        problems.append((WARN, "no 'all' mechanism: mail from anywhere else gets 'neutral'"))
    elif all_term is not None and all_term.qualifier == "+":
        problems.append((FAIL, "'+all' authorises every server on the internet to send as you"))
    elif all_term is not None and all_term.qualifier == "?":
        problems.append((WARN, "'?all' (neutral) gives receivers no guidance about other senders"))
    if any(t.mechanism == "ptr" for t in record.terms):
        problems.append((WARN, "'ptr' is deprecated (RFC 7208 §5.5) and slow; use ip4/ip6"))
    if ip:
        ev = spf.check_host(dns_, ip, domain)
        evidence.append(f"check_host({ip}) = {ev.result} {ev.error}".strip())
        evidence.extend(ev.trail)
        if ev.result == "temperror":
            problems.append((WARN, f"could not evaluate for {ip}: {ev.error}"))
        elif ev.result == "permerror":
            problems.append((FAIL, f"evaluation for {ip} gives permerror: {ev.error}"))
        elif ev.result != "pass":
            problems.append((FAIL, f"{ip} is not authorised (result {ev.result})"))
    if not problems:
        covered = f" and authorises {ip}" if ip else ""
        return Check("spf", PASS, f"SPF record is valid ({count.total} lookups){covered}.",
                     "", "", evidence)  # fmt: skip
    status = FAIL if any(s == FAIL for s, _ in problems) else WARN
    detail = "; ".join(m for _, m in problems) + "."
    fix = "Publish the corrected record below"
    if count.total > spf.LOOKUP_LIMIT:
        fix += "; replace includes with ip4:/ip6: ranges (flatten) or drop unused services"
    return Check("spf", status, detail, fix + ".", _spf_fix_record(domain, record, ip), evidence)


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
            raise ValueError(f"'{part}' is not a tag=value pair")
        if key in tags:
            raise ValueError(f"tag '{key}' appears twice")
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


def _dkim_fix(domain: str, selector: str) -> str:
    return (f"Generate a 2048-bit key (tradeinbox.core.dkimsign.generate_key), sign outgoing mail "
            f"with it and publish the public key as TXT at {selector}._domainkey.{domain}.")  # fmt: skip


def _check_dkim_selector(dns_: Dns, domain: str, selector: str) -> Check | None:
    name = f"{selector}._domainkey.{domain}"
    records = [t for t in dns_.txt(name) if "p=" in t or "v=DKIM1" in t]
    if not records:
        return None
    text = records[0]
    record = f'{name}. IN TXT "v=DKIM1; k=rsa; p=<base64 public key of a 2048-bit RSA key>"'
    try:
        tags = parse_tags(text)
    except ValueError as exc:
        return Check("dkim", FAIL, f"DKIM record at {name} is malformed: {exc}.",
                     _dkim_fix(domain, selector), record, [text])  # fmt: skip
    if "v" in tags and tags["v"] != "DKIM1":
        return Check("dkim", FAIL, f"DKIM record at {name} has v={tags['v']}, expected DKIM1.",
                     _dkim_fix(domain, selector), record, [text])  # fmt: skip
    if "p" not in tags:
        return Check("dkim", FAIL, f"DKIM record at {name} has no p= tag.",
                     _dkim_fix(domain, selector), record, [text])  # fmt: skip
    if tags["p"] == "":
        return Check("dkim", FAIL, f"the key at {name} is revoked (empty p=); mail signed with "
                     "this selector fails DKIM.", _dkim_fix(domain, selector), record, [text])  # fmt: skip
    try:
        ktype, bits = dkim_key_bits(tags["p"])
    except (ValueError, TypeError) as exc:
        return Check("dkim", FAIL, f"the p= value at {name} is not a valid public key ({exc}).",
                     _dkim_fix(domain, selector), record, [text])  # fmt: skip
    evidence = [f"{name}: {text[:90]}{'...' if len(text) > 90 else ''}", f"{ktype} {bits} bits"]
    if tags.get("k", "rsa") not in ("rsa", "ed25519"):
        return Check("dkim", FAIL, f"unknown key type k={tags['k']}.", _dkim_fix(domain, selector),
                     record, evidence)  # fmt: skip
    testing = "y" in tags.get("t", "").split(":")
    if ktype == "rsa" and bits < 1024:
        return Check("dkim", FAIL, f"RSA key of {bits} bits at {name}: verifiers must reject keys "
                     "under 1024 bits (RFC 8301 §3.2).", _dkim_fix(domain, selector), record,
                     evidence)  # fmt: skip
    if ktype == "rsa" and bits < 2048:
        return Check("dkim", WARN, f"RSA key of {bits} bits at {name} is weak; 2048 is the norm.",
                     _dkim_fix(domain, selector), record, evidence)  # fmt: skip
    if testing:
        return Check("dkim", WARN, f"key at {name} is in testing mode (t=y): receivers may ignore "
                     "DKIM results.", "Remove t=y from the record once signing works.", "",
                     evidence)  # fmt: skip
    return Check("dkim", PASS, f"{ktype.upper()} {bits}-bit key published at {name}.", "", "",
                 evidence)  # fmt: skip


def check_dkim(dns_: Dns, domain: str, selector: str | None = None) -> Check:
    """DKIM key record at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.2.2)."""
    selectors = [selector] if selector else list(COMMON_SELECTORS)
    try:
        for sel in selectors:
            result = _check_dkim_selector(dns_, domain, sel)
            if result is not None:
                if not selector:
                    result.detail += f" (found by trying common selectors; pass --selector {sel})"
                return result
    except DnsUnavailable as exc:
        return _unavailable("dkim", exc)
    sel = selector or "default"
    where = f"{sel}._domainkey.{domain}" if selector else f"any common selector of {domain}"
    status = FAIL if selector else WARN
    detail = f"no DKIM key published at {where}."
    if not selector:
        detail += " Pass --selector (see s= in a DKIM-Signature of your sent mail) to be sure."
    return Check("dkim", status, detail, _dkim_fix(domain, sel),
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


def check_dmarc(dns_: Dns, domain: str) -> Check:
    """DMARC policy record (RFC 7489 §6.3) at _dmarc.DOMAIN or its organisational domain."""
    suggest = (f'_dmarc.{domain}. IN TXT "v=DMARC1; p=quarantine; adkim=r; aspf=r; '
               f'rua=mailto:dmarc-reports@{domain}"')  # fmt: skip
    try:
        name, found = _dmarc_record(dns_, domain)
        org = organizational_domain(domain)
        if not found and org != domain:
            name, found = _dmarc_record(dns_, org)
    except DnsUnavailable as exc:
        return _unavailable("dmarc", exc)
    if not found:
        return Check("dmarc", FAIL, f"no DMARC record at _dmarc.{domain}: Gmail and Yahoo require "
                     "one from bulk senders and receivers have no policy for spoofed mail.",
                     "Publish a DMARC record; start with p=none to collect reports, then move to "
                     "quarantine/reject.", suggest)  # fmt: skip
    if len(found) > 1:
        return Check("dmarc", FAIL, f"{name} has {len(found)} DMARC records; receivers ignore all "
                     "of them (RFC 7489 §6.6.3).", "Keep exactly one.", suggest, found)  # fmt: skip
    text = found[0]
    evidence = [f"{name}: {text}"]
    try:
        tags = parse_tags(text)
        if not text.replace(" ", "").startswith("v=DMARC1;") and text.strip() != "v=DMARC1":
            raise ValueError("must start with 'v=DMARC1;'")
        if "p" not in tags:
            raise ValueError("the required p= tag is missing")
        for key, allowed in (("p", ("none", "quarantine", "reject")),
                             ("sp", ("none", "quarantine", "reject")),
                             ("adkim", ("r", "s")), ("aspf", ("r", "s"))):  # fmt: skip
            if key in tags and tags[key].lower() not in allowed:
                raise ValueError(f"{key}={tags[key]} is not one of {', '.join(allowed)}")
        pct = int(tags.get("pct", "100"))
        if not 0 <= pct <= 100:
            raise ValueError(f"pct={pct} is outside 0-100")
    except ValueError as exc:
        return Check("dmarc", FAIL, f"malformed DMARC record: {exc}.",
                     "Replace it with a valid record; receivers ignore malformed ones.", suggest,
                     evidence)  # fmt: skip
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
        problems.append((WARN, "p=none only monitors: spoofed mail is still delivered"))
    if pct < 100 and policy != "none":
        problems.append((WARN, f"pct={pct}: the policy applies to only {pct}% of failing mail"))
    if not rua:
        problems.append((WARN, "no rua= address: you receive no aggregate reports"))
    for uri in rua:
        if not uri.lower().startswith("mailto:"):
            problems.append((WARN, f"rua URI '{uri}' is not a mailto: address"))
            continue
        target = uri[7:].split("!")[0].rpartition("@")[2].lower()
        if target and organizational_domain(target) != organizational_domain(domain):
            auth = f"{domain}._report._dmarc.{target}"
            try:
                ok = any(t.lower().startswith("v=dmarc1") for t in dns_.txt(auth))
            except DnsUnavailable:
                ok = True
            if not ok:
                problems.append((WARN, f"external report address needs {auth} TXT \"v=DMARC1\" "
                                       "(RFC 7489 §7.1) or reports are not sent"))  # fmt: skip
    if "sp" in tags and ["none", "quarantine", "reject"].index(sp) < [
        "none", "quarantine", "reject"].index(policy):  # fmt: skip
        problems.append((WARN, f"subdomain policy sp={sp} is weaker than p={policy}: "
                               "attackers can spoof any.subdomain"))  # fmt: skip
    if not problems:
        return Check("dmarc", PASS, f"DMARC p={policy} for 100% of mail with reports to "
                     f"{', '.join(rua)}.", "", "", evidence)  # fmt: skip
    status = FAIL if any(s == FAIL for s, _ in problems) else WARN
    fixed = {**tags, "p": policy if policy != "none" else "quarantine", "pct": "100"}
    fixed.setdefault("rua", f"mailto:dmarc-reports@{domain}")
    if "sp" in fixed and fixed["sp"] == "none":
        fixed["sp"] = fixed["p"]
    if fixed["pct"] == "100":
        del fixed["pct"]
    body = "; ".join(f"{k}={v}" for k, v in fixed.items())
    return Check("dmarc", status, "; ".join(m for _, m in problems) + ".",
                 "Once reports show your own mail passes, tighten the policy as below.",
                 f'{name}. IN TXT "{body}"', evidence)  # fmt: skip


def check_mx(dns_: Dns, domain: str) -> Check:
    """MX: present, not null (RFC 7505), every exchange resolves to an address."""
    try:
        mx = dns_.mx(domain)
        evidence = [f"MX {pref} {host}" for pref, host in mx]
        record = f"{domain}. IN MX 10 mail.{domain}."
        if not mx:
            has_a = bool(dns_.all_addresses(domain))
            where = "falls back to the A record (RFC 5321 §5.1)" if has_a else "is undeliverable"
            return Check("mx", FAIL, f"{domain} has no MX record; mail to it {where}, so replies "
                         "and bounces to your sending address get lost.",
                         "Publish MX records pointing to your mail server or provider.", record,
                         evidence)  # fmt: skip
        if len(mx) == 1 and mx[0][1] in ("", "."):
            return Check("mx", FAIL, f"{domain} publishes a null MX (RFC 7505): it declares it "
                         "accepts no mail, and many receivers reject mail *from* such domains.",
                         "Remove the null MX and publish real MX records.", record,
                         evidence)  # fmt: skip
        bad: list[str] = []
        for _, host in mx:
            if host in ("", "."):
                bad.append("null MX mixed with real MX records")
                continue
            try:
                ipaddress.ip_address(host)
                bad.append(f"{host} is an IP address, not a host name")
                continue
            except ValueError:
                pass
            addrs = dns_.all_addresses(host)
            evidence.append(f"{host} -> {', '.join(addrs) or 'no address'}")
            if not addrs:
                bad.append(f"{host} does not resolve")
            elif dns_.cname(host):
                bad.append(
                    f"{host} is a CNAME (RFC 2181 §10.3 forbids MX targets that are aliases)"
                )
    except DnsUnavailable as exc:
        return _unavailable("mx", exc)
    if not bad:
        return Check("mx", PASS, f"{len(mx)} MX record(s), all resolve.", "", "", evidence)
    resolving = len(mx) - sum(1 for b in bad if "does not resolve" in b or "IP address" in b)
    status = WARN if resolving > 0 and len(bad) < len(mx) else FAIL
    return Check("mx", status, "; ".join(bad) + ".",
                 "Point every MX at a host name that has an A/AAAA record.", record,
                 evidence)  # fmt: skip


_GENERIC_PTR = re.compile(r"(\d{1,3}[-.]){3}\d{1,3}|dynamic|dhcp|pool|dsl|cable|dyn\b|ppp")


def check_ptr(dns_: Dns, ip: str | None, domain: str = "") -> Check:
    """Forward-confirmed reverse DNS (RFC 8601 §3 iprev): PTR exists and maps back to the IP."""
    if not ip:
        return Check("ptr", WARN, "not checked: pass the sending IP with --ip.", "")
    try:
        addr = ipaddress.ip_address(ip)
        rev = dns.reversename.from_address(ip).to_text(omit_final_dot=True)
        names = dns_.ptr_names(ip)
        record = f"{rev}. IN PTR mail.{domain or 'example.com'}."
        if not names:
            return Check("ptr", FAIL, f"{ip} has no reverse DNS (PTR) record; many receivers "
                         "reject or spam-folder such mail.", "Ask whoever owns the IP (hosting "
                         "provider or ISP) to set the PTR to your mail host name, which must "
                         "resolve back to the IP.", record)  # fmt: skip
        evidence = [f"PTR {rev} -> {', '.join(names)}"]
        confirmed = []
        for name in names:
            addrs = dns_.addresses(name, "A" if addr.version == 4 else "AAAA")
            evidence.append(f"{name} -> {', '.join(addrs) or 'no address'}")
            if any(ipaddress.ip_address(a) == addr for a in addrs):
                confirmed.append(name)
    except DnsUnavailable as exc:
        return _unavailable("ptr", exc)
    except ValueError as exc:
        return Check("ptr", FAIL, f"'{ip}' is not an IP address ({exc}).", "Pass a valid --ip.")
    if not confirmed:
        fwd = f"{names[0]}. IN {'A' if addr.version == 4 else 'AAAA'} {ip}"
        return Check("ptr", FAIL, f"PTR of {ip} is {names[0]} but that name does not resolve "
                     "back to the IP (not forward-confirmed).", "Add the forward record below, "
                     "or have the PTR changed to a name that resolves to the IP.", fwd,
                     evidence)  # fmt: skip
    name = confirmed[0]
    if _GENERIC_PTR.search(name):
        return Check("ptr", WARN, f"{ip} <-> {name} is forward-confirmed but looks like a generic "
                     "ISP name; receivers score those as dynamic/residential.", "Ask for a PTR "
                     "naming your mail host.", record, evidence)  # fmt: skip
    return Check("ptr", PASS, f"{ip} <-> {name} is forward-confirmed.", "", "", evidence)


def dnsbl_query_name(ip: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4: reversed octets (IPv4) or reversed nibbles (IPv6) + zone."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        rev = ".".join(reversed(str(addr).split(".")))
    else:
        rev = ".".join(reversed(addr.exploded.replace(":", "")))
    return f"{rev}.{zone.rstrip('.')}"


def check_dnsbl(dns_: Dns, ip: str | None, zones: Iterable[str] = DEFAULT_DNSBL_ZONES) -> Check:
    """Is the sending IP on a DNS blocklist? 127.0.0.x = listed; 127.255.255.x = refused."""
    if not ip:
        return Check("dnsbl", WARN, "not checked: pass the sending IP with --ip.", "")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return Check("dnsbl", FAIL, f"'{ip}' is not an IP address.", "Pass a valid --ip.")
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
        return Check("dnsbl", FAIL, f"{ip} is listed on {', '.join(listed)}.", "Find and stop "
                     "the cause (compromised account, bad list, open relay), then request "
                     "delisting on each list's website; nothing to publish in your own DNS.", "",
                     evidence)  # fmt: skip
    if refused or unchecked:
        why = f"{', '.join(refused)} refused the query" if refused else ""
        if unchecked:
            why += ("; " if why else "") + f"could not check {', '.join(unchecked)}"
        return Check("dnsbl", WARN, f"{ip}: {why}.", "Query through your own resolver (not a "
                     "public one) with --nameserver to get a real answer.", "",
                     evidence)  # fmt: skip
    return Check("dnsbl", PASS, f"{ip} is not listed on {len(evidence)} blocklist(s).", "", "",
                 evidence)  # fmt: skip


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
) -> Report:
    """Run all six checks. ``resolver`` defaults to the system one with a 5 s lifetime."""
    domain = domain.strip().rstrip(".").lower()
    dns_ = Dns(resolver or make_resolver())
    checks = [
        check_spf(dns_, domain, ip),
        check_dkim(dns_, domain, selector),
        check_dmarc(dns_, domain),
        check_mx(dns_, domain),
        check_ptr(dns_, ip, domain),
        check_dnsbl(dns_, ip, dnsbl_zones),
    ]
    return Report(domain, ip, checks)
