"""Deals from stored mail: one deal across three addresses, stages, reply clocks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from tests.deals_mail import (
    GMAIL,
    INQUIRY,
    OFFICE,
    SELLER,
    SELLER_FROM,
    START,
    deal_messages,
    mail,
    store,
    write,
)
from tradeinbox.core.deals.business_hours import deadline
from tradeinbox.deals import actions, upkeep
from tradeinbox.deals.ingest import process_messages
from tradeinbox.deals.models import Deal, DealSettings, ReplyClock, StageChange
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message

pytestmark = [pytest.mark.django_db]
H = timedelta(hours=1)


@pytest.fixture
def seller(db):
    return User.objects.create_user("li", email=SELLER, password="deals ingest pass 42")


def by_msgid(key: str) -> Message:
    return Message.objects.get(message_id=f"{key}@deal.test")


def test_one_deal_across_three_addresses_with_its_documents(seller, tmp_path):
    store(tmp_path, deal_messages(), now=START + 41 * 24 * H)
    deal = Deal.objects.get()
    assert deal.deal_messages.count() == 7
    assert {dm.message.from_email for dm in deal.deal_messages.filter(direction="in")} == {
        GMAIL,
        OFFICE,
    }
    refs = set(deal.references.values_list("group", "value"))
    assert {("rfq", "RFQ2026001"), ("quotation", "QT2026031"), ("po", "4500012345")} <= refs
    assert ("bl", "COSU6234567890") in refs
    # How each message got in: the negotiation from the office address by the quotation
    # number, the PO by the same number, our replies by their threads.
    rules = {
        dm.message.message_id: [e["rule"] for e in dm.evidence]
        for dm in deal.deal_messages.select_related("message")
    }
    assert rules["m01@deal.test"] == ["deal.create.inquiry"]
    assert rules["m02@deal.test"] == ["deal.link.thread"]
    assert rules["m03@deal.test"] == ["deal.link.reference"]
    assert rules["m05@deal.test"][0] == "deal.link.reference"
    assert deal.person is not None and deal.company is not None
    assert deal.company.name == "Andina Import"
    assert deal.grade == "C" and deal.title == "Inquiry: LP-600 LED panels for Colombia"
    # Every buyer message was answered; nothing is due.
    clocks = {c.message.message_id: c for c in ReplyClock.objects.select_related("message")}
    assert set(clocks) == {"m01@deal.test", "m03@deal.test", "m05@deal.test"}
    assert clocks["m01@deal.test"].answered_by == by_msgid("m02")
    assert clocks["m03@deal.test"].answered_by == by_msgid("m04")
    assert clocks["m05@deal.test"].answered_by == by_msgid("m06")
    assert all(c.salesperson == seller for c in clocks.values())
    assert not ReplyClock.objects.filter(due_at__isnull=False, answered_at__isnull=True).exists()


def test_stages_suggested_from_messages_and_set_by_the_user(seller, tmp_path):
    msgs = dict(deal_messages())
    steps = [
        (["01-inquiry.eml"], None),
        (["02-quotation.eml"], "quoted"),
        (["03-negotiation.eml", "04-counter.eml"], "negotiation"),
        (["05-po.eml"], "order"),
        (["06-production.eml"], "production"),
        (["07-shipping.eml"], "shipped"),
    ]
    for names, expected in steps:
        store(tmp_path, [(n, msgs[n]) for n in names], now=START + 41 * 24 * H)
        deal = Deal.objects.get()
        if expected is None:
            assert deal.stage == "inquiry" and deal.suggested_stage == ""
            continue
        assert deal.suggested_stage == expected, names
        assert deal.suggestion["evidence"]
        actions.set_stage(deal, expected, seller, accepted=True)
    history = list(StageChange.objects.values_list("from_stage", "to_stage", "source"))
    assert history == [
        ("", "inquiry", "created"),
        ("inquiry", "quoted", "suggestion"),
        ("quoted", "negotiation", "suggestion"),
        ("negotiation", "order", "suggestion"),
        ("order", "production", "suggestion"),
        ("production", "shipped", "suggestion"),
    ]
    assert StageChange.objects.last().by == seller


def test_deadline_in_business_hours_with_lunch_break_and_weekend(seller, tmp_path):
    settings = DealSettings.load()
    settings.time_zone = "Asia/Shanghai"
    settings.country = "CN"
    settings.save()
    sh = ZoneInfo("Asia/Shanghai")
    friday = datetime(2026, 3, 13, 17, 30, tzinfo=sh)
    store(
        tmp_path,
        [
            (
                "x.eml",
                mail(
                    f"Carlos <{GMAIL}>",
                    SELLER_FROM,
                    "Inquiry LP-600",
                    INQUIRY,
                    at=friday,
                    msgid="late",
                ),
            )
        ],
    )
    clock = ReplyClock.objects.get()
    assert clock.grade == "C" and clock.hours == 2.0
    # 30 minutes on Friday, then Monday 9:00-10:30 (the lunch break is after that).
    assert clock.due_at.astimezone(sh) == datetime(2026, 3, 16, 10, 30, tzinfo=sh)
    assert clock.due_at == deadline(friday, 2, settings.calendar())
    assert any("Asia/Shanghai" in e["detail"] for e in clock.evidence)


def test_our_reply_stored_first_still_answers(seller, tmp_path):
    msgs = dict(deal_messages())
    store(tmp_path, [("02-quotation.eml", msgs["02-quotation.eml"])])
    store(tmp_path, [("01-inquiry.eml", msgs["01-inquiry.eml"])])
    clock = ReplyClock.objects.get()
    assert clock.answered_by == by_msgid("m02")
    deal = Deal.objects.get()
    assert deal.deal_messages.count() == 2  # the Sent copy joined by thread afterwards


def test_thanks_only_and_auto_replies_wait_for_nothing(seller, tmp_path):
    msgs = dict(deal_messages())
    store(tmp_path, [(n, msgs[n]) for n in ("01-inquiry.eml", "02-quotation.eml")])
    thanks = mail(
        f"Carlos Méndez <{GMAIL}>",
        SELLER_FROM,
        "Re: Inquiry: LP-600 LED panels for Colombia",
        "Thanks, noted!\nCarlos",
        at=START + 2 * H,
        msgid="m02b",
        reply_to="m02",
    )
    store(tmp_path, [("thanks.eml", thanks)])
    clock = ReplyClock.objects.get(message=by_msgid("m02b"))
    assert clock.due_at is None and clock.deal == Deal.objects.get()


def test_another_buyers_short_po_is_not_linked(seller, tmp_path):
    msgs = dict(deal_messages())
    store(tmp_path, [(n, msgs[n]) for n in ("01-inquiry.eml", "02-quotation.eml")])
    deal = Deal.objects.get()
    deal.references.create(group="po", value="1234", kind="po", shown="1234")
    other = mail(
        "Ana <ana@otherbuyer.example>",
        SELLER_FROM,
        "PO 1234",
        "Dear Li,\nplease find our PO No. 1234 for 200 pcs LP-600.\nAna",
        at=START + 3 * H,
        msgid="o1",
    )
    store(tmp_path, [("other.eml", other)])
    assert deal.deal_messages.count() == 2  # not in Carlos's deal
    clock = ReplyClock.objects.get(message=by_msgid("o1"))
    assert clock.deal is None
    # Once we have written to Ana, her short PO opens a deal of her own.
    reply = mail(
        SELLER_FROM,
        "Ana <ana@otherbuyer.example>",
        "Re: PO 1234",
        "Dear Ana,\nthank you, we will check.\nLi",
        at=START + 4 * H,
        msgid="o2",
        reply_to="o1",
    )
    again = mail(
        "Ana <ana@otherbuyer.example>",
        SELLER_FROM,
        "PO 1234 revised",
        "Dear Li,\nplease find our PO No. 1234 revised, 250 pcs.\nAna",
        at=START + 5 * H,
        msgid="o3",
    )
    store(tmp_path, [("reply.eml", reply), ("again.eml", again)])
    new = Deal.objects.exclude(pk=deal.pk).get()
    assert new.references.filter(group="po", value="1234").exists()
    assert [e["rule"] for e in new.link_evidence][-1] == "deal.create.reference"


def test_triage_grade_and_its_correction_drive_the_deadline(seller, tmp_path):
    from tradeinbox.triage.models import TriageResult

    msgs = dict(deal_messages())
    summary = Importer().import_paths(
        [write(tmp_path / "pre", [("01.eml", msgs["01-inquiry.eml"])])]
    )
    message = Message.objects.get(pk=summary.new_message_ids[0])
    TriageResult.objects.create(
        message=message, analysed_at=datetime.now(UTC), inquiry=True, grade="B", label="ham"
    )
    process_messages(summary.new_message_ids, now=START + H)
    clock = ReplyClock.objects.get()
    assert (clock.grade, clock.grade_source, clock.hours) == ("B", "triage", 24.0)
    TriageResult.objects.filter(message=message).update(corrected_grade="D")
    stats = upkeep.tick(now=START + H)
    clock.refresh_from_db()
    assert stats["regraded"] == 1
    assert (clock.grade, clock.hours) == ("D", 2.0)
    TriageResult.objects.filter(message=message).update(corrected_label="phish")
    upkeep.tick(now=START + H)
    clock.refresh_from_db()
    assert clock.due_at is None and clock.threat == "phish"


def test_settings_change_recomputes_waiting_deadlines(seller, tmp_path):
    msgs = dict(deal_messages())
    store(tmp_path, [("01-inquiry.eml", msgs["01-inquiry.eml"])], now=START + H)
    clock = ReplyClock.objects.get()
    before = clock.due_at
    settings = DealSettings.load()
    settings.reply_hours_c = 4.0
    settings.day_start, settings.day_end = time(8), time(20)
    settings.save()
    result = upkeep.recompute_after_settings(now=START + H)
    clock.refresh_from_db()
    assert result["deadlines_changed"] == 1
    assert clock.hours == 4.0 and clock.due_at != before
    assert clock.due_at == deadline(START, 4, settings.calendar())
    assert any(e["rule"] == "grade.C.targeted" for e in clock.evidence)  # grade evidence kept
