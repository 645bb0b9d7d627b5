"""Deal linking (pure core): thread first, then shared document numbers, across addresses."""

from __future__ import annotations

import pytest

from tradeinbox.core.deals.linking import (
    KnownDeal,
    LinkKey,
    LinkMessage,
    is_distinctive,
    link_key,
    link_keys,
    link_message,
)
from tradeinbox.core.references import Reference, extract_references


def refs(text: str) -> tuple[Reference, ...]:
    return tuple(extract_references(text))


def msg(text: str = "", direction: str = "in", **kw) -> LinkMessage:
    return LinkMessage(id="m", direction=direction, references=refs(text), **kw)


def test_spellings_of_one_number_are_one_key_and_po_equals_order():
    a = link_keys(refs("Our P/O No. 4500012345 is attached"))
    b = link_keys(refs("Order No.: 4500012345"))
    assert a == [LinkKey("po", "4500012345")]
    assert a == b


@pytest.mark.parametrize(
    ("value", "expected"),
    [("4500012345", True), ("RFQ-2026-001", True), ("ABC123", True), ("AB12", True),
     ("1234", False), ("77", False), ("12345", False)],
)  # fmt: skip
def test_distinctive_numbers(value, expected):
    assert is_distinctive(value) is expected


def test_thread_wins_and_a_foreign_reference_is_only_reported():
    other = KnownDeal("7", frozenset({"p9"}))
    decision = link_message(
        msg("PI NO.: ABC123", thread="t1"),
        thread_deal="3",
        deals_by_key={LinkKey("pi", "ABC123"): [other]},
    )
    assert (decision.action, decision.deal) == ("join", "3")
    assert decision.conflicts == ["7"]
    assert [e.rule for e in decision.evidence] == ["deal.link.thread", "deal.link.conflict"]


def test_distinctive_reference_links_another_address_of_the_buyer():
    deal = KnownDeal("5", people=frozenset({"gmail-person"}))
    decision = link_message(
        msg("About your quotation QT-2026-031: price too high", people=frozenset({"office"})),
        thread_deal=None,
        deals_by_key={LinkKey("quotation", "QT2026031"): [deal]},
    )
    assert (decision.action, decision.deal) == ("join", "5")
    assert "distinctive number" in decision.evidence[0].detail


def test_short_number_links_only_the_same_buyer():
    key = LinkKey("po", "1234")
    theirs = KnownDeal("1", people=frozenset({"p1"}), domains=frozenset({"andina.example"}))
    text = "PO No. 1234 attached, please confirm"
    stranger = link_message(
        msg(text, people=frozenset({"p2"}), domains=frozenset({"other.example"})),
        thread_deal=None,
        deals_by_key={key: [theirs]},
    )
    # Not linked to another buyer's deal, and a short number from a stranger opens nothing.
    assert stranger.action == "skip"
    rules = [e.rule for e in stranger.evidence]
    assert "deal.link.weak_reference" in rules and "deal.skip.short_number" in rules
    contact = link_message(
        msg(text, people=frozenset({"p2"}), known_contact=True),
        thread_deal=None,
        deals_by_key={key: [theirs]},
    )
    assert contact.action == "create"  # a customer we write to: their own new deal
    colleague = link_message(
        msg(text, people=frozenset({"p3"}), domains=frozenset({"andina.example"})),
        thread_deal=None,
        deals_by_key={key: [theirs]},
    )
    assert (colleague.action, colleague.deal) == ("join", "1")
    assert "same company domain" in colleague.evidence[0].detail


def test_more_shared_numbers_win_then_the_newest_deal():
    po, pi = LinkKey("po", "4500012345"), LinkKey("pi", "PI2026088")
    old, new = KnownDeal("1"), KnownDeal("2")
    both = link_message(
        msg("PO 4500012345 and PI No. PI-2026-088"),
        thread_deal=None,
        deals_by_key={po: [new, old], pi: [old]},
    )
    assert both.deal == "1" and both.conflicts == ["2"]
    tie = link_message(msg("PO 4500012345"), thread_deal=None, deals_by_key={po: [new, old]})
    assert tie.deal == "2"


def test_what_opens_a_deal():
    inquiry = link_message(
        msg("We need 500 pcs", grade="C", is_inquiry=True), thread_deal=None, deals_by_key={}
    )
    assert inquiry.action == "create" and inquiry.evidence[-1].rule == "deal.create.inquiry"
    po = link_message(msg("Please find our PO No. 4500012345"), thread_deal=None, deals_by_key={})
    assert po.action == "create" and po.evidence[-1].rule == "deal.create.reference"
    voyage = link_message(msg("VOY. ORDER 002-01"), thread_deal=None, deals_by_key={})
    assert voyage.action == "skip"
    # Junk (grade A), our own mail, threats and invoices from nowhere open nothing.
    assert (
        link_message(
            msg("RFQ-2026-001", grade="A", is_inquiry=True), thread_deal=None, deals_by_key={}
        ).action
        == "skip"
    )
    assert (
        link_message(
            msg("PO 4500012345", direction="out"), thread_deal=None, deals_by_key={}
        ).action
        == "skip"
    )
    assert (
        link_message(
            msg("PO 4500012345", from_customer=False), thread_deal=None, deals_by_key={}
        ).action
        == "skip"
    )
    invoice = link_message(
        msg("Invoice No. INV-88231 overdue, pay now"), thread_deal=None, deals_by_key={}
    )
    assert invoice.action == "skip"
    assert link_message(msg("Thanks, noted."), thread_deal=None, deals_by_key={}).action == "skip"


def test_outbound_mail_joins_by_reference_but_never_opens():
    deal = KnownDeal("4")
    decision = link_message(
        msg("Shipping notice for PO 4500012345", direction="out"),
        thread_deal=None,
        deals_by_key={LinkKey("po", "4500012345"): [deal]},
    )
    assert (decision.action, decision.deal) == ("join", "4")


def test_link_key_of_a_reference_and_bad_direction():
    ref = refs("RFQ-2026-001")[0]
    assert link_key(ref) == LinkKey("rfq", "RFQ2026001")
    assert LinkKey("rfq", "RFQ2026001").label() == "RFQ RFQ2026001"
    with pytest.raises(ValueError):
        link_message(msg("x", direction="sideways"), thread_deal=None, deals_by_key={})
