"""Bounces, complaints and replies arriving as mail feed suppression and campaign results.

Reports are stored through the real importer; the ``messages_stored`` signal queues the
outbound feedback job, which the test runs like the worker does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.outbound_helpers import arf, dsn, import_mail, run_jobs
from tradeinbox.mailbox.models import Account
from tradeinbox.outbound.models import (
    Campaign,
    CampaignRecipient,
    DeliveryEvent,
    NewsletterList,
    Suppression,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    account = Account(email_address="sales@example.test", sender_name="Li Wei",
                      imap_host="127.0.0.1", smtp_host="127.0.0.1", username="sales")  # fmt: skip
    account.set_password("x")
    account.save()
    newsletter = NewsletterList.objects.create(name="News", slug="news", account=account)
    campaign = Campaign.objects.create(name="C", newsletter=newsletter, account=account,
                                       subject_template="s", body_template="b",
                                       status=Campaign.Status.RUNNING)  # fmt: skip
    for i, address in enumerate(["gone@buyer.test", "full@buyer.test", "angry@buyer.test",
                                 "ana@buyer.test", "away@buyer.test"]):  # fmt: skip
        CampaignRecipient.objects.create(
            campaign=campaign, address=address, domain="buyer.test",
            status=CampaignRecipient.Status.SENT, message_id=f"<c{i}@example.test>",
            sent_at=datetime.now(UTC),
        )  # fmt: skip
    return campaign


def _feedback_jobs() -> list:
    jobs = run_jobs(("outbound.read_feedback",))
    assert jobs and all(j.status == "done" for j in jobs), [j.error for j in jobs]
    return jobs


def test_hard_bounce_soft_bounce_and_complaint(campaign):
    import_mail({
        "hard": dsn("gone@buyer.test", "<c0@example.test>"),
        "soft": dsn("full@buyer.test", "<c1@example.test>", status="4.2.2", action="delayed"),
        "arf": arf("angry@buyer.test", "<c2@example.test>"),
    })  # fmt: skip
    (job,) = _feedback_jobs()
    assert job.result["reports"] == 3 and job.result["suppressed"] == 2 and job.result["soft"] == 1
    gone = CampaignRecipient.objects.get(address="gone@buyer.test")
    assert gone.status == CampaignRecipient.Status.BOUNCED and gone.reason == "user_unknown"
    assert Suppression.objects.get(address="gone@buyer.test").reason == "hard_bounce"
    assert Suppression.objects.get(address="angry@buyer.test").reason == "complaint"
    assert not Suppression.objects.filter(address="full@buyer.test").exists()
    soft = DeliveryEvent.objects.get(address="full@buyer.test")
    assert soft.kind == "soft_bounce" and soft.retry_after > soft.at
    assert soft.original_message_id == "<c1@example.test>"
    # The customers app marks the hard-bounced address former from the same report.
    from tradeinbox.customers.models import EmailAddress

    assert EmailAddress.objects.get(address="gone@buyer.test").kind == "former"
    # The same reports read again (a retried job) change nothing.
    from tradeinbox.outbound.feedback import read_feedback
    from tradeinbox.store.models import Message

    again = read_feedback(list(Message.objects.values_list("pk", flat=True)))
    assert again["reports"] == 3 and again["suppressed"] == 0 and again["soft"] == 0
    assert DeliveryEvent.objects.filter(address="gone@buyer.test").count() == 1


def test_repeated_soft_bounces_suppress(campaign):
    for i in range(3):
        raw = dsn("full@buyer.test", f"<other-{i}@example.test>", status="4.2.2", action="delayed")
        import_mail(
            {f"soft{i}": raw.replace(b"Date: Mon, 02 Mar", f"Date: Tue, 0{3 + i} Mar".encode())}
        )
        _feedback_jobs()
    assert DeliveryEvent.objects.filter(address="full@buyer.test").count() == 3
    row = Suppression.objects.get(address="full@buyer.test")
    assert row.reason == "repeated_soft_bounce"
    assert row.evidence[-1]["rule"] == "feedback.soft_repeated"


def test_soft_bounce_defers_the_next_campaign_send(campaign, monkeypatch):
    """A soft-bounced address waits for its retry time; the campaign comes back for it."""
    from tradeinbox.outbound import campaigns

    monkeypatch.setenv("TRADEINBOX_PUBLIC_URL", "http://testserver")
    now = datetime.now(UTC)
    DeliveryEvent.objects.create(address="later@buyer.test", kind="soft_bounce", source="report",
                                 message_key="m1", at=now, retry_after=now + timedelta(hours=4))  # fmt: skip
    from tradeinbox.outbound.models import Consent

    Consent.objects.create(newsletter=campaign.newsletter, address="later@buyer.test",
                           status="confirmed", how="test", requested_at=now, confirmed_at=now)  # fmt: skip
    fresh = Campaign.objects.create(name="D", newsletter=campaign.newsletter,
                                    account=campaign.account, subject_template="Hi",
                                    body_template="{{ salutation }}")  # fmt: skip
    campaigns.start(fresh, link_base="http://testserver")
    result = campaigns.step(fresh.pk, now)
    fresh.refresh_from_db()
    assert result["queued"] == 0 and fresh.next_run_at == now + timedelta(hours=4)
    assert fresh.recipients.get().status == CampaignRecipient.Status.PENDING
    assert campaigns.step(fresh.pk, now + timedelta(hours=4, seconds=1))["queued"] == 1


def test_replies_count_but_auto_replies_do_not(campaign):
    reply = (b"From: Ana <ana@buyer.test>\r\nTo: sales@example.test\r\nSubject: Re: Spring\r\n"
             b"Message-ID: <r1@buyer.test>\r\nIn-Reply-To: <c3@example.test>\r\n"
             b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nPlease send the price sheet.\r\n")  # fmt: skip
    vacation = (b"From: Bo <away@buyer.test>\r\nTo: sales@example.test\r\n"
                b"Subject: Automatic reply: Spring\r\nAuto-Submitted: auto-replied\r\n"
                b"Message-ID: <r2@buyer.test>\r\nIn-Reply-To: <c4@example.test>\r\n"
                b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nI am out of the office until May.\r\n")  # fmt: skip
    import_mail({"reply": reply, "vacation": vacation})
    (job,) = _feedback_jobs()
    assert job.result["replies"] == 1
    assert CampaignRecipient.objects.get(address="ana@buyer.test").replied_at is not None
    assert CampaignRecipient.objects.get(address="away@buyer.test").replied_at is None
    from tradeinbox.outbound.campaigns import results

    assert results(campaign)["replied"] == 1
