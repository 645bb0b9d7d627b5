"""Triage of stored mail: the entry points the worker, the CLI and the views call.

:func:`analyse_messages` runs :func:`tradeinbox.core.triage.triage_message` on stored
messages and keeps one :class:`~.models.TriageResult` per message, with the reply
deadline of :func:`tradeinbox.core.deals.deadlines.reply_deadline`. It is idempotent:
messages that already have a result are skipped (``force`` re-analyses them and keeps
the users' corrections). :func:`backfill` grades mail stored before this app existed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tradeinbox.core.addresses import company_domain
from tradeinbox.core.deals.deadlines import DeadlineSettings, facts_from_parsed, reply_deadline
from tradeinbox.core.i18n import english
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.parse import parse_message
from tradeinbox.core.triage import TriageOptions, triage_message
from tradeinbox.store.models import Message, MessageRaw
from tradeinbox.store.rawstore import blob_store, unpack
from tradeinbox.triage.models import TriageResult

log = logging.getLogger(__name__)

BATCH = 200  # messages per transaction: short transactions on big imports
LOCAL_MODEL_FILE = "triage_local_model.bin"


def _config() -> dict:
    return getattr(settings, "TRADEINBOX", {}) or {}


def local_model_path() -> Path:
    """This installation's own copy of the threat model, trained by "mark wrong" clicks."""
    return Path(_config().get("DATA_DIR", settings.DATA_DIR)) / LOCAL_MODEL_FILE


def model_status() -> dict:
    """Which threat model scores this installation's mail, and what it was taught."""
    from tradeinbox.core.classifier import read_model_meta

    meta = read_model_meta(local_model_path())
    if meta is None:
        return {"own": False}
    taught = meta.get("taught") or {}
    return {
        "own": True,
        "phish": int(taught.get("phish", 0)),
        "spam": int(taught.get("spam", 0)),
        "ham": int(taught.get("ham", 0)),
        "corrections": int(meta.get("local_updates", 0)),
    }


def deadline_settings() -> DeadlineSettings:
    """The seller's reply policy, the one the Deals settings page edits (business hours,
    workdays, holidays, hours per grade): the inbox badge and the Due list must agree."""
    from tradeinbox.deals.models import DealSettings

    return DealSettings.load().deadline_settings()


# -- what the guard knows about us -------------------------------------------------------


def _known_customers() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Domains of companies we have written to, and display names of people we wrote to
    with the addresses they really use (lookalike and impersonation protection)."""
    from tradeinbox.customers.models import CompanyDomain, EmailAddress

    domains = frozenset(
        CompanyDomain.objects.filter(company__last_outbound_at__isnull=False).values_list(
            "domain", flat=True
        )
    )
    people = set(
        EmailAddress.objects.filter(messages_to__gt=0, is_own=False, person__isnull=False)
        .values_list("person_id", flat=True)
        .distinct()[:20000]
    )
    contacts: dict[str, set[str]] = {}
    rows = EmailAddress.objects.filter(person_id__in=people).exclude(person__name="")
    for name, address in rows.values_list("person__name", "address"):
        contacts.setdefault(name.strip().lower(), set()).add(address.lower())
    return domains, {name: frozenset(emails) for name, emails in contacts.items() if name}


def own_mail() -> tuple[set[str], set[str]]:
    """Our own addresses and company domains (the customers app decides what is ours)."""
    from tradeinbox.customers.services import own_addresses, own_domains

    own = own_addresses()
    return own, own_domains(own)


def triage_options(own_domains: Iterable[str] = ()) -> TriageOptions:
    """Options for this installation: our domains, known customers, trusted MTAs and the
    local model when the core accepts one."""
    known_domains, contacts = _known_customers()
    ids = list(_config().get("AUTHSERV_IDS") or [])
    options = TriageOptions(
        own_domains=frozenset(own_domains),
        known_domains=known_domains,
        known_contacts=contacts,
        trusted_authserv_ids=ids or None,  # none configured: trust by position
    )
    if "model" in getattr(TriageOptions, "__dataclass_fields__", {}):
        # The user-trained copy, once a "mark wrong" click created it.
        from tradeinbox.core.classifier import load_model

        path = local_model_path()
        if path.exists():
            options.model = load_model(path)
    return options


# -- reading messages ------------------------------------------------------------------


def raw_messages(messages: list[Message]) -> dict[int, bytes]:
    """Raw bytes of many messages with one query (large ones from the blob store)."""
    out: dict[int, bytes] = {}
    rows = MessageRaw.objects.filter(message_id__in=[m.pk for m in messages])
    for pk, data in rows.values_list("message_id", "data"):
        out[pk] = unpack(data)
    store = None
    for msg in messages:
        if msg.pk in out:
            continue
        store = store or blob_store()
        try:
            out[msg.pk] = store.get(msg.raw_sha256)
        except (OSError, ValueError):
            log.warning("triage: raw message %s is missing from the blob store", msg.pk)
    return out


def direction_of(message: Message, own: set[str], own_doms: set[str]) -> str:
    sender = (message.from_email or "").lower()
    if sender and (sender in own or (company_domain(sender) or "") in own_doms):
        return TriageResult.Direction.OUT
    return TriageResult.Direction.IN


def compute_deadline(
    row: TriageResult, message: Message, parsed: ParsedMessage, policy: DeadlineSettings
) -> list[dict]:
    """Set ``row.due_at`` from the grade the user sees; returns the deadline evidence."""
    row.due_at = row.deadline_hours = None
    if row.direction != TriageResult.Direction.IN or row.is_threat or row.error:
        return []
    facts = facts_from_parsed(
        parsed,
        message_id=str(message.pk),
        direction="in",
        from_customer=True,
        received_at=message.date,
        answered_at=row.answered_at,
    )
    grade = row.shown_grade if row.shown_inquiry else None
    deadline = reply_deadline(facts, grade, policy)
    if deadline is None:
        return []
    row.due_at, row.deadline_hours = deadline.due_at, deadline.hours
    return [e.as_dict() for e in deadline.evidence]


def _fill(row: TriageResult, parsed: ParsedMessage, raw: bytes, options: TriageOptions) -> None:
    with english():  # stored in English; the page shows it in the reader's language
        result = triage_message(parsed, raw, options)
    row.label = result.threat.label
    row.threat = round(float(result.threat.score), 4)
    row.inquiry = bool(result.inquiry)
    row.grade = result.grade or ""
    row.authenticity = round(min(1.0, max(0.0, float(result.authenticity))), 4)
    row.origin_ip = (result.origin.ip or "")[:45]
    row.origin_country = (result.origin.country or "")[:2]
    row.origin_local_hour = result.origin.local_hour
    row.evidence = [e.as_dict() for e in result.evidence]
    row.references = list(result.references)
    row.error = ""


def analyse_messages(message_ids: Iterable[int], *, force: bool = False) -> dict:
    """Triage stored messages (see module doc). Safe to run twice and concurrently."""
    ids = sorted({int(i) for i in message_ids})
    stats = {"messages": 0, "analysed": 0, "skipped": 0, "errors": 0, "threats": 0}
    if not ids:
        return stats
    own, own_doms = own_mail()
    options = triage_options(own_doms)
    policy = deadline_settings()
    for start in range(0, len(ids), BATCH):
        part = _analyse_batch(ids[start : start + BATCH], force, own, own_doms, options, policy)
        for key, value in part.items():
            stats[key] += value
    return stats


def _analyse_batch(
    ids: list[int],
    force: bool,
    own: set[str],
    own_doms: set[str],
    options: TriageOptions,
    policy: DeadlineSettings,
) -> dict:
    stats = {"messages": len(ids), "analysed": 0, "skipped": 0, "errors": 0, "threats": 0}
    existing = {r.pk: r for r in TriageResult.objects.filter(message_id__in=ids)}
    todo = [i for i in ids if force or i not in existing]
    stats["skipped"] = len(ids) - len(todo)
    messages = list(Message.objects.filter(pk__in=todo).order_by("date", "id"))
    raws = raw_messages(messages)
    now = datetime.now(UTC)
    rows: list[TriageResult] = []
    for message in messages:
        row = existing.get(message.pk) or TriageResult(message=message)
        row.analysed_at = now
        row.direction = direction_of(message, own, own_doms)
        raw = raws.get(message.pk)
        try:
            if raw is None:
                raise FileNotFoundError("raw message missing from the store")
            parsed = parse_message(raw)
            _fill(row, parsed, raw, options)
            row.evidence += compute_deadline(row, message, parsed, policy)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the batch
            log.warning("triage of message %s failed: %s", message.pk, exc)
            row.error = f"{type(exc).__name__}: {exc}"[:500]
            row.due_at = row.deadline_hours = None
            stats["errors"] += 1
        else:
            stats["analysed"] += 1
            stats["threats"] += row.is_threat
        rows.append(row)
    fields = [f.name for f in TriageResult._meta.concrete_fields if not f.primary_key]
    fields = [f for f in fields if not f.startswith("corrected_")]  # a user's word stays
    with transaction.atomic():
        new = [r for r in rows if r.pk not in existing]
        # Another worker may have stored some of them meanwhile: theirs stays.
        TriageResult.objects.bulk_create(new, ignore_conflicts=True)
        # One UPDATE per re-analysed row: Django's bulk_update builds a CASE per field and
        # row, which costs more than the analysis itself.
        for row in rows:
            if row.pk in existing:
                values = {name: getattr(row, name) for name in fields}
                TriageResult.objects.filter(pk=row.pk).update(**values)
        refresh_answers({m.thread_id for m in messages if m.thread_id})
    return stats


def refresh_answers(thread_ids: Iterable[int]) -> int:
    """Mark inbound messages answered by the first later message of ours in their thread."""
    thread_ids = [t for t in thread_ids if t]
    if not thread_ids:
        return 0
    rows = list(
        TriageResult.objects.filter(message__thread_id__in=thread_ids)
        .select_related("message")
        .only("message__thread_id", "message__date", "direction", "answered_at")
        .order_by("message__date", "message_id")
    )
    replies: dict[int, list[datetime]] = {}
    for row in rows:
        if row.direction == TriageResult.Direction.OUT:
            replies.setdefault(row.message.thread_id, []).append(row.message.date)
    changed = []
    for row in rows:
        if row.direction != TriageResult.Direction.IN or row.answered_at is not None:
            continue
        later = [d for d in replies.get(row.message.thread_id, []) if d > row.message.date]
        if later:
            row.answered_at = min(later)
            changed.append(row)
    TriageResult.objects.bulk_update(changed, ["answered_at"], batch_size=200)
    return len(changed)


def backfill(*, batch: int = 1000, force: bool = False, limit: int | None = None) -> dict:
    """Triage every stored message without a result (``force``: every message)."""
    query = Message.objects.order_by("id")
    if not force:
        query = query.filter(triage__isnull=True)
    totals = {"messages": 0, "analysed": 0, "skipped": 0, "errors": 0, "threats": 0}
    last = 0
    while limit is None or totals["messages"] < limit:
        size = batch if limit is None else min(batch, limit - totals["messages"])
        ids = list(query.filter(id__gt=last).values_list("id", flat=True)[:size])
        if not ids:
            break
        last = ids[-1]
        for key, value in analyse_messages(ids, force=force).items():
            totals[key] += value
    return totals


def regrade_deadline(row: TriageResult) -> None:
    """Recompute the deadline after a correction changed the grade or the verdict."""
    message = row.message
    raws = raw_messages([message])
    if message.pk not in raws:
        row.due_at = row.deadline_hours = None
        return
    parsed = parse_message(raws[message.pk])
    row.evidence = [e for e in row.evidence if not str(e.get("rule", "")).startswith("deadline.")]
    row.evidence += compute_deadline(row, message, parsed, deadline_settings())
