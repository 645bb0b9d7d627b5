"""Pre-send check: read a draft the way a careful colleague would before it goes out.

:func:`lint` runs every rule module in :mod:`tradeinbox.core.writing.rules` over a
:class:`Draft` and returns :class:`Finding` objects. Each finding names its rule, its
severity, the span of body text it is about (character offsets into
``Draft.body_text`` with line breaks normalised to ``\\n``; ``None`` when the finding is
about the subject, the recipients, the attachments, the HTML or the send time), a
message and a suggested fix.

Severities: ``error`` means the mail is very likely wrong or harmful as it stands
(a promised attachment is missing, a card number is in clear text, the address bounced);
``warning`` means it will probably hurt the reply rate or the relationship; ``info`` is
a style hint.

Facts the draft cannot know (recent sends, bounced addresses, the recipient's time
zone ...) come in a :class:`LintContext`, so the rules stay pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from tradeinbox.core.message import Address, ParsedMessage

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class DraftAttachment:
    filename: str
    size: int
    content_type: str = ""
    inline: bool = False


@dataclass(frozen=True, slots=True)
class RecentSend:
    """A message we already sent: to whom and when (for the "second mail today" rule)."""

    email: str
    sent_at: datetime
    subject: str = ""


@dataclass(slots=True)
class Draft:
    """The mail about to be sent.

    ``quoted_text``: the earlier message(s) below the reply when the compose page keeps it
    apart; when it is ``None`` the quote is found inside ``body_text``. ``priority`` is
    "high", "normal" or "low" (X-Priority / Importance headers). ``reply_all`` is True when
    the user pressed reply-all (None: unknown, inferred from the recipients).
    """

    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    attachments: list[DraftAttachment] = field(default_factory=list)
    priority: str = "normal"
    in_reply_to: str | None = None
    quoted_text: str | None = None
    sender: Address | None = None
    send_at: datetime | None = None
    reply_all: bool | None = None
    language: str | None = None  # forced language; None = detect

    @property
    def recipients(self) -> list[Address]:
        return [*self.to, *self.cc, *self.bcc]


@dataclass(slots=True)
class LintContext:
    """Outside facts. Everything is optional; a rule without its facts stays silent.

    ``address_kinds`` maps an address to "former", "bounced", "disposable", "role" ...;
    ``recipient_facts`` maps an address to :class:`~tradeinbox.core.writing.sendtime.RecipientFacts`;
    ``own_domains`` are our company's domains (the sender's domain is added automatically);
    ``unanswered_followups`` is how many of our mails in this thread are still unanswered;
    ``known_words`` are words the spelling rule accepts (product names, customer names).
    """

    recent_sends: list[RecentSend] = field(default_factory=list)
    address_kinds: dict[str, str] = field(default_factory=dict)
    recipient_facts: dict[str, Any] = field(default_factory=dict)
    own_domains: list[str] = field(default_factory=list)
    unanswered_followups: int = 0
    known_words: set[str] = field(default_factory=set)
    many_recipients: int = 6
    check_addresses: bool = True  # run classify_address for disposable domains
    disabled_rules: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    start: int | None
    end: int | None
    message: str
    fix: str
    where: str = "body"  # body | subject | recipients | attachments | html | send_time

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "fix": self.fix,
            "where": self.where,
        }


class DraftText:
    """The draft's body, analysed once for all rules.

    ``own`` is the span the author wrote (the quoted history and forwarded text are
    outside it); ``signature`` the sign-off span inside it, if any.
    """

    def __init__(self, draft: Draft) -> None:
        from tradeinbox.core.quotes import split_reply
        from tradeinbox.core.writing.signature import find_signature

        self.draft = draft
        self.body = normalise_newlines(draft.body_text)
        if draft.quoted_text is not None:
            self.own = (0, len(self.body))
        else:
            parts = split_reply(self.body)
            new = parts.new_text.strip()
            start = self.body.find(new) if new else 0
            if start < 0 or not parts.has_quote:
                self.own = (0, len(self.body.rstrip()))
            else:
                self.own = (start, start + len(new))
            # Lotus Notes forwards carry a separator with the forwarder's name and date in it
            # ("----- Forwarded by Ann Lee/HOU/ECT on 04/16/2001 09:13 AM -----"), which the
            # generic quote splitter does not know; what follows it is the forwarded mail.
            notes = _NOTES_FORWARD.search(self.body, self.own[0], self.own[1])
            if notes:
                self.own = (self.own[0], max(self.own[0], len(self.body[: notes.start()].rstrip())))
        own_text = self.own_text
        names = sender_names(draft.sender)
        sig = find_signature(own_text, names)
        self.signature = (sig[0] + self.own[0], sig[1] + self.own[0]) if sig else None

    @property
    def own_text(self) -> str:
        return self.body[self.own[0] : self.own[1]]

    @property
    def content_span(self) -> tuple[int, int]:
        """The author's text without the sign-off and signature."""
        end = self.signature[0] if self.signature else self.own[1]
        return (self.own[0], end)

    @property
    def content_text(self) -> str:
        start, end = self.content_span
        return self.body[start:end]

    @cached_property
    def language(self) -> str:
        from tradeinbox.core.writing.rules.spelling import detect_language

        return self.draft.language or detect_language(self.content_text)

    def iter_matches(self, pattern: re.Pattern[str], span: tuple[int, int] | None = None):
        """``pattern`` matches inside ``span`` (default: the author's text), absolute offsets."""
        start, end = span or self.own
        return pattern.finditer(self.body, start, end)


_NOTES_FORWARD = re.compile(
    r"^[ \t]*-{3,}[ \t]*Forwarded by[ \t]\S[^\n]{0,160}?-{3,}[ \t]*$", re.MULTILINE | re.IGNORECASE
)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sender_names(sender: Address | None) -> list[str]:
    """Ways the sender may sign: full name, first name, initials ("Whitt, Mark" -> "Mark")."""
    if sender is None or not sender.name:
        if sender is not None:
            local = sender.local_part.split(".")[0]
            return [local] if len(local) >= 2 else []
        return []
    name = sender.name.strip().strip('"')
    if "," in name:  # "Last, First" directory style
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    parts = [p for p in re.split(r"\s+", name) if p]
    out = [name]
    if parts:
        out.append(parts[0])
    if len(parts) >= 2:
        out.append("".join(p[0] for p in parts))  # initials: "MW"
        out.append(parts[0][0])
    return out


Rule = Callable[[Draft, DraftText, LintContext], Iterable[Finding]]


def _rules() -> list[Rule]:
    from tradeinbox.core.writing.rules import (
        attachments,
        banking,
        caps,
        html_style,
        recipients,
        spelling,
        structure,
        subject,
        timing,
        tone,
    )

    return [
        attachments.check,
        banking.check,
        caps.check,
        tone.check,
        structure.check,
        spelling.check,
        html_style.check,
        recipients.check,
        subject.check,
        timing.check,
    ]


def lint(draft: Draft, context: LintContext | None = None) -> list[Finding]:
    """Every finding for ``draft``, ordered by severity then position."""
    ctx = context or LintContext()
    text = DraftText(draft)
    findings: list[Finding] = []
    for rule in _rules():
        for finding in rule(draft, text, ctx):
            if finding.rule not in ctx.disabled_rules:
                findings.append(finding)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.start if f.start is not None else -1))
    return findings


_PRIORITY_HIGH = re.compile(r"^\s*(?:1|2|high|urgent)\b", re.I)


def draft_from_parsed(message: ParsedMessage) -> Draft:
    """A :class:`Draft` from a parsed .eml file (for ``tradeinbox lint FILE.eml``)."""
    priority = "normal"
    for header in ("x-priority", "importance", "priority", "x-msmail-priority"):
        value = message.header(header)
        if value and _PRIORITY_HIGH.match(value):
            priority = "high"
            break
    return Draft(
        subject=message.subject,
        body_text=normalise_newlines(message.text),
        body_html=message.html,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        attachments=[
            DraftAttachment(
                a.filename,
                a.size,
                a.sniffed_type or a.declared_type,
                inline=a.disposition == "inline",
            )
            for a in message.attachments
        ],
        priority=priority,
        in_reply_to=message.in_reply_to,
        sender=message.from_address,
        send_at=message.date,
    )


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the body for display: plain (``findings`` empty) or marked by findings.

    ``findings`` are indexes into the list given to :func:`segments`; ``severity`` is the
    most serious of them, so overlapping spans show the worst problem.
    """

    text: str
    findings: tuple[int, ...] = ()
    severity: str = ""


def segments(text: str, findings: list[Finding]) -> list[Segment]:
    """Cut ``text`` at every finding's span, so a page can highlight each span."""
    spans = [
        (i, max(0, f.start), min(len(text), f.end))
        for i, f in enumerate(findings)
        if f.start is not None and f.end is not None and f.end > f.start and f.start < len(text)
    ]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    out: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = tuple(i for i, s, e in spans if s <= left and right <= e)
        worst = min((findings[i].severity for i in covering), key=rank.__getitem__, default="")
        out.append(Segment(text[left:right], covering, worst))
    return out
