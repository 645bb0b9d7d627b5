"""Mail that is not a buyer's: service providers and bulk mail (core/deals/counterparts).

A forwarder's rate sheet opened a deal in the demo, and newsletters without List headers
(Enron's "OnePass Specials") could too. They may join a deal by thread or reference; they
never open one.
"""

from __future__ import annotations

from email.message import EmailMessage

from tests.conftest import corpus
from tradeinbox.core.deals.counterparts import (
    bulk_evidence,
    is_bulk,
    provider_evidence,
    provider_organisation,
)
from tradeinbox.core.deals.linking import KnownDeal, LinkKey, LinkMessage, link_message
from tradeinbox.core.parse import parse_message
from tradeinbox.core.references import extract_references

RATE_SHEET = """Lily 你好，

附件是我司 10 月下半月宁波出运的海运费报价单，请查收。
宁波 - 萨凡纳（美东）：2,650 / 3,300 (20GP / 40HQ)
美线请提前 10 天订舱，近期舱位紧张。

张伟
宁波远航国际物流有限公司 销售经理
"""
BOOKING_EN = """Dear Lily,

Booking confirmed for 2x40HQ Ningbo - Savannah, vessel MSC ANNA 046E.
SO number NGB26110457, cut-off time Nov 13 17:00, VGM by Nov 12.

Best regards,
Peter Wong
Oceanlink Freight Forwarding Co., Ltd.
"""


def test_forwarder_mail_is_a_providers():
    ev = provider_evidence("zhangwei@yh-logistics.example", "张伟", "海运费报价单", RATE_SHEET)
    rules = [e.rule for e in ev]
    assert rules[0] == "deal.provider.domain" and "deal.provider.rates" in rules
    # The same mail from a free-mail address: the signature names a logistics company.
    ev = provider_evidence("zhangwei88@163.com", "张伟", "", RATE_SHEET)
    assert ev and ev[0].rule == "deal.provider.signature"
    ev = provider_evidence("peter@oceanlink-global.example", "Peter Wong", "Booking", BOOKING_EN)
    assert {"deal.provider.booking", "deal.provider.cut_off"} <= {e.rule for e in ev}
    assert provider_organisation("noreply@maersk.com") is not None  # a carrier


def test_logistics_words_alone_do_not_make_a_provider():
    # A logistics company buying lamps for its warehouse is a buyer.
    inquiry = "Please quote 300 pcs LED high bay 150W for our new warehouse, delivery by March."
    assert provider_evidence("buyer@andes-logistics.example", "Ana Ruiz", "RFQ", inquiry) == []
    # A buyer forwarding its forwarder's booking details is still the buyer.
    fwd = "Our forwarder confirmed the booking: booking confirmed, cut-off Nov 13, ETD Nov 15."
    assert provider_evidence("m.torres@sunrise-home.example", "Michael", "Booking", fwd) == []
    # The buyer's own shipping desk ("Logistics Dept") at the buyer's domain.
    assert provider_organisation("ship@sunrise-home.example", "Sunrise Logistics Dept") is None
    assert provider_organisation("li@gmail.com", "Li - Speedy Logistics") is not None


def _mail(body: str, subject: str = "Hello", headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "sender@example.com"
    msg["To"] = "lily@brightway-lighting.example"
    msg["Subject"] = subject
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return bytes(msg)


SPECIALS = """continental.com Specials for Paul
Depart Saturday and return Monday. Please call 1-800-642-1617 to purchase.
Price: $29 per ticket, 500 seats available. Please send your request today.

This e-mail was sent to: paul@enron.com
TO UNSUBSCRIBE: visit the continental.com Specials page.
"""


def test_bulk_mail_without_list_headers():
    ev = bulk_evidence(parse_message(_mail(SPECIALS, "OnePass Member Specials")))
    assert is_bulk(ev)
    assert {"deal.bulk.opt_out", "deal.bulk.subscription"} <= {e.rule for e in ev}
    listed = parse_message(_mail("Issue 41", headers={"List-Id": "<news.example.com>"}))
    assert is_bulk(bulk_evidence(listed))


def test_business_mail_is_not_bulk():
    inquiry = "We saw your panels in a trade newsletter. Please quote 500 pcs 600x600 40W."
    assert not is_bulk(bulk_evidence(parse_message(_mail(inquiry))))
    # "unsubscribed volumes" and an "opt-out clause" are business words.
    words = "Please sync the unsubscribed volumes; the contract has an opt-out clause."
    assert not is_bulk(bulk_evidence(parse_message(_mail(words))))
    # A buyer answering *our* newsletter: the footer is in the quoted part.
    reply = (
        "Please quote 2,000 pcs of the new downlight.\n\n"
        "On Mon, 5 Oct 2026 Lily Chen wrote:\n> Brightway news, issue 12\n"
        "> To unsubscribe click here. This e-mail was sent to buyer@example.com\n"
    )
    assert not is_bulk(bulk_evidence(parse_message(_mail(reply, "Re: Brightway news"))))


def test_enron_onepass_specials_are_bulk():
    root = corpus("enron_maildir_sample")
    raw = (root / "ybarbo-p" / "inbox" / "638").read_bytes()
    assert is_bulk(bulk_evidence(parse_message(raw)))


def _link(text: str, not_buyer: bool, **kw) -> LinkMessage:
    refs = tuple(extract_references(text))
    gate = (
        tuple(provider_evidence("z@yh-logistics.example", "", "", RATE_SHEET)) if not_buyer else ()
    )
    return LinkMessage("m", "in", references=refs, not_buyer=gate, **kw)


def test_not_a_buyer_joins_but_never_opens():
    po = LinkKey("po", "4500012345")
    deal = KnownDeal("3")
    joined = link_message(
        _link("Booking for PO 4500012345", True), thread_deal=None, deals_by_key={po: [deal]}
    )
    assert (joined.action, joined.deal) == ("join", "3")
    assert "deal.provider.domain" in [e.rule for e in joined.evidence]
    opened = link_message(
        _link("Please quote, PO 4500012345", True, grade="C", is_inquiry=True),
        thread_deal=None,
        deals_by_key={},
    )
    assert opened.action == "skip"
    assert "deal.skip.not_buyer" in [e.rule for e in opened.evidence]
    # The same message from a buyer opens a deal.
    buyer = link_message(
        _link("Please quote, PO 4500012345", False, grade="C", is_inquiry=True),
        thread_deal=None,
        deals_by_key={},
    )
    assert buyer.action == "create"
