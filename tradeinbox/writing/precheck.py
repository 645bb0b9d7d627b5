"""The compose page's pre-send check, send-time suggestion, recipients and reply prefill.

Thin glue: the facts the core cannot know (who bounced, what we sent today, where the
buyer sits, which addresses the customer used in the thread) are read from the database
into the core's dataclasses; :func:`tradeinbox.core.writing.lint.lint`,
:func:`~tradeinbox.core.writing.sendtime.suggest_send_time` and
:func:`~tradeinbox.core.recipients.recommend` decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses

from django.utils import dateformat, timezone

from tradeinbox.core.message import Address
from tradeinbox.core.recipients import Recommendation, recommend
from tradeinbox.core.writing.lint import (
    Draft,
    DraftAttachment,
    Finding,
    LintContext,
    RecentSend,
    Segment,
    lint,
    segments,
)
from tradeinbox.core.writing.sendtime import RecipientFacts, Suggestion, suggest_send_time
from tradeinbox.core.writing.subject import strip_prefixes
from tradeinbox.customers.models import EmailAddress, Person
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.store.models import Message
from tradeinbox.writing.filling import formal_address, person_phone

MAX_QUOTED_LINES = 400


def parse_addresses(text: str) -> list[Address]:
    """Addresses typed in a To/Cc field; anything that is not an address is left out here
    (the form reports it when the user sends)."""
    out = []
    for name, email in getaddresses([(text or "").replace(";", ",")]):
        email = email.strip().lower()
        if "@" in email and "." in email.rpartition("@")[2]:
            out.append(Address(name.strip(), email))
    return out


def signature_block(account: Account | None) -> str:
    """What the outbox appends under the body (RFC 3676 "-- " separator)."""
    if account is None or not account.signature.strip():
        return ""
    return "\n\n-- \n" + account.signature.strip() + "\n"


def attachments_from_meta(raw: str) -> list[DraftAttachment]:
    """File names and sizes the page's script reports before anything is uploaded."""
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            size = item.get("size")
            out.append(
                DraftAttachment(
                    item["name"][:255],
                    int(size) if isinstance(size, int | float) else 0,
                    str(item.get("type") or "")[:100],
                )
            )
    return out


def build_draft(
    *,
    account: Account | None,
    to: str,
    cc: str = "",
    bcc: str = "",
    subject: str = "",
    body: str = "",
    quoted: str = "",
    in_reply_to: str = "",
    attachments: list[DraftAttachment] | None = None,
    send_at: datetime | None = None,
) -> Draft:
    """The mail as it will go out: the body plus the account's signature, the quote apart."""
    sender = Address(account.display_name, account.email_address) if account else None
    return Draft(
        subject=subject,
        body_text=body.replace("\r\n", "\n").rstrip("\n") + signature_block(account),
        to=parse_addresses(to),
        cc=parse_addresses(cc),
        bcc=parse_addresses(bcc),
        attachments=list(attachments or []),
        in_reply_to=in_reply_to or None,
        quoted_text=quoted.replace("\r\n", "\n") if quoted.strip() else None,
        sender=sender,
        send_at=send_at or datetime.now(UTC),
    )


def recipient_facts(email: str) -> RecipientFacts:
    """Where a recipient is: their phone, their company's country, past Date offsets."""
    facts = RecipientFacts(email=email.lower())
    row = (
        EmailAddress.objects.select_related("person__company").filter(address=email.lower()).first()
    )
    person = row.person if row is not None else None
    if person is not None:
        facts.phone = person_phone(person)
        if person.company is not None:
            facts.country = person.company.country
    offsets = (
        Message.objects.filter(from_email=email.lower(), utc_offset_minutes__isnull=False)
        .order_by("-date")
        .values_list("utc_offset_minutes", flat=True)[:50]
    )
    facts.past_utc_offsets = list(offsets)
    return facts


def _address_kinds(emails: list[str]) -> dict[str, str]:
    kinds = {}
    for row in EmailAddress.objects.filter(address__in=emails):
        if any(e.get("rule") == "former.hard_bounce" for e in row.former_evidence):
            kinds[row.address] = "bounced"
        elif row.kind in (EmailAddress.Kind.FORMER, EmailAddress.Kind.DISPOSABLE):
            kinds[row.address] = row.kind
    return kinds


def _own_addresses() -> set[str]:
    own = {a.lower() for a in Account.objects.values_list("email_address", flat=True)}
    own |= set(EmailAddress.objects.filter(is_own=True).values_list("address", flat=True))
    return own


def unanswered_followups(thread_id: int | None) -> int:
    """How many of our mails end the thread with no answer from the customer since."""
    if not thread_id:
        return 0
    own = _own_addresses()
    count = 0
    senders = Message.objects.filter(thread_id=thread_id).order_by("-date", "-id")
    for sender in senders.values_list("from_email", flat=True)[:20]:
        if sender.lower() not in own:
            break
        count += 1
    return count


def lint_context(draft: Draft, thread_id: int | None = None, extra_words=()) -> LintContext:
    emails = [a.email for a in draft.recipients]
    since = datetime.now(UTC) - timedelta(hours=36)
    recent = []
    rows = OutboxMessage.objects.filter(created_at__gte=since).exclude(
        status=OutboxMessage.Status.CANCELLED
    )
    for row in rows.only("recipients", "send_at", "subject"):
        for email in row.recipients:
            if email.lower() in emails:
                recent.append(RecentSend(email.lower(), row.send_at, row.subject))
    domains = {
        a.rpartition("@")[2] for a in Account.objects.values_list("email_address", flat=True)
    }
    words = {w for name in extra_words for w in name.lower().split() if w}
    return LintContext(
        recent_sends=recent,
        address_kinds=_address_kinds(emails),
        recipient_facts={a.email: recipient_facts(a.email) for a in draft.to[:3]},
        own_domains=sorted(domains),
        unanswered_followups=unanswered_followups(thread_id),
        known_words=words,
    )


@dataclass
class Check:
    """Everything the compose page shows next to the draft."""

    draft: Draft
    findings: list[Finding]
    pieces: list[Segment]
    suggestion: Suggestion | None = None
    recommendation: Recommendation | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def rows(self) -> list[tuple[int, Finding, str]]:
        """``(index, finding, the text it is about)`` for the findings list."""
        body = self.draft.body_text
        return [
            (i, f, body[f.start : f.end] if f.start is not None and f.end is not None else "")
            for i, f in enumerate(self.findings)
        ]

    @property
    def suggestion_is_now(self) -> bool:
        s = self.suggestion
        return s is not None and s.send_at_utc <= datetime.now(UTC) + timedelta(minutes=2)

    @property
    def suggestion_theirs(self) -> str:
        """The suggested moment on the recipient's clock (not converted to the user's zone)."""
        if self.suggestion is None:
            return ""
        return dateformat.format(self.suggestion.local_time.replace(tzinfo=None), "D Y-m-d H:i")

    @property
    def suggestion_mine(self) -> str:
        if self.suggestion is None:
            return ""
        mine = timezone.localtime(self.suggestion.send_at_utc).replace(tzinfo=None)
        return dateformat.format(mine, "D Y-m-d H:i")


def run_check(
    draft: Draft, *, thread_id: int | None = None, person: Person | None = None, now=None
) -> Check:
    names = [a.name for a in draft.recipients if a.name]
    if person is not None:
        names.append(person.name)
        if person.company is not None:
            names.append(person.company.name)
    ctx = lint_context(draft, thread_id, names)
    findings = lint(draft, ctx)
    check = Check(draft, findings, segments(draft.body_text, findings))
    check.counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    if draft.to:
        facts = ctx.recipient_facts.get(draft.to[0].email) or recipient_facts(draft.to[0].email)
        check.suggestion = suggest_send_time(facts, now or datetime.now(UTC))
    check.recommendation = recipients_for(thread_id, person, [a.email for a in draft.recipients])
    return check


def recipients_for(
    thread_id: int | None, person: Person | None, chosen: list[str]
) -> Recommendation | None:
    """To/Cc for a reply (from the thread) or for a new mail to a person, with warnings."""
    if thread_id:
        from tradeinbox.customers.queries import recipients_for_thread

        return recipients_for_thread(thread_id, chosen)
    if person is None:
        return None
    from tradeinbox.customers.queries import recipient_of

    return recommend([recipient_of(r) for r in person.addresses.all()], set(), chosen)


def reply_initial(message: Message) -> dict[str, str]:
    """To/Cc/subject/quote and threading headers for a reply to ``message``."""
    rec = recipients_for(message.thread_id, None, []) if message.thread_id else None
    own = _own_addresses()
    to_list = [a for a in (rec.to if rec else []) if a.lower() not in own]
    if not to_list and message.from_email.lower() not in own:
        to_list = [message.from_email]
    to = ", ".join(to_list)
    cc = ", ".join(c for c in (rec.cc if rec else []) if c not in to_list and c.lower() not in own)
    subject = strip_prefixes(message.subject)
    when = timezone.localtime(message.date).strftime("%Y-%m-%d %H:%M")
    who = f"{message.from_name} <{message.from_email}>" if message.from_name else message.from_email
    lines = (message.body_text or "").replace("\r\n", "\n").rstrip().split("\n")
    quoted = "\n".join(f"> {line}".rstrip() for line in lines[:MAX_QUOTED_LINES])
    initial = {
        "to": to,
        "cc": cc,
        "subject": f"Re: {subject}" if subject else "Re:",
        "in_reply_to": _bracketed(message.message_id),
        "references": " ".join(_bracketed(r) for r in message.references or [] if r),
        "quoted": f"On {when}, {who} wrote:\n{quoted}\n",
        "thread": str(message.thread_id or ""),
    }
    sender_row = EmailAddress.objects.filter(address=message.from_email.lower()).first()
    if sender_row is not None and sender_row.person_id:
        initial["tpl_person"] = str(sender_row.person_id)
    location = message.locations.select_related("folder").first()
    if location is not None:
        initial["account"] = str(location.folder.account_id)
    return initial


def _bracketed(message_id: str) -> str:
    """The store keeps Message-IDs without angle brackets; headers need them (RFC 5322 3.6.4)."""
    message_id = (message_id or "").strip()
    if not message_id or message_id.startswith("<"):
        return message_id
    return f"<{message_id}>"


def person_row(user, pk) -> Person | None:
    if not pk or not str(pk).isdigit():
        return None
    return (
        Person.objects.visible_to(user)
        .select_related("company")
        .prefetch_related("addresses", "channels")
        .filter(pk=int(pk))
        .first()
    )


def person_choices(user, limit: int = 500) -> list[tuple[int, str]]:
    """People to fill a template for: visible to the user, with an address we can write to."""
    people = (
        Person.objects.visible_to(user)
        .active()
        .select_related("company")
        .prefetch_related("addresses")
        .filter(addresses__is_own=False)
        .distinct()
        .order_by("company__name", "name")[:limit]
    )
    out = []
    for p in people:
        address = formal_address(p)
        if not address:
            continue
        company = f" · {p.company}" if p.company_id else ""
        out.append((p.pk, f"{p.name or address} <{address}>{company}"))
    return out
