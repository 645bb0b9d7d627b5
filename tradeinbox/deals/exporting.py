"""Exports: a user's iCalendar feed, vCards of people, CSV of deals and contacts.

The formats are :mod:`tradeinbox.core.deals.exports`; this module only gathers rows the
user may see and turns them into the plain dataclasses and dicts it takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import IntegrityError

from tradeinbox.core.deals.cadence import FollowUp as CoreFollowUp
from tradeinbox.core.deals.exports import (
    VCardPerson,
    calendar_items,
    contacts_csv,
    deals_csv,
    ical_feed,
    new_feed_token,
    vcards,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.customers.models import Person
from tradeinbox.deals.models import Deal, FeedToken, FollowUp
from tradeinbox.deals.queries import agreed, due_page

MESSENGERS = ("whatsapp", "wechat", "telegram", "skype")


def feed_token(user, *, renew: bool = False) -> FeedToken:
    """The user's feed secret; ``renew`` replaces it (the old URL stops working)."""
    row = FeedToken.objects.filter(user=user).first()
    if row is not None and not renew:
        return row
    for _attempt in range(3):
        try:
            if row is None:
                return FeedToken.objects.create(user=user, token=new_feed_token())
            row.token = new_feed_token()
            row.save(update_fields=["token", "created_at"])
            return row
        except IntegrityError:  # 256-bit collision: practically never; try again
            continue
    raise RuntimeError("could not create a feed token")


def calendar_feed(user, now: datetime, url_for: Callable[[str, str], str], *, domain: str) -> str:
    """Due replies and follow-ups (to do and scheduled) of what ``user`` sees."""
    page = due_page(user, now)
    core_followups = []
    for fu in [*page.followups, *page.scheduled]:
        core_followups.append(
            CoreFollowUp(
                deal=str(fu.deal_id),
                person=str(fu.person or fu.to or fu.deal),
                due_at=fu.due_at,
                action=fu.action,
                rule=fu.rule,
                step=fu.step or None,
                template=fu.template or None,
                channel=fu.channel,
                evidence=[
                    Evidence(
                        str(e.get("rule", "")), float(e.get("weight", 0)), str(e.get("detail", ""))
                    )
                    for e in fu.evidence
                ],
            )
        )

    def title(kind: str, obj: object) -> str:
        if kind == "reply":
            return f"Reply: {obj.subject or obj.message_id}"
        deal = deal_titles.get(int(obj.deal), obj.deal)
        if obj.action == "suggest_channel":
            return f"Call or message on {obj.channel}: {deal}"
        return f"Follow up: {deal} (step {obj.step})"

    deal_titles = dict(
        Deal.objects.filter(pk__in=[int(f.deal) for f in core_followups]).values_list("pk", "title")
    )
    items = calendar_items(
        [row.item for row in page.replies], core_followups, url_for=url_for, title_for=title
    )
    return ical_feed(items, name=f"tradeinbox - {user.get_username()}", domain=domain, now=now)


def _vcard(person: Person) -> VCardPerson:
    addresses = sorted(
        person.addresses.all(), key=lambda a: (not a.is_formal, a.kind == "former", a.address)
    )
    channels = list(person.channels.all())
    name = person.name or (addresses[0].address if addresses else f"person {person.pk}")
    parts = name.split()
    return VCardPerson(
        uid=f"person-{person.pk}",
        full_name=name,
        family_name=parts[-1] if len(parts) > 1 else "",
        given_name=" ".join(parts[:-1]) if len(parts) > 1 else "",
        org=person.company.name if person.company else "",
        title=person.title,
        emails=[
            (a.address, "work" if a.kind in ("official", "role") else "home")
            for a in addresses
            if a.kind != "former"
        ],
        phones=[(c.value, c.kind) for c in channels if c.kind in ("phone", "mobile")],
        messengers=[(c.kind, c.value) for c in channels if c.kind in MESSENGERS],
        country=person.company.country if person.company else "",
    )


def people_vcards(people: Iterable[Person]) -> str:
    return vcards(_vcard(p) for p in people)


def deals_rows(deals: Iterable[Deal]) -> str:
    rows = []
    for deal in deals:
        nxt = (
            deal.followups.filter(status__in=FollowUp.ACTIVE)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        terms = agreed(deal)
        incoterm = terms.incoterm.value if terms.incoterm else ""
        rows.append(
            {
                "id": deal.pk,
                "title": deal.title,
                "company": str(deal.company) if deal.company else "",
                "contact": str(deal.person) if deal.person else "",
                "stage": deal.get_stage_display(),
                "amount": deal.amount,
                "currency": deal.currency,
                "incoterm": incoterm,
                "grade": deal.grade,
                "owner": deal.owner.get_username() if deal.owner else "",
                "created": deal.opened_at,
                "updated": deal.last_message_at,
                "next_followup": nxt,
            }
        )
    return deals_csv(rows)


def contacts_rows(people: Iterable[Person]) -> str:
    rows = []
    for person in people:
        channels = list(person.channels.all())

        def of(kind: str, channels=channels) -> list[str]:
            return [c.value for c in channels if c.kind == kind]

        best_grade = min(
            (d.grade for d in person.deals.all() if d.grade), key="DCB".index, default=""
        )
        rows.append(
            {
                "id": person.pk,
                "name": person.name or str(person),
                "company": str(person.company) if person.company else "",
                "title": person.title,
                "emails": [a.address for a in person.addresses.all() if a.kind != "former"],
                "phones": of("phone") + of("mobile"),
                "whatsapp": of("whatsapp"),
                "wechat": of("wechat"),
                "telegram": of("telegram"),
                "skype": of("skype"),
                "country": person.company.country if person.company else "",
                "grade": best_grade,
                "owner": person.company.owner.get_username()
                if person.company and person.company.owner
                else "",
            }
        )
    return contacts_csv(rows)
