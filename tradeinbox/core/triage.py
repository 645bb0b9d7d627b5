"""One message in, one triage verdict out: the engine behind ``tradeinbox analyze``.

Order of work: parse (RFC 5322/MIME) -> observed/claimed origin -> trusted
authentication verdicts -> threat guard -> inquiry detection and grading ->
references (PO/PI numbers ...). Pure and offline unless the caller injects a DNS
function for DKIM.

Grading policy for threats: a message the guard labels "phish" or "spam" never
gets a B/C/D grade. If it still reads like an inquiry, it gets grade "A" -
in tradeinbox's A-D scale "A" is the *junk / fraud* end ("A: ignore, likely
fake"), so a fake RFQ lands with the other fakes; a threat that is no inquiry
gets ``null``. Its authenticity is capped at ``1 - threat``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from tradeinbox.core.authres import AuthVerdict, authenticate
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.inquiry import detect_inquiry, grade_inquiry
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.origin import OriginResult, analyse_origin
from tradeinbox.core.references import extract_message_references
from tradeinbox.core.threats import ThreatContext, ThreatResult, assess_threat


@dataclass(slots=True)
class TriageOptions:
    """Knobs of one analysis run (all optional)."""

    own_domains: frozenset[str] = frozenset()
    known_domains: frozenset[str] = frozenset()
    known_contacts: dict[str, frozenset[str]] = field(default_factory=dict)
    trusted_authserv_ids: Collection[str] | None = None
    dnsfunc: Callable[..., bytes | None] | None = None  # None: stay offline
    dns_timeout: float = 3.0
    threshold: float = 0.5
    # A TriageModel (classifier.load_model) to score with, e.g. the installation's own
    # model after "mark wrong" corrections; None: the shipped model.
    model: Any = None

    def context(self) -> ThreatContext:
        return ThreatContext(
            own_domains=frozenset(d.lower() for d in self.own_domains),
            known_domains=frozenset(d.lower() for d in self.known_domains),
            known_contacts=self.known_contacts,
            trusted_authserv_ids=tuple(self.trusted_authserv_ids)
            if self.trusted_authserv_ids is not None
            else None,
        )


@dataclass(slots=True)
class Triage:
    """Everything the analysis found for one message."""

    msg: ParsedMessage
    origin: OriginResult
    auth: AuthVerdict
    threat: ThreatResult
    inquiry: bool = False
    grade: str | None = None
    authenticity: float = 0.5
    references: list[dict[str, str]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def triage_message(
    msg: ParsedMessage, raw: bytes | None = None, options: TriageOptions | None = None
) -> Triage:
    """Analyse one parsed message (``raw`` only serves a local DKIM check)."""
    options = options or TriageOptions()
    origin = analyse_origin(msg)
    auth = authenticate(
        msg,
        raw,
        trusted_ids=options.trusted_authserv_ids,
        boundary_index=origin.boundary_index,
        dnsfunc=options.dnsfunc,
        timeout=options.dns_timeout,
    )
    threat = assess_threat(
        msg, options.context(), auth, model=options.model, threshold=options.threshold
    )
    result = Triage(msg, origin, auth, threat)
    evidence: list[Evidence] = list(threat.evidence)
    evidence.extend(origin.evidence)  # weight 0: facts (boundary hop, countries) shown as-is

    try:  # inquiry detection and grading: tradeinbox.core.inquiry
        inquiry = detect_inquiry(msg)
        result.inquiry = bool(inquiry.is_inquiry)
        evidence.extend(inquiry.evidence)
        if result.inquiry:
            graded = grade_inquiry(msg, inquiry, threat, country=origin.country)
            result.grade = graded.grade
            result.authenticity = float(graded.authenticity)
            evidence.extend(e for e in graded.evidence if e not in evidence)
    except Exception as error:  # a bug there must not hide the threat verdict
        evidence.append(Evidence("inquiry.error", 0.0, f"{type(error).__name__}: {error}"[:200]))
    if threat.label != "ham":
        result.grade = "A" if result.inquiry else None
        result.authenticity = min(result.authenticity, round(1.0 - threat.score, 4))
    elif not result.inquiry:
        result.grade = None
        result.authenticity = round(max(0.0, 1.0 - threat.score), 4)
    try:  # PO / PI / B/L numbers: tradeinbox.core.references
        result.references = [
            {"kind": ref.kind, "value": ref.value} for ref in extract_message_references(msg)
        ]
    except Exception as error:
        evidence.append(Evidence("references.error", 0.0, f"{type(error).__name__}: {error}"[:200]))
    result.evidence = evidence
    return result


def warm_up() -> None:
    """Load what the first message would otherwise load: model, lexicons, databases.

    About 0.4 s of one-time work (the geolocation database, country names, the phrase
    index ...). A process that forks workers calls this first, so they share it
    instead of each paying it on their first message.
    """
    import phonenumbers  # noqa: F401  (imported on the first signature with a phone)

    from tradeinbox.core import origin, threats
    from tradeinbox.core.classifier import default_model
    from tradeinbox.core.lookalike import _brand_pattern, brand_index, freemail
    from tradeinbox.core.parse import parse_message

    default_model()
    brand_index(), _brand_pattern(), freemail()
    threats.phrase_patterns(), threats._phrase_gates()
    origin._geoip(), origin._country_names(), origin._first_words(), origin._tld_extract()
    origin._zones()
    sample = (
        b"From: Warm Up <warm@example.com>\r\nTo: us@example.org\r\nSubject: price?\r\n"
        b"Received: from a.example.com (a.example.com [192.0.2.1]) by mx.example.org\r\n"
        b"Content-Type: text/html\r\n\r\n<p>Please quote 100 pcs. <a href='http://x.example'>"
        b"www.example.com</a></p><p>Tel +44 20 7946 0000</p>"
    )
    as_json("", triage_message(parse_message(sample)))  # whatever else loads lazily


def as_json(source: str, result: Triage) -> dict[str, Any]:
    """The ``tradeinbox analyze`` output object (the documented contract)."""
    return {
        "source": source,
        "message_id": result.msg.message_id,
        "threat": round(float(result.threat.score), 4),
        "label": result.threat.label,
        "inquiry": bool(result.inquiry),
        "grade": result.grade,
        "authenticity": round(min(1.0, max(0.0, float(result.authenticity))), 4),
        "origin": {
            "ip": result.origin.ip,
            "country": result.origin.country,
            "local_hour": result.origin.local_hour,
        },
        "references": result.references,
        "evidence": [e.as_dict() for e in result.evidence],
    }
