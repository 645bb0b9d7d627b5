"""Which deal a message belongs to: its thread first, then the document numbers it shares.

A buyer asks from a Gmail address, negotiates from the company mailbox and chases delivery
from a colleague's; the thread headers break at every change of address or mail client.
What holds the deal together is its document numbers: the RFQ, our quotation, the PO, the
proforma, the B/L. :func:`link_message` decides, for one message, whether it

* **joins** a deal: its thread already belongs to one (``deal.link.thread``), or it carries a
  reference a deal already has (``deal.link.reference``);
* **creates** one: an inbound inquiry (graded B/C/D) or an inbound document number nobody
  has seen yet (``deal.create.*``), from a buyer: bulk mail and service providers'
  mail (:mod:`tradeinbox.core.deals.counterparts`) join deals but never open one;
* or is **skipped** (our own mail outside any deal, small talk, newsletters ...).

References are compared by a *link key*: the kind group and the value without separators
or case, and for a PO without the "PO" label glued to it (``"P/O No. 4500-012345"``,
``"PO#4500012345"`` and ``"PO_4500012345.pdf"`` are one key, see
:func:`tradeinbox.core.references.canonical_value`; a PO and an "order" number are one
group, because buyers call their PO both). A short number such as
"PO 1234" is common to many buyers, so it only links messages of the same person, company
or company domain; a distinctive one ("RFQ-2026-001", "4500012345", "ABC123") links across
addresses, which is the point: the deal gathers every address the buyer used.

**One number under two kinds.** A commercial invoice is often numbered like the PO it bills
("Invoice_4500012345.pdf" for PO 4500012345), a contract like its proforma. The two stay
two references, each with its kind (they are two documents, and which document a mail
carries matters), but they are *linked as one*: a distinctive number under one of the
order-document kinds (:data:`SAME_NUMBER_GROUPS`: PO, PI, invoice, contract) joins the deal
that has the same number under another of them (``deal.link.same_number``), and the deal
page shows the number once with both kinds (:func:`reference_rows`). Short numbers and the
other kinds (RFQ, B/L, container ...) never cross kinds: "INV 1234" and "PO 1234" are
unrelated more often than not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.references import Reference, canonical_value, display_value, normalise_value

__all__ = [
    "LinkKey",
    "KnownDeal",
    "LinkMessage",
    "LinkDecision",
    "link_key",
    "link_keys",
    "is_distinctive",
    "link_message",
    "SAME_NUMBER_GROUPS",
    "same_number",
    "same_number_values",
    "ReferenceRow",
    "reference_rows",
]

#: Kinds that name the same document from the two sides (the buyer's PO is "our order").
_GROUPS = {"order": "po"}
#: Documents a buyer sends when business starts. Invoices, B/Ls and containers arriving
#: without a known deal are mostly suppliers, forwarders or invoice fraud: not a new deal.
_OPENING = frozenset({"po", "rfq", "rfp", "pi", "contract", "lc", "sample", "quotation"})
#: Documents of one order that are often numbered alike (see the module doc).
SAME_NUMBER_GROUPS = frozenset({"po", "pi", "invoice", "contract"})
_NUMBER_LABEL = re.compile(r"^(?:PO|PI|INV|SC)(?=\d)")


@dataclass(frozen=True, slots=True, order=True)
class LinkKey:
    """``group``: the reference kind (``po`` also for ``order``); ``value``: normalised."""

    group: str
    value: str

    @property
    def distinctive(self) -> bool:
        return is_distinctive(self.value)

    def label(self) -> str:
        return f"{self.group.upper()} {self.value}"


def is_distinctive(value: str) -> bool:
    """True for numbers unlikely to be shared by two buyers: six characters or more, or
    four and more mixing letters and digits ("AB12"). "1234" or "PO 77" are not."""
    v = normalise_value(value)
    if len(v) >= 6:
        return True
    return len(v) >= 4 and any(c.isalpha() for c in v) and any(c.isdigit() for c in v)


def link_key(ref: Reference) -> LinkKey:
    return LinkKey(_GROUPS.get(ref.kind, ref.kind), canonical_value(ref.kind, ref.value))


def _number(key: LinkKey) -> str:
    # "INV4500012345" and PO "4500012345": the digits without an order-document label.
    return _NUMBER_LABEL.sub("", key.value)


def same_number_values(key: LinkKey) -> list[str]:
    """Stored key values that may hold ``key``'s number under another order-document kind
    (for a database lookup; :func:`same_number` decides). Empty when ``key`` never crosses
    kinds (another kind, or a short number)."""
    number = _number(key)
    if key.group not in SAME_NUMBER_GROUPS or not is_distinctive(number):
        return []
    return [number, *(label + number for label in ("PO", "PI", "INV", "SC"))]


def same_number(a: LinkKey, b: LinkKey) -> bool:
    """True when ``a`` and ``b`` are two kinds of order document with one distinctive
    number (an invoice numbered like its PO); False for the same key or other kinds."""
    return (
        a.group != b.group
        and a.group in SAME_NUMBER_GROUPS
        and b.group in SAME_NUMBER_GROUPS
        and _number(a) == _number(b)
        and is_distinctive(_number(a))
    )


def link_keys(refs: Iterable[Reference]) -> list[LinkKey]:
    """Distinct link keys of ``refs``, in order."""
    out: list[LinkKey] = []
    for ref in refs:
        key = link_key(ref)
        if key.value and key not in out:
            out.append(key)
    return out


@dataclass(frozen=True, slots=True)
class KnownDeal:
    """What linking needs to know about an existing deal: its buyer side (people,
    companies, company domains) and whether it is closed."""

    id: str
    people: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    closed: bool = False


@dataclass(frozen=True, slots=True)
class LinkMessage:
    """One message (or chat line) to place. ``direction``: ``"in"`` (buyer) / ``"out"``
    (us). ``people`` / ``companies`` / ``domains``: the buyer side of the message (the
    sender of an inbound one, the customer recipients of an outbound one). ``grade``: the
    inquiry grade, if it is a graded inquiry. ``from_customer``: False for our own mail,
    threats, auto-replies and list mail, which never open a deal."""

    id: str
    direction: str
    thread: str | None = None
    references: tuple[Reference, ...] = ()
    people: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    grade: str | None = None
    is_inquiry: bool = False
    from_customer: bool = True
    known_contact: bool = False  # we have written to this sender before
    #: Why an inbound mail is not a buyer's although it may look like business: bulk mail
    #: or a service provider (:mod:`tradeinbox.core.deals.counterparts`). It joins a deal
    #: by thread or reference and never opens one.
    not_buyer: tuple[Evidence, ...] = ()


@dataclass(slots=True)
class LinkDecision:
    """``action``: ``"join"``, ``"create"`` or ``"skip"``; ``deal``: the deal joined.
    ``keys``: the message's link keys (to record on the deal it ends in). ``conflicts``:
    other deals that share one of its references (shown to the user as "same PO as ...")."""

    action: str
    deal: str | None
    keys: list[LinkKey]
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _same_buyer(msg: LinkMessage, deal: KnownDeal) -> str | None:
    """Why ``msg`` and ``deal`` are the same buyer, or None."""
    if msg.people & deal.people:
        return "same person"
    if msg.companies & deal.companies:
        return "same company"
    if msg.domains & deal.domains:
        return "same company domain"
    return None


def link_message(
    msg: LinkMessage,
    *,
    thread_deal: str | None,
    deals_by_key: Mapping[LinkKey, Sequence[KnownDeal]],
    deals_by_number: Mapping[LinkKey, Sequence[tuple[LinkKey, KnownDeal]]] | None = None,
) -> LinkDecision:
    """Place ``msg`` (see the module doc). ``thread_deal``: the deal its thread belongs to;
    ``deals_by_key``: for each of its link keys, the deals that already carry it (newest
    first: on a tie the newest deal wins); ``deals_by_number``: for each of its keys, the
    deals that carry the same number under another kind, with that key (only pairs for
    which :func:`same_number` holds are used)."""
    keys = link_keys(msg.references)
    if msg.direction not in ("in", "out"):
        raise ValueError("direction is 'in' or 'out'")
    decision = _place(msg, keys, thread_deal, deals_by_key, deals_by_number or {})
    if msg.direction == "in" and msg.not_buyer:
        decision.evidence.extend(msg.not_buyer)
    return decision


def _place(
    msg: LinkMessage,
    keys: list[LinkKey],
    thread_deal: str | None,
    deals_by_key: Mapping[LinkKey, Sequence[KnownDeal]],
    deals_by_number: Mapping[LinkKey, Sequence[tuple[LinkKey, KnownDeal]]],
) -> LinkDecision:

    # Every deal a reference of this message could point at, with the keys that do.
    matched: dict[str, list[tuple[LinkKey, str]]] = {}
    order: dict[str, int] = {}
    weak_elsewhere: list[tuple[LinkKey, str]] = []
    for key in keys:
        for i, deal in enumerate(deals_by_key.get(key, ())):
            why = "distinctive number" if key.distinctive else _same_buyer(msg, deal)
            if why is None:
                weak_elsewhere.append((key, deal.id))
                continue
            matched.setdefault(deal.id, []).append((key, why))
            order.setdefault(deal.id, i)
        for i, (theirs, deal) in enumerate(deals_by_number.get(key, ())):
            if same_number(key, theirs):
                matched.setdefault(deal.id, []).append(
                    (key, f"same number as its {theirs.label()}")
                )
                order.setdefault(deal.id, i)

    if thread_deal is not None:
        ev = [Evidence("deal.link.thread", 1.0, "same conversation (thread) as the deal")]
        conflicts = [d for d in matched if d != thread_deal]
        for d in conflicts:
            shared = ", ".join(k.label() for k, _ in matched[d])
            ev.append(Evidence("deal.link.conflict", 0.0, f"{shared} also belongs to deal {d}"))
        return LinkDecision("join", thread_deal, keys, ev, conflicts)

    if matched:
        # Most shared keys, then distinctive ones, then the newest deal.
        def score(deal_id: str) -> tuple[int, int, int]:
            hits = matched[deal_id]
            return (len(hits), sum(k.distinctive for k, _ in hits), -order[deal_id])

        best = max(matched, key=score)
        ev = [
            Evidence(
                "deal.link.same_number" if why.startswith("same number") else "deal.link.reference",
                1.0,
                f"{k.label()} ({why})",
            )
            for k, why in matched[best]
        ]
        conflicts = [d for d in matched if d != best]
        for d in conflicts:
            shared = ", ".join(k.label() for k, _ in matched[d])
            ev.append(Evidence("deal.link.conflict", 0.0, f"{shared} also belongs to deal {d}"))
        return LinkDecision("join", best, keys, ev, conflicts)

    ev: list[Evidence] = []
    for key, deal_id in weak_elsewhere:
        ev.append(
            Evidence(
                "deal.link.weak_reference",
                0.0,
                f"{key.label()} is short and deal {deal_id} is another buyer's: not linked",
            )
        )
    if msg.direction == "in" and msg.from_customer and msg.not_buyer:
        ev.append(
            Evidence(
                "deal.skip.not_buyer",
                0.0,
                "bulk mail or a service provider: it joins a deal by thread or reference, "
                "never opens one",
            )
        )
        return LinkDecision("skip", None, keys, ev)
    if msg.direction == "in" and msg.from_customer:
        grade = (msg.grade or "").upper()
        if msg.is_inquiry and grade in ("B", "C", "D"):
            ev.append(Evidence("deal.create.inquiry", 1.0, f"new inquiry, grade {grade}"))
            return LinkDecision("create", None, keys, ev)
        opening = [k for k in keys if k.group in _OPENING]
        if opening and not msg.known_contact and not any(k.distinctive for k in opening):
            # "ORDER 002-01" from a stranger is more often a voyage order, a ticket or a
            # newsletter than a purchase order; a contact's short PO still opens a deal.
            ev.append(
                Evidence(
                    "deal.skip.short_number",
                    0.0,
                    ", ".join(k.label() for k in opening) + ": short number from an unknown sender",
                )
            )
            opening = []
        if opening and grade != "A":
            ev.append(
                Evidence(
                    "deal.create.reference",
                    1.0,
                    "new document number from a customer: " + ", ".join(k.label() for k in opening),
                )
            )
            return LinkDecision("create", None, keys, ev)
    ev.append(Evidence("deal.skip", 0.0, "no thread, reference or inquiry ties it to a deal"))
    return LinkDecision("skip", None, keys, ev)


@dataclass(frozen=True, slots=True)
class ReferenceRow:
    """One number as the deal page shows it: ``kinds`` it was seen under (an invoice
    numbered like the PO shows once, as PO and invoice), ``shown`` as first written."""

    kinds: tuple[str, ...]
    shown: str
    keys: tuple[LinkKey, ...]


def reference_rows(refs: Iterable[tuple[str, str, str, str]]) -> list[ReferenceRow]:
    """Rows for a deal's references, given as ``(group, value, kind, shown)`` in the order
    they were found: one row per number, kinds sharing a number (:func:`same_number`)
    merged, the label a kind repeats dropped from the value ("PO PO_4500012345" reads
    "PO 4500012345")."""
    rows: list[tuple[list[str], str, list[LinkKey]]] = []
    for group, value, kind, shown in refs:
        key = LinkKey(group, value)
        for kinds, _shown, keys in rows:
            if key in keys or any(same_number(key, k) for k in keys):
                if kind not in kinds:
                    kinds.append(kind)
                if key not in keys:
                    keys.append(key)
                break
        else:
            rows.append(([kind], display_value(kind, shown), [key]))
    return [ReferenceRow(tuple(k), s, tuple(keys)) for k, s, keys in rows]
