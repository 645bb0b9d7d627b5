"""People as clusters of addresses, joined by evidence.

A buyer writes from ``anna@buyer.com.br`` at the office and from ``anna.silva@gmail.com``
at night; the CRM should show one person with two addresses, and say why. These modules
collect *facts* from messages and turn them into scored pairs of addresses:

Facts per address (:class:`AddressProfile`)
    display names (RFC 5322 ``display-name``) and signature names, phone numbers read
    from signatures (E.164), and a fingerprint of the signature block.
Links between addresses (:class:`Link`), each from one message
    * ``identity.statement`` - the sender says "my personal email is x@..." (explicit);
    * ``identity.signature_lists`` - the signature of a mail from A lists address B;
    * ``identity.reply_from_other`` - a message went to A, and the reply in that thread
      came from B, who was not a recipient (the same person answering from another box);
    * ``identity.copied_on_both`` - A and B are both on one message (senders who know
      both addresses of a person copy both).

:func:`score_pair` weighs a pair's evidence; names must not contradict each other
(:func:`tradeinbox.core.names.compare_names`): two colleagues called Smith never merge.
Pairs reaching :data:`STRONG` are applied, pairs reaching :data:`WEAK` are proposed for a
one-click confirmation. :func:`cluster` applies strong pairs with union-find, refusing a
union that would put two conflicting names in one person, and returns the weak pairs
between the resulting people as proposals. Every result lists its evidence.

Collecting facts and links lives in :mod:`tradeinbox.core.identity_facts`; its public
names are re-exported here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tradeinbox.core.addresses import (
    company_domain,
    freemail_domains,
    registrable_domain,
    role_of,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.identity_facts import MAX_COPIED as MAX_COPIED  # re-exported
from tradeinbox.core.identity_facts import (
    AddressProfile,
    IdentityCollector,
    Link,
    MailFacts,
    address_statements,
    facts_from_parsed,
    prefix_keys,
)
from tradeinbox.core.lookalike import lookalike
from tradeinbox.core.names import UNKNOWN, NameMatch, compare_names, name_tokens

__all__ = [
    "STRONG",
    "WEAK",
    "MailFacts",
    "AddressProfile",
    "Link",
    "PairScore",
    "Clustering",
    "IdentityCollector",
    "facts_from_parsed",
    "address_statements",
    "score_pair",
    "candidate_pairs",
    "cluster",
    "compare_profiles",
]

#: Summed evidence weight at which a merge is applied without asking.
STRONG = 1.0
#: Summed evidence weight at which a merge is proposed for confirmation.
WEAK = 0.5
#: Blocks of addresses sharing a name key larger than this are too common to compare.
MAX_BLOCK = 300


@dataclass(slots=True)
class PairScore:
    a: str
    b: str
    weight: float
    evidence: list[Evidence]
    name_match: NameMatch

    @property
    def strength(self) -> str:
        if self.weight >= STRONG:
            return "strong"
        return "weak" if self.weight >= WEAK else "none"


def _caps(rule: str) -> float:
    return {
        "identity.reply_from_other": 0.8,
        "identity.copied_on_both": 0.5,
        "identity.signature_lists": 0.9,
        "identity.statement": 1.5,
    }.get(rule, 1.0)


# Evidence that only counts when the names fit (or the mailbox name is the same).
_NEEDS_NAME = frozenset(
    {"identity.reply_from_other", "identity.copied_on_both", "identity.signature_lists"}
)


def score_pair(pa: AddressProfile, pb: AddressProfile, links: Iterable[Link] = ()) -> PairScore:
    """Weigh the evidence that ``pa`` and ``pb`` are one person."""
    a, b = pa.email, pb.email
    name_a, name_b = pa.best_name(), pb.best_name()
    match = compare_profiles(pa, pb)
    evidence: list[Evidence] = []
    links = list(links)
    explicit = [k for k in links if k.rule == "identity.statement"]
    if match.level == "conflict" and not explicit:
        return PairScore(a, b, 0.0, [Evidence("identity.name_conflict", -1.0, match.detail)], match)

    local_a_part, dom_a = a.rsplit("@", 1)
    local_b_part, dom_b = b.rsplit("@", 1)
    # An address on a domain that imitates the other's is the classic payment-fraud
    # set-up ("sunrise-h0me.com" answering in a thread sent to "sunrise-home.com"):
    # never one person, whatever the thread or the display name says.
    imitation = lookalike(dom_a, dom_b) or lookalike(dom_b, dom_a)
    if imitation is not None:
        return PairScore(
            a, b, 0.0, [Evidence("identity.lookalike_domain", -1.0, imitation[1])], match
        )
    comp_a, comp_b = company_domain(a), company_domain(b)
    same_company = comp_a is not None and comp_a == comp_b
    if (
        local_a_part == local_b_part
        and dom_a != dom_b
        and registrable_domain(dom_a) == registrable_domain(dom_b)
        and role_of(local_a_part) is None
    ):
        evidence.append(
            Evidence(
                "identity.same_mailbox_subdomain",
                1.0,
                f"{local_a_part}@ at {dom_a} and {dom_b}: one company, one mailbox name",
            )
        )
    if match.level == "same":
        # Two display/signature names agreeing is worth more than a name read from an
        # address, and a name match across companies (or free-mail) less than inside one.
        if same_company:
            weight = 0.8
        elif name_a and name_b:
            weight = 0.6
        else:
            weight = 0.3
        evidence.append(Evidence("identity.same_name", weight, match.detail))
    elif match.level == "initial":
        evidence.append(
            Evidence("identity.initials_fit", 0.2 if same_company else 0.0, match.detail)
        )
    if same_company and match.compatible:
        evidence.append(Evidence("identity.same_company", 0.2, f"both at {comp_a}"))

    shared_phones = pa.phones & pb.phones
    if shared_phones and match.level != "conflict":
        weight = 0.8 if match.compatible else 0.4
        phone = sorted(shared_phones)[0]
        evidence.append(Evidence("identity.same_phone", weight, f"both signatures give {phone}"))
    if pa.signatures & pb.signatures and match.level != "conflict":
        evidence.append(
            Evidence("identity.same_signature", 0.5, "the same signature block from both")
        )

    per_rule: dict[str, float] = defaultdict(float)
    per_rule_n: Counter = Counter()
    details: dict[str, str] = {}
    for link in links:
        # Thread and co-recipient evidence only counts when the names fit: a colleague
        # answering for Anna is the commonest case of "reply from another address".
        if link.rule in _NEEDS_NAME and not (
            match.compatible or evidence and evidence[0].rule == "identity.same_mailbox_subdomain"
        ):
            continue
        per_rule[link.rule] += link.weight
        per_rule_n[link.rule] += 1
        details.setdefault(link.rule, link.detail)
    for rule, weight in per_rule.items():
        capped = min(weight, _caps(rule))
        n = per_rule_n[rule]
        suffix = f" ({n} messages)" if n > 1 else ""
        evidence.append(Evidence(rule, capped, details[rule] + suffix))
    total = round(sum(e.weight for e in evidence), 3)
    return PairScore(a, b, total, evidence, match)


_RANK = {"same": 4, "initial": 3, "local": 2, "unknown": 1}


def compare_profiles(pa: AddressProfile, pb: AddressProfile) -> NameMatch:
    """Compare everything known about two addresses' names.

    Two full names decide on their own. Otherwise any contradiction (full name against
    local part, or local part against local part) is a conflict, else the best agreement.
    """
    name_a, name_b = pa.best_name(), pb.best_name()
    local_a, local_b = pa.local_name(), pb.local_name()
    if name_a and name_b:
        return compare_names(name_a, None, name_b, None)
    results = []
    if name_a and local_b:
        results.append(compare_names(name_a, None, None, local_b))
    if name_b and local_a:
        results.append(compare_names(None, local_a, name_b, None))
    if local_a and local_b:
        results.append(compare_names(None, local_a, None, local_b))
    for r in results:
        if r.level == "conflict":
            return r
    return max(results, key=lambda r: _RANK[r.level], default=UNKNOWN)


def _blocking_keys(prof: AddressProfile) -> set[str]:
    keys = set()
    name = prof.best_name()
    local = prof.local_name()
    keys |= prefix_keys(name_tokens(name, local))
    if name and not name.first:
        keys.add(name.last)
    keys |= {f"tel:{p}" for p in prof.phones}
    keys |= {f"sig:{s}" for s in prof.signatures}
    local_part, _, domain = prof.email.partition("@")
    if domain not in freemail_domains():
        keys.add(f"box:{local_part}@{registrable_domain(domain)}")
    return keys


def candidate_pairs(
    profiles: dict[str, AddressProfile],
    links: Iterable[Link] = (),
    *,
    focus: Iterable[str] | None = None,
    own_addresses: Iterable[str] = (),
) -> list[PairScore]:
    """Scored pairs worth showing (weight >= :data:`WEAK`), strongest first.

    ``focus``: only pairs with at least one of these addresses (incremental runs).
    """
    own = {a.lower() for a in own_addresses}
    focus_set = {f.lower() for f in focus} if focus is not None else None
    by_pair: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in links:
        if link.a in own or link.b in own or link.a == link.b:
            continue
        by_pair[(link.a, link.b)].append(link)
    blocks: dict[str, list[str]] = defaultdict(list)
    for email, prof in profiles.items():
        if email in own or "@" not in email:
            continue
        for key in _blocking_keys(prof):
            blocks[key].append(email)
    pairs: set[tuple[str, str]] = set(by_pair)
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        ordered = sorted(members)
        for i, x in enumerate(ordered):
            for y in ordered[i + 1 :]:
                pairs.add((x, y))
    out: list[PairScore] = []
    for a, b in pairs:
        if focus_set is not None and a not in focus_set and b not in focus_set:
            continue
        if a not in profiles or b not in profiles:
            continue
        score = score_pair(profiles[a], profiles[b], by_pair.get((a, b), ()))
        if score.weight >= WEAK:
            out.append(score)
    out.sort(key=lambda s: (-s.weight, s.a, s.b))
    return out


@dataclass(slots=True)
class Clustering:
    people: list[set[str]]
    applied: list[PairScore]
    proposals: list[PairScore]
    refused: list[tuple[PairScore, str]]


def cluster(
    emails: Iterable[str],
    pairs: list[PairScore],
    profiles: dict[str, AddressProfile] | None = None,
) -> Clustering:
    """Union strong pairs into people; weak pairs between people become proposals.

    A union is refused when any two addresses of the would-be person have conflicting
    names - so "John Smith" and "Jane Smith" stay apart even when a chain of evidence
    (shared office phone, one common co-recipient) would join them.
    """
    parent: dict[str, str] = {e.lower(): e.lower() for e in emails}
    members: dict[str, set[str]] = {e: {e} for e in parent}
    profiles = profiles or {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def conflict(xs: set[str], ys: set[str]) -> str | None:
        for x in xs:
            for y in ys:
                px, py = profiles.get(x), profiles.get(y)
                if px is None or py is None:
                    continue
                match = compare_profiles(px, py)
                if match.level == "conflict":
                    return match.detail
        return None

    applied: list[PairScore] = []
    refused: list[tuple[PairScore, str]] = []
    for pair in pairs:
        for e in (pair.a, pair.b):
            if e not in parent:
                parent[e] = e
                members[e] = {e}
        if pair.strength != "strong":
            continue
        ra, rb = find(pair.a), find(pair.b)
        if ra == rb:
            continue
        why = conflict(members[ra], members[rb])
        if why:
            refused.append((pair, why))
            continue
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        applied.append(pair)
    proposals: list[PairScore] = []
    proposed: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.strength != "weak":
            continue
        ra, rb = sorted((find(pair.a), find(pair.b)))
        if ra == rb or (ra, rb) in proposed:
            continue
        if conflict(members[ra], members[rb]):
            continue
        proposed.add((ra, rb))
        proposals.append(pair)
    people = [set(m) for m in members.values()]
    return Clustering(people, applied, proposals, refused)
