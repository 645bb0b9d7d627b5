"""SPF, DKIM and DMARC verdicts we can trust.

``Authentication-Results`` (RFC 8601) can be written by anyone, including the
sender, so only headers stamped by *our own* receiving side count:

* when the caller passes ``trusted_ids`` (the authserv-ids of our MTAs, RFC 8601
  section 2.5), exactly the headers carrying one of them are used;
* otherwise the boundary ``Received`` line found by :mod:`tradeinbox.core.origin`
  decides. A header *above* it was added on our side: our MTA prepends its trace
  line (RFC 5321 section 4.4), so nothing the sender wrote can appear above it
  (this covers Microsoft 365, which omits the authserv-id altogether). A header
  elsewhere counts only when its authserv-id names one of our own relays (the
  ``by`` host of a hop at or above the boundary): Gmail and Proton stamp their
  verdict just below their own trace line, and RFC 8601 section 5 obliges them to
  delete forged headers carrying their own id. ``Received-SPF`` (RFC 7208
  section 9.1) is only trusted above the boundary.

When no trusted verdict exists, DKIM (RFC 6376) can be verified locally with
dkimpy - but only with a DNS function the caller injects. DNS trouble (no
network, timeout) gives *no verdict*, never a failure, so offline use stays fair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.origin import registered_domain

# RFC 8601 section 2.7 result keywords, plus Microsoft's "compauth".
RESULTS = {
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
    "policy",
    "hardfail",
    "bestguesspass",
}
_METHODS = ("spf", "dkim", "dmarc", "compauth", "arc")
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_.-]+)\s*=\s*([a-z0-9_-]+)(.*)$", re.I | re.S)
_PROP = re.compile(r"\b([a-z]+\.[a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.I)


@dataclass(slots=True)
class MethodResult:
    """One ``method=result`` from an Authentication-Results header."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)  # "header.d" -> "example.com"
    reason: str = ""


@dataclass(slots=True)
class AuthHeader:
    """A parsed Authentication-Results header."""

    authserv_id: str  # "" when the stamping server wrote none (Microsoft 365)
    results: list[MethodResult]


@dataclass(slots=True)
class AuthVerdict:
    """The trusted verdicts for one message; ``None`` means "no verdict"."""

    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    compauth: str | None = None
    spf_domain: str | None = None
    dkim_domains: list[str] = field(default_factory=list)  # d= of passing signatures
    source: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """DMARC or composite authentication failed, or SPF hard-failed."""
        return self.dmarc == "fail" or self.compauth == "fail" or self.spf in ("fail", "hardfail")


def _split_outside(text: str, separator: str = ";") -> list[str]:
    """Split on ``separator`` outside quotes and comments (RFC 5322 CFWS)."""
    parts, depth, quoted, current = [], 0, False, []
    for char in text:
        if char == '"' and depth == 0:
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
        elif char == ")" and not quoted and depth:
            depth -= 1
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def parse_authentication_results(value: str) -> AuthHeader:
    """Parse one header value (RFC 8601 section 2.2 grammar, leniently)."""
    parts = _split_outside(" ".join(value.split()))
    authserv_id = ""
    first = _COMMENT.sub(" ", parts[0]).strip() if parts else ""
    if first and not _RESULT.match(first):
        authserv_id = first.split()[0].lower()
        parts = parts[1:]
    elif first and " " in first.split("=", 1)[0].strip():
        authserv_id = first.split()[0].lower()
        parts = [first.split(None, 1)[1], *parts[1:]]
    results = []
    for part in parts:
        # Microsoft and some others glue several results into one clause.
        for chunk in re.split(r"(?i)\s+(?=(?:spf|dkim|dmarc|compauth|arc)\s*=)", part):
            match = _RESULT.match(chunk)
            if not match or match.group(1).lower() == "none":
                continue
            method = match.group(1).lower().split(".")[0]
            result = match.group(2).lower()
            rest = match.group(3)
            reason_match = re.search(r"\breason\s*=\s*(\"[^\"]*\"|\S+)", rest, re.I)
            properties = {key.lower(): val.strip('"').lower() for key, val in _PROP.findall(rest)}
            results.append(
                MethodResult(
                    method,
                    result,
                    properties,
                    reason_match.group(1).strip('"') if reason_match else "",
                )
            )
    return AuthHeader(authserv_id, results)


def _header_positions(msg: ParsedMessage) -> tuple[list[int], list[tuple[int, str, str]]]:
    """Positions of Received headers and of (position, name, value) verdict headers."""
    received_at, verdicts = [], []
    for position, (name, value) in enumerate(msg.headers):
        lower = name.lower()
        if lower == "received":
            received_at.append(position)
        elif lower in (
            "authentication-results",
            "received-spf",
            "x-ms-exchange-authentication-results",
        ):
            verdicts.append((position, lower, value))
    return received_at, verdicts


def trusted_verdict(
    msg: ParsedMessage,
    trusted_ids: Collection[str] | None = None,
    boundary_index: int | None = None,
) -> AuthVerdict:
    """Combine the trusted Authentication-Results / Received-SPF headers.

    ``boundary_index`` is the index in ``msg.received`` of the hop where the
    message entered our side (:func:`tradeinbox.core.origin.find_client_ip`).
    With neither ``trusted_ids`` nor a boundary, nothing is trusted.
    """
    verdict = AuthVerdict()
    received_at, headers = _header_positions(msg)
    limit: int | None = None
    our_hosts: set[str] = set()
    if trusted_ids is None and boundary_index is not None and boundary_index < len(received_at):
        limit = received_at[boundary_index]
        for value in msg.received[: boundary_index + 1]:
            by = re.search(r"\bby\s+([A-Za-z0-9.-]+\.[A-Za-z]{2,})", value)
            if by:
                our_hosts.add(by.group(1).lower())
                our_hosts.add(registered_domain(by.group(1)))
    wanted = {i.lower() for i in trusted_ids} if trusted_ids is not None else None
    for position, name, value in headers:
        if name == "received-spf":
            if wanted is not None or limit is None or position > limit:
                continue
            word = value.strip().split(None, 1)[0].lower() if value.strip() else ""
            if word in RESULTS and verdict.spf is None:
                verdict.spf = word
                verdict.evidence.append(
                    Evidence("auth.received_spf", 0.0, f"Received-SPF: {value[:120]}")
                )
            continue
        parsed = parse_authentication_results(value)
        if wanted is not None:
            if parsed.authserv_id not in wanted:
                continue
            origin = f"authserv-id {parsed.authserv_id}"
        elif limit is not None and position < limit:
            origin = f"above the boundary hop ({parsed.authserv_id or 'no authserv-id'})"
        elif parsed.authserv_id and (
            parsed.authserv_id in our_hosts or registered_domain(parsed.authserv_id) in our_hosts
        ):
            origin = f"authserv-id {parsed.authserv_id} is our relay"
        else:
            continue  # possibly written by the sender: RFC 8601 section 7.2
        verdict.source = verdict.source or origin
        for item in parsed.results:
            _merge(verdict, item)
    for method in ("spf", "dkim", "dmarc", "compauth"):
        result = getattr(verdict, method)
        if result is None:
            continue
        weight = 0.0
        if result in ("fail", "hardfail"):
            weight = {"dmarc": 0.35, "compauth": 0.3, "spf": 0.2, "dkim": 0.15}[method]
        elif result == "softfail":
            weight = 0.08
        elif result == "pass":
            weight = -0.05
        verdict.evidence.append(
            Evidence(f"auth.{method}_{result}", weight, f"{method}={result} ({verdict.source})")
        )
    return verdict


def _merge(verdict: AuthVerdict, item: MethodResult) -> None:
    """Keep the first verdict per method, but any passing DKIM signature counts."""
    if item.result not in RESULTS:
        return
    if item.method == "dkim":
        if item.result == "pass":
            domain = item.properties.get("header.d") or item.properties.get("header.i", "")
            domain = domain.rpartition("@")[2]
            if domain:
                verdict.dkim_domains.append(domain)
            verdict.dkim = "pass"
        elif verdict.dkim is None:
            verdict.dkim = item.result
    elif item.method == "spf" and verdict.spf is None:
        verdict.spf = item.result
        mailfrom = item.properties.get("smtp.mailfrom", "")
        verdict.spf_domain = mailfrom.rpartition("@")[2] or None
    elif item.method == "dmarc" and verdict.dmarc is None:
        verdict.dmarc = item.result
    elif item.method == "compauth" and verdict.compauth is None:
        verdict.compauth = item.result


# ---------------------------------------------------------------- local DKIM check

DnsFunc = Callable[..., bytes | None]


class DnsUnavailable(Exception):
    """Raised by a DNS function when it could not get any answer (offline, timeout)."""


def dnspython_txt(timeout: float = 3.0) -> DnsFunc:
    """A dkimpy-compatible TXT lookup with a hard time limit.

    NXDOMAIN / no TXT record is an answer (``None``: the key does not exist);
    timeouts and unreachable servers raise :class:`DnsUnavailable`.
    """
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout
    resolver.timeout = timeout

    def lookup(name: bytes, timeout: float = timeout) -> bytes | None:
        try:
            answer = resolver.resolve(name.decode("ascii", "replace"), "TXT", lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError) as error:
            raise DnsUnavailable(str(error)) from error
        except dns.exception.DNSException as error:
            raise DnsUnavailable(str(error)) from error
        return b"".join(b"".join(rdata.strings) for rdata in answer[:1])

    return lookup


def verify_dkim(raw: bytes, dnsfunc: DnsFunc, timeout: float = 3.0) -> AuthVerdict:
    """Verify every DKIM-Signature of ``raw`` (RFC 6376 section 6) with dkimpy.

    Returns ``dkim="pass"`` with the passing domains, ``"fail"`` when a signature
    is present and none verifies with keys that DNS did return, or ``None`` (no
    verdict) when unsigned or DNS was unavailable.
    """
    import dkim

    verdict = AuthVerdict(source="local dkimpy check")
    dns_trouble: list[str] = []

    def guarded(name: bytes, timeout: float = timeout) -> bytes | None:
        try:
            return dnsfunc(name, timeout=timeout)
        except DnsUnavailable as error:
            dns_trouble.append(str(error))
            return None
        except Exception as error:  # an injected resolver failing is still "no answer"
            dns_trouble.append(repr(error))
            return None

    try:
        checker = dkim.DKIM(raw, timeout=timeout)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception as error:
        verdict.evidence.append(Evidence("auth.dkim_unreadable", 0.0, f"dkimpy: {error}"))
        return verdict
    if not count:
        return verdict
    failures = 0
    for index in range(count):
        try:
            ok = checker.verify(idx=index, dnsfunc=guarded)
        except Exception as error:
            ok = False
            verdict.evidence.append(Evidence("auth.dkim_error", 0.0, f"signature {index}: {error}"))
        if ok:
            domain = (checker.domain or b"").decode("ascii", "replace").lower()
            verdict.dkim = "pass"
            verdict.dkim_domains.append(domain)
        else:
            failures += 1
    if verdict.dkim == "pass":
        verdict.evidence.append(
            Evidence(
                "auth.dkim_pass",
                -0.05,
                tr("DKIM verified for %(domains)s", domains=", ".join(verdict.dkim_domains)),
            )
        )
    elif dns_trouble:
        verdict.evidence.append(
            Evidence(
                "auth.dkim_no_dns",
                0.0,
                tr("DKIM not checked: DNS unavailable (%(reason)s)", reason=dns_trouble[0]),
            )
        )
    elif failures:
        verdict.dkim = "fail"
        verdict.evidence.append(
            Evidence(
                "auth.dkim_fail",
                0.15,
                tr("%(count)d DKIM signature(s) did not verify", count=failures),
            )
        )
    return verdict


def authenticate(
    msg: ParsedMessage,
    raw: bytes | None = None,
    *,
    trusted_ids: Collection[str] | None = None,
    boundary_index: int | None = None,
    dnsfunc: DnsFunc | None = None,
    timeout: float = 3.0,
) -> AuthVerdict:
    """Trusted header verdicts, completed by a local DKIM check when DNS is given."""
    verdict = trusted_verdict(msg, trusted_ids, boundary_index)
    if verdict.dkim is None and raw is not None and dnsfunc is not None:
        local = verify_dkim(raw, dnsfunc, timeout)
        verdict.dkim = local.dkim
        verdict.dkim_domains.extend(local.dkim_domains)
        verdict.evidence.extend(local.evidence)
    return verdict
