"""Is this inbound mail a first-contact inquiry, and how good a lead is it?

:func:`detect_inquiry` decides whether a message asks *us*, as a would-be buyer, for a
price, quotation, catalogue, samples, MOQ or lead time, starting a new conversation.
:func:`grade_inquiry` then sorts the inquiry into the grades export sales teams use:

* **A** irrelevant or scam: advance-fee patterns, visa-invitation or guarantee-letter
  requests, a factory visit demanded at first contact, credential lures, mass mail with no
  product, mismatched origin, or a phishing/spam verdict from the threat classifier;
* **B** browsing: a generic catalogue / price list request, nothing specific;
* **C** targeted: names a model, product, picture, quantity or destination;
* **D** key account: a professional buyer — specifications, part or purchase lists,
  certification requirements — with a complete company signature on a company domain.

Grades come from behaviour and evidence in the message, never from the sender's
nationality or country. A country rule exists only as an explicit user setting
(:attr:`GradingSettings.country_rules`, empty by default), and is reported as such.
Every rule that fires is returned as :class:`~tradeinbox.core.evidence.Evidence`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tradeinbox.core.addresses import classify_address, registrable_domain
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.fastmatch import Anchored, Prepared
from tradeinbox.core.inquiry_lexicon import (
    ADDRESS,
    CAPS,
    CERTIFICATIONS,
    DOCUMENT_MENTION,
    FORWARD_PREFIX,
    FREE_HOSTING,
    INQUIRY,
    LEGAL_FORM,
    MODEL,
    NOT_INQUIRY,
    PHONE,
    PICTURE,
    PROFESSIONAL,
    QUANTITY,
    REPLY_PREFIX,
    SCAM,
    SPEC,
    TEMPLATE_LEFTOVER,
    TITLE,
    WEBSITE,
    compile_lexicon,
)
from tradeinbox.core.language import SUPPORTED_LANGUAGES, detect_language
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.references import extract_references, reply_parts

__all__ = [
    "InquiryResult",
    "GradeResult",
    "GradingSettings",
    "detect_inquiry",
    "grade_inquiry",
    "detect_language",
    "SUPPORTED_LANGUAGES",
]

#: Inquiry score at which a message counts as an inquiry (sum of signal weights).
INQUIRY_THRESHOLD = 2.0
#: Characters of subject + new text that rules and language detection look at: inquiries
#: say what they want early; long tails are signatures, disclaimers and quoted history.
TEXT_LIMIT = 6000


def _anchored(lex) -> list[tuple[str, float, Anchored]]:
    # Anchored: the same regexes, tried only where one of their words occurs (fastmatch).
    return [(name, weight, Anchored(rx)) for name, weight, rx in compile_lexicon(lex)]


_INQUIRY_RULES = _anchored(INQUIRY)
_NOT_INQUIRY_RULES = _anchored(NOT_INQUIRY)
_SCAM_RULES = _anchored(SCAM)
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
_REQUEST_ATTACHMENT = re.compile(
    r"rfq|rfp|inquiry|enquiry|quotation|quote|purchase[\s_-]?list|bid[\s_-]?form|tender|"
    r"requirement|specification|询价|采购|cotiza|cota[cç]|anfrage|lastenheft|devis|запрос|طلب",
    re.IGNORECASE,
)
_ITEM_LINE = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)]|item\s+\d+\s*[:.)-]|\d+\.\s)\s*\S", re.I | re.M)
_YEARLIKE = re.compile(r"^(?:19|20)\d\d$")
# A quoted header block ("From: ... Subject: ...") or separator in the body: the message
# carries history even when the reply parser found no "On ... wrote:" line.
_EMBEDDED_HEADERS = re.compile(
    r"^[ \t>]*(?:-{3,}\s*Original Message\s*-{3,}|-{3,}\s*Forwarded by|"
    r"(?:From|De|Von|发件人|От|Van|Da)\s*:[^\n]*\n(?:[^\n]*\n){0,5}?[ \t>]*"
    r"(?:Subject|Asunto|Assunto|Betreff|Objet|主题|Тема|Onderwerp|Oggetto)\s*:|"
    # Lotus Notes history: "To: ...", optional "cc:", then "Subject:".
    r"To\s*:[^\n]*\n(?:[ \t>]*cc\s*:[^\n]*\n)?[ \t>]*Subject\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
# Scam rules that only occur in mail posing as a buyer: they make a message inquiry-shaped.
_ON_TOPIC = {
    "inquiry.topic_request",
    "inquiry.request_quote",
    "inquiry.purchase_intent",
    "inquiry.business_approach",
}
_APPROACH_SIGNALS = {"advance_fee", "visa_or_guarantee", "factory_visit_demand"}


# --- results ---------------------------------------------------------------------------


_PENDING = object()


@dataclass(slots=True)
class InquiryResult:
    """The verdict of :func:`detect_inquiry`; ``signals`` are the rule ids that fired.

    ``language`` is detected on first access (from ``language_text``): the triage
    pipeline does not need it, and detection is a good part of the cost per message.
    """

    is_inquiry: bool
    _language: Any = _PENDING
    signals: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    score: float = 0.0
    language_text: str = field(default="", repr=False, compare=False)

    @property
    def language(self) -> str | None:
        if self._language is _PENDING:
            self._language = detect_language(self.language_text)
        return self._language

    def as_dict(self) -> dict[str, Any]:
        return {
            "is_inquiry": self.is_inquiry,
            "language": self.language,
            "score": round(self.score, 2),
            "signals": list(self.signals),
            "evidence": [e.as_dict() for e in self.evidence],
        }


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


def _texts(msg: ParsedMessage) -> tuple[str, str, bool]:
    """``(subject, new_text, has_quote)``; quoted history is cut off by split_reply."""
    body = msg.text or ""
    parts = reply_parts(body)
    new_text = parts.new_text if parts.new_text.strip() else body
    has_quote = parts.has_quote or bool(_EMBEDDED_HEADERS.search(body))
    return msg.subject or "", new_text[:TEXT_LIMIT], has_quote


def _first_match(pattern: re.Pattern[str] | Anchored, text: str | Prepared) -> str | None:
    if isinstance(text, Prepared) and not isinstance(pattern, Anchored):
        text = text.text
    m = pattern.search(text)
    return m.group(0).strip()[:60] if m else None


_TOPIC_RX = dict((n, rx) for n, _, rx in _INQUIRY_RULES)["topic"]
_CUE_RXS = [rx for n, _, rx in _INQUIRY_RULES if n in ("request_cue", "need_or_interest")]
_CUE_NAMES = ("request_cue", "need_or_interest")
#: A topic word and a request cue this close are one sentence asking about it.
NEAR = 120


def _topic_near_request(
    prepared: Prepared, found: dict[str, list[re.Match[str]]] | None = None
) -> str | None:
    """The first topic word that has a request cue or stated need within :data:`NEAR`.

    ``found``: the matches of the inquiry rules on this text, when already known.
    """
    if found is not None:
        cues = [m.start() for name in _CUE_NAMES for m in found[name]]
    else:
        cues = [m.start() for rx in _CUE_RXS for m in rx.finditer(prepared)]
    if not cues:
        return None
    text = prepared.text
    topics = found["topic"] if found is not None else _TOPIC_RX.finditer(prepared)
    for m in topics:
        if any(abs(c - m.start()) <= NEAR for c in cues):
            return text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ").strip()
    return None


def _distinct_matches(matches: Iterable[re.Match[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for m in matches:
        seen.setdefault(m.group(0).strip().lower()[:60], None)
    return [repr(h) for h in seen]


def _domain(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    return registrable_domain(email.rpartition("@")[2])


def _recipients(msg: ParsedMessage) -> list[str]:
    return [a.email for a in (*msg.to, *msg.cc) if a.email and "@" in a.email]


def _undisclosed(msg: ParsedMessage) -> bool:
    raw_to = (msg.header("To") or "").lower()
    return "undisclosed" in raw_to or "recipients" in raw_to or raw_to.rstrip().endswith(":;")


# --- detection -------------------------------------------------------------------------


def detect_inquiry(msg: ParsedMessage) -> InquiryResult:
    """Whether ``msg`` is a first-contact inquiry, with language and evidence."""
    subject, new_text, has_quote = _texts(msg)
    text = f"{subject}\n{new_text}"
    prepared = Prepared(text)  # folded once, shared by every rule below
    evidence: list[Evidence] = []
    score = 0.0

    found = {name: list(rx.finditer(prepared)) for name, _, rx in _INQUIRY_RULES}
    for name, weight, _rx in _INQUIRY_RULES:
        hits = _distinct_matches(found[name])
        if hits:
            # Several different phrases of one kind add up, with diminishing weight.
            cap = CAPS.get(name, 2 * weight)
            total = min(cap, weight * (1 + 0.5 * (len(hits) - 1)))
            score += total
            evidence.append(Evidence(f"inquiry.{name}", total, "says " + ", ".join(hits[:4])))
    for name, _weight, rx in _SCAM_RULES:
        if name in _APPROACH_SIGNALS:
            hit = _first_match(rx, prepared)
            if hit:
                score += 1.0
                evidence.append(Evidence("inquiry.business_approach", 1.0, f"says {hit!r}"))
                break
    for name, weight, rx in _NOT_INQUIRY_RULES:
        hit = _first_match(rx, prepared)
        if hit:
            score += weight
            evidence.append(Evidence(f"inquiry.not.{name}", weight, f"says {hit!r}"))

    for att in msg.attachments:
        if _REQUEST_ATTACHMENT.search(att.filename or ""):
            score += 1.0
            evidence.append(
                Evidence("inquiry.request_attachment", 1.0, f"attachment {att.filename!r}")
            )
            break

    # Mailing-list / bulk headers (RFC 2369, RFC 3834 Precedence): newsletters. Fake RFQs
    # sent through bulk senders carry them too, so this lowers the score, no veto.
    if msg.list_headers or (msg.header("Precedence") or "").lower() in ("bulk", "list"):
        score -= 1.5
        evidence.append(Evidence("inquiry.not.bulk_headers", -1.5, "mailing-list/bulk headers"))

    veto = _first_contact_veto(msg, subject, has_quote)
    evidence.extend(veto)
    hard_veto = any(e.weight <= -10 for e in veto)
    score += sum(e.weight for e in veto if e.weight > -10)

    near = _topic_near_request(prepared, found)
    if near:
        evidence.append(Evidence("inquiry.topic_request", 0.0, f"asks about it: {near!r}"))
    if len(new_text) > 3000 and "inquiry.request_quote" not in (e.rule for e in evidence):
        score -= 1.0
        evidence.append(Evidence("inquiry.not.long_text", -1.0, f"{len(new_text)} characters"))
    # It must be about buying: an explicit request for a quote, a purchase intent, or a
    # commercial word in the same sentence as a question/request/need.
    on_topic = any(e.rule in _ON_TOPIC for e in evidence)
    is_inquiry = score >= INQUIRY_THRESHOLD and on_topic and not hard_veto
    signals = [e.rule for e in evidence]
    return InquiryResult(is_inquiry, _PENDING, signals, evidence, score, language_text=text)


def _first_contact_veto(msg: ParsedMessage, subject: str, has_quote: bool) -> list[Evidence]:
    """Replies, forwards and internal mail are not first contact (weight -10 = veto)."""
    out: list[Evidence] = []
    thread_headers = bool(msg.in_reply_to or msg.references)
    reply_prefix = REPLY_PREFIX.match(subject)
    if FORWARD_PREFIX.match(subject):
        out.append(Evidence("inquiry.not.forward", -10, f"forwarded: {subject[:60]!r}"))
    if reply_prefix and (thread_headers or has_quote):
        out.append(
            Evidence("inquiry.not.reply", -10, "reply in an existing thread (RFC 5322 3.6.4)")
        )
    elif thread_headers and has_quote:
        out.append(Evidence("inquiry.not.reply", -10, "In-Reply-To/References and quoted text"))
    elif thread_headers:
        # In-Reply-To without "Re:" and without quoted text: the parent is not shown.
        # Fake RFQs forge these headers to look like an ongoing conversation.
        out.append(
            Evidence("inquiry.thread_headers_without_reply", -0.5, "thread headers, no quote")
        )
    elif reply_prefix:
        out.append(Evidence("inquiry.reply_prefix_without_thread", -2.0, "'Re:' but no thread"))

    sender = msg.from_address
    rcpts = _recipients(msg)
    if sender and rcpts:
        own = _domain(sender.email)
        others = {_domain(r) for r in rcpts}
        free = classify_address(sender.email).is_freemail if "@" in sender.email else False
        if not free and own and others == {own} and {r.lower() for r in rcpts} != {sender.email}:
            out.append(Evidence("inquiry.not.internal", -10, f"sender and recipients all @{own}"))
    return out


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
    subject, new_text, _ = _texts(msg)
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
    for name, weight, rx in _SCAM_RULES:
        hit = _first_match(rx, text)
        if hit:
            if name in _MASS_SIGNALS:
                f.mass += weight
            else:
                f.scam += weight
            ev.append(Evidence(f"grade.A.{name}", weight, f"says {hit!r}"))
    link = _first_match(FREE_HOSTING, text)
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
    sender_dom = _domain(sender.email if sender else None)
    for rt in msg.reply_to:
        rt_dom = _domain(rt.email)
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
    domains = {_domain(a.email) for a in (*msg.to, *msg.cc)}
    if len(domains) >= 5:
        f.mass += 1.5
        ev.append(Evidence("grade.A.long_recipient_list", 1.5, f"{len(domains)} domains in To/Cc"))
    leftover = _first_match(_TEMPLATE_LEFTOVER, text)
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
    document = _first_match(_DOCUMENT_MENTION, prepared)
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
        if registrable_domain(host) != _domain(sender.email):
            f.consistency -= 0.5
            ev.append(
                Evidence("grade.inconsistent_website", -0.5, f"website {host} vs sender domain")
            )
