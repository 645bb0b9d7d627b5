"""Customers from stored mail: the entry points the importer, worker, CLI and views call.

:func:`analyse_messages` reads newly imported messages and

1. classifies every address (:func:`tradeinbox.core.addresses.classify_address`),
2. creates companies from company domains and a person per new address,
3. reads names, titles, phones and messenger handles from signatures into profiles and
   channels, and stores evidence links between addresses (:mod:`tradeinbox.core.identity`),
4. applies strong merges and proposes weak ones (:class:`~.models.MergeProposal`),
5. records hard bounces and "has left the company" auto-replies as ``former`` evidence,
6. keeps ``last_outbound_at``/``last_inbound_at`` of companies for the pool rules.

:func:`confirm_merge` and :func:`split_merge` apply and undo merges exactly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from tradeinbox.core.addresses import (
    classify_address,
    company_domain,
    registrable_domain,
    split_email,
)
from tradeinbox.core.bounces import detect_bounce, former_evidence
from tradeinbox.core.channels import normalise_channel
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.identity import (
    AddressProfile,
    IdentityCollector,
    Link,
    MailFacts,
    candidate_pairs,
    compare_profiles,
)
from tradeinbox.core.message import Address
from tradeinbox.core.names import local_part_name, parse_display_name
from tradeinbox.customers.models import (
    AddressLink,
    Channel,
    ChatImport,
    ChatMessage,
    Company,
    CompanyDomain,
    EmailAddress,
    MergeProposal,
    Person,
)
from tradeinbox.store.models import Message
from tradeinbox.store.rawstore import raw_bytes

log = logging.getLogger(__name__)

DEFAULT_POOL_DAYS = 90
# Messages that may be bounces or auto-replies; only these are re-read from the blob.
_MAYBE_REPORT = re.compile(
    r"mailer-daemon|postmaster|bounce|undeliver|delivery|failure|failed|returned|"
    r"auto(?:matic)?[ -]?(?:reply|response)|out of (?:the )?office|abwesen|ausente|"
    r"自动回复|退信|系统退信|no longer|left the company|离职",
    re.I,
)


def pool_return_days() -> int:
    """Days without outbound contact after which a customer returns to the pool."""
    config = getattr(settings, "TRADEINBOX", {}) or {}
    value = config.get("POOL_RETURN_DAYS")
    if value is None:
        import os

        value = os.environ.get("TRADEINBOX_POOL_RETURN_DAYS", DEFAULT_POOL_DAYS)
    return int(value)


def own_addresses() -> set[str]:
    """The team's own mailboxes: configured accounts and users' addresses."""
    out: set[str] = set()
    try:
        from tradeinbox.mailbox.models import Account

        out |= {a.lower() for a in Account.objects.values_list("email_address", flat=True)}
    except Exception:  # noqa: BLE001 - mailbox app not migrated in some setups
        pass
    user_model = get_user_model()
    out |= {e.lower() for e in user_model.objects.exclude(email="").values_list("email", flat=True)}
    config = getattr(settings, "TRADEINBOX", {}) or {}
    out |= {a.lower() for a in config.get("OWN_ADDRESSES", [])}
    return out


def own_domains(addresses: Iterable[str]) -> set[str]:
    """Company domains of our own addresses (never customers)."""
    out = set()
    for a in addresses:
        domain = company_domain(a)
        if domain:
            out.add(domain)
    config = getattr(settings, "TRADEINBOX", {}) or {}
    out |= {registrable_domain(d) for d in config.get("OWN_DOMAINS", [])}
    return out


def _facts(msg: Message) -> MailFacts:
    rec = msg.recipients or {}
    return MailFacts(
        key=msg.message_id or f"pk:{msg.pk}",
        sender=Address(msg.from_name or "", msg.from_email.lower()) if msg.from_email else None,
        to=[Address(n or "", e.lower()) for n, e in rec.get("to", []) if e],
        cc=[Address(n or "", e.lower()) for n, e in rec.get("cc", []) if e],
        text=msg.body_text or "",
        in_reply_to=msg.in_reply_to or ((msg.references or [None])[-1]),
        thread=str(msg.thread_id) if msg.thread_id else None,
    )


def _parent_lookup(key: str) -> MailFacts | None:
    msg = Message.objects.filter(message_id=key).order_by("id").first()
    return _facts(msg) if msg is not None else None


def _is_valid(email: str) -> bool:
    try:
        split_email(email)
    except ValueError:
        return False
    return "." in email.rpartition("@")[2] and len(email) <= 320


def _country_of(domain: str) -> str:
    tld = domain.rsplit(".", 1)[-1].upper()
    return tld if len(tld) == 2 and tld.isalpha() and tld not in ("CO", "IO", "AI", "ME") else ""


def _company_for(domain: str) -> Company:
    row = CompanyDomain.objects.select_related("company").filter(domain=domain).first()
    if row is not None:
        return row.company
    label = domain.split(".")[0]
    company = Company.objects.create(
        name=label.replace("-", " ").title(), country=_country_of(domain)
    )
    CompanyDomain.objects.create(company=company, domain=domain)
    return company


def _resolve(person: Person | None) -> Person | None:
    seen = set()
    while person is not None and person.merged_into_id and person.pk not in seen:
        seen.add(person.pk)
        person = person.merged_into
    return person


def _display_name(email: str, profile: AddressProfile) -> str:
    name = profile.best_name()
    if name is not None:
        return str(name)
    local = local_part_name(email)
    if local and len(local.tokens) == 2 and not local.initials:
        return " ".join(t.capitalize() for t in local.tokens)
    return ""


def _reports(messages: list[Message]) -> dict[int, object]:
    """Bounce/auto-reply reports for the messages that may be one (read from the blob)."""
    out = {}
    for msg in messages:
        probe = f"{msg.from_email} {msg.subject} {msg.body_text[:3000]}"
        if not _MAYBE_REPORT.search(probe):
            continue
        try:
            raw = raw_bytes(msg)
        except OSError:
            continue
        report = detect_bounce(raw)
        if report.kind in ("dsn", "bounce", "autoreply"):
            out[msg.pk] = report
    return out


@transaction.atomic
def analyse_messages(message_ids: Iterable[int]) -> dict:
    """Analyse stored messages (see module doc). Safe to run twice on the same ids."""
    ids = sorted(set(int(i) for i in message_ids))
    messages = list(Message.objects.filter(pk__in=ids).order_by("date", "id"))
    if not messages:
        return {"messages": 0}
    own = own_addresses()
    own_doms = own_domains(own)
    collector = IdentityCollector(own_addresses=own, parent_lookup=_parent_lookup)
    touched: dict[str, dict] = {}
    outbound_at: dict[str, datetime] = {}
    inbound_at: dict[str, datetime] = {}

    def touch(email: str, when: datetime, sent: bool) -> None:
        info = touched.setdefault(email, {"from": 0, "to": 0, "first": when, "last": when})
        info["from" if sent else "to"] += 1
        info["first"] = min(info["first"], when)
        info["last"] = max(info["last"], when)

    for msg in messages:
        facts = _facts(msg)
        collector.add(facts)
        sender = facts.sender.email if facts.sender else ""
        outbound = sender in own or (company_domain(sender) or "") in own_doms
        if sender and _is_valid(sender):
            touch(sender, msg.date, True)
        for addr in facts.to + facts.cc:
            if _is_valid(addr.email):
                touch(addr.email, msg.date, False)
                if outbound:
                    outbound_at[addr.email] = max(outbound_at.get(addr.email, msg.date), msg.date)
        if not outbound and sender:
            inbound_at[sender] = max(inbound_at.get(sender, msg.date), msg.date)

    former: dict[str, list[Evidence]] = {}
    for pk, report in _reports(messages).items():
        msg = next(m for m in messages if m.pk == pk)
        candidates = set(report.failed_addresses) | {report.autoreply_from or ""}
        for email in candidates:
            if not email:
                continue
            ev = former_evidence(report, email)
            if ev:
                former.setdefault(email.lower(), []).extend(ev)
                touch(email.lower(), msg.date, False)

    # Addresses: create or update, with kind and profile.
    existing = {e.address: e for e in EmailAddress.objects.filter(address__in=list(touched))}
    stats = {"messages": len(messages), "addresses_new": 0, "people_new": 0, "companies_new": 0}
    for email, info in touched.items():
        is_own = email in own or (company_domain(email) or "") in own_doms
        row = existing.get(email)
        if row is None:
            row = EmailAddress(address=email, first_seen=info["first"], last_seen=info["last"])
            stats["addresses_new"] += 1
        row.is_own = is_own
        row.messages_from += info["from"]
        row.messages_to += info["to"]
        row.first_seen = min(filter(None, [row.first_seen, info["first"]]))
        row.last_seen = max(filter(None, [row.last_seen, info["last"]]))
        prof = AddressProfile.from_dict(email, row.profile)
        if email in collector.profiles:
            prof.merge_from(collector.profiles[email])
        row.profile = prof.to_dict()
        if email in former:
            row.former_evidence = row.former_evidence + [e.as_dict() for e in former[email]]
        _classify(row)
        row.save()
        existing[email] = row

    # Links between addresses.
    links = [
        AddressLink(
            a=k.a,
            b=k.b,
            rule=k.rule,
            weight=k.weight,
            detail=k.detail[:2000],
            message_key=k.message[:255],
        )  # fmt: skip
        for k in collector.links
        if k.a in existing and k.b in existing
    ]
    AddressLink.objects.bulk_create(links, ignore_conflicts=True)

    # Companies and people for customer addresses.
    for email, row in existing.items():
        if row.is_own:
            continue
        domain = company_domain(email)
        company = None
        if domain:
            before = Company.objects.count()
            company = _company_for(domain)
            stats["companies_new"] += Company.objects.count() - before
            if email in outbound_at and (
                company.last_outbound_at is None or outbound_at[email] > company.last_outbound_at
            ):
                company.last_outbound_at = outbound_at[email]
                company.save(update_fields=["last_outbound_at"])
            if email in inbound_at and (
                company.last_inbound_at is None or inbound_at[email] > company.last_inbound_at
            ):
                company.last_inbound_at = inbound_at[email]
                company.save(update_fields=["last_inbound_at"])
        prof = AddressProfile.from_dict(email, row.profile)
        if row.person_id is None:
            person = Person.objects.create(name=_display_name(email, prof), company=company)
            row.person = person
            row.save(update_fields=["person"])
            stats["people_new"] += 1
        person = _resolve(row.person)
        _refresh_person(person, prof)

    stats |= _merge_pass([e for e, r in existing.items() if not r.is_own], own)
    for person in Person.objects.filter(addresses__address__in=list(existing)).distinct():
        _update_formal(_resolve(person))
    return stats


def _classify(row: EmailAddress) -> None:
    evidence = [Evidence(e["rule"], float(e["weight"]), e["detail"]) for e in row.former_evidence]
    try:
        verdict = classify_address(row.address, former_evidence=evidence)
    except ValueError:
        return
    row.kind = verdict.kind
    row.kind_evidence = [e.as_dict() for e in verdict.evidence]


def _refresh_person(person: Person, prof: AddressProfile) -> None:
    """Fill name/title and add signature channels (never overwrite what a user typed)."""
    changed = []
    if not person.name:
        name = prof.best_name()
        if name is not None:
            person.name = str(name)
            changed.append("name")
    if not person.title and prof.titles:
        person.title = prof.titles.most_common(1)[0][0][:255]
        changed.append("title")
    if changed:
        person.save(update_fields=changed)
    for kind, value in prof.channels:
        try:
            kind_n, value_n = normalise_channel(kind, value)
        except ValueError:
            continue
        Channel.objects.get_or_create(
            person=person,
            kind=kind_n,
            value=value_n,
            defaults={"source": "signature", "evidence": f"signature of {prof.email}"},
        )


def _update_formal(person: Person | None) -> None:
    """The formal address: official (not role/former), most used by the person."""
    if person is None:
        return
    rows = list(person.addresses.all())
    best = sorted(
        (r for r in rows if r.kind == "official"),
        key=lambda r: (
            -r.messages_from,
            -(r.last_seen or datetime.min.replace(tzinfo=UTC)).timestamp(),
        ),
    )
    formal = best[0].pk if best else None
    for r in rows:
        if r.is_formal != (r.pk == formal):
            r.is_formal = r.pk == formal
            r.save(update_fields=["is_formal"])


def _profiles(addresses: Iterable[EmailAddress]) -> dict[str, AddressProfile]:
    return {r.address: AddressProfile.from_dict(r.address, r.profile) for r in addresses}


def _links_for(emails: set[str]) -> list[Link]:
    rows = AddressLink.objects.filter(Q(a__in=emails) | Q(b__in=emails))
    return [Link(r.a, r.b, r.rule, r.weight, r.detail, r.message_key) for r in rows]


def _blocked(p1: Person, p2: Person) -> bool:
    """A user rejected or split this pair before, or a proposal is already open."""
    return MergeProposal.objects.filter(
        Q(target=p1, source=p2) | Q(target=p2, source=p1),
        status__in=[
            MergeProposal.Status.REJECTED,
            MergeProposal.Status.SPLIT,
            MergeProposal.Status.PROPOSED,
        ],
    ).exists()


def _persons_conflict(p1: Person, p2: Person) -> str | None:
    profs1 = _profiles(p1.addresses.all())
    profs2 = _profiles(p2.addresses.all())
    for x in profs1.values():
        for y in profs2.values():
            match = compare_profiles(x, y)
            if match.level == "conflict":
                return match.detail
    return None


def _merge_pass(focus: list[str], own: set[str]) -> dict:
    applied = proposed = 0
    if not focus:
        return {"merges_applied": 0, "merges_proposed": 0}
    rows = EmailAddress.objects.filter(is_own=False).select_related("person")
    profiles = _profiles(rows)
    links = _links_for(set(focus))
    pairs = candidate_pairs(profiles, links, focus=focus, own_addresses=own)
    person_of = {r.address: r.person_id for r in rows}
    for pair in pairs:
        if not person_of.get(pair.a) or not person_of.get(pair.b):
            continue
        pa = _resolve(Person.objects.get(pk=person_of[pair.a]))
        pb = _resolve(Person.objects.get(pk=person_of[pair.b]))
        if pa is None or pb is None or pa.pk == pb.pk or _blocked(pa, pb):
            continue
        target, source = (pa, pb) if pa.pk < pb.pk else (pb, pa)
        evidence = [e.as_dict() for e in pair.evidence]
        strong = pair.strength == "strong" and _persons_conflict(pa, pb) is None
        proposal = MergeProposal.objects.create(
            target=target,
            source=source,
            address_a=pair.a,
            address_b=pair.b,
            weight=pair.weight,
            strength=pair.strength,
            evidence=evidence,
            automatic=strong,
        )
        if strong:
            confirm_merge(proposal, None)
            applied += 1
        else:
            proposed += 1
    return {"merges_applied": applied, "merges_proposed": proposed}


@transaction.atomic
def confirm_merge(proposal: MergeProposal, user) -> MergeProposal:
    """Apply a merge: move the source person's addresses, channels and chats to the
    target and remember exactly what moved."""
    if proposal.status == MergeProposal.Status.CONFIRMED:
        return proposal
    target, source = _resolve(proposal.target), _resolve(proposal.source)
    if target is None or source is None or target.pk == source.pk:
        raise ValueError("these addresses already belong to one person")
    moved = {
        "source": source.pk,
        "target": target.pk,
        "addresses": list(source.addresses.values_list("pk", flat=True)),
        "channels": [],
        "chat_messages": list(source.chat_messages.values_list("pk", flat=True)),
        "chat_imports": list(source.chat_imports.values_list("pk", flat=True)),
        "target_company": target.company_id,
        "target_name": target.name,
        "target_title": target.title,
    }
    source.addresses.update(person=target)
    for channel in list(source.channels.all()):
        if target.channels.filter(kind=channel.kind, value=channel.value).exists():
            continue  # the same channel on both: keep the source's copy with the source
        channel.person = target
        channel.save(update_fields=["person"])
        moved["channels"].append(channel.pk)
    source.chat_messages.update(person=target)
    source.chat_imports.update(person=target)
    if target.company_id is None and source.company_id is not None:
        target.company_id = source.company_id
    if not target.name and source.name:
        target.name = source.name
    if not target.title and source.title:
        target.title = source.title
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    proposal.target, proposal.source = target, source
    proposal.status = MergeProposal.Status.CONFIRMED
    proposal.moved = moved
    proposal.decided_by = user if getattr(user, "is_authenticated", False) else None
    proposal.decided_at = datetime.now(UTC)
    proposal.save()
    _update_formal(target)
    return proposal


@transaction.atomic
def split_merge(proposal: MergeProposal, user) -> MergeProposal:
    """Undo a confirmed merge: everything that moved goes back to the source person."""
    if proposal.status != MergeProposal.Status.CONFIRMED:
        raise ValueError("only a confirmed merge can be split")
    moved = proposal.moved or {}
    source = Person.objects.get(pk=moved.get("source", proposal.source_id))
    target = Person.objects.get(pk=moved.get("target", proposal.target_id))
    EmailAddress.objects.filter(pk__in=moved.get("addresses", [])).update(person=source)
    Channel.objects.filter(pk__in=moved.get("channels", [])).update(person=source)
    ChatMessage.objects.filter(pk__in=moved.get("chat_messages", [])).update(person=source)
    ChatImport.objects.filter(pk__in=moved.get("chat_imports", [])).update(person=source)
    target.company_id = moved.get("target_company", target.company_id)
    target.name = moved.get("target_name", target.name)
    target.title = moved.get("target_title", target.title)
    target.save()
    source.merged_into = None
    source.save(update_fields=["merged_into"])
    proposal.status = MergeProposal.Status.SPLIT
    proposal.decided_by = user if getattr(user, "is_authenticated", False) else None
    proposal.decided_at = datetime.now(UTC)
    proposal.save()
    _update_formal(source)
    _update_formal(target)
    return proposal


def reject_merge(proposal: MergeProposal, user) -> MergeProposal:
    if proposal.status != MergeProposal.Status.PROPOSED:
        raise ValueError("only a proposed merge can be rejected")
    proposal.status = MergeProposal.Status.REJECTED
    proposal.decided_by = user if getattr(user, "is_authenticated", False) else None
    proposal.decided_at = datetime.now(UTC)
    proposal.save()
    return proposal


def return_idle_to_pool(now: datetime | None = None, days: int | None = None) -> int:
    """Customers with no outbound contact for ``days`` go back to the public pool."""
    now = now or datetime.now(UTC)
    days = pool_return_days() if days is None else days
    cutoff = now - timedelta(days=days)
    idle = Company.objects.filter(owner__isnull=False).filter(
        Q(last_outbound_at__lt=cutoff)
        | Q(last_outbound_at__isnull=True, owner_since__lt=cutoff)
        | Q(last_outbound_at__isnull=True, owner_since__isnull=True)
    )
    # A salesperson who just took a customer gets the full period from that day.
    idle = idle.exclude(owner_since__gte=cutoff)
    return idle.update(owner=None, owner_since=None)


def assign(company: Company, user) -> Company:
    company.owner = user
    company.owner_since = datetime.now(UTC) if user is not None else None
    company.save(update_fields=["owner", "owner_since"])
    return company


def person_label(person: Person) -> str:
    return str(person)


def guess_name(text: str) -> str:
    name = parse_display_name(text)
    return str(name) if name else text.strip()
