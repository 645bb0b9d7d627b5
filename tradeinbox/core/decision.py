"""Who decides at a customer: a score per person from how they take part in threads.

An export salesperson writes to three people at a buyer; one of them answers within the
hour, talks prices and payment terms, starts new threads and is always in To. That person
decides. The score here combines four observable signals, each returned as evidence:

* **reply speed** - median time from our message reaching the person to their answer in
  the same thread (fast answers mean ownership of the deal);
* **depth** - words the person wrote themselves (quoted history and signature removed,
  :mod:`tradeinbox.core.quotes`, :mod:`tradeinbox.core.signatures`), and how many of
  their messages discuss prices, specifications or terms;
* **position** - how often the person is in To rather than Cc, in our mail and theirs;
* **initiative** - how many threads the person started.

Each signal is scaled to 0..1 and weighted (:data:`WEIGHTS`); the score is 0..100.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.signatures import find_signature

__all__ = ["ThreadMessage", "DecisionScore", "score_people", "business_topics", "own_words"]

WEIGHTS = {"speed": 0.25, "depth": 0.3, "position": 0.2, "initiative": 0.25}

# Topics that show someone negotiating, not just forwarding: prices, specifications, terms.
_TOPICS = {
    "price": re.compile(
        r"(?:\b(?:price|prices|pricing|quote|quotation|offer|discount|cost|usd|eur|rmb|cny)\b|"
        r"[$€£¥]\s?\d|\d\s?(?:usd|eur|dollars?)\b|precio|preço|preis|prix|цена|价格|报价|单价)",
        re.I,
    ),
    "spec": re.compile(
        r"\b(?:spec|specs|specification|specifications|size|dimension|dimensions|material|"
        r"model|grade|tolerance|drawing|sample|samples|moq|quantity|pcs|tons?|kg|packing|"
        r"packaging)\b|规格|尺寸|样品|数量|especificaci[oó]n|muestra",
        re.I,
    ),
    "terms": re.compile(
        r"\b(?:fob|cif|cfr|exw|ddp|dap|fca|incoterms?|payment|t/t|tt|l/c|lc|deposit|"
        r"balance|delivery|lead time|shipment|contract|invoice|terms|warranty|credit)\b|"
        r"付款|交货|合同|定金|pago|entrega|pagamento",
        re.I,
    ),
}


@dataclass(slots=True)
class ThreadMessage:
    """One message of a thread, addresses lower-cased."""

    key: str
    sender: str
    to: list[str]
    cc: list[str]
    date: datetime
    text: str
    outbound: bool  # sent by our team


@dataclass(slots=True)
class DecisionScore:
    person: str
    score: float
    components: dict[str, float]
    evidence: list[Evidence] = field(default_factory=list)


def own_words(text: str) -> str:
    """What the writer wrote: without quoted history and without the signature."""
    # Long runs of blanks (converted Notes mail) make the quote regexes quadratic.
    new = split_reply(re.sub(r"[ \t]{80,}", " ", text or "")[:100_000]).new_text
    block = find_signature(new)
    if block is not None:
        lines = new.replace("\r\n", "\n").split("\n")
        new = "\n".join(lines[: block.start_line])
    return new


def business_topics(text: str) -> set[str]:
    return {name for name, rx in _TOPICS.items() if rx.search(text)}


def score_people(
    threads: list[list[ThreadMessage]], person_of: dict[str, str]
) -> list[DecisionScore]:
    """Score every person in ``person_of`` (address -> person key), best first."""
    sent: dict[str, int] = defaultdict(int)
    words: dict[str, int] = defaultdict(int)
    topical: dict[str, int] = defaultdict(int)
    topics_seen: dict[str, set[str]] = defaultdict(set)
    to_count: dict[str, int] = defaultdict(int)
    cc_count: dict[str, int] = defaultdict(int)
    started: dict[str, int] = defaultdict(int)
    delays: dict[str, list[float]] = defaultdict(list)

    for thread in threads:
        ordered = sorted(thread, key=lambda m: m.date)
        if not ordered:
            continue
        first = person_of.get(ordered[0].sender)
        if first and not ordered[0].outbound:
            started[first] += 1
        waiting: dict[str, datetime] = {}  # person -> when our message reached them
        for msg in ordered:
            for addr in msg.to:
                if p := person_of.get(addr):
                    to_count[p] += 1
            for addr in msg.cc:
                if p := person_of.get(addr):
                    cc_count[p] += 1
            if msg.outbound:
                for addr in msg.to + msg.cc:
                    if (p := person_of.get(addr)) and p not in waiting:
                        waiting[p] = msg.date
                continue
            p = person_of.get(msg.sender)
            if p is None:
                continue
            sent[p] += 1
            body = own_words(msg.text)
            words[p] += len(re.findall(r"\w+", body))
            found = business_topics(body)
            if found:
                topical[p] += 1
                topics_seen[p] |= found
            if p in waiting:
                hours = (msg.date - waiting.pop(p)).total_seconds() / 3600
                if hours >= 0:
                    delays[p].append(hours)

    people = sorted(set(person_of.values()))
    max_words = max((words[p] / sent[p] for p in people if sent[p]), default=0) or 1
    max_started = max((started[p] for p in people), default=0) or 1
    out: list[DecisionScore] = []
    for p in people:
        ev: list[Evidence] = []
        comp: dict[str, float] = {}
        if delays[p]:
            med = median(delays[p])
            comp["speed"] = 1 / (1 + med / 24)  # 1 for instant, 0.5 after a day
            ev.append(
                Evidence(
                    "decision.speed",
                    comp["speed"],
                    f"median reply {_hours(med)} ({len(delays[p])} replies)",
                )
            )
        else:
            comp["speed"] = 0.0
        if sent[p]:
            avg = words[p] / sent[p]
            share = topical[p] / sent[p]
            comp["depth"] = 0.5 * (avg / max_words) + 0.5 * share
            detail = f"{avg:.0f} own words per message"
            if topics_seen[p]:
                detail += (
                    f"; discusses {', '.join(sorted(topics_seen[p]))} in {topical[p]} of {sent[p]}"
                )
            ev.append(Evidence("decision.depth", comp["depth"], detail))
        else:
            comp["depth"] = 0.0
        placed = to_count[p] + cc_count[p]
        comp["position"] = to_count[p] / placed if placed else 0.0
        if placed:
            ev.append(
                Evidence(
                    "decision.position",
                    comp["position"],
                    f"in To {to_count[p]}×, in Cc {cc_count[p]}×",
                )
            )
        comp["initiative"] = started[p] / max_started if started[p] else 0.0
        if started[p]:
            ev.append(
                Evidence("decision.initiative", comp["initiative"], f"started {started[p]} threads")
            )
        score = 100 * sum(WEIGHTS[k] * comp[k] for k in WEIGHTS)
        out.append(DecisionScore(p, round(score, 1), comp, ev))
    out.sort(key=lambda s: (-s.score, s.person))
    return out


def _hours(h: float) -> str:
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} days"
