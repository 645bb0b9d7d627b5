"""Where a message really came from, and where its sender says they are.

Two kinds of finding, each with :class:`~tradeinbox.core.evidence.Evidence`:

* **Observed origin** - the sender's client IP, found by walking the ``Received``
  chain (RFC 5321 section 4.4; ``ParsedMessage.received`` is newest hop first)
  from our own server outward. Hops between private, loopback or reserved
  addresses and hops inside one provider (Microsoft 365 front ends talking to
  each other, Google's relays ...) are internal and skipped. The first public
  address that handed the message to the receiving side is the *boundary*: it is
  the only address a forger cannot fake (everything below it was written by the
  sending side). When the boundary is a big webmail provider that records the
  real client (``X-Originating-IP`` and friends) we use that address instead.
  The country comes from the offline GeoIP2Fast database.
* **Claimed origin** - countries the sender presents: international phone
  numbers in the body (E.164 calling codes via ``phonenumbers``), the ccTLD of
  the From domain, country names in the signature block, and the countries whose
  time zones had the Date header's UTC offset (RFC 5322 section 3.3) on that day.
  The Date offset also gives the sender's local hour; 00:00-05:59 is flagged.

A mismatch between observed and claimed countries is a classic sign of a fake
buyer ("we are a trading company in Germany" sent at 03:00 local time from a
West-African consumer line), but on its own it is only a hint: travel, VPNs and
offshore mail hosting are common, so the weights are small.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr
from tradeinbox.core.message import ParsedMessage

# Headers in which webmail services record the client that submitted the message.
# They are only trusted when the boundary hop belongs to such a provider, because
# anyone else can write them.
CLIENT_IP_HEADERS = (
    "x-originating-ip",
    "x-sender-ip",
    "x-client-ip",
    "x-source-ip",
    "x-yahoo-post-ip",
    "x-forwarded-for",
    "x-real-ip",
    "x-mail-from-ip",
)

# Registered domains whose relays hand mail between each other; a hop whose
# "from" and "by" hosts both fall in one group is internal to that provider.
PROVIDER_GROUPS: dict[str, str] = {
    "outlook.com": "microsoft",
    "office365.com": "microsoft",
    "hotmail.com": "microsoft",
    "live.com": "microsoft",
    "microsoft.com": "microsoft",
    "msn.com": "microsoft",
    "exchangelabs.com": "microsoft",
    "office.com": "microsoft",
    "protection.outlook.com": "microsoft",
    "google.com": "google",
    "gmail.com": "google",
    "googlemail.com": "google",
    "yahoo.com": "yahoo",
    "yahoodns.net": "yahoo",
    "yahoo.net": "yahoo",
    "aol.com": "yahoo",
    "mail.ru": "mailru",
    "qq.com": "tencent",
    "exmail.qq.com": "tencent",
    "163.com": "netease",
    "126.com": "netease",
    "yeah.net": "netease",
    "netease.com": "netease",
    "aliyun.com": "alibaba",
    "alibaba.com": "alibaba",
    "zoho.com": "zoho",
    "zohomail.com": "zoho",
    "amazonses.com": "amazon",
    "icloud.com": "apple",
    "me.com": "apple",
    "apple.com": "apple",
    "yandex.net": "yandex",
    "yandex.ru": "yandex",
    "gmx.net": "united-internet",
    "web.de": "united-internet",
    "mail.com": "united-internet",
}
# Generic top-level domains of country-neutral or frequently-abused registries:
# these carry no country claim.
_NEUTRAL_CCTLDS = {"io", "co", "me", "tv", "ai", "cc", "ws", "fm", "am", "to", "ly", "gg", "eu"}

_FROM_CLAUSE = re.compile(
    r"^\s*from\s+(?P<helo>\S+)(?P<rest>.*?)(?:\bby\s+(?P<by>\S+)|$)", re.I | re.S
)
_BY_ONLY = re.compile(r"\bby\s+(?P<by>[^\s;()]+)", re.I)
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV6 = re.compile(r"(?:IPv6:)?([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?)")
_PAREN = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


@dataclass(frozen=True, slots=True)
class Hop:
    """One parsed ``Received`` header."""

    index: int  # position in ParsedMessage.received (0 = newest, our server)
    from_host: str  # the HELO/EHLO name or reverse-DNS name as written
    ip: str | None  # the connecting address recorded by the receiving MTA
    by_host: str
    public: bool


@dataclass(slots=True)
class OriginResult:
    """Observed and claimed origin of one message."""

    ip: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    boundary_index: int | None = None  # index in ``received`` of the boundary hop
    local_hour: int | None = None
    utc_offset_minutes: int | None = None
    night: bool = False
    offset_countries: list[str] = field(default_factory=list)
    claimed: dict[str, list[str]] = field(default_factory=dict)  # country -> sources
    hops: list[Hop] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary, the ``origin`` object of ``tradeinbox analyze``."""
        return {
            "ip": self.ip,
            "country": self.country,
            "local_hour": self.local_hour,
            "night": self.night,
            "claimed_countries": sorted(self.claimed),
        }


# ipaddress parses with exceptions and is slow; the same servers' addresses recur in
# mail after mail, so the answers are remembered (pure functions of the string).
@lru_cache(maxsize=8192)
def _is_public(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@lru_cache(maxsize=8192)
def _valid_ip(text: str) -> str | None:
    candidate = text.strip().strip("[]").removeprefix("IPv6:").removeprefix("ipv6:")
    try:
        return str(ipaddress.ip_address(candidate.split("%", 1)[0]))
    except ValueError:
        return None


def _ips_in(text: str) -> list[str]:
    found = []
    for match in _IPV4.finditer(text):
        ip = _valid_ip(match.group(1))
        if ip:
            found.append(ip)
    if ":" in text:
        for match in _IPV6.finditer(text):
            ip = _valid_ip(match.group(1))
            if ip and ":" in ip:
                found.append(ip)
    return found


_HELO = re.compile(r"(?i)\bhelo[= ]\S+")


def parse_received(value: str, index: int = 0) -> Hop | None:
    """Parse one ``Received`` value (RFC 5321 section 4.4 "Stamp").

    Handles the common MTA dialects: Postfix/Sendmail
    ``from helo (rdns [1.2.3.4]) by ...``, qmail ``from unknown (HELO x) (1.2.3.4)``,
    Exim ``from [1.2.3.4] (helo=x)`` and Microsoft ``from host (2603:...) by ...``.
    The address inside the parenthesised TCP-info comment is the one the receiving
    MTA saw; a bare literal after ``from`` is used only when there is none.
    """
    match = _FROM_CLAUSE.match(value)
    if not match:
        by = _BY_ONLY.search(value)
        if not by:
            return None
        return Hop(index, "", None, by.group("by").lower().rstrip(";"), False)
    helo = match.group("helo").strip("();")
    rest = match.group("rest") or ""
    by_host = (match.group("by") or "").lower().rstrip(";")
    ip: str | None = None
    for paren in _PAREN.finditer(rest):
        inner = paren.group(1) if paren.group(1) is not None else paren.group(2)
        inner = _HELO.sub(" ", inner)  # the HELO is sender-chosen
        ips = _ips_in(inner)
        if ips:
            ip = ips[-1]
            break
    if ip is None:
        ip = _valid_ip(helo)
    return Hop(index, helo.lower(), ip, by_host, bool(ip and _is_public(ip)))


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    """``mail-sor-f41.google.com`` -> ``google.com`` (offline Public Suffix List)."""
    host = host.strip(".[]").lower()
    if not host or _valid_ip(host):
        return host
    extracted = _tld_extract()(host)
    if extracted.domain and extracted.suffix:
        return f"{extracted.domain}.{extracted.suffix}"
    return host


def public_suffix(host: str) -> str:
    """The public suffix of ``host`` (``co.uk``, ``com``), or "" when it has none."""
    host = host.strip(".[]").lower()
    if not host or _valid_ip(host):
        return ""
    return _tld_extract()(host).suffix


@lru_cache(maxsize=1)
def _tld_extract():
    import tldextract

    # suffix_list_urls=() keeps it offline: the snapshot bundled with tldextract.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def provider_of(host: str) -> str | None:
    """The provider group of a relay host name, or None for anyone else."""
    host = host.lower().strip(".")
    parts = host.split(".")
    for size in (3, 2):
        key = ".".join(parts[-size:])
        if key in PROVIDER_GROUPS:
            return PROVIDER_GROUPS[key]
    return None


def _same_org(host_a: str, host_b: str) -> bool:
    if not host_a or not host_b:
        return False
    provider_a, provider_b = provider_of(host_a), provider_of(host_b)
    if provider_a and provider_a == provider_b:
        return True
    return registered_domain(host_a) == registered_domain(host_b) and "." in host_a


# Relays that send *out* of a provider, and hosts where a provider takes mail *in*:
# a hop involving either is a boundary even when both ends belong to one provider
# (an Outlook.com user writing to a Microsoft 365 company).
_OUTBOUND_HOST = re.compile(
    r"outbound|-obe\.|^mail-[a-z0-9-]+\.google\.com$|^mail-[\w-]+\.outlook\.com$"
)
_INBOUND_HOST = re.compile(r"(^|\.)mail\.protection\.outlook\.com$|^mx[\w.-]*\.google\.com$|^mta\d")


def _provider_internal(hop: Hop) -> bool:
    """Whether ``hop`` is one provider-internal relay handing to another."""
    if not (hop.from_host and hop.by_host and provider_of(hop.by_host)):
        return False
    if not _same_org(hop.from_host, hop.by_host):
        return False
    return not (_OUTBOUND_HOST.search(hop.from_host) or _INBOUND_HOST.search(hop.by_host))


@lru_cache(maxsize=1)
def _geoip():
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False)


def ip_country(ip: str) -> str | None:
    """ISO country code of a public address from the bundled offline database."""
    try:
        result = _geoip().lookup(ip)
    except Exception:  # the database raises on odd input; no country is the answer
        return None
    code = getattr(result, "country_code", "") or ""
    return code if len(code) == 2 and code.isalpha() else None


def find_client_ip(msg: ParsedMessage) -> tuple[str | None, int | None, list[Hop], list[Evidence]]:
    """Walk the chain from our server outward; return (ip, boundary index, hops, evidence)."""
    hops = [hop for i, value in enumerate(msg.received) if (hop := parse_received(value, i))]
    evidence: list[Evidence] = []
    boundary: Hop | None = None
    for hop in hops:
        if not hop.ip or not hop.public:
            continue  # local delivery, private LAN, loopback: still inside
        if _provider_internal(hop):
            continue  # one Microsoft/Google front end handing to another
        boundary = hop
        break
    if boundary is None:
        ip = _header_client_ip(msg)
        if ip:
            evidence.append(
                Evidence(
                    "origin.client_header",
                    0.0,
                    tr("no public Received hop; header gives %(ip)s", ip=ip),
                )
            )
        return ip, None, hops, evidence
    ip = boundary.ip
    evidence.append(
        Evidence(
            "origin.boundary",
            0.0,
            tr(
                "handed to our side by %(host)s [%(ip)s] (Received #%(hop)d)",
                host=boundary.from_host or "?",
                ip=ip,
                hop=boundary.index,
            ),
        )
    )
    # A webmail relay is not the sender: prefer the client address it recorded.
    if provider_of(boundary.from_host) or provider_of(registered_domain(boundary.from_host)):
        header_ip = _header_client_ip(msg)
        if header_ip and header_ip != ip:
            evidence.append(
                Evidence(
                    "origin.webmail_client",
                    0.0,
                    tr(
                        "%(host)s is a mail provider; it recorded client %(ip)s",
                        host=boundary.from_host,
                        ip=header_ip,
                    ),
                )
            )
            return header_ip, boundary.index, hops, evidence
    # Follow the sending organisation's own relays while the chain links up:
    # the older hop must have been received *by* the host that then sent to us.
    current = boundary
    for hop in hops[hops.index(boundary) + 1 :]:
        if not hop.by_host or not _same_org(hop.by_host, current.from_host):
            break
        if hop.ip and hop.public:
            evidence.append(
                Evidence(
                    "origin.sender_relay",
                    0.0,
                    tr(
                        "%(relay)s relayed for %(host)s [%(ip)s]",
                        relay=current.from_host,
                        host=hop.from_host or "?",
                        ip=hop.ip,
                    ),
                )
            )
            ip, current = hop.ip, hop
        elif hop.ip is None:
            continue
        else:
            break
    return ip, boundary.index, hops, evidence


def _header_client_ip(msg: ParsedMessage) -> str | None:
    for name in CLIENT_IP_HEADERS:
        value = msg.header(name)
        if not value:
            continue
        for ip in _ips_in(value):
            if _is_public(ip):
                return ip
    return None


# ---------------------------------------------------------------- claimed origin


@lru_cache(maxsize=1)
def _country_names() -> tuple[dict[str, str], dict[str, str]]:
    """Country names (English, Chinese, Spanish, Portuguese, French, German) -> code.

    Returns (alphabetic names keyed by their lower-cased words, CJK names).
    """
    from babel import Locale

    names: dict[str, str] = {}
    cjk: dict[str, str] = {}
    for lang in ("en", "zh", "es", "pt", "fr", "de"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) != 2 or not code.isalpha() or code in ("ZZ", "EU", "UN", "EZ", "QO"):
                continue
            if lang == "zh":
                cjk[name] = code
            elif len(name) >= 4:
                names[" ".join(_WORD.findall(name.lower()))] = code
    for extra, code in {
        "usa": "US",
        "u s a": "US",
        "uk": "GB",
        "u k": "GB",
        "uae": "AE",
        "p r china": "CN",
        "prc": "CN",
        "england": "GB",
        "korea": "KR",
    }.items():
        names[extra] = code
    cjk["中國"] = "TW"
    return names, cjk


_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _first_words() -> dict[int, frozenset[str]]:
    """For 2- and 3-word country names: the words they start with."""
    firsts: dict[int, set[str]] = {2: set(), 3: set()}
    for key in _country_names()[0]:
        words = key.split(" ")
        if len(words) in firsts:
            firsts[len(words)].add(words[0])
    return {size: frozenset(words) for size, words in firsts.items()}


def _names_in(text: str) -> list[tuple[str, str]]:
    """(name, country code) for each country name in ``text`` (1-3 word names)."""
    names, cjk = _country_names()
    found = []
    words = _WORD.findall(text.lower())
    firsts = _first_words()
    for size in (3, 2):
        # Only where a longer name can start: one set probe per word, no joining.
        starts = firsts[size]
        for i in range(len(words) - size + 1):
            if words[i] in starts:
                key = " ".join(words[i : i + size])
                if key in names:
                    found.append((key, names[key]))
    found.extend((word, names[word]) for word in words if word in names)
    if _CJK.search(text):
        found.extend((name, code) for name, code in cjk.items() if name in text)
    return found


_QUOTE_START = re.compile(
    r"(?i)^(-{2,}\s*original message|on .{5,80} wrote:|from:\s|发件人|寄件者)"
)


def _signature_block(text: str) -> str:
    """The last lines of the newest part of the body, where contact details live."""
    lines = []
    match = _QUOTE_START.match  # compiled once: this runs on every line of the body
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or match(stripped):
            break
        lines.append(stripped)
    return "\n".join([ln for ln in lines if ln][-15:])


_PHONE_HINT = re.compile(r"\+\s?\d[\d\s().\-]{6,}\d|\b00\d{2}[\d\s().\-]{6,}\d")


def claimed_countries(msg: ParsedMessage) -> tuple[dict[str, list[str]], list[Evidence]]:
    """Countries the sender presents, each with the sources that claim it."""
    claims: dict[str, list[str]] = {}
    evidence: list[Evidence] = []

    def claim(code: str, source: str) -> None:
        claims.setdefault(code.upper(), []).append(source)

    sender = msg.from_address
    if sender and "." in sender.domain:
        tld = sender.domain.rsplit(".", 1)[1]
        if len(tld) == 2 and tld.isalpha() and tld not in _NEUTRAL_CCTLDS:
            code = "GB" if tld == "uk" else tld.upper()
            claim(code, f"From domain .{tld}")
    signature = _signature_block(msg.text[:20000])
    phone_area = "\n".join(m.group(0) for m in _PHONE_HINT.finditer(signature))
    if phone_area:
        import phonenumbers

        for candidate in _PHONE_HINT.findall(phone_area)[:6]:
            number = candidate.strip()
            if number.startswith("00"):
                number = "+" + number[2:]
            try:
                parsed = phonenumbers.parse(number, None)
            except phonenumbers.NumberParseException:
                continue
            region = phonenumbers.region_code_for_number(parsed)
            if region and region != "001" and phonenumbers.is_possible_number(parsed):
                claim(region, f"phone {candidate.strip()}")
    for name, code in _names_in(signature):
        claim(code, f"address mentions {name!r}")
    for code, sources in sorted(claims.items()):
        evidence.append(Evidence("origin.claimed_country", 0.0, f"{code}: {'; '.join(sources)}"))
    return claims, evidence


@lru_cache(maxsize=1)
def _zones() -> tuple[tuple[object, str], ...]:
    """(ZoneInfo, country code) for every zone CLDR assigns to a country."""
    from zoneinfo import ZoneInfo

    from babel.core import get_global

    zones = []
    for zone, country in get_global("zone_territories").items():
        if len(country) != 2 or country == "ZZ":
            continue
        try:
            zones.append((ZoneInfo(zone), country))
        except Exception:  # zone missing from this system's tz database
            continue
    return tuple(zones)


@lru_cache(maxsize=4096)
def _offsets_on(day: str) -> dict[timedelta, tuple[str, ...]]:
    """UTC offset -> countries having a zone at that offset on ``day`` (one pass)."""
    when = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    by_offset: dict[timedelta, set[str]] = {}
    for zone, country in _zones():
        by_offset.setdefault(zone.utcoffset(when), set()).add(country)
    return {offset: tuple(sorted(found)) for offset, found in by_offset.items()}


def countries_with_offset(offset_minutes: int, day: str) -> tuple[str, ...]:
    """Countries having a time zone at UTC``offset_minutes`` on ``day`` (YYYY-MM-DD)."""
    return _offsets_on(day).get(timedelta(minutes=offset_minutes), ())


def analyse_origin(msg: ParsedMessage) -> OriginResult:
    """Observed client IP + country, claimed countries, local sending hour."""
    result = OriginResult()
    ip, boundary_index, hops, evidence = find_client_ip(msg)
    result.ip, result.boundary_index, result.hops = ip, boundary_index, hops
    result.evidence.extend(evidence)
    if ip and _is_public(ip):
        result.country = ip_country(ip)
        if result.country:
            result.evidence.append(
                Evidence(
                    "origin.ip_country",
                    0.0,
                    tr("%(ip)s is in %(country)s (GeoIP2Fast)", ip=ip, country=result.country),
                )
            )
    result.claimed, claim_evidence = claimed_countries(msg)
    result.evidence.extend(claim_evidence)

    offset = msg.utc_offset_minutes
    if msg.date is not None and offset is not None and -14 * 60 <= offset <= 14 * 60:
        result.utc_offset_minutes = offset
        local = msg.date.astimezone(UTC) + timedelta(minutes=offset)
        result.local_hour = local.hour
        result.offset_countries = list(countries_with_offset(offset, local.date().isoformat()))
        sign = "+" if offset >= 0 else "-"
        zone = f"UTC{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        if local.hour < 6:
            result.night = True
            result.evidence.append(
                Evidence(
                    "origin.night_hour",
                    0.1,
                    tr(
                        "sent at %(time)s sender-local time (%(zone)s)",
                        time=f"{local:%H:%M}",
                        zone=zone,
                    ),
                )
            )
        claimed = set(result.claimed)
        if claimed and result.offset_countries and offset != 0:
            if not claimed & set(result.offset_countries):
                result.evidence.append(
                    Evidence(
                        "origin.offset_mismatch",
                        0.1,
                        tr(
                            "Date zone %(zone)s fits none of the claimed countries %(countries)s",
                            zone=zone,
                            countries=", ".join(sorted(claimed)),
                        ),
                    )
                )
    if result.country and result.claimed and result.country not in result.claimed:
        result.evidence.append(
            Evidence(
                "origin.country_mismatch",
                0.15,
                tr(
                    "sent from %(country)s but claims %(claimed)s",
                    country=result.country,
                    claimed=", ".join(sorted(result.claimed)),
                ),
            )
        )
    return result
