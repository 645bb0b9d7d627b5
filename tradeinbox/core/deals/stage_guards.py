"""Context guards for stage cues: a later-stage word that, in its sentence, states a term.

"garantía de 7 años ... piezas defectuosas" in an inquiry, "if any lamp arrives damaged we
replace it" in an offer, "70% against B/L copy", "payment after we received the goods":
the words of a complaint, a delivery or a shipment, said as a condition of sale. Such an
occurrence gives no stage signal (:func:`first_cue`); used by
:func:`tradeinbox.core.deals.stages.stage_signals`.
"""

from __future__ import annotations

import re

__all__ = ["GUARDS", "first_cue"]

_I = re.IGNORECASE

# Some cues name a later stage but, in the sentence they stand in, state a term of sale:
# "garantía de 7 años ... piezas defectuosas", "if any lamp arrives damaged we replace it",
# "70% against B/L copy", "payment after we received the goods". A guard is (name, where,
# pattern): "before" looks between the start of the sentence and the cue, "sentence" at the
# whole sentence. A cue whose every occurrence is guarded gives no signal.
_SENTENCE_END = re.compile(r"[.!?;\n\u3002\uff01\uff1f\uff1b]")
_CONDITIONAL = re.compile(
    r"\b(?:if(?!\s+possible)|in\s+case|should\s+(?:any|the|a)|whether|unless|in\s+the\s+event|"
    r"en\s+caso|si|no\s+caso|caso|wenn|falls|en\s+cas|au\s+cas)\b|如果|若|万一|如有|一旦|假如",
    _I,
)
_WARRANTY = re.compile(
    r"warrant(?:y|ies)|guarantee|garant[ií]as?|Garantie|质保|保修|保质期|гаранти", _I
)
_CLAIM = re.compile(
    r"claim|reclam|Anspruch|Garantiefall|索赔|(?:要求|申请)保修|acionar|v[aá]lida", _I
)
_GUARD_PATTERNS: dict[str, tuple[str, re.Pattern[str]]] = {
    "conditional": ("before", _CONDITIONAL),
    "policy": (
        "sentence",
        re.compile(
            r"polic(?:y|ies)|pol[ií]tica|terms\s+and\s+conditions|t[ée]rminos\s+y\s+condiciones|"
            r"how\s+(?:do|would|will)\s+you\s+(?:handle|deal)|c[oó]mo\s+(?:manejan|gestionan)|政策|条款",
            _I,
        ),
    ),
    "other_supplier": (
        "sentence",
        re.compile(
            r"(?:previous|current|present|other|old|existing|last)\s+suppliers?|"
            r"(?:otros?|anterior|actual)\s+proveedor|proveedor\s+(?:anterior|actual)|"
            r"(?:outro|atual|antigo)\s+fornecedor|fornecedor\s+(?:atual|anterior)|"
            r"autre\s+fournisseur|bisherige[nm]?\s+Lieferanten|其他供应商|原供应商|之前的供应商|"
            r"现在的供应商",
            _I,
        ),
    ),
    "payment_term": (
        "before",
        re.compile(
            r"\b(?:against|upon|after|once|when|before|pay(?:ment|able)?|balance|T/T|D/P|CAD)\b|"
            r"contra|mediante|despu[ée]s|una\s+vez|cuando|saldo|\bpago|gegen|contre|见|凭|付款|尾款|"
            r"余款|收到.{0,4}后",
            _I,
        ),
    ),
}
#: Which guards apply to which rule.
GUARDS: dict[str, tuple[str, ...]] = {
    "after_sales.complaint": ("conditional", "warranty_terms", "policy", "other_supplier"),
    "after_sales.received": ("conditional", "payment_term"),
    "shipped.documents": ("payment_term",),
}


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence (or clause, or line) around ``text[start:end]``."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return left, right.start() if right else len(text)


def _guarded(rid: str, text: str, start: int, end: int) -> str | None:
    """The guard that makes this occurrence of a cue a term of sale, or None."""
    left, right = _sentence(text, start, end)
    for name in GUARDS.get(rid, ()):
        if name == "warranty_terms":
            # A warranty in the sentence without a claim: "5 years warranty for defects".
            sentence = text[left:right]
            if _WARRANTY.search(sentence) and not _CLAIM.search(sentence):
                return name
            continue
        where, rx = _GUARD_PATTERNS[name]
        if rx.search(text, left, start if where == "before" else right):
            return name
    return None


def first_cue(rid: str, rx: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first occurrence of a rule's cue that no guard discounts."""
    for m in rx.finditer(text):
        if rid not in GUARDS or _guarded(rid, text, m.start(), m.end()) is None:
            return m
    return None
