"""Read side of the customer page: timeline, decision-maker ranking, recipients."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tradeinbox.core.decision import DecisionScore, ThreadMessage, score_people
from tradeinbox.core.recipients import RecipientAddress, Recommendation, recommend
from tradeinbox.customers.models import ChatMessage, Company, EmailAddress, Person
from tradeinbox.store.models import Message

TIMELINE_LIMIT = 300
RANKING_MESSAGE_LIMIT = 2000


def _messages_touching(addresses: list[str], limit: int, user=None):
    """Messages from or to any of ``addresses``, newest first; with ``user``, only those
    the user may see (the address index of :mod:`tradeinbox.users.visibility`)."""
    if not addresses:
        return Message.objects.none()
    from tradeinbox.users.models import MessageAddress
    from tradeinbox.users.roles import visible_messages

    ids = MessageAddress.objects.filter(address__in=[a.lower() for a in addresses])
    found = Message.objects.filter(id__in=ids.values("message_id"))
    if user is not None:
        found = visible_messages(user, found)
    return found.order_by("-date", "-id")[:limit]


@dataclass
class TimelineItem:
    when: object
    kind: str  # "email" | "chat"
    message: Message | None = None
    chat: ChatMessage | None = None
    person: Person | None = None


def timeline(people: list[Person], limit: int = TIMELINE_LIMIT, user=None) -> list[TimelineItem]:
    """Emails and chat lines of ``people``, newest first, in one list (emails: those
    ``user`` may see, when given)."""
    addresses = list(
        EmailAddress.objects.filter(person__in=people).values_list("address", flat=True)
    )
    touching = _messages_touching(addresses, limit, user)
    items = [TimelineItem(m.date, "email", message=m) for m in touching]
    chats = (
        ChatMessage.objects.filter(person__in=people, is_system=False)
        .select_related("person")
        .order_by("-timestamp", "-id")[:limit]
    )
    items += [TimelineItem(c.timestamp, "chat", chat=c, person=c.person) for c in chats]
    items.sort(key=lambda i: i.when, reverse=True)
    return items[:limit]


def decision_ranking(company: Company) -> list[tuple[Person, DecisionScore]]:
    # People whose every address is former (left the company) no longer decide anything.
    people = [
        p
        for p in company.people.filter(merged_into__isnull=True).prefetch_related("addresses")
        if any(a.kind != "former" for a in p.addresses.all())
    ]
    rows = EmailAddress.objects.filter(person__in=people)
    person_of = {r.address: str(r.person_id) for r in rows}
    own = set(EmailAddress.objects.filter(is_own=True).values_list("address", flat=True))
    threads: dict[object, list[ThreadMessage]] = defaultdict(list)
    for m in _messages_touching(list(person_of), RANKING_MESSAGE_LIMIT):
        rec = m.recipients or {}
        threads[m.thread_id or f"m{m.pk}"].append(
            ThreadMessage(
                key=str(m.pk),
                sender=m.from_email.lower(),
                to=[e.lower() for _n, e in rec.get("to", []) if e],
                cc=[e.lower() for _n, e in rec.get("cc", []) if e],
                date=m.date,
                text=m.body_text,
                outbound=m.from_email.lower() in own,
            )
        )
    scores = score_people(list(threads.values()), person_of)
    by_id = {str(p.pk): p for p in people}
    return [(by_id[s.person], s) for s in scores if s.person in by_id]


def recipient_of(row: EmailAddress) -> RecipientAddress:
    """A stored address as the core recipient advisor sees it (kind, former, bounced)."""
    bounced = any(e.get("rule") == "former.hard_bounce" for e in row.former_evidence)
    detail = "; ".join(e.get("detail", "") for e in row.former_evidence)[:200]
    return RecipientAddress(
        email=row.address,
        person=str(row.person_id),
        kind=row.kind,
        is_formal=row.is_formal,
        bounced=bounced,
        former_detail=detail,
        messages_from=row.messages_from,
        last_used=row.last_seen,
    )


def recipients_for_thread(thread_id: int, chosen: list[str] | None = None) -> Recommendation:
    """To/Cc for a reply in the thread, from the customer people in it."""
    messages = list(Message.objects.filter(thread_id=thread_id))
    used: set[str] = set()
    for m in messages:
        used.add(m.from_email.lower())
        rec = m.recipients or {}
        for key in ("to", "cc"):
            used |= {e.lower() for _n, e in rec.get(key, []) if e}
    customer_rows = EmailAddress.objects.filter(
        address__in=used, is_own=False, person__isnull=False
    )
    people = {r.person_id for r in customer_rows}
    rows = EmailAddress.objects.filter(person_id__in=people)
    customer_used = {m.from_email.lower() for m in messages} & {r.address for r in rows}
    return recommend([recipient_of(r) for r in rows], customer_used or used, chosen)
