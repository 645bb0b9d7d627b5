"""Campaigns end to end against the real loopback SMTP relay and Dovecot (issue 8).

The acceptance test: 200 recipients, of whom some never consented, some did not confirm,
some unsubscribed (one POST each), some hard-bounced or complained (real DSN and ARF
reports stored like synced mail); exactly the consented, unsuppressed ones receive the
campaign, in batches that never exceed the caps, and the List-Unsubscribe link works
with one POST.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.outbound_helpers import (
    add_users,
    arf,
    arrived,
    body_text,
    drain_outbox,
    dsn,
    import_mail,
    link_in,
    path_of,
    run_jobs,
)
from tests.servers import mail as mail_servers
from tests.servers.mail import make_account
from tradeinbox.outbound import campaigns
from tradeinbox.outbound import consent as consents
from tradeinbox.outbound.models import (
    Campaign,
    CampaignRecipient,
    Consent,
    ConsentEvent,
    DeliveryEvent,
    NewsletterList,
    Suppression,
)

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.django_db]
PID = os.getpid()
SUBJECT = "Spring price list 2026"
BODY = "{{ salutation }}\n\nOur spring prices are ready; ask for the sheet any time.\n\n{{ signature }}"
CAPS = {"PER_HOUR": "50", "PER_DAY": "100", "PER_DOMAIN_PER_HOUR": "15", "DOMAIN_GAP_SECONDS": "0"}


@pytest.fixture
def caps(monkeypatch):
    for key, value in CAPS.items():
        monkeypatch.setenv(f"TRADEINBOX_CAMPAIGN_{key}", value)
    monkeypatch.setenv("TRADEINBOX_PUBLIC_URL", "http://testserver")


@pytest.fixture
def account(dovecot, mail_user, relay):
    return make_account(dovecot, mail_user, relay)


@pytest.fixture
def newsletter(account):
    return NewsletterList.objects.create(name="Spring news", slug=f"spring-{PID}", account=account)


def _confirmed(newsletter, address: str) -> Consent:
    now = datetime.now(UTC)
    return Consent.objects.create(
        newsletter=newsletter,
        address=address,
        status=Consent.Status.CONFIRMED,
        how="asked at our Canton Fair booth",
        requested_at=now,
        confirmed_at=now,
    )


def _campaign_mail(dovecot, address: str) -> list:
    return [m for m in arrived(dovecot, address) if m["Subject"] == SUBJECT]


@pytest.mark.slow
def test_200_recipients_only_consented_unsuppressed_within_caps(
    caps, dovecot, account, newsletter, relay
):
    big, small = "big.example.test", [f"s{i}.example.test" for i in range(4)]
    addrs = [f"r{i:03d}-{PID}@{big if i % 2 == 0 else small[(i // 2) % 4]}" for i in range(200)]
    add_users(dovecot, addrs)
    never, pending, unsubscribed = addrs[:30], addrs[30:40], addrs[40:60]
    hard, complained, eligible = addrs[60:75], addrs[75:80], addrs[80:]
    now = datetime.now(UTC)
    for address in pending:
        Consent.objects.create(newsletter=newsletter, address=address, how="web form",
                               requested_at=now)  # fmt: skip
    consent_of = {a: _confirmed(newsletter, a) for a in addrs[40:]}

    # Unsubscribed earlier, each with one RFC 8058 POST (no cookie, no CSRF token).
    client = Client(enforce_csrf_checks=True)
    for address in unsubscribed:
        url = f"/outbound/unsubscribe/{consents.unsubscribe_token(consent_of[address].pk)}/"
        response = client.post(url, "List-Unsubscribe=One-Click",
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert response.status_code == 200, response.content
    # Hard bounces and complaints arrive as mail and are read by the worker's feedback job.
    reports = {f"dsn-{i}": dsn(a, f"<old-{i}@example.test>") for i, a in enumerate(hard)}
    reports |= {f"arf-{i}": arf(a, f"<old-c{i}@example.test>") for i, a in enumerate(complained)}
    import_mail(reports)
    jobs = run_jobs(("outbound.read_feedback",))
    assert jobs and all(j.status == "done" for j in jobs), [j.error for j in jobs]

    # Personalisation through the templates: a known buyer gets her name.
    from tradeinbox.customers.models import EmailAddress, Person

    maria = Person.objects.create(name="Maria Gomez")
    EmailAddress.objects.create(address=eligible[0], person=maria)

    campaign = Campaign.objects.create(
        name="Spring", newsletter=newsletter, account=account, subject_template=SUBJECT,
        body_template=BODY, extra_addresses="\n".join(never),
    )  # fmt: skip
    counts = campaigns.start(campaign, link_base="http://ignored.example")
    assert counts == {"ok": 120, "no_consent": 30, "consent_pending": 10, "unsubscribed": 20,
                      "hard_bounce": 15, "complaint": 5}  # fmt: skip
    # Suppressed after the start, before its batch: must not receive it either.
    late = eligible[-1]
    consents.suppress(late, Suppression.Reason.MANUAL, evidence=[{"detail": "asked by phone"}])

    clock = datetime.now(UTC)
    batches: list[tuple[datetime, int]] = []
    for _ in range(20):
        sent_before = relay.state.received.__len__()
        queued = campaigns.run_due(now=clock)
        drain_outbox()
        campaigns.sync_outcomes()
        batches.append((clock, len(relay.state.received) - sent_before))
        campaign.refresh_from_db()
        if campaign.status != Campaign.Status.RUNNING:
            break
        assert campaign.next_run_at is not None and campaign.next_run_at >= clock, queued
        clock = campaign.next_run_at
    assert campaign.status == Campaign.Status.DONE, (campaign.status, batches)

    # Caps: every rolling hour and day, per mailbox and per recipient domain.
    sends = list(CampaignRecipient.objects.filter(campaign=campaign, queued_at__isnull=False)
                 .values_list("queued_at", "domain"))  # fmt: skip
    for at, _domain in sends:
        hour = [d for t, d in sends if at - timedelta(hours=1) < t <= at]
        assert len(hour) <= 50
        assert sum(1 for t, _d in sends if at - timedelta(days=1) < t <= at) <= 100
        assert max(Counter(hour).values()) <= 15
    assert max(n for _t, n in batches) == 50 and len(batches) >= 4  # the caps really bound

    # What arrived: exactly one copy for each consented, unsuppressed address.
    should = set(eligible) - {late}
    for address in addrs:
        assert len(_campaign_mail(dovecot, address)) == (1 if address in should else 0), address
    results = campaigns.results(campaign)
    assert results["sent"] == 119 and results["waiting"] == 0 and results["bounced"] == 0
    assert results["skipped_by_reason"] == {"no_consent": 30, "consent_pending": 10,
        "unsubscribed": 20, "hard_bounce": 15, "complaint": 5, "manual": 1}  # fmt: skip

    first = _campaign_mail(dovecot, eligible[0])[0]
    assert body_text(first).startswith("Dear Maria,")
    assert "Li Wei" in body_text(first) and first["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    url = re.fullmatch(
        r"<(http://testserver/outbound/unsubscribe/[^>]+/)>", first["List-Unsubscribe"]
    )
    assert url and url.group(1) == link_in(first, "unsubscribe")  # header and footer agree

    # The link in a received campaign mail: GET changes nothing, one POST unsubscribes.
    assert client.get(path_of(url.group(1))).status_code == 200
    assert Consent.objects.get(address=eligible[0]).status == Consent.Status.CONFIRMED
    response = client.post(path_of(url.group(1)), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    consent = Consent.objects.get(address=eligible[0])
    assert consent.status == Consent.Status.WITHDRAWN and "RFC 8058" in consent.withdrawn_how
    assert campaigns.results(campaign)["unsubscribed"] == 1
    assert consent.events.filter(kind=ConsentEvent.Kind.WITHDRAWN).count() == 1


def test_double_opt_in_through_real_mail(caps, dovecot, account, newsletter):
    newsletter.public_signup = True
    newsletter.save()
    buyer = f"optin-{PID}@buyer.example.test"
    add_users(dovecot, [buyer])
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/outbound/subscribe/{newsletter.slug}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/outbound/subscribe/{newsletter.slug}/",
        {"address": buyer.upper(), "agree": "on", "csrfmiddlewaretoken": token},
        HTTP_USER_AGENT="Test Browser/1.0",
    )
    assert page.status_code == 200 and response.status_code == 200
    consent = Consent.objects.get(address=buyer)
    assert consent.status == Consent.Status.PENDING and "public sign-up" in consent.how
    assert campaigns.results  # nothing is sent to a pending address: see the 200 test
    drain_outbox()
    (mail,) = arrived(dovecot, buyer)
    link = link_in(mail, "confirm")
    assert client.get(path_of(link)).status_code == 200
    assert Consent.objects.get(pk=consent.pk).status == Consent.Status.PENDING  # GET: no change
    response = client.post(path_of(link), {"csrfmiddlewaretoken": token},
                           HTTP_USER_AGENT="Test Browser/1.0")  # fmt: skip
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    consent.refresh_from_db()
    assert consent.status == Consent.Status.CONFIRMED and consent.confirmed_at
    assert consent.confirm_evidence["ip"] == "127.0.0.1"
    assert consent.confirm_evidence["user_agent"] == "Test Browser/1.0"
    assert list(consent.events.values_list("kind", flat=True)) == [
        "requested", "confirmation_sent", "confirmed"
    ]  # fmt: skip
    # Without the CSRF token the confirm button's POST is refused (it is not one-click).
    assert Client(enforce_csrf_checks=True).post(path_of(link)).status_code == 403


def test_smtp_refusal_is_a_hard_bounce_that_suppresses_and_marks_former(
    caps, dovecot, account, newsletter
):
    from tradeinbox.customers.models import EmailAddress

    present, missing = f"here-{PID}@buyer.example.test", f"gone-{PID}@buyer.example.test"
    add_users(dovecot, [present])  # ``missing`` has no mailbox: Dovecot's LMTP says 550 5.1.1
    EmailAddress.objects.create(address=missing)
    for address in (present, missing):
        _confirmed(newsletter, address)
    campaign = Campaign.objects.create(name="Refusal", newsletter=newsletter, account=account,
                                       subject_template=SUBJECT, body_template=BODY)  # fmt: skip
    campaigns.start(campaign)
    campaigns.run_due()
    drain_outbox()
    campaigns.sync_outcomes()
    row = CampaignRecipient.objects.get(campaign=campaign, address=missing)
    assert row.status == CampaignRecipient.Status.BOUNCED and row.reason == "user_unknown"
    assert "5.1.1" in row.error
    assert Suppression.objects.filter(address=missing, reason="hard_bounce").exists()
    event = DeliveryEvent.objects.get(address=missing)
    assert event.kind == "hard_bounce" and event.source == "smtp"
    assert EmailAddress.objects.get(address=missing).kind == "former"
    assert CampaignRecipient.objects.get(campaign=campaign, address=present).status == "sent"
    assert len(_campaign_mail(dovecot, present)) == 1
    # A later campaign skips the bounced address before sending anything.
    again = Campaign.objects.create(name="Again", newsletter=newsletter, account=account,
                                    subject_template=SUBJECT, body_template=BODY)  # fmt: skip
    assert campaigns.start(again) == {"ok": 1, "hard_bounce": 1}


def test_cancel_stops_waiting_mail(caps, dovecot, account, newsletter, monkeypatch):
    monkeypatch.setenv("TRADEINBOX_CAMPAIGN_PER_HOUR", "2")
    addrs = [f"c{i}-{PID}@buyer.example.test" for i in range(5)]
    add_users(dovecot, addrs)
    for address in addrs:
        _confirmed(newsletter, address)
    campaign = Campaign.objects.create(name="Stop", newsletter=newsletter, account=account,
                                       subject_template=SUBJECT, body_template=BODY)  # fmt: skip
    campaigns.start(campaign)
    assert campaigns.step(campaign.pk)["queued"] == 2  # in the outbox, not sent yet
    assert campaigns.cancel(campaign) == 5  # 3 waiting + 2 still in the outbox
    drain_outbox()
    assert sum(len(_campaign_mail(dovecot, a)) for a in addrs) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED
    assert campaigns.step(campaign.pk)["queued"] == 0


def test_start_refuses_without_public_address_and_bad_templates(account, newsletter, monkeypatch):
    monkeypatch.delenv("TRADEINBOX_PUBLIC_URL", raising=False)
    campaign = Campaign.objects.create(name="x", newsletter=newsletter, account=account,
                                       subject_template=SUBJECT, body_template=BODY)  # fmt: skip
    with pytest.raises(campaigns.CampaignProblem, match="TRADEINBOX_PUBLIC_URL"):
        campaigns.start(campaign)
    broken = Campaign.objects.create(name="y", newsletter=newsletter, account=account,
                                     subject_template=SUBJECT,
                                     body_template="{{ person.lastname }} {% if %}")  # fmt: skip
    with pytest.raises(campaigns.CampaignProblem):
        campaigns.start(broken, link_base="http://testserver")
    assert not CampaignRecipient.objects.exists()
