"""Follow-up cadences run from stored mail: scheduled drafts in the outbox that stop when
the buyer answers (mail or WhatsApp), one a day, and "call instead" after three."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tests.deals_mail import GMAIL, SELLER, START, deal_messages, store
from tradeinbox.customers.models import Channel, ChatImport, ChatMessage, EmailAddress
from tradeinbox.deals import actions, followups, upkeep
from tradeinbox.deals.models import Deal, DealSettings, FollowUp
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.worker.jobs import claim_next, run_job

pytestmark = [pytest.mark.django_db]
H = timedelta(hours=1)
MSGS = dict(deal_messages())
QUOTED_AT = START + H  # Tuesday 03:00 UTC


@pytest.fixture
def seller(db):
    user = User.objects.create_user("li", email=SELLER, password="deals cadence pass 42")
    account = Account(
        owner=user,
        email_address=SELLER,
        sender_name="Li Wei",
        company="Ningbo Tools",
        imap_host="127.0.0.1",
        imap_security="none",
        smtp_host="127.0.0.1",
        smtp_security="none",
        username=SELLER,
    )
    account.set_password("unused")
    account.save()
    return user


def quoted_deal(tmp_path, seller) -> Deal:
    store(tmp_path, [(n, MSGS[n]) for n in ("01-inquiry.eml", "02-quotation.eml")], now=QUOTED_AT)
    deal = Deal.objects.get()
    assert deal.suggested_stage == "quoted"
    actions.set_stage(deal, "quoted", seller, accepted=True, now=QUOTED_AT + H)
    return deal


def test_after_quotation_a_draft_is_scheduled_in_the_outbox(seller, tmp_path):
    deal = quoted_deal(tmp_path, seller)
    fu = FollowUp.objects.get(deal=deal, status="scheduled")
    # +3 days from the quotation (Tuesday 03:00 UTC) is Friday 03:00, moved into the
    # office's business hours (UTC 9-18 by default).
    assert (fu.rule, fu.step, fu.action) == ("after_quotation", 1, "draft")
    assert fu.due_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    row = fu.outbox
    assert row.status == "queued" and row.send_at == fu.due_at
    assert row.recipients == [GMAIL]
    assert row.subject == "Re: Inquiry: LP-600 LED panels for Colombia"
    assert "QT-2026-031" in fu.body and "Carlos" in fu.body
    assert fu.in_reply_to == "m02@deal.test"
    assert deal.__class__.objects.get(pk=deal.pk).cadence["action"] == "wait"
    # The step planned while the deal was still an inquiry was replaced, its mail cancelled.
    old = FollowUp.objects.get(deal=deal, status="cancelled")
    assert (old.rule, old.stop_code, old.outbox.status) == (
        "targeted_inquiry",
        "replaced",
        "cancelled",
    )
    # Running again changes nothing (idempotent).
    followups.update_cadence(deal, now=QUOTED_AT + 2 * H)
    assert FollowUp.objects.filter(deal=deal).count() == 2
    assert OutboxMessage.objects.filter(status="queued").count() == 1


def test_a_reply_from_another_address_stops_the_cadence_and_cancels_the_outbox(seller, tmp_path):
    deal = quoted_deal(tmp_path, seller)
    fu = FollowUp.objects.get(deal=deal, rule="after_quotation")
    store(tmp_path, [("03-negotiation.eml", MSGS["03-negotiation.eml"])], now=START + 5 * 24 * H)
    fu.refresh_from_db()
    assert fu.status == "cancelled" and fu.stop_code == "buyer_replied"
    assert "buyer replied" in fu.reason
    assert OutboxMessage.objects.get(pk=fu.outbox_id).status == "cancelled"
    assert Deal.objects.get().cadence["action"] == "stop"


def test_a_whatsapp_reply_stops_it_too(seller, tmp_path):
    deal = quoted_deal(tmp_path, seller)
    person = EmailAddress.objects.get(address=GMAIL).person
    chat = ChatImport.objects.create(
        person=person, format="whatsapp", filename="c.txt", sha256="x" * 64
    )
    ChatMessage.objects.create(
        person=person,
        chat_import=chat,
        channel="whatsapp",
        timestamp=QUOTED_AT + 30 * H,
        sender="Carlos",
        from_customer=True,
        text="Hi Li, got the quotation QT-2026-031, I will discuss with my boss",
    )
    stats = upkeep.tick(now=QUOTED_AT + 31 * H)
    fu = FollowUp.objects.get(deal=deal, rule="after_quotation")
    assert fu.status == "cancelled" and fu.stop_code == "buyer_replied"
    assert "whatsapp" in fu.reason
    assert stats["chats"] == 1 and deal.deal_chats.count() == 1  # joined by the quotation no.


def send(fu: FollowUp) -> None:
    """What the outbox does at the due time."""
    OutboxMessage.objects.filter(pk=fu.outbox_id).update(status="sent", sent_at=fu.due_at)


def test_three_unanswered_followups_then_call_or_whatsapp(seller, tmp_path):
    store(tmp_path, [(n, MSGS[n]) for n in ("01-inquiry.eml", "02-quotation.eml")], now=QUOTED_AT)
    deal = Deal.objects.get()
    assert (deal.stage, deal.grade) == ("inquiry", "C")  # targeted: +1 day, +3 days, +1 week
    person = EmailAddress.objects.get(address=GMAIL).person
    Channel.objects.create(person=person, kind="whatsapp", value="+573001234567")
    now = QUOTED_AT
    steps = []
    for _ in range(3):
        followups.update_cadence(deal, now=now)
        fu = FollowUp.objects.get(deal=deal, status="scheduled")
        steps.append((fu.rule, fu.step))
        send(fu)
        now = fu.due_at + timedelta(minutes=5)
    followups.update_cadence(deal, now=now)
    assert steps == [("targeted_inquiry", 1), ("targeted_inquiry", 2), ("targeted_inquiry", 3)]
    assert FollowUp.objects.filter(deal=deal, status="sent").count() == 3
    last = FollowUp.objects.get(deal=deal, status="open")
    assert (last.action, last.channel) == ("suggest_channel", "whatsapp")
    assert "3 follow-ups in a row unanswered" in " ".join(e["detail"] for e in last.evidence)
    assert OutboxMessage.objects.filter(status="queued").count() == 0  # no fourth mail


def test_never_two_mails_to_the_same_person_on_one_day(seller, tmp_path):
    from tradeinbox.mailbox import outbox

    store(tmp_path, [(n, MSGS[n]) for n in ("01-inquiry.eml", "02-quotation.eml")], now=QUOTED_AT)
    deal = Deal.objects.get()
    actions.set_stage(deal, "quoted", seller, accepted=True, now=QUOTED_AT)
    account = Account.objects.get()
    # Another mail to Carlos is already scheduled on Friday, the day step 1 would go.
    outbox.compose(
        account,
        to=GMAIL,
        subject="Catalogue",
        body="New catalogue",
        send_at=datetime(2026, 3, 6, 8, 0, tzinfo=UTC),
    )
    followups.update_cadence(deal, now=QUOTED_AT + H)
    fu = FollowUp.objects.get(deal=deal, status="scheduled")
    assert fu.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # the next working day
    assert any(e["rule"] == "cadence.one_per_day" for e in fu.evidence)


def test_review_mode_keeps_drafts_until_sent_by_hand(seller, tmp_path):
    settings = DealSettings.load()
    settings.followup_mode = "review"
    settings.save()
    deal = quoted_deal(tmp_path, seller)
    fu = FollowUp.objects.get(deal=deal, rule="after_quotation")
    assert fu.status == "planned" and fu.outbox is None and OutboxMessage.objects.count() == 0
    actions.followup_save(
        fu, seller, subject="Our quotation QT-2026-031", body="Dear Carlos,\nany news?\n"
    )
    actions.followup_send(fu, seller, now=QUOTED_AT + 2 * H)
    fu.refresh_from_db()
    assert fu.status == "scheduled" and fu.outbox.subject == "Our quotation QT-2026-031"
    assert fu.outbox.send_at == fu.due_at


def test_user_stops_a_step_and_closing_the_deal_stops_everything(seller, tmp_path):
    deal = quoted_deal(tmp_path, seller)
    fu = FollowUp.objects.get(deal=deal, rule="after_quotation")
    actions.followup_cancel(fu, seller)
    fu.refresh_from_db()
    assert (fu.status, fu.stop_code, fu.finished_by) == ("cancelled", "user", seller)
    followups.update_cadence(deal, now=QUOTED_AT + 3 * H)
    assert FollowUp.objects.filter(deal=deal, rule="after_quotation").count() == 1  # not again
    actions.set_stage(Deal.objects.get(), "negotiation", seller, now=QUOTED_AT + 3 * H)
    new = FollowUp.objects.get(deal=deal, status="scheduled")
    assert new.rule == "negotiation"
    actions.set_stage(Deal.objects.get(), "closed_lost", seller, now=QUOTED_AT + 3 * H)
    new.refresh_from_db()
    assert new.status == "cancelled" and new.stop_code == "closed"
    assert OutboxMessage.objects.get(pk=new.outbox_id).status == "cancelled"


def test_paused_deal_plans_nothing(seller, tmp_path):
    deal = quoted_deal(tmp_path, seller)
    actions.set_paused(deal, True, now=QUOTED_AT + 2 * H)
    assert FollowUp.objects.get(deal=deal, rule="after_quotation").stop_code == "paused"
    actions.set_paused(deal, False, now=QUOTED_AT + 2 * H)
    assert FollowUp.objects.filter(deal=deal, status="scheduled").count() == 1


def test_the_worker_runs_it_after_an_import(seller, tmp_path):
    from tests.deals_mail import write
    from tradeinbox.store.importer import Importer

    Importer().import_paths([write(tmp_path / "m", deal_messages()[:3])])
    kinds = []
    while (job := claim_next("test")) is not None:
        run_job(job)
        kinds.append((job.kind, job.status))
    assert ("deals.process_messages", "done") in kinds
    assert kinds.index(("customers.analyse_new_messages", "done")) < kinds.index(
        ("deals.process_messages", "done")
    )
    deal = Deal.objects.get()
    assert deal.deal_messages.count() == 3 and deal.person is not None
