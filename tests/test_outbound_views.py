"""Outbound pages through Django's test client: sign-in, CSRF, forms, the public links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from tests.outbound_helpers import run_jobs
from tests.servers.dns import IP_GOOD, dns_server  # noqa: F401 - dns_server is a fixture
from tradeinbox.core.consent import sign_token
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.outbound import conf
from tradeinbox.outbound import consent as consents
from tradeinbox.outbound.models import (
    Campaign,
    Consent,
    DkimKey,
    DomainCheck,
    NewsletterList,
    Suppression,
)

pytestmark = pytest.mark.django_db
STAFF_PAGES = ["/outbound/", "/outbound/dkim/", "/outbound/lists/", "/outbound/campaigns/",
               "/outbound/campaigns/new/", "/outbound/suppression/"]  # fmt: skip


@pytest.fixture
def account() -> Account:
    row = Account(email_address="sales@seller.test", sender_name="Li Wei", company="Ningbo Tools",
                  imap_host="127.0.0.1", smtp_host="127.0.0.1", username="sales")  # fmt: skip
    row.set_password("x")
    row.save()
    return row


@pytest.fixture
def newsletter(account) -> NewsletterList:
    return NewsletterList.objects.create(name="Hinge news", slug="hinges", account=account,
                                         public_signup=True)  # fmt: skip


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("sales", password="correct horse battery"))
    return client


@pytest.fixture
def consent(newsletter) -> Consent:
    now = datetime.now(UTC)
    return Consent.objects.create(newsletter=newsletter, address="ana@buyer.test",
                                  status="confirmed", how="fair", requested_at=now,
                                  confirmed_at=now)  # fmt: skip


def test_staff_pages_need_sign_in_and_render(staff, newsletter):
    anonymous = Client()
    for url in STAFF_PAGES + [f"/outbound/lists/{newsletter.pk}/"]:
        assert anonymous.get(url).status_code == 302, url
        response = staff.get(url)
        assert response.status_code == 200, url
        assert b'href="/outbound/"' in response.content  # the main navigation links here


def test_domain_check_page_runs_in_the_worker_against_nsd(staff, dns_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TRADEINBOX_DNS_NAMESERVER", dns_server.nameserver)
    monkeypatch.setenv("TRADEINBOX_DNSBL_ZONES", "bl.test")
    response = staff.post("/outbound/", {"domain": "https://Good.test/", "ip": IP_GOOD,
                                         "selector": "sel2048"})  # fmt: skip
    row = DomainCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/outbound/health/{row.pk}/"
    assert row.domain == "good.test" and row.status == "pending"
    fragment = staff.get(f"/outbound/health/{row.pk}/", HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 2s"' in fragment.content and b"<html" not in fragment.content
    (job,) = run_jobs(("outbound.domain_check",))
    assert job.status == "done", job.error
    row.refresh_from_db()
    assert row.status == "done" and row.worst == "pass", row.report
    page = staff.get(f"/outbound/health/{row.pk}/").content.decode()
    assert page.count('data-status="pass"') == 6 and "hx-trigger" not in page
    # A failing domain shows the record to add.
    staff.post("/outbound/", {"domain": "spfplusall.test", "ip": IP_GOOD})
    run_jobs(("outbound.domain_check",))
    bad = DomainCheck.objects.get(domain="spfplusall.test")
    assert bad.worst == "fail"
    page = staff.get(f"/outbound/health/{bad.pk}/").content.decode()
    assert 'data-check="spf" data-status="fail"' in page and "+all" in page
    assert 'spfplusall.test. IN TXT "v=spf1 ip4:192.0.2.10 mx ~all"' in page.replace("&quot;", '"')


def test_domain_check_form_rejects_bad_input(staff):
    response = staff.post("/outbound/", {"domain": "not a domain", "ip": "300.1.1.1"})
    assert response.status_code == 200 and not DomainCheck.objects.exists()
    assert b"field-error" in response.content


def test_dkim_generate_shows_record_and_import_errors_keep_nothing(staff):
    response = staff.post("/outbound/dkim/generate/", {"domain": "seller.test", "selector": "s1",
                                                      "bits": "1024"})  # fmt: skip
    assert response.status_code == 302
    page = staff.get("/outbound/dkim/").content.decode()
    key = DkimKey.objects.get()
    assert "s1._domainkey.seller.test" in page and key.public_key[:40] in page
    assert "PRIVATE KEY" not in page
    response = staff.post("/outbound/dkim/import/", {"domain": "seller.test", "selector": "s2",
                                                    "pem": "not a key"})  # fmt: skip
    assert response.status_code == 400 and b"PEM" in response.content
    assert DkimKey.objects.count() == 1
    staff.post(f"/outbound/dkim/{key.pk}/signing/", {"active": "1"})
    assert DkimKey.objects.get().active
    assert staff.post(f"/outbound/dkim/{key.pk}/delete/").status_code == 404  # active: kept
    staff.post(f"/outbound/dkim/{key.pk}/signing/", {"active": "0"})
    assert staff.post(f"/outbound/dkim/{key.pk}/delete/").status_code == 302
    assert not DkimKey.objects.exists()


def test_one_click_needs_no_csrf_but_every_other_post_does(consent):
    url = f"/outbound/unsubscribe/{consents.unsubscribe_token(consent.pk)}/"
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"language": "es"}).status_code == 403  # not the RFC 8058 body
    page = client.get(url)
    assert page.status_code == 200 and b"a***a@buyer.test" in page.content
    assert Consent.objects.get().status == "confirmed"  # GET (a link scanner) changes nothing
    multipart = client.post(url, {"List-Unsubscribe": "One-Click"})  # multipart/form-data
    assert multipart.status_code == 200 and multipart.content == b"unsubscribed\n"
    assert Consent.objects.get().status == "withdrawn"
    assert Suppression.objects.get().reason == "unsubscribed"
    again = client.post(url, "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert again.status_code == 200  # idempotent
    assert consent.events.filter(kind="withdrawn").count() == 1


def test_unsubscribe_button_uses_csrf_token(consent):
    url = f"/outbound/unsubscribe/{consents.unsubscribe_token(consent.pk)}/"
    client = Client(enforce_csrf_checks=True)
    client.get(url)
    response = client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert Consent.objects.get().withdrawn_how == "unsubscribe page"


@pytest.mark.parametrize("token", ["x", "abc.def", consents.UNSUBSCRIBE])
def test_bad_unsubscribe_links(token):
    response = Client().get(f"/outbound/unsubscribe/{token}/")
    assert response.status_code == 400 and b"not valid" in response.content


def test_confirm_link_expires_and_cannot_unsubscribe(newsletter, consent):
    old = sign_token(conf.token_secret(), consents.CONFIRM, str(consent.pk),
                     issued=datetime.now(UTC) - timedelta(days=8))  # fmt: skip
    assert Client().get(f"/outbound/confirm/{old}/").status_code == 400
    unsubscribe = consents.unsubscribe_token(consent.pk)
    assert Client().get(f"/outbound/confirm/{unsubscribe}/").status_code == 400


def test_public_signup_queues_confirmation_and_is_rate_limited(newsletter, monkeypatch):
    monkeypatch.setenv("TRADEINBOX_PUBLIC_URL", "https://crm.seller.test")
    cache.clear()
    client = Client()
    response = client.post(
        "/outbound/subscribe/hinges/", {"address": "Bo@Buyer.test", "agree": "on"}
    )
    assert response.status_code == 200 and b"Almost done" in response.content
    message = OutboxMessage.objects.get()
    assert message.recipients == ["bo@buyer.test"] and "Hinge news" in message.subject
    from tradeinbox.mailbox.outbox import blobs

    raw = blobs().get(message.raw_sha256).decode()
    assert "https://crm.seller.test/outbound/confirm/" in raw
    assert client.post("/outbound/subscribe/hinges/", {"address": "x"}).status_code == 400
    for _ in range(20):
        client.post("/outbound/subscribe/hinges/", {"address": "c@buyer.test", "agree": "on"})
    assert client.post("/outbound/subscribe/hinges/",
                       {"address": "d@buyer.test", "agree": "on"}).status_code == 429  # fmt: skip
    assert not Consent.objects.filter(address="d@buyer.test").exists()
    newsletter.public_signup = False
    newsletter.save()
    assert client.get("/outbound/subscribe/hinges/").status_code == 404
    cache.clear()


def test_invite_withdraw_and_campaign_pages(staff, newsletter, monkeypatch):
    monkeypatch.setenv("TRADEINBOX_PUBLIC_URL", "https://crm.seller.test")
    response = staff.post(f"/outbound/lists/{newsletter.pk}/",
                          {"address": "ana@buyer.test", "how": "asked at Canton Fair"})  # fmt: skip
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.status == "pending" and consent.requested_by.username == "sales"
    page = staff.get(f"/outbound/lists/{newsletter.pk}/").content.decode()
    assert "asked at Canton Fair" in page and "Confirmation mail queued" in page
    consents.confirm(consent, ip="192.0.2.1")
    response = staff.post("/outbound/campaigns/new/", {
        "name": "Spring", "newsletter": newsletter.pk, "account": newsletter.account.pk,
        "language": "en", "subject_template": "News", "body_template": "{{ person.lastname }}",
    })  # fmt: skip
    assert response.status_code == 400 and b"person.lastname" in response.content
    response = staff.post("/outbound/campaigns/new/", {
        "name": "Spring", "newsletter": newsletter.pk, "account": newsletter.account.pk,
        "language": "es", "subject_template": "Novedades", "body_template": "{{ salutation }}",
        "extra_addresses": "bo@buyer.test\nnot-an-address",
    })  # fmt: skip
    assert response.status_code == 400 and b"not-an-address" in response.content
    response = staff.post("/outbound/campaigns/new/", {
        "name": "Spring", "newsletter": newsletter.pk, "account": newsletter.account.pk,
        "language": "es", "subject_template": "Novedades", "body_template": "{{ salutation }}",
        "extra_addresses": "bo@buyer.test",
    })  # fmt: skip
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.status == "draft"
    staff.post(f"/outbound/campaigns/{campaign.pk}/start/")
    campaign.refresh_from_db()
    assert campaign.status == "running"
    page = staff.get(f"/outbound/campaigns/{campaign.pk}/").content.decode()
    assert 'data-figure="audience">2<' in page and "no consent" in page
    staff.post(f"/outbound/campaigns/{campaign.pk}/pause/")
    assert Campaign.objects.get().status == "paused"
    staff.post(f"/outbound/lists/{newsletter.pk}/consents/{consent.pk}/withdraw/")
    assert Consent.objects.get().status == "withdrawn"
    assert Suppression.objects.get().reason == "unsubscribed"
    staff.post(f"/outbound/campaigns/{campaign.pk}/cancel/")
    assert Campaign.objects.get().status == "cancelled"


def test_suppression_page_add_and_remove(staff, newsletter):
    response = staff.post("/outbound/suppression/", {"address": "Spam@Trap.test", "note": "trap"})
    assert response.status_code == 302
    row = Suppression.objects.get()
    assert (row.address, row.reason, row.newsletter) == ("spam@trap.test", "manual", None)
    assert b"spam@trap.test" in staff.get("/outbound/suppression/?q=trap").content
    assert staff.post("/outbound/suppression/", {"address": "nope"}).status_code == 400
    staff.post(f"/outbound/suppression/{row.pk}/remove/")
    assert not Suppression.objects.exists()


def test_one_confirmation_mail_per_address_and_old_links_cannot_resubscribe(
    newsletter, monkeypatch
):
    monkeypatch.setenv("TRADEINBOX_PUBLIC_URL", "https://crm.seller.test")
    for _ in range(3):  # a double-submitted form, or someone mail-bombing a stranger
        consents.request_signup(newsletter, "eve@buyer.test", how="public sign-up form")
    assert OutboxMessage.objects.count() == 1
    consent = Consent.objects.get()
    link = f"/outbound/confirm/{consents.confirm_token(consent.pk)}/"
    client = Client()
    client.get(link)
    client.post(link)
    assert Consent.objects.get().status == "confirmed"
    consents.withdraw(consent, how="one-click (RFC 8058)")
    assert client.post(link).status_code == 400  # the old link does not undo the unsubscribe
    assert Consent.objects.get().status == "withdrawn"
    consents.request_signup(newsletter, "eve@buyer.test", how="signed up again")
    assert Consent.objects.get().status == "pending" and OutboxMessage.objects.count() == 2
