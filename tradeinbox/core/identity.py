"""People as clusters of addresses, joined by evidence.

A buyer writes from ``anna@buyer.com.br`` at the office and from ``anna.silva@gmail.com``
at night; the CRM should show one person with two addresses, and say why. This module
collects *facts* from messages and turns them into scored pairs of addresses:

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
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tradeinbox.core.addresses import (
    company_domain,
    freemail_domains,
    registrable_domain,
    role_of,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.lookalike import lookalike
from tradeinbox.core.message import Address, ParsedMessage
from tradeinbox.core.names import (
    UNKNOWN,
    LocalName,
    NameMatch,
    PersonName,
    compare_names,
    contradicts_local,
    local_part_name,
    name_tokens,
    parse_display_name,
)
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.signatures import extract_contact_fields, find_signature

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
#: Messages with more recipients than this are announcements: no co-recipient evidence.
MAX_COPIED = 8
#: Blocks of addresses sharing a name key larger than this are too common to compare.
MAX_BLOCK = 300

_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
# "my personal email is ...", "you can reach me at ...", "please use my new address ...".
# Only first-person statements: "her email is" says nothing about the sender.
_STATEMENT_RE = re.compile(
    r"(?:\bmy\s+(?:(?:personal|private|new|other|alternative|alternate|second|home|own|"
    r"gmail|yahoo|hotmail|outlook|direct|work|office|business|company)\s+)?"
    r"(?:e-?mail|mail|address|mailbox|account)(?:\s+(?:address|id))?\s*(?:is|:|=|will be|"
    r"has changed to|changed to|is now)?"
    r"|\b(?:reach|contact|email|e-mail|write to|mail)\s+me\s+(?:at|on|via|through)"
    r"|\b(?:reply|write|send(?:\s+\w+)?)\s+(?:directly\s+)?to\s+(?:me\s+at|my\s+\w+\s+\w+)"
    r"|\bmi\s+(?:nuevo\s+|otro\s+)?correo(?:\s+(?:personal|electr[oó]nico|nuevo))?\s+es"
    r"|\bmeu\s+(?:novo\s+)?e-?mail(?:\s+pessoal)?\s+[ée]"
    r"|\bmeine\s+(?:neue\s+|private\s+)?e-?mail(?:-adresse)?\s+(?:ist|lautet)"
    r"|\bmon\s+(?:nouvel\s+|autre\s+)?(?:e-?mail|adresse)(?:\s+personnel(?:le)?)?\s+est"
    r"|我的(?:私人|个人|個人|新|另一个)?(?:邮箱|郵箱|电邮|電郵|email|e-mail)(?:地址)?(?:是|为|為)?"
    r"|мой\s+(?:новый\s+|личный\s+)?(?:e-?mail|адрес|почта|имейл)"
    r")\s*[:：]?\s*<?(?:mailto:)?(" + _EMAIL + r")",
    re.IGNORECASE,
)


@dataclass(slots=True)
class MailFacts:
    """What identity needs from one message (from a ParsedMessage or a stored row)."""

    key: str  # Message-ID (or any unique key of the message)
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    text: str
    in_reply_to: str | None = None
    thread: str | None = None  # thread id when the store knows it


def facts_from_parsed(msg: ParsedMessage) -> MailFacts:
    return MailFacts(
        key=msg.message_id or msg.sha256,
        sender=msg.from_address,
        to=list(msg.to),
        cc=list(msg.cc),
        text=msg.text,
        in_reply_to=msg.in_reply_to or (msg.references[-1] if msg.references else None),
    )


@dataclass(slots=True)
class AddressProfile:
    """Everything seen about one address. Counters so repeated sightings add weight."""

    email: str
    names: Counter = field(default_factory=Counter)  # display/signature name -> count
    given_names: Counter = field(default_factory=Counter)  # names others typed for it
    phones: set[str] = field(default_factory=set)  # E.164, from the owner's signatures
    signatures: set[str] = field(default_factory=set)  # fingerprints of signature blocks
    channels: set[tuple[str, str]] = field(default_factory=set)  # (kind, value) from signatures
    titles: Counter = field(default_factory=Counter)  # job titles from signatures
    companies: Counter = field(default_factory=Counter)  # company names from signatures
    messages_sent: int = 0

    def best_name(self) -> PersonName | None:
        """The name the owner uses most; else the name others use most."""
        local = self.local_name()
        for counter, source in ((self.names, "display"), (self.given_names, "recipient")):
            for text, _count in counter.most_common():
                name = parse_display_name(text, source)
                if name is not None and not contradicts_local(name, local):
                    return name
        return None

    def local_name(self) -> LocalName | None:
        return local_part_name(self.email)

    def to_dict(self) -> dict:
        return {
            "names": dict(self.names),
            "given_names": dict(self.given_names),
            "phones": sorted(self.phones),
            "signatures": sorted(self.signatures),
            "channels": sorted([k, v] for k, v in self.channels),
            "titles": dict(self.titles),
            "companies": dict(self.companies),
            "messages_sent": self.messages_sent,
        }

    def merge_from(self, other: AddressProfile) -> None:
        """Add what ``other`` (a later batch about the same address) saw."""
        self.names.update(other.names)
        self.given_names.update(other.given_names)
        self.phones |= other.phones
        self.signatures |= other.signatures
        self.channels |= other.channels
        self.titles.update(other.titles)
        self.companies.update(other.companies)
        self.messages_sent += other.messages_sent

    @classmethod
    def from_dict(cls, email: str, data: dict | None) -> AddressProfile:
        data = data or {}
        return cls(
            email=email,
            names=Counter(data.get("names") or {}),
            given_names=Counter(data.get("given_names") or {}),
            phones=set(data.get("phones") or ()),
            signatures=set(data.get("signatures") or ()),
            channels={(k, v) for k, v in data.get("channels") or ()},
            titles=Counter(data.get("titles") or {}),
            companies=Counter(data.get("companies") or {}),
            messages_sent=int(data.get("messages_sent") or 0),
        )


@dataclass(frozen=True, slots=True)
class Link:
    """One message's evidence that ``a`` and ``b`` (sorted) may be one person."""

    a: str
    b: str
    rule: str
    weight: float
    detail: str
    message: str = ""

    @staticmethod
    def make(x: str, y: str, rule: str, weight: float, detail: str, message: str = "") -> Link:
        a, b = sorted((x.lower(), y.lower()))
        return Link(a, b, rule, weight, detail, message)


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


def address_statements(text: str, sender: str | None) -> list[tuple[str, str]]:
    """``(address, sentence)`` for each address the writer says is theirs."""
    out: list[tuple[str, str]] = []
    own = (sender or "").lower()
    for m in _STATEMENT_RE.finditer(text):
        email = m.group(1).lower().rstrip(".")
        if email != own and role_of(email.partition("@")[0]) is None:
            out.append((email, " ".join(m.group(0).split())[:160]))
    return out


_BLANK_RUN = re.compile(r"[ \t]{80,}")


def _tame(text: str) -> str:
    """Long runs of blanks (Lotus Notes exports) make line regexes quadratic; the
    identity rules only need the words, so runs are squeezed and very long bodies cut."""
    return _BLANK_RUN.sub(" ", text[:100_000])


def _signature_fingerprint(lines: list[str], sender: str) -> str | None:
    """A hash of the signature's contact lines, ignoring the sending address itself."""
    kept = []
    for line in lines:
        value = " ".join(line.lower().replace(sender, "").split())
        if len(value) >= 4 and any(c.isdigit() for c in value) or "@" in value:
            kept.append(value)
    if len(kept) < 2:
        return None  # "Regards, Bob" is everybody's signature
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()[:16]


class IdentityCollector:
    """Reads :class:`MailFacts` one by one into profiles and links.

    ``parent_lookup(message_key)`` finds the message a reply answers when it is not in
    this batch (the store passes a database lookup); in-batch parents are remembered.
    ``own_addresses`` are the team's own mailboxes: never merged with customers, and a
    reply "from B to a thread sent to A" only counts for customer addresses.
    """

    def __init__(
        self,
        *,
        own_addresses: Iterable[str] = (),
        parent_lookup: Callable[[str], MailFacts | None] | None = None,
    ) -> None:
        self.profiles: dict[str, AddressProfile] = {}
        self.links: list[Link] = []
        self.own = {a.lower() for a in own_addresses}
        self._seen: dict[str, MailFacts] = {}
        self._parent_lookup = parent_lookup

    def profile(self, email: str) -> AddressProfile:
        email = email.lower()
        if email not in self.profiles:
            self.profiles[email] = AddressProfile(email)
        return self.profiles[email]

    def add(self, facts: MailFacts) -> None:
        sender = facts.sender.email.lower() if facts.sender and facts.sender.email else None
        recipients = [a for a in facts.to + facts.cc if a.email]
        for addr in recipients:
            prof = self.profile(addr.email)
            if addr.name and addr.email.lower() != sender:
                prof.given_names[addr.name.strip()] += 1
        if sender:
            prof = self.profile(sender)
            prof.messages_sent += 1
            if facts.sender and facts.sender.name:
                prof.names[facts.sender.name.strip()] += 1
            if sender not in self.own:
                self._read_body(facts, sender)
            self._thread_links(facts, sender)
        self._copied_links(facts, recipients)
        if facts.key:
            self._seen[facts.key] = facts
            if len(self._seen) > 200_000:
                self._seen.clear()  # memory bound on very large imports

    def _read_body(self, facts: MailFacts, sender: str) -> None:
        new_text = split_reply(_tame(facts.text or "")).new_text
        for email, sentence in address_statements(new_text, sender):
            self.links.append(
                Link.make(sender, email, "identity.statement", 1.5, f"says {sentence!r}", facts.key)
            )
            self.profile(email)
        block = find_signature(new_text, facts.sender)
        if block is None:
            return
        fields = extract_contact_fields(block.lines)
        prof = self.profile(sender)
        if fields.name:
            prof.names[fields.name] += 1
        if fields.title:
            prof.titles[fields.title[:120]] += 1
        if fields.company:
            prof.companies[fields.company[:120]] += 1
        for phone in fields.phones:
            if phone.e164 and phone.kind != "fax":
                prof.phones.add(phone.e164)
                prof.channels.add((phone.kind, phone.e164))
        for kind in ("whatsapp", "wechat", "skype", "telegram", "linkedin"):
            value = getattr(fields, kind)
            if value:
                prof.channels.add((kind, str(value)[:200]))
        fingerprint = _signature_fingerprint(block.lines, sender)
        if fingerprint:
            prof.signatures.add(fingerprint)
        for email in fields.emails:
            if email != sender and role_of(email.partition("@")[0]) is None:
                self.profile(email)
                self.links.append(
                    Link.make(
                        sender,
                        email,
                        "identity.signature_lists",
                        0.6,
                        f"the signature of a mail from {sender} lists {email}",
                        facts.key,
                    )
                )

    def _thread_links(self, facts: MailFacts, sender: str) -> None:
        if not facts.in_reply_to or sender in self.own:
            return
        parent = self._seen.get(facts.in_reply_to)
        if parent is None and self._parent_lookup is not None:
            parent = self._parent_lookup(facts.in_reply_to)
        if parent is None or parent.sender is None:
            return
        before = {a.email.lower() for a in parent.to + parent.cc}
        if sender in before or sender == parent.sender.email.lower():
            return
        targets = [a.email.lower() for a in parent.to if a.email]
        if not 1 <= len(targets) <= 3:
            return  # a reply to a mail sent to many says little about any one of them
        for target in targets:
            if target not in self.own and target != sender:
                self.links.append(
                    Link.make(
                        sender,
                        target,
                        "identity.reply_from_other",
                        0.5,
                        f"a message sent to {target} was answered from {sender}",
                        facts.key,
                    )
                )

    def _copied_links(self, facts: MailFacts, recipients: list[Address]) -> None:
        emails = sorted({a.email.lower() for a in recipients} - self.own)
        if not 2 <= len(emails) <= MAX_COPIED:
            return
        keys = {e: name_tokens(None, local_part_name(e)) for e in emails}
        for i, x in enumerate(emails):
            for y in emails[i + 1 :]:
                # Only plausible pairs: colleagues are copied together all the time.
                same_local = x.partition("@")[0] == y.partition("@")[0]
                if same_local or _keys_overlap(keys[x], keys[y]):
                    self.links.append(
                        Link.make(
                            x,
                            y,
                            "identity.copied_on_both",
                            0.25,
                            f"{x} and {y} were both addressed in one message",
                            facts.key,
                        )
                    )


def _prefix_keys(tokens: set[str]) -> set[str]:
    out = set()
    for t in tokens:
        out.add(t[:5])
        if len(t) >= 5:  # blobs: "jsmith" -> "smith", "scranda" -> "crand"
            out.add(t[1:6])
    return out


def _keys_overlap(a: set[str], b: set[str]) -> bool:
    return bool(_prefix_keys(a) & _prefix_keys(b))


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
    keys |= _prefix_keys(name_tokens(name, local))
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
