"""Links, forms and images of a message body, scanned once for rules and model.

Regular expressions instead of a DOM parser: phishing HTML is routinely broken,
and the scan must stay well under a millisecond for typical newsletters. The
anchor text is reduced to visible text before comparing the domain it *shows*
with the domain its ``href`` *goes to* (the classic "link text lies" check).
"""

from __future__ import annotations

import html as htmllib
import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from tradeinbox.core.origin import registered_domain

_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a\s*>", re.I | re.S)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_TAG = re.compile(r"<[^>]*>")
_FORM = re.compile(r"<form\b", re.I)
# Other places a click or a submit goes: image-map areas (a picture of a login page
# whose every pixel links to the kit) and form actions (where typed passwords go).
_AREA_OR_ACTION = re.compile(
    r"""<(?:area\b[^>]*?\bhref|form\b[^>]*?\baction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.I,
)
_PASSWORD = re.compile(r"""<input\b[^>]*type\s*=\s*["']?password""", re.I)
_IMG = re.compile(r"<img\b", re.I)
_TEXT_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]{3,}", re.I)
_SHOWN_DOMAIN = re.compile(
    r"(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![a-z0-9-])", re.I
)
# Hosts whose only job is to shorten or redirect links.
SHORTENERS = {
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "rb.gy", "t.ly", "tiny.cc", "bitly.com", "s.id", "v.gd",
    "urlz.fr", "shorturl.com", "lnkd.in", "qrco.de", "tinyurl.is",
}  # fmt: skip
# Platforms where anyone can publish a page in minutes: legitimate, but where
# most throw-away credential pages live (APWG reports).
FREE_HOSTING = {
    "firebaseapp.com", "web.app", "weebly.com", "wixsite.com", "blogspot.com", "godaddysites.com",
    "ngrok.io", "ngrok-free.app", "r2.dev", "glitch.me", "herokuapp.com", "azurewebsites.net",
    "workers.dev", "pages.dev", "vercel.app", "netlify.app", "000webhostapp.com", "github.io",
    "webflow.io", "square.site", "yolasite.com", "jimdosite.com", "sites.google.com",
    "storage.googleapis.com", "appspot.com", "ipfs.io", "dweb.link", "myshopify.com",
    "sharepoint.com", "typeform.com", "forms.gle", "jotform.com", "formstack.com",
    "duckdns.org", "ddns.net", "no-ip.org", "hopto.org", "zapto.org", "wordpress.com",
    "mybluehost.me", "framer.app", "onrender.com", "replit.app", "surge.sh", "backblazeb2.com",
}  # fmt: skip
# Click-tracking / redirect services of mailing platforms: link text rightly
# differs from them, so a mismatch through them weighs less.
_TRACKER_HOST = re.compile(
    r"^(click|clicks|links?|track|trk|email|e|em|go|r|t|url|l|mail|newsletter|news|cl|ea)\d*\.|"
    r"(list-manage\.com|sendgrid\.net|mandrillapp\.com|exacttarget\.com|rs6\.net|"
    r"constantcontact\.com|mailchimp\.com|hubspot(links|email)?\.(com|net)|mcsv\.net|"
    r"campaign-archive\.com|safelinks\.protection\.outlook\.com|urldefense\.(com|proofpoint\.com)|"
    r"doubleclick\.net|google\.com/url|mailgun\.org|sparkpostmail\.com|awstrack\.me|"
    r"createsend\d*\.com|cmail\d+\.com|klclick\d*\.com|ct\.sendgrid\.net)",
    re.I,
)


@dataclass(slots=True)
class LinkReport:
    """What the scan found; lists keep the first few examples for evidence."""

    n_links: int = 0
    hosts: list[str] = field(default_factory=list)  # unique link hosts, in order
    domains: set[str] = field(default_factory=set)  # their registrable domains
    mismatches: list[tuple[str, str, bool]] = field(default_factory=list)  # shown, target, tracker
    ip_links: list[str] = field(default_factory=list)
    userinfo_links: list[str] = field(default_factory=list)
    script_links: int = 0
    shorteners: list[str] = field(default_factory=list)
    free_hosting: list[str] = field(default_factory=list)
    forms: int = 0
    password_form: bool = False
    images: int = 0
    link_text_chars: int = 0
    click_here: int = 0


@lru_cache(maxsize=8192)
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return bool(re.fullmatch(r"0x[0-9a-f]+|\d{8,10}", host))  # hex/decimal IPv4 tricks


def _host_of(url: str) -> tuple[str, bool] | None:
    """(host, had userinfo) of an http(s) URL, or None."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    netloc = parts.netloc
    userinfo = "@" in netloc
    host = (parts.hostname or "").lower().rstrip(".")
    return (host, userinfo) if host else None


def _note_host(report: LinkReport, url: str, host: str, userinfo: bool) -> None:
    report.n_links += 1
    if host not in report.hosts:
        report.hosts.append(host)
    if _is_ip(host):
        if len(report.ip_links) < 3:
            report.ip_links.append(url[:100])
        return
    reg = registered_domain(host)
    report.domains.add(reg)
    if userinfo and len(report.userinfo_links) < 3:
        report.userinfo_links.append(url[:100])
    if (host in SHORTENERS or reg in SHORTENERS) and len(report.shorteners) < 3:
        report.shorteners.append(host)
    labels = host.split(".")
    suffixes = {".".join(labels[i:]) for i in range(max(0, len(labels) - 4), len(labels) - 1)}
    if (reg in FREE_HOSTING or suffixes & FREE_HOSTING) and len(report.free_hosting) < 3:
        report.free_hosting.append(host)


def scan_links(html: str | None, text: str = "") -> LinkReport:
    """Scan the HTML body (anchors, forms, images) and the plain-text URLs."""
    report = LinkReport()
    if html:
        markup = html[:300_000]
        for anchor in _ANCHOR.finditer(markup):
            href_match = _HREF.search(anchor.group(1))
            if not href_match:
                continue
            href = htmllib.unescape(next(g for g in href_match.groups() if g is not None)).strip()
            lower = href.lower()
            if lower.startswith(("javascript:", "data:", "vbscript:")):
                report.script_links += 1
                continue
            found = _host_of(href)
            if not found:
                continue
            host, userinfo = found
            _note_host(report, href, host, userinfo)
            shown = " ".join(htmllib.unescape(_TAG.sub(" ", anchor.group(2))).split())
            report.link_text_chars += len(shown)
            if re.search(r"(?i)click|clique|haga clic|cliquez|klicken|点击|here|aqui|aquí", shown):
                report.click_here += 1
            shown_match = _SHOWN_DOMAIN.search(shown) if "." in shown else None
            if shown_match and len(report.mismatches) < 5:
                shown_host = shown_match.group(1).lower()
                if "@" in shown[max(0, shown_match.start() - 1) : shown_match.start() + 1]:
                    continue  # an e-mail address shown as link text
                if not _valid_tld(shown_host):
                    continue
                shown_reg, target_reg = registered_domain(shown_host), registered_domain(host)
                if shown_reg and target_reg and shown_reg != target_reg and not _is_ip(shown_host):
                    tracker = bool(_TRACKER_HOST.search(host) or _TRACKER_HOST.search(href))
                    report.mismatches.append((shown_host, host, tracker))
        for target in _AREA_OR_ACTION.finditer(markup):
            url = htmllib.unescape(next(g for g in target.groups() if g is not None)).strip()
            found = _host_of(url)
            if found:
                _note_host(report, url, *found)
        report.forms = len(_FORM.findall(markup))
        report.password_form = bool(report.forms and _PASSWORD.search(markup))
        report.images = len(_IMG.findall(markup))
    elif text:
        for match in _TEXT_URL.finditer(text[:50_000]):
            found = _host_of(match.group(0))
            if found:
                _note_host(report, match.group(0), *found)
    return report


def _valid_tld(host: str) -> bool:
    """Shown text like ``file.pdf`` or ``v1.2`` is not a domain: needs a real suffix."""
    from tradeinbox.core.origin import _tld_extract

    extracted = _tld_extract()(host)
    return bool(extracted.suffix and extracted.domain)
