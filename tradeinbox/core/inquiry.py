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

Grading lives in :mod:`tradeinbox.core.inquiry_grading` and the message reading both
share in :mod:`tradeinbox.core.inquiry_text`; the public names are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tradeinbox.core.addresses import classify_address
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.fastmatch import Prepared
from tradeinbox.core.inquiry_grading import GradeResult, GradingSettings, grade_inquiry
from tradeinbox.core.inquiry_lexicon import (
    CAPS,
    FORWARD_PREFIX,
    INQUIRY,
    NOT_INQUIRY,
    REPLY_PREFIX,
)
from tradeinbox.core.inquiry_text import SCAM_RULES as _SCAM_RULES
from tradeinbox.core.inquiry_text import TEXT_LIMIT as TEXT_LIMIT  # re-exported
from tradeinbox.core.inquiry_text import (
    anchored_rules,
    email_domain,
    first_match,
    message_texts,
)
from tradeinbox.core.language import SUPPORTED_LANGUAGES, detect_language
from tradeinbox.core.message import ParsedMessage

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

_INQUIRY_RULES = anchored_rules(INQUIRY)
_NOT_INQUIRY_RULES = anchored_rules(NOT_INQUIRY)
_REQUEST_ATTACHMENT = re.compile(
    r"rfq|rfp|inquiry|enquiry|quotation|quote|purchase[\s_-]?list|bid[\s_-]?form|tender|"
    r"requirement|specification|询价|采购|cotiza|cota[cç]|anfrage|lastenheft|devis|запрос|طلب",
    re.IGNORECASE,
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


# --- helpers ---------------------------------------------------------------------------


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


def _recipients(msg: ParsedMessage) -> list[str]:
    return [a.email for a in (*msg.to, *msg.cc) if a.email and "@" in a.email]


# --- detection -------------------------------------------------------------------------


def detect_inquiry(msg: ParsedMessage) -> InquiryResult:
    """Whether ``msg`` is a first-contact inquiry, with language and evidence."""
    subject, new_text, has_quote = message_texts(msg)
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
            hit = first_match(rx, prepared)
            if hit:
                score += 1.0
                evidence.append(Evidence("inquiry.business_approach", 1.0, f"says {hit!r}"))
                break
    for name, weight, rx in _NOT_INQUIRY_RULES:
        hit = first_match(rx, prepared)
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
        own = email_domain(sender.email)
        others = {email_domain(r) for r in rcpts}
        free = classify_address(sender.email).is_freemail if "@" in sender.email else False
        if not free and own and others == {own} and {r.lower() for r in rcpts} != {sender.email}:
            out.append(Evidence("inquiry.not.internal", -10, f"sender and recipients all @{own}"))
    return out
