"""Grading an inquiry A/B/C/D, with evidence (see :mod:`tradeinbox.core.inquiry`).

:func:`grade_inquiry` adds up scam, mass-mail, specificity, professional-buyer and
contact-signature features of a message :func:`~tradeinbox.core.inquiry.detect_inquiry`
found to be an inquiry, and turns them into a grade, an authenticity score and a reply
deadline from :class:`GradingSettings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradeinbox.core.addresses import classify_address, registrable_domain
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.fastmatch import Anchored, Prepared
from tradeinbox.core.inquiry_lexicon import (
    ADDRESS,
    CERTIFICATIONS,
    DOCUMENT_MENTION,
    FREE_HOSTING,
    LEGAL_FORM,
    MODEL,
    PHONE,
    PICTURE,
    PROFESSIONAL,
    QUANTITY,
    REPLY_PREFIX,
    SPEC,
    TEMPLATE_LEFTOVER,
    TITLE,
    WEBSITE,
)
from tradeinbox.core.inquiry_text import SCAM_RULES, email_domain, first_match, message_texts
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.references import extract_references

if TYPE_CHECKING:  # inquiry imports this module at runtime; only the type goes back
    from tradeinbox.core.inquiry import InquiryResult

__all__ = ["GradeResult", "GradingSettings", "grade_inquiry"]

_MASS_SIGNALS = {"mass_greeting"}
# The grading lexicon's big alternations, tried only where one of their words occurs.
_PROFESSIONAL = Anchored(PROFESSIONAL)
_QUANTITY = Anchored(QUANTITY)
_SPEC = Anchored(SPEC)
_PICTURE = Anchored(PICTURE)
_DOCUMENT_MENTION = Anchored(DOCUMENT_MENTION)
_TEMPLATE_LEFTOVER = Anchored(TEMPLATE_LEFTOVER)
_DANGEROUS_EXT = re.compile(
    r"\.(?:html?|shtml|xhtml|svg|exe|scr|com|pif|bat|cmd|js|jse|vbs|vbe|wsf|hta|lnk|iso|img|"
    r"r\d\d|ace|jar|msi|ps1)$",
    re.IGNORECASE,
)
_DOUBLE_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|jpe?g|png|txt)\s*\.\w{2,5}$", re.IGNORECASE)
_ITEM_LINE = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)]|item\s+\d+\s*[:.)-]|\d+\.\s)\s*\S", re.I | re.M)
_YEARLIKE = re.compile(r"^(?:19|20)\d\d$")


# --- results ---------------------------------------------------------------------------


@dataclass(slots=True)
class GradeResult:
    """A/B/C/D (None when the message is not an inquiry) and an authenticity score 0..1."""

    grade: str | None
    authenticity: float
    evidence: list[Evidence] = field(default_factory=list)
    reply_within_hours: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "authenticity": round(self.authenticity, 3),
            "reply_within_hours": self.reply_within_hours,
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass(slots=True)
class GradingSettings:
    """User-adjustable grading policy.

    ``reply_hours``: how soon each grade should be answered (None: no deadline).
    ``country_rules``: ISO 3166 alpha-2 country -> grade to assign, an explicit user
    policy; empty by default, because a grade must come from behaviour, not nationality.
    ``own_domains``: the company's domains (mail from them is internal).
    """

    reply_hours: dict[str, float | None] = field(
        default_factory=lambda: {"A": None, "B": 24.0, "C": 2.0, "D": 2.0}
    )
    country_rules: dict[str, str] = field(default_factory=dict)
    own_domains: tuple[str, ...] = ()
    scam_threshold: float = 3.0


# --- helpers ---------------------------------------------------------------------------


def _undisclosed(msg: ParsedMessage) -> bool:
    raw_to = (msg.header("To") or "").lower()
    return "undisclosed" in raw_to or "recipients" in raw_to or raw_to.rstrip().endswith(":;")


# --- grading ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Features:
    scam: float = 0.0
    mass: float = 0.0
    specific: float = 0.0
    professional: float = 0.0
    contact: float = 0.0
    official: bool = False
    consistency: float = 1.0


def grade_inquiry(
    msg: ParsedMessage,
    inquiry: InquiryResult,
    threat: Any = None,
    *,
    settings: GradingSettings | None = None,
    country: str | None = None,
) -> GradeResult:
    """Grade an inquiry A/B/C/D with evidence; ``threat`` has ``.label`` and ``.score``.

    ``country`` (ISO 3166 alpha-2, e.g. from the origin check) is only used when the user
    configured :attr:`GradingSettings.country_rules`; by default it changes nothing.
    """
    settings = settings or GradingSettings()
    if not inquiry.is_inquiry:
        return GradeResult(None, 0.0, [Evidence("grade.not_inquiry", 0.0, "not an inquiry")])
    subject, new_text, _ = message_texts(msg)
    text = f"{subject}\n{new_text}"
    ev: list[Evidence] = []
    f = _Features()

    prepared = Prepared(text)  # folded and indexed once for every rule below
    _scam_features(msg, prepared, threat, f, ev)
    _specific_features(msg, prepared, f, ev)
    _contact_features(msg, new_text, f, ev)

    if f.scam >= settings.scam_threshold:
        grade = "A"
        ev.append(Evidence("grade.A.scam", f.scam, f"scam/irrelevance score {f.scam:.1f}"))
    elif f.mass >= 1.5 and f.specific < 1.0:
        grade = "A"
        ev.append(Evidence("grade.A.mass_no_product", f.mass, "mass-mail hallmarks, no product"))
    elif f.professional >= 2.0 and f.official and f.contact >= 0.6:
        grade = "D"
        ev.append(Evidence("grade.D.key_account", f.professional, "professional buyer"))
    elif f.specific >= 1.0 or f.professional >= 1.0:
        grade = "C"
        ev.append(Evidence("grade.C.targeted", f.specific, "names product/model/quantity"))
    else:
        grade = "B"
        ev.append(Evidence("grade.B.browsing", 0.0, "generic request, nothing specific"))

    if country and settings.country_rules:
        forced = settings.country_rules.get(country.upper())
        if forced in ("A", "B", "C", "D") and forced != grade:
            ev.append(
                Evidence(
                    "grade.user_country_rule",
                    0.0,
                    f"user setting: country {country.upper()} -> {forced} (was {grade})",
                )
            )
            grade = forced

    specificity = min(1.0, f.specific / 4 + f.professional / 4)
    authenticity = (
        0.35 * f.contact
        + 0.25 * specificity
        + 0.2 * (1.0 if f.official else 0.0)
        + 0.2 * max(0.0, f.consistency)
    ) * (1.0 - min(0.9, max(0.0, f.scam) / 6))
    ev.append(
        Evidence(
            "authenticity",
            round(authenticity, 3),
            f"contact {f.contact:.2f}, specificity {specificity:.2f}, "
            f"official domain {'yes' if f.official else 'no'}, consistency {f.consistency:.2f}",
        )
    )
    hours = settings.reply_hours.get(grade)
    return GradeResult(grade, round(min(1.0, max(0.0, authenticity)), 3), ev, hours)


def _scam_features(
    msg: ParsedMessage, text: Prepared, threat: Any, f: _Features, ev: list[Evidence]
) -> None:
    label = getattr(threat, "label", None) if threat is not None else None
    if label in ("phish", "spam"):
        weight = 5.0 if label == "phish" else 3.0
        score = getattr(threat, "score", None)
        detail = f"threat classifier: {label}" + (f" ({score:.2f})" if score is not None else "")
        f.scam += weight
        ev.append(Evidence(f"grade.A.threat_{label}", weight, detail))
    for name, weight, rx in SCAM_RULES:
        hit = first_match(rx, text)
        if hit:
            if name in _MASS_SIGNALS:
                f.mass += weight
            else:
                f.scam += weight
            ev.append(Evidence(f"grade.A.{name}", weight, f"says {hit!r}"))
    link = first_match(FREE_HOSTING, text)
    if link:
        f.scam += 2.0
        ev.append(Evidence("grade.A.free_hosting_link", 2.0, f"document link on {link!r}"))
    for att in msg.attachments:
        name = att.filename or ""
        if _DOUBLE_EXT.search(name) or _DANGEROUS_EXT.search(name):
            f.scam += 3.0
            ev.append(Evidence("grade.A.dangerous_attachment", 3.0, f"attachment {name!r}"))
            break

    sender = msg.from_address
    sender_dom = email_domain(sender.email if sender else None)
    for rt in msg.reply_to:
        rt_dom = email_domain(rt.email)
        if sender_dom and rt_dom and rt_dom != sender_dom:
            f.scam += 2.0
            f.consistency -= 0.5
            ev.append(
                Evidence(
                    "grade.A.reply_to_mismatch", 2.0, f"Reply-To @{rt_dom}, From @{sender_dom}"
                )
            )
            break
    if _undisclosed(msg) or (not msg.to and not msg.cc):
        f.mass += 1.5
        ev.append(Evidence("grade.A.undisclosed_recipients", 1.5, "recipients hidden"))
    elif sender and [a.email for a in msg.to] == [sender.email] and not msg.cc:
        f.mass += 1.0
        ev.append(Evidence("grade.A.self_addressed", 1.0, "sent to itself (Bcc blast)"))
    domains = {email_domain(a.email) for a in (*msg.to, *msg.cc)}
    if len(domains) >= 5:
        f.mass += 1.5
        ev.append(Evidence("grade.A.long_recipient_list", 1.5, f"{len(domains)} domains in To/Cc"))
    leftover = first_match(_TEMPLATE_LEFTOVER, text)
    if leftover:
        f.mass += 1.0
        ev.append(Evidence("grade.A.template_leftover", 1.0, f"unfilled placeholder {leftover!r}"))
    if msg.list_headers or (msg.header("Precedence") or "").lower() == "bulk":
        f.mass += 1.0
        ev.append(Evidence("grade.A.bulk_headers", 1.0, "sent as bulk mail"))
    if "inquiry.thread_headers_without_reply" in (e.rule for e in ev) or (
        msg.in_reply_to and not REPLY_PREFIX.match(msg.subject or "")
    ):
        f.scam += 1.0
        ev.append(Evidence("grade.A.forged_thread", 1.0, "In-Reply-To for a thread not shown"))
    if REPLY_PREFIX.search((msg.subject or "").split(":", 1)[-1]) and re.search(
        r"(?i)\b(?:inquiry|order)\b.*\b(?:re|fw)\s*:", msg.subject or ""
    ):
        f.scam += 1.0
        ev.append(Evidence("grade.A.fake_reply_chain", 1.0, "'RE:' inside the subject"))


def _specific_features(
    msg: ParsedMessage, prepared: Prepared, f: _Features, ev: list[Evidence]
) -> None:
    text = prepared.text
    certs = {m.group(0).upper().replace(" ", "") for m in CERTIFICATIONS.finditer(text)}
    models = {
        m.group(0)
        for m in MODEL.finditer(text)
        if not _YEARLIKE.match(m.group(0))
        and m.group(0).upper().replace(" ", "") not in certs
        and not re.fullmatch(r"(?:RFQ|RFP|PO|PI|INV)[-\d]*", m.group(0))
    }
    quantities = {m.group(0) for m in _QUANTITY.finditer(prepared)}
    specs = {m.group(0) for m in _SPEC.finditer(prepared)}
    picture = bool(_PICTURE.search(prepared)) or any(
        (a.sniffed_type or a.declared_type or "").startswith("image/")
        and a.disposition == "attachment"
        for a in msg.attachments
    )
    if models:
        f.specific += min(2.0, len(models))
        ev.append(Evidence("grade.C.model", min(2.0, len(models)), ", ".join(sorted(models)[:4])))
    if quantities:
        f.specific += min(2.0, len(quantities))
        detail = ", ".join(sorted(quantities)[:4])
        ev.append(Evidence("grade.C.quantity", min(2.0, len(quantities)), detail))
    if specs:
        weight = min(2.0, 0.5 + len(specs) / 2)
        f.specific += weight
        ev.append(Evidence("grade.C.spec", weight, ", ".join(sorted(specs)[:5])))
    if picture:
        f.specific += 1.0
        ev.append(Evidence("grade.C.picture", 1.0, "product picture referenced or attached"))
    document = first_match(_DOCUMENT_MENTION, prepared)
    if document:
        f.specific += 1.0
        ev.append(Evidence("grade.C.request_document", 1.0, f"request document: {document!r}"))

    if certs:
        f.professional += min(2.0, len(certs) * 0.75)
        ev.append(
            Evidence(
                "grade.D.certifications", min(2.0, len(certs) * 0.75), ", ".join(sorted(certs)[:6])
            )
        )
    prof = {m.group(0).lower() for m in _PROFESSIONAL.finditer(prepared)}
    if prof:
        weight = min(1.5, len(prof) * 0.75)
        f.professional += weight
        ev.append(Evidence("grade.D.professional_terms", weight, ", ".join(sorted(prof)[:5])))
    items = _ITEM_LINE.findall(text)
    if len(items) >= 2 and (quantities or specs or models):
        f.professional += 1.0
        ev.append(Evidence("grade.D.itemised", 1.0, f"{len(items)} itemised lines"))
    refs = [r for r in extract_references(text) if r.kind in ("rfq", "rfp")]
    if refs:
        f.professional += 0.5
        f.specific += 1.0
        ev.append(Evidence("grade.D.rfq_number", 0.5, f"{refs[0].kind.upper()} {refs[0].value}"))
    for att in msg.attachments:
        if re.search(r"(?i)purchase|list|spec|rfq|bom|lastenheft|清单|lista", att.filename or ""):
            f.professional += 1.0
            f.specific += 1.0
            ev.append(Evidence("grade.D.list_attachment", 1.0, f"attachment {att.filename!r}"))
            break


def _contact_features(msg: ParsedMessage, new_text: str, f: _Features, ev: list[Evidence]) -> None:
    sender = msg.from_address
    if sender and "@" in sender.email:
        kind = classify_address(sender.email)
        f.official = kind.is_official and not kind.is_disposable
        ev.append(
            Evidence(
                "grade.domain.official" if f.official else "grade.domain.free",
                0.2 if f.official else 0.0,
                f"{kind.registrable_domain}: {kind.kind}",
            )
        )
        if kind.is_disposable:
            f.scam += 2.0
            ev.append(Evidence("grade.A.disposable", 2.0, f"{kind.domain} is disposable"))
    # The signature is at the end of the new text; look at the last 15 non-empty lines.
    lines = [ln for ln in new_text.strip().splitlines() if ln.strip()]
    sig = "\n".join(lines[-15:])
    parts = {
        "name": bool(sender and sender.name),
        "title": bool(TITLE.search(sig)),
        "company": bool(LEGAL_FORM.search(sig)),
        "address": bool(ADDRESS.search(sig)),
        "phone": bool(PHONE.search(sig)),
        "website": bool(WEBSITE.search(sig)),
    }
    f.contact = sum(parts.values()) / len(parts)
    if sender and not f.official and parts["company"] and parts["title"] and parts["phone"]:
        # A corporate signature (legal form, title, phone) sent from a free-mail box:
        # impersonation of a company is the common case in fake RFQs.
        f.scam += 1.0
        f.consistency -= 0.5
        ev.append(
            Evidence(
                "grade.A.freemail_corporate_signature", 1.0, "company signature, free-mail sender"
            )
        )
    have = [k for k, v in parts.items() if v]
    ev.append(
        Evidence(
            "grade.contact", round(f.contact, 2), "signature has " + (", ".join(have) or "nothing")
        )
    )
    site = WEBSITE.search(sig)
    if site and f.official and sender:
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", site.group(0).lower())
        if registrable_domain(host) != email_domain(sender.email):
            f.consistency -= 0.5
            ev.append(
                Evidence("grade.inconsistent_website", -0.5, f"website {host} vs sender domain")
            )
