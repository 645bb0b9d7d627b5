"""The buyer side of a deal's mail, without bulk senders and service providers.

Thin wrappers over :mod:`tradeinbox.core.deals.counterparts` for stored messages. The
verdicts are recomputed from the stored text when needed (cheap regular expressions), so
mail linked before these rules existed, or adopted with its thread, is judged alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tradeinbox.core.addresses import company_domain
from tradeinbox.core.deals.counterparts import (
    bulk_evidence,
    is_bulk,
    provider_evidence,
    provider_organisation,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.quotes import split_reply
from tradeinbox.store.models import Message


def _new_text(msg: Message) -> str:
    body = msg.body_text or ""
    new = split_reply(body).new_text if body else ""
    return new if new.strip() else body


def provider_of(msg: Message) -> list[Evidence]:
    """Why a stored inbound message is a service provider's (empty: it is not)."""
    return provider_evidence(
        msg.from_email or "", msg.from_name or "", msg.subject or "", _new_text(msg)
    )


def not_buyer_evidence(msg: Message, parsed: ParsedMessage | None) -> list[Evidence]:
    """Why an inbound message is not a buyer's: bulk mail (read from the parsed message,
    which has the headers) or a service provider. Empty for a buyer's mail."""
    evidence: list[Evidence] = []
    if parsed is not None:
        bulk = bulk_evidence(parsed)
        if is_bulk(bulk):
            evidence.extend(bulk)
    evidence.extend(provider_of(msg))
    return evidence


@dataclass(slots=True)
class Parties:
    """``buyers``: addresses that wrote buyer mail; ``providers``: addresses that wrote
    service-provider mail and no buyer mail; ``buyer_domains``: the buyers' company domains."""

    buyers: set[str]
    providers: set[str]
    buyer_domains: set[str]

    def is_provider(self, address: str, name: str = "") -> bool:
        """A provider's address: it wrote provider mail, or it only received our mail and
        belongs to a logistics company that is not the buyer's own (the forwarder we asked
        for a booking)."""
        address = (address or "").lower()
        if address in self.buyers:
            return False
        if (company_domain(address) or "") in self.buyer_domains:
            return False  # the buyer's own shipping department
        if address in self.providers:
            return True
        return provider_organisation(address, name) is not None


def parties(inbound: Iterable[Message]) -> Parties:
    """Sort the senders of a deal's inbound messages into buyers and providers."""
    buyers: set[str] = set()
    providers: set[str] = set()
    for msg in inbound:
        sender = (msg.from_email or "").lower()
        if not sender:
            continue
        (providers if provider_of(msg) else buyers).add(sender)
    domains = {d for d in (company_domain(a) for a in buyers) if d}
    return Parties(buyers, providers - buyers, domains)
