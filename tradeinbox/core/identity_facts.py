"""What identity learns from messages: facts per address and links between addresses.

:class:`IdentityCollector` reads :class:`MailFacts` one by one into an
:class:`AddressProfile` per address (names, signature phones, channels, a signature
fingerprint) and a list of :class:`Link` evidence between addresses (statements,
signatures listing another address, replies from another box, co-recipients). Weighing
that evidence into merges is :mod:`tradeinbox.core.identity`'s job.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tradeinbox.core.addresses import role_of
from tradeinbox.core.message import Address, ParsedMessage
from tradeinbox.core.names import (
    LocalName,
    PersonName,
    contradicts_local,
    local_part_name,
    name_tokens,
    parse_display_name,
)
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.signatures import extract_contact_fields, find_signature

__all__ = [
    "MAX_COPIED",
    "MailFacts",
    "AddressProfile",
    "Link",
    "IdentityCollector",
    "facts_from_parsed",
    "address_statements",
    "prefix_keys",
]

#: Messages with more recipients than this are announcements: no co-recipient evidence.
MAX_COPIED = 8

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


def prefix_keys(tokens: set[str]) -> set[str]:
    """Short keys of name tokens; two addresses sharing one may name the same person."""
    out = set()
    for t in tokens:
        out.add(t[:5])
        if len(t) >= 5:  # blobs: "jsmith" -> "smith", "scranda" -> "crand"
            out.add(t[1:6])
    return out


def _keys_overlap(a: set[str], b: set[str]) -> bool:
    return bool(prefix_keys(a) & prefix_keys(b))
