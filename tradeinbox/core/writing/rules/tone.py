"""Tone: aggressive wording, URGENT/IMPORTANT overuse, and unconditional promises.

* ``tone.emotional`` (warning): words that put a buyer on the defensive ("unacceptable",
  "as I already told you", "inaceptable", "太离谱") and stacked "!!!" / "???".
* ``tone.urgency`` (warning): urgency claimed in more than one place (priority flag,
  subject, body) or over and over in the body. When everything is urgent nothing is, and
  spam filters weigh these words.
* ``legal.promise`` (warning): unconditional promises ("we guarantee", "100% quality",
  "never fail", "零缺陷") can be read as a contractual warranty; name the actual warranty
  terms instead. Financial guarantees ("bank guarantee", "parent guaranty"), payment terms
  ("100% T/T") and material content ("100% cotton") are not promises about performance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

_EMOTIONAL = re.compile(
    r"""
    \b(?:unacceptable|ridiculous|absurd|outrageous|pathetic|disgraceful|shameful|incompetent|
       incompetence|stupid|idiotic|nonsense|rubbish|useless|unprofessional|disgusting|
       fed\s+up|sick\s+and\s+tired|last\s+warning|final\s+warning|shame\s+on\s+you|
       your\s+fault|you\s+people|how\s+many\s+times|as\s+i\s+(?:already\s+)?(?:told|said|mentioned)\s+(?:you\s+)?(?:before|already|twice|many\s+times)|
       i\s+(?:already\s+)?told\s+you|i\s+demand|what\s+the\s+hell|damn|liars?
       )\b
  | \b(?:inaceptable|ridícul[oa]|vergüenza|incompetentes?|estafa|tramposos?|mentiros[oa]s?|
       como\s+ya\s+le\s+dije|se\s+lo\s+he\s+dicho|harto|hartos|es\s+el\s+colmo)\b
  | 太离谱 | 离谱 | 不可接受 | 无法接受 | 荒谬 | 荒唐 | 岂有此理 | 骗子 | 欺骗 | 早就说过 |
    说了多少次 | 你们怎么回事 | 太过分 | 忍无可忍
  | [!！]{3,} | [?？]{3,} | [?？][!！][?？!！]+
    """,
    re.IGNORECASE | re.VERBOSE,
)
_URGENT_BODY = re.compile(
    r"(?i:\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|immediately|emergency|right\s+now|top\s+priority|"
    r"urgente|urgentemente|inmediatamente|cuanto\s+antes|dringend|sofort|tout\s+de\s+suite)\b)"
    r"|\bIMPORTANT\b|\bCRITICAL\b|\bIMPORTANTE\b|紧急|加急|特急|火速|马上|立刻|尽快",
)
_URGENT_SUBJECT = re.compile(
    r"\b(?:urgent|important|asap|immediate(?:ly)?|critical|emergency|priority|action\s+required|"
    r"urgente|importante|dringend|wichtig)\b|紧急|加急|重要|急",
    re.IGNORECASE,
)
_PROMISE = re.compile(
    r"""
    \b(?:we|i)\s+(?:can\s+|will\s+|do\s+)?(?:100%\s+)?guarantee(?!\s+(?:agreement|letter|fee|facility))\b
  | \bguaranteed\s+(?:quality|delivery|satisfaction|results?|success|profit|returns?|on[\s-]time|to\s+(?:work|last|pass|arrive|sell))\b
  | \b(?:quality|delivery|satisfaction|results?|success|profit)\s+(?:is\s+|are\s+)?guaranteed\b
  | \b100\s?%\s*(?:guarantee[d]?|satisfaction|safe|sure|secure|perfect|quality|defect[\s-]free|
       on[\s-]time|reliable|risk[\s-]free|original|genuine|success|no\s+risk)\b
  | \bmoney[\s-]back\s+guarantee\b | \brisk[\s-]free\b | \bzero\s+(?:defects?|risk)\b
  | \bnever\s+(?:fail|fails|break|breaks|rust|rusts|leak|leaks|wear\s+out|late|go\s+wrong)\b
  | \balways\s+(?:on\s+time|perfect)\b | \blifetime\s+(?:guarantee|warranty)\b
  | \b(?:garantizamos|le\s+garantizo|garantía\s+total|sin\s+riesgo|cero\s+defectos|nunca\s+falla|nunca\s+se\s+rompe|100\s?%\s+garantizado)\b
  | 保证质量 | 质量保证没问题 | 百分之百 | 100%保证 | 绝对没问题 | 零缺陷 | 零风险 | 永不 | 包您满意 | 绝对保证
    """,
    re.IGNORECASE | re.VERBOSE,
)


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    span = text.content_span
    for match in text.iter_matches(_EMOTIONAL, span):
        yield Finding(
            "tone.emotional",
            "warning",
            match.start(),
            match.end(),
            tr(
                "%(phrase)r sounds emotional or aggressive; the buyer may take offence.",
                phrase=match.group(0).strip(),
            ),
            tr("State the facts and the solution you want, calmly; sleep on it if you are angry."),
        )

    body_hits = list(text.iter_matches(_URGENT_BODY, span))
    places = []
    if draft.priority == "high":
        places.append(tr("the priority flag"))
    if _URGENT_SUBJECT.search(draft.subject or ""):
        places.append(tr("the subject"))
    if body_hits:
        places.append(tr("the body"))
    if len(places) >= 2 or len(body_hits) >= 3:
        first = body_hits[0] if body_hits else None
        detail = (
            ", ".join(places)
            if len(places) >= 2
            else tr("the body (%(count)d times)", count=len(body_hits))
        )
        yield Finding(
            "tone.urgency",
            "warning",
            first.start() if first else None,
            first.end() if first else None,
            tr(
                "Urgency is claimed in %(places)s. Overused, it loses its effect and looks like spam.",
                places=detail,
            ),
            tr("Keep one signal: give a concrete deadline and its reason instead of URGENT."),
            where="body" if first else "subject",
        )

    for match in text.iter_matches(_PROMISE, span):
        yield Finding(
            "legal.promise",
            "warning",
            match.start(),
            match.end(),
            tr(
                "%(phrase)r is an unconditional promise that may bind you legally.",
                phrase=match.group(0).strip(),
            ),
            tr(
                "State the actual warranty terms"
                " (e.g. '12-month warranty against manufacturing defects')."
            ),
        )
