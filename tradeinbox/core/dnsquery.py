"""DNS plumbing of the domain check: the resolver, cached lookups, a check's verdict, hints.

Split from :mod:`tradeinbox.core.dnscheck` (which re-exports every name) so each file
stays readable. :class:`Dns` turns DNS trouble (timeouts, SERVFAIL) into
:class:`DnsUnavailable`, which a check reports as "could not check", never as a failure.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

from tradeinbox.core.i18n import tr, tr_noop

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass(frozen=True, slots=True)
class Hints:
    """How the caller's user supplies what a check lacks: command-line options by default.

    Each is a message id for :func:`~tradeinbox.core.i18n.tr`; the web page passes
    :data:`FORM_HINTS`, which names its form fields and settings instead of options.
    """

    retry: str = tr_noop(
        "Retry later or with another resolver (--nameserver); the domain may be fine."
    )
    no_ip: str = tr_noop("not checked: pass the sending IP with --ip.")
    bad_ip: str = tr_noop("Pass a valid --ip.")
    own_resolver: str = tr_noop(
        "Query through your own resolver (not a public one) with --nameserver to get a real answer."
    )
    found_selector: str = tr_noop(
        "(found by trying common selectors; pass --selector %(selector)s)"
    )
    give_selector: str = tr_noop(
        "Pass --selector (see s= in a DKIM-Signature of your sent mail) to be sure."
    )
    dkim_fix: str = tr_noop(
        "Generate a 2048-bit key (tradeinbox.core.dkimsign.generate_key), sign outgoing mail "
        "with it and publish the public key as TXT at %(name)s."
    )


CLI_HINTS = Hints()
FORM_HINTS = Hints(
    retry=tr_noop(
        "Retry later, or set another resolver (TRADEINBOX_DNS_NAMESERVER); the domain may be fine."
    ),
    no_ip=tr_noop("not checked: enter the sending IP address to check it."),
    bad_ip=tr_noop("Enter a valid sending IP address."),
    own_resolver=tr_noop(
        "Query through your own resolver (not a public one), set as TRADEINBOX_DNS_NAMESERVER,"
        " to get a real answer."
    ),
    found_selector=tr_noop(
        "(found by trying common selectors; enter %(selector)s as the DKIM selector to check"
        " only it)"
    ),
    give_selector=tr_noop(
        "Enter the DKIM selector (s= in a DKIM-Signature of your sent mail) to be sure."
    ),
    dkim_fix=tr_noop(
        "Generate a 2048-bit key on the DKIM keys page, sign outgoing mail with it and publish"
        " the public key as TXT at %(name)s."
    ),
)


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


def unavailable(name: str, exc: Exception, hints: Hints = CLI_HINTS) -> Check:
    """A "could not check" warning: a flaky resolver is not a broken domain."""
    return Check(name, WARN, tr("could not check: %(error)s", error=str(exc)), tr(hints.retry))
