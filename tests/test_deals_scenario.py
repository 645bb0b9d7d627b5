"""A whole multi-address deal replayed against real mail servers (Dovecot + SMTP relay).

Carlos asks from his Gmail; we send the quotation through the outbox; the worker schedules
a follow-up; Carlos negotiates from his office address in a new thread, which stops the
follow-up before it goes; he sends the PO with a colleague in copy; we ship; the deal has
one timeline, the right stages, reply deadlines in business hours, and a consolidation
mail that reaches the formal address with the others in copy. Everything goes through
IMAP sync, the import signal, the worker's jobs and the SMTP outbox, as in production.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests import deals_mail as text
from tests.servers import mail as mail_servers
from tests.servers.mail import make_account
from tradeinbox.core.deals.business_hours import deadline
from tradeinbox.deals import actions
from tradeinbox.deals.models import Deal, DealSettings, FollowUp, ReplyClock, StageChange
from tradeinbox.deals.queries import due_page
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import OutboxMessage
from tradeinbox.mailbox.sync import AccountSync
from tradeinbox.store.models import Message
from tradeinbox.worker.jobs import claim_next, run_job

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.slow, pytest.mark.django_db]
PID = os.getpid()


def drain() -> list[str]:
    """Run every queued job, as the worker would (customers, triage, deals ...)."""
    done = []
    while (job := claim_next("scenario")) is not None:
        run_job(job)
        assert job.status == "done", (job.kind, job.error)
        done.append(job.kind)
    return done


def sync(account) -> None:
    AccountSync(account).run()
    drain()


def stored(message_id: str) -> Message:
    return Message.objects.get(message_id=message_id.strip("<>"))


def test_multi_address_deal_end_to_end(dovecot, mail_user, relay):
    gmail = f"carlos.mendez.{PID}@gmail.com"
    office = f"c.mendez.{PID}@andina-import.example"
    colleague = f"compras.{PID}@andina-import.example"
    for address in (gmail, office, colleague):
        dovecot.add_user(address, "buyer-pw")
    seller = User.objects.create_user("li", email=mail_user.address, password="scenario pw 42")
    account = make_account(
        dovecot, mail_user, relay, owner=seller, sender_name="Li Wei", company="Ningbo Tools"
    )
    settings = DealSettings.load()
    settings.time_zone, settings.country = "Asia/Shanghai", "CN"
    settings.save()
    calendar = settings.calendar()
    web = Client()
    web.force_login(seller)
    now = datetime.now(UTC).replace(microsecond=0)

    # 1. The inquiry arrives at the seller's mailbox from Carlos's Gmail.
    inquiry = text.mail(
        f"Carlos Méndez <{gmail}>",
        account.from_header,
        "Inquiry: LP-600 LED panels for Colombia",
        text.INQUIRY,
        at=now - timedelta(minutes=30),
        msgid=f"inq{PID}",
        domain="gmail.com",
    )
    dovecot.deliver(mail_user.address, inquiry, sender=gmail)
    sync(account)
    deal = Deal.objects.get()
    assert (deal.stage, deal.grade) == ("inquiry", "C")
    clock = ReplyClock.objects.get(message__message_id=f"inq{PID}@gmail.com")
    assert clock.hours == 2.0 and clock.due_at == deadline(clock.received_at, 2, calendar)
    assert [r.clock.pk for r in due_page(seller, datetime.now(UTC)).replies] == [clock.pk]

    # 2. We send the quotation through the outbox; its Sent copy comes back by IMAP.
    time.sleep(1.1)
    quotation = outbox.compose(
        account, to=gmail, subject="Re: Inquiry: LP-600 LED panels for Colombia", body=text.QUOTATION,
        in_reply_to=f"<inq{PID}@gmail.com>",
        attachments=[outbox.OutgoingAttachment("Quotation_QT-2026-031.pdf", "application/pdf", b"%PDF-1.4")],
    )  # fmt: skip
    assert outbox.run_due("scenario") == 1
    assert dovecot.message_ids(gmail) == [quotation.message_id]
    sync(account)
    clock.refresh_from_db()
    assert clock.answered_by == stored(quotation.message_id) and clock.salesperson == seller
    deal.refresh_from_db()
    assert deal.suggested_stage == "quoted"
    web.post(f"/deals/{deal.pk}/stage/", {"stage": "quoted", "accepted": "on"})
    followup = FollowUp.objects.get(deal=deal, status="scheduled")
    assert followup.rule == "after_quotation" and followup.step == 1
    assert followup.due_at > now + timedelta(days=2)  # +3 days, in business hours
    assert followup.outbox.status == "queued" and followup.outbox.recipients == [gmail]

    # 3. Carlos answers from his office address in a new thread: the same deal (by the
    #    quotation number), and the follow-up stops before it is sent.
    time.sleep(1.1)
    negotiation = text.mail(
        f"Carlos Méndez <{office}>",
        account.from_header,
        "Quotation QT-2026-031 - price",
        text.NEGOTIATION,
        at=datetime.now(UTC),
        msgid=f"neg{PID}",
        domain="andina-import.example",
    )
    dovecot.deliver(mail_user.address, negotiation, sender=office)
    sync(account)
    assert Deal.objects.count() == 1
    followup.refresh_from_db()
    assert (followup.status, followup.stop_code) == ("cancelled", "buyer_replied")
    assert OutboxMessage.objects.get(pk=followup.outbox_id).status == "cancelled"
    assert outbox.run_due("scenario") == 0
    assert dovecot.message_ids(gmail) == [quotation.message_id]  # no follow-up arrived
    neg_clock = ReplyClock.objects.get(message__message_id=f"neg{PID}@andina-import.example")
    assert neg_clock.deal == deal and neg_clock.grade == "C" and neg_clock.hours == 2.0
    deal.refresh_from_db()
    assert deal.suggested_stage == "negotiation"
    web.post(f"/deals/{deal.pk}/stage/", {"stage": "negotiation", "accepted": "on"})

    # 4. Our counter-offer in the office thread, then the PO with a colleague in copy.
    #    (Date headers count whole seconds: a reply is always at least a second later.)
    time.sleep(1.1)
    counter = outbox.compose(
        account,
        to=office,
        subject="Re: Quotation QT-2026-031 - price",
        body=text.COUNTER,
        in_reply_to=f"<neg{PID}@andina-import.example>",
    )
    outbox.run_due("scenario")
    sync(account)
    neg_clock.refresh_from_db()
    assert neg_clock.answered_by == stored(counter.message_id)
    time.sleep(1.1)
    po = text.mail(
        f"Carlos Méndez <{office}>",
        account.from_header,
        "PO 4500012345 - LP-600",
        text.PURCHASE_ORDER,
        at=datetime.now(UTC),
        msgid=f"po{PID}",
        cc=colleague,
        attachment="PO_4500012345.pdf",
        domain="andina-import.example",
    )
    dovecot.deliver(mail_user.address, po, sender=office)
    sync(account)
    deal.refresh_from_db()
    assert deal.suggested_stage == "order"
    web.post(f"/deals/{deal.pk}/stage/", {"stage": "order", "accepted": "on"})

    # 5. Shipping notice with the B/L number, by reply to the PO.
    time.sleep(1.1)
    shipping = outbox.compose(
        account,
        to=office,
        cc=colleague,
        subject="Re: PO 4500012345 - LP-600",
        body=text.SHIPPING,
        in_reply_to=f"<po{PID}@andina-import.example>",
    )
    outbox.run_due("scenario")
    sync(account)
    deal.refresh_from_db()
    assert deal.suggested_stage == "shipped"
    web.post(f"/deals/{deal.pk}/stage/", {"stage": "shipped", "accepted": "on"})

    # One deal, one timeline: three buyer mails from two addresses, three of ours.
    deal.refresh_from_db()
    assert deal.stage == "shipped"
    assert deal.deal_messages.count() == 6
    assert {
        m.lower()
        for m in deal.deal_messages.filter(direction="in").values_list(
            "message__from_email", flat=True
        )
    } == {gmail, office}
    assert {"RFQ2026001", "QT2026031", "4500012345", "COSU6234567890"} <= set(
        deal.references.values_list("value", flat=True)
    )
    assert list(StageChange.objects.filter(deal=deal).values_list("to_stage", "source")) == [
        ("inquiry", "created"), ("quoted", "suggestion"), ("negotiation", "suggestion"),
        ("order", "suggestion"), ("shipped", "suggestion"),
    ]  # fmt: skip
    assert not ReplyClock.objects.filter(deal=deal, due_at__isnull=False, answered_at=None).exists()
    assert ReplyClock.objects.get(
        message__message_id=f"po{PID}@andina-import.example"
    ).answered_by == stored(shipping.message_id)

    # 6. The consolidation mail: To the formal (office) address, Cc the others, every
    #    agreed term quoted from its message, sent through SMTP to the real mailboxes.
    draft = actions.consolidation(deal)
    assert draft.to == [office] and set(draft.cc) == {gmail, colleague}
    assert "1,000 pcs LP-600" in draft.body and "USD 8.10/pc FOB Ningbo" in draft.body
    assert "30% T/T deposit, 70% against B/L copy" in draft.body
    assert f"to {office} only" in draft.body
    sources = {f.message_id for f in draft.sources}
    assert str(stored(f"po{PID}@andina-import.example").pk) in sources
    response = web.post(
        f"/deals/{deal.pk}/consolidation/",
        {
            "to": ", ".join(draft.to),
            "cc": ", ".join(draft.cc),
            "subject": draft.subject,
            "body": draft.body,
        },
    )
    assert response.status_code == 302
    summary = OutboxMessage.objects.get(subject=draft.subject)
    assert outbox.run_due("scenario") == 1
    for address in (office, gmail, colleague):
        assert summary.message_id in dovecot.message_ids(address)
    assert web.get(f"/deals/{deal.pk}/").status_code == 200
