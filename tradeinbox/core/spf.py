"""SPF record parsing and evaluation (RFC 7208), written out so every step is explainable.

Two jobs:

* :func:`count_lookups` walks the whole include/redirect tree and counts the terms that
  cost a DNS lookup (include, a, mx, ptr, exists, redirect; RFC 7208 §4.6.4). Receivers
  stop at 10 and return ``permerror``, so a record past the limit fails for *everyone*,
  even if the sending IP is listed early.
* :func:`check_host` is RFC 7208 §4 ``check_host()``: the result for one sending IP.

DNS goes through :class:`tradeinbox.core.dnscheck.Dns` so a test can point it at a local
server. Macros (RFC 7208 §7) are expanded for the letters that make sense without an
SMTP session (s, l, o, d, i, v, h, p is left as "unknown").
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradeinbox.core.dnscheck import Dns

LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4
VOID_LIMIT = 2  # RFC 7208 §4.6.4
MX_PTR_LIMIT = 10  # RFC 7208 §4.6.4: at most 10 MX / PTR names looked up per term

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
LOOKUP_TERMS = {"include", "a", "mx", "ptr", "exists"}
_MODIFIER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9\-_.]*$")
_MACRO = re.compile(r"%\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-|%", re.IGNORECASE)
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_\-]{1,63}(?<!-)$")


class SpfSyntaxError(ValueError):
    """The record does not follow the RFC 7208 §12 grammar (result ``permerror``)."""


class SpfPermError(Exception):
    """Evaluation hit a permanent error: limit exceeded, bad include, bad macro ..."""


class SpfTempError(Exception):
    """A DNS failure during evaluation (result ``temperror``)."""


@dataclass(frozen=True, slots=True)
class Term:
    """One directive: qualifier (+ - ~ ?), mechanism name, raw argument, cidr lengths."""

    qualifier: str
    mechanism: str
    value: str
    cidr4: int | None = None
    cidr6: int | None = None
    raw: str = ""


@dataclass(slots=True)
class SpfRecord:
    """A parsed ``v=spf1`` record: directives in order and the modifiers."""

    text: str
    terms: list[Term]
    redirect: str | None = None
    exp: str | None = None
    unknown_modifiers: list[str] = field(default_factory=list)

    @property
    def all_term(self) -> Term | None:
        return next((t for t in self.terms if t.mechanism == "all"), None)


@dataclass(slots=True)
class Evaluation:
    """Result of :func:`check_host` with the evidence trail."""

    result: str  # pass fail softfail neutral none permerror temperror
    matched: str = ""
    lookups: int = 0
    void_lookups: int = 0
    trail: list[str] = field(default_factory=list)
    error: str = ""


_QUALIFIER_RESULT = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


def _split_cidr(value: str) -> tuple[str, int | None, int | None]:
    """Split ``domain/24//64`` into (domain, 24, 64) (RFC 7208 §5.6 dual-cidr-length)."""
    cidr4 = cidr6 = None
    m = re.search(r"(?:/(\d+))?(?://(\d+))?$", value)
    if m and (m.group(1) or m.group(2)):
        value = value[: m.start()]
        if m.group(1) is not None:
            cidr4 = int(m.group(1))
            if cidr4 > 32 or (len(m.group(1)) > 1 and m.group(1).startswith("0")):
                raise SpfSyntaxError(f"invalid IPv4 prefix length /{m.group(1)}")
        if m.group(2) is not None:
            cidr6 = int(m.group(2))
            if cidr6 > 128:
                raise SpfSyntaxError(f"invalid IPv6 prefix length //{m.group(2)}")
    return value, cidr4, cidr6


def _check_domain_spec(spec: str, term: str) -> None:
    """A domain-spec must be a macro-string ending in a plausible domain (RFC 7208 §7.1)."""
    if not spec:
        raise SpfSyntaxError(f"'{term}' needs a domain")
    if "%" in spec:
        for m in _MACRO.finditer(spec):
            if m.group(0) == "%":
                raise SpfSyntaxError(f"bad macro in '{term}'")
        return
    labels = spec.rstrip(".").split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(lbl) for lbl in labels):
        raise SpfSyntaxError(f"'{spec}' in '{term}' is not a valid domain name")
    if labels[-1].isdigit():
        raise SpfSyntaxError(f"'{spec}' in '{term}' looks like an IP address, not a domain")


def parse_record(text: str) -> SpfRecord:
    """Parse one SPF record; raise :class:`SpfSyntaxError` with a human reason on error."""
    parts = text.split()
    if not parts or parts[0].lower() != "v=spf1":
        raise SpfSyntaxError("record must start with 'v=spf1'")
    record = SpfRecord(text=text, terms=[])
    for raw in parts[1:]:
        name_match = re.match(r"^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$", raw)
        if name_match:
            name, value = name_match.group(1).lower(), name_match.group(2)
            if name in ("redirect", "exp"):
                if getattr(record, name) is not None:
                    raise SpfSyntaxError(f"'{name}=' appears more than once")
                _check_domain_spec(value, raw)
                setattr(record, name, value)
            elif _MODIFIER_NAME.match(name):
                record.unknown_modifiers.append(raw)
            continue
        qualifier = "+"
        body = raw
        if body[:1] in "+-~?":
            qualifier, body = body[0], body[1:]
        mech, _, value = body.partition(":")
        mech_l = mech.lower()
        if "/" in mech_l and mech_l.split("/")[0] in ("a", "mx"):
            mech_l, value = mech_l.split("/")[0], body[len(mech_l.split("/")[0]) :]
        if mech_l not in MECHANISMS:
            raise SpfSyntaxError(f"unknown mechanism '{raw}'")
        if mech_l == "all":
            if value or ":" in body:
                raise SpfSyntaxError(f"'{raw}': 'all' takes no argument")
            record.terms.append(Term(qualifier, "all", "", raw=raw))
        elif mech_l in ("ip4", "ip6"):
            if not value:
                raise SpfSyntaxError(f"'{raw}' needs an address")
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise SpfSyntaxError(f"'{raw}': invalid address or network") from exc
            if (mech_l == "ip4") != (net.version == 4):
                raise SpfSyntaxError(f"'{raw}': wrong address family for {mech_l}")
            record.terms.append(Term(qualifier, mech_l, value, raw=raw))
        elif mech_l in ("a", "mx"):
            domain, c4, c6 = _split_cidr(value)
            if domain.startswith(":"):
                domain = domain[1:]
            if domain:
                _check_domain_spec(domain, raw)
            record.terms.append(Term(qualifier, mech_l, domain, c4, c6, raw=raw))
        elif mech_l == "ptr":
            if value:
                _check_domain_spec(value, raw)
            record.terms.append(Term(qualifier, "ptr", value, raw=raw))
        else:  # include, exists
            _check_domain_spec(value, raw)
            record.terms.append(Term(qualifier, mech_l, value, raw=raw))
    return record


def expand_macros(spec: str, *, ip: str, domain: str, sender: str = "") -> str:
    """Expand RFC 7208 §7 macros in a domain-spec."""
    if "%" not in spec:
        return spec
    sender = sender or f"postmaster@{domain}"
    local, _, sdomain = sender.rpartition("@")
    addr = ipaddress.ip_address(ip) if ip else None
    if addr is None:
        ip_text = ""
    elif addr.version == 4:
        ip_text = str(addr)
    else:
        ip_text = ".".join(addr.exploded.replace(":", ""))
    values = {
        "s": sender,
        "l": local or "postmaster",
        "o": sdomain,
        "d": domain,
        "i": ip_text,
        "v": "in-addr" if addr is None or addr.version == 4 else "ip6",
        "h": domain,
        "p": "unknown",
    }

    def repl(m: re.Match[str]) -> str:
        text = m.group(0)
        if text == "%%":
            return "%"
        if text == "%_":
            return " "
        if text == "%-":
            return "%20"
        if text == "%":
            raise SpfPermError("malformed macro")
        letter = m.group(1).lower()
        if letter not in values:
            raise SpfPermError(f"macro %{{{letter}}} is only allowed in exp=")
        parts = re.split("[" + re.escape(m.group(4) or ".") + "]", values[letter])
        if m.group(3):
            parts.reverse()
        if m.group(2):
            keep = int(m.group(2))
            if keep == 0:
                raise SpfPermError("macro digit transformer must be at least 1")
            parts = parts[-keep:]
        return ".".join(parts)

    return _MACRO.sub(repl, spec)


def fetch_record(dns: Dns, domain: str) -> tuple[str | None, list[str]]:
    """Return (the SPF record or None, all v=spf1 TXT strings found) for ``domain``."""
    answer = dns.txt(domain)
    records = [t for t in answer if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]
    return (records[0] if len(records) == 1 else None), records


@dataclass(slots=True)
class LookupCount:
    """Static count of lookup-costing terms over the whole include/redirect tree."""

    total: int = 0
    tree: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def count_lookups(dns: Dns, domain: str, record: SpfRecord | None = None) -> LookupCount:
    """Count DNS-querying terms recursively (RFC 7208 §4.6.4) without stopping at 10."""
    out = LookupCount()
    seen: set[str] = set()

    def walk(dom: str, rec: SpfRecord | None, depth: int) -> None:
        if depth > 15:
            out.errors.append(f"include chain deeper than 15 at {dom}")
            return
        if rec is None:
            text, found = fetch_record(dns, dom)
            if text is None:
                why = "several SPF records" if found else "no SPF record"
                out.errors.append(f"{dom}: {why}")
                return
            try:
                rec = parse_record(text)
            except SpfSyntaxError as exc:
                out.errors.append(f"{dom}: {exc}")
                return
        for term in rec.terms:
            if term.mechanism in LOOKUP_TERMS:
                out.total += 1
                out.tree.append(f"{'  ' * depth}{dom}: {term.raw}")
            if term.mechanism == "include" and "%" not in term.value:
                target = term.value.rstrip(".").lower()
                if target in seen:
                    out.errors.append(f"include loop: {target} is included twice")
                    continue
                seen.add(target)
                walk(target, None, depth + 1)
        if rec.redirect and rec.all_term is None:
            out.total += 1
            out.tree.append(f"{'  ' * depth}{dom}: redirect={rec.redirect}")
            if "%" not in rec.redirect and rec.redirect.lower() not in seen:
                seen.add(rec.redirect.lower())
                walk(rec.redirect.rstrip(".").lower(), None, depth + 1)

    seen.add(domain.lower())
    walk(domain.lower(), record, 0)
    return out


class _State:
    def __init__(self) -> None:
        self.lookups = 0
        self.void = 0
        self.trail: list[str] = []

    def spend(self, what: str) -> None:
        self.lookups += 1
        if self.lookups > LOOKUP_LIMIT:
            raise SpfPermError(f"more than {LOOKUP_LIMIT} DNS lookups (at {what})")

    def void_hit(self, name: str) -> None:
        self.void += 1
        if self.void > VOID_LIMIT:
            raise SpfPermError(f"more than {VOID_LIMIT} void lookups (at {name})")


def _in_net(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, addr: str, c4, c6) -> bool:
    other = ipaddress.ip_address(addr)
    if other.version != ip.version:
        return False
    plen = (c4 if c4 is not None else 32) if ip.version == 4 else (c6 if c6 is not None else 128)
    return ip in ipaddress.ip_network(f"{other}/{plen}", strict=False)


def _addresses(dns: Dns, name: str, ip, st: _State) -> list[str]:
    rtype = "A" if ip.version == 4 else "AAAA"
    found = dns.addresses(name, rtype)
    if not found:
        st.void_hit(name)
    return found


def _match(dns: Dns, term: Term, ip, domain: str, sender: str, st: _State, depth: int) -> bool:
    target = (
        expand_macros(term.value, ip=str(ip), domain=domain, sender=sender)
        if term.value
        else domain
    )
    m = term.mechanism
    if m == "all":
        return True
    if m in ("ip4", "ip6"):
        net = ipaddress.ip_network(term.value, strict=False)
        return net.version == ip.version and ip in net
    st.spend(term.raw)
    if m == "a":
        return any(_in_net(ip, a, term.cidr4, term.cidr6) for a in _addresses(dns, target, ip, st))
    if m == "mx":
        hosts = dns.mx_hosts(target)
        if not hosts:
            st.void_hit(target)
        if len(hosts) > MX_PTR_LIMIT:
            raise SpfPermError(f"{target} has more than {MX_PTR_LIMIT} MX records")
        for host in hosts:
            if any(_in_net(ip, a, term.cidr4, term.cidr6) for a in _addresses(dns, host, ip, st)):
                return True
        return False
    if m == "exists":
        return bool(dns.addresses(target, "A")) or (st.void_hit(target) or False)
    if m == "ptr":
        names = dns.ptr_names(str(ip))[:MX_PTR_LIMIT]
        for name in names:
            if name == target.lower() or name.endswith("." + target.lower()):
                if str(ip) in dns.addresses(name, "A" if ip.version == 4 else "AAAA"):
                    return True
        return False
    if m == "include":
        sub = _check(dns, ip, target, sender, st, depth + 1)
        if sub in ("temperror",):
            raise SpfTempError(f"include:{target} gave temperror")
        if sub in ("permerror", "none"):
            raise SpfPermError(
                f"include:{target} has {'no SPF record' if sub == 'none' else 'an error'}"
            )
        return sub == "pass"
    raise SpfPermError(f"unknown mechanism {m}")


def _check(dns: Dns, ip, domain: str, sender: str, st: _State, depth: int) -> str:
    if depth > 20:
        raise SpfPermError("include/redirect recursion too deep")
    text, found = fetch_record(dns, domain)
    if text is None:
        if found:
            raise SpfPermError(f"{domain} publishes {len(found)} SPF records (only one is allowed)")
        return "none"
    try:
        record = parse_record(text)
    except SpfSyntaxError as exc:
        raise SpfPermError(f"{domain}: {exc}") from exc
    for term in record.terms:
        if _match(dns, term, ip, domain, sender, st, depth):
            st.trail.append(f"{domain}: '{term.raw}' matched")
            return _QUALIFIER_RESULT[term.qualifier]
    if record.redirect and record.all_term is None:
        st.spend(f"redirect={record.redirect}")
        target = expand_macros(record.redirect, ip=str(ip), domain=domain, sender=sender)
        result = _check(dns, ip, target, sender, st, depth + 1)
        if result == "none":
            raise SpfPermError(f"redirect={target} has no SPF record")
        return result
    st.trail.append(f"{domain}: nothing matched (default neutral)")
    return "neutral"


def check_host(dns: Dns, ip: str, domain: str, sender: str = "") -> Evaluation:
    """RFC 7208 §4 check_host(): the SPF result for mail from ``domain`` sent by ``ip``."""
    from tradeinbox.core.dnscheck import DnsUnavailable

    st = _State()
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    try:
        result = _check(dns, addr, domain.rstrip(".").lower(), sender, st, 0)
        error = ""
    except SpfPermError as exc:
        result, error = "permerror", str(exc)
    except (SpfTempError, DnsUnavailable) as exc:
        result, error = "temperror", str(exc)
    matched = st.trail[-1] if st.trail else ""
    return Evaluation(result, matched, st.lookups, st.void, st.trail, error)
