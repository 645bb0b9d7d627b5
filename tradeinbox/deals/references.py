"""A deal's document numbers: the same number under two kinds, and how the page lists them.

See :mod:`tradeinbox.core.deals.linking` ("One number under two kinds"): an invoice numbered
like the PO it bills stays an invoice and a PO, linked as one number.
"""

from __future__ import annotations

from collections.abc import Callable

from tradeinbox.core.deals.linking import (
    SAME_NUMBER_GROUPS,
    KnownDeal,
    LinkKey,
    ReferenceRow,
    reference_rows,
    same_number_values,
)
from tradeinbox.deals.models import Deal, DealReference


def deals_by_number(
    keys: list[LinkKey], known: Callable[[Deal], KnownDeal]
) -> dict[LinkKey, list[tuple[LinkKey, KnownDeal]]]:
    """For each order-document key with a distinctive number, the deals (newest first)
    that carry that number under another order-document kind, with their key."""
    out: dict[LinkKey, list[tuple[LinkKey, KnownDeal]]] = {}
    cache: dict[int, KnownDeal] = {}
    for key in keys:
        values = same_number_values(key)
        if not values:
            continue
        rows = (
            DealReference.objects.filter(group__in=SAME_NUMBER_GROUPS, value__in=values)
            .exclude(group=key.group)
            .select_related("deal")
            .order_by("-deal_id")
        )
        for row in rows:
            if row.deal_id not in cache:
                cache[row.deal_id] = known(row.deal)
            out.setdefault(key, []).append((LinkKey(row.group, row.value), cache[row.deal_id]))
    return out


def rows_for(deal: Deal) -> list[ReferenceRow]:
    """The deal's references as the page lists them: one row per number."""
    return reference_rows(deal.references.values_list("group", "value", "kind", "shown"))
