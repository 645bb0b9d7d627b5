"""Outbound pages in a real browser, with a real worker loop in a thread:

* the domain health page against the local NSD (a passing and a failing domain, the page
  updating itself while the worker asks DNS), in English and Chinese;
* DKIM keys: generate, see the record to publish, turn signing on; a bad import;
* a newsletter list: add a subscriber, the confirmation mail arrives in Dovecot, the
  buyer confirms in the browser; a campaign is written, started and sent by the worker;
  the buyer clicks the unsubscribe link from the mail; the suppression list shows it.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.contrib.auth.models import User

from tests.outbound_helpers import add_users, arrived, link_in
from tests.servers import mail as mail_servers
from tests.servers.dns import IP_GOOD, dns_server  # noqa: F401 - dns_server is a fixture
from tests.servers.mail import DOMAIN, make_account
from tradeinbox.outbound.models import CampaignRecipient, Consent, DkimKey, Suppression

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser outbound pass 8"


class WorkerThread:
    """The real worker loop (services included) in a thread, started and stopped on demand.

    The test database is in-memory SQLite with a shared cache: there a write from a second
    thread while the worker holds a transaction fails at once with "table is locked" (a
    file database in WAL mode, as deployed, waits instead). So the browser's form posts
    happen while the worker is stopped, and the worker runs while the browser only reads.
    """

    def __init__(self) -> None:
        self.loop = None
        self.thread = None

    def start(self) -> None:
        from django.db import connections

        from tradeinbox.worker.loop import Worker

        self.loop = Worker(poll_seconds=0.3, name="browser-outbound-worker")

        def run() -> None:
            try:
                self.loop.run_forever()
            finally:
                connections.close_all()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stopping.set()
            self.thread.join(timeout=30)
            self.loop = None


@pytest.fixture
def worker():
    thread = WorkerThread()
    yield thread
    thread.stop()


@pytest.fixture
def page(chromium, live_server):
    User.objects.create_user("sales", password=PASSWORD)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    # Script errors and CSP violations (a 400 answer to a bad form is expected, not an error).
    tab.on("console", lambda m: "Content Security Policy" in m.text and tab.errors.append(m.text))
    tab.goto(live_server.url + "/login/")
    tab.fill("#id_username", "sales")
    tab.fill("#id_password", PASSWORD)
    tab.click(".login-card button[type=submit]")
    tab.wait_for_url(live_server.url + "/")
    yield tab
    context.close()


def _wait_until(predicate, timeout: float = 45.0, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_domain_health_page_against_nsd(page, live_server, artifacts, worker, dns_server,  # noqa: F811
                                        monkeypatch):  # fmt: skip
    monkeypatch.setenv("TRADEINBOX_DNS_NAMESERVER", dns_server.nameserver)
    monkeypatch.setenv("TRADEINBOX_DNSBL_ZONES", "bl.test")
    page.click("nav.mainnav a[href='/outbound/']")
    page.wait_for_selector("h1:has-text('Domain health')")
    page.fill("#id_domain", "good.test")
    page.fill("#id_ip", IP_GOOD)
    page.fill("#id_selector", "sel2048")
    page.click(".health-form button[type=submit]")
    page.wait_for_selector("#health-result[data-status='pending']")
    worker.start()
    # The result replaces the "asking DNS" note by itself (htmx polling, no reload).
    page.wait_for_selector("#health-result[data-status='done']", timeout=45_000)
    worker.stop()
    assert page.locator(".health-check[data-status='pass']").count() == 6
    assert page.locator("#health-result").get_attribute("data-worst") == "pass"
    page.screenshot(path=str(artifacts / "outbound-health-pass.png"), full_page=True)

    page.click(".outbound-nav a[href='/outbound/']")
    page.fill("#id_domain", "nodmarc.test")
    page.click(".health-form button[type=submit]")
    page.wait_for_selector("#health-result[data-status='pending']")
    worker.start()
    page.wait_for_selector("#health-result[data-status='done']", timeout=45_000)
    worker.stop()
    dmarc = page.locator(".health-check[data-check='dmarc']")
    assert dmarc.get_attribute("data-status") == "fail"
    assert '_dmarc.nodmarc.test. IN TXT "v=DMARC1; p=quarantine' in dmarc.inner_text()
    assert page.locator(".health-check[data-check='ptr']").get_attribute("data-status") == "warn"
    page.screenshot(path=str(artifacts / "outbound-health-fail.png"), full_page=True)

    page.select_option("#language-select", "zh-hans")
    page.wait_for_selector("html[lang='zh-hans']")
    assert "域名健康" in page.inner_text("h1")
    assert "需要添加的 DNS 记录" in dmarc.inner_text()
    page.screenshot(path=str(artifacts / "outbound-health-zh.png"), full_page=True)
    assert page.errors == []


def test_dkim_keys_page(page, live_server, artifacts):
    page.goto(live_server.url + "/outbound/dkim/")
    page.fill(".dkim-generate #id_domain", "seller.test")
    page.fill(".dkim-generate #id_selector", "ti2026")
    page.click(".dkim-generate button[type=submit]")
    page.wait_for_selector(".flash")
    key = page.locator(".dkim-key[data-selector='ti2026']")
    record = key.locator(".dkim-value").inner_text()
    assert record.startswith("v=DKIM1; k=rsa; p=") and record.endswith(
        DkimKey.objects.get().public_key
    )
    assert "ti2026._domainkey.seller.test" in key.inner_text()
    key.locator("button:has-text('Sign mail with this key')").click()
    page.wait_for_selector(".dkim-key[data-active='1']")
    assert DkimKey.objects.get().active
    page.fill(".dkim-import #id_domain", "seller.test")
    page.fill(".dkim-import #id_selector", "old")
    page.fill(".dkim-import #id_pem", "-----BEGIN PRIVATE KEY-----\nnope\n")
    page.click(".dkim-import button[type=submit]")
    page.wait_for_selector(".dkim-import .field-error")
    assert DkimKey.objects.count() == 1
    page.screenshot(path=str(artifacts / "outbound-dkim.png"), full_page=True)
    assert page.errors == []


def test_list_confirm_campaign_and_unsubscribe_click(
    page, live_server, artifacts, worker, dovecot, mail_user, smtp_relay, monkeypatch
):
    monkeypatch.setenv("TRADEINBOX_CAMPAIGN_DOMAIN_GAP_SECONDS", "0")
    account = make_account(dovecot, mail_user, smtp_relay)
    buyer = f"ana-outbound-{os.getpid()}@{DOMAIN}"
    add_users(dovecot, [buyer])

    page.goto(live_server.url + "/outbound/lists/")
    page.fill("#id_name", "Hinge news")
    page.fill("#id_slug", "hinge-news")
    page.select_option("#id_account", str(account.pk))
    page.check("#id_public_signup")
    page.click(".newsletter-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Hinge news')")
    page.fill("#id_address", buyer)
    page.fill("#id_how", "asked at our Canton Fair booth")
    page.click(".invite-form button[type=submit]")
    page.wait_for_selector(f".consent-table tr[data-address='{buyer}'][data-status='pending']")
    page.screenshot(path=str(artifacts / "outbound-list.png"), full_page=True)

    # The worker sends the confirmation mail; the buyer opens its link and confirms.
    worker.start()
    assert _wait_until(lambda: arrived(dovecot, buyer)), "confirmation mail never arrived"
    worker.stop()
    confirm_url = link_in(arrived(dovecot, buyer)[0], "confirm")
    assert confirm_url.startswith(live_server.url)
    buyer_page = page.context.new_page()
    buyer_page.goto(confirm_url)
    assert Consent.objects.get(address=buyer).status == "pending"
    buyer_page.click(".confirm-form button[type=submit]")
    buyer_page.wait_for_selector(".confirm-done")
    assert Consent.objects.get(address=buyer).status == "confirmed"
    buyer_page.screenshot(path=str(artifacts / "outbound-confirmed.png"), full_page=True)

    page.goto(live_server.url + "/outbound/campaigns/new/")
    page.fill("#id_name", "Spring hinges")
    page.select_option("#id_newsletter", label="Hinge news")
    page.select_option("#id_account", str(account.pk))
    page.fill("#id_subject_template", "New hinge prices for {{ person.email }}")
    page.fill(
        "#id_body_template", "{{ salutation }}\n\nOur spring prices are out.\n\n{{ signature }}"
    )
    page.fill("#id_extra_addresses", f"never-asked@{DOMAIN}")
    page.click(".campaign-form button[type=submit]")
    page.wait_for_selector(".campaign-actions")
    page.click(".campaign-actions button:has-text('Start sending')")
    page.wait_for_selector(".flash")
    worker.start()
    # Results update by themselves while the worker sends (htmx polling every 5 s).
    page.wait_for_selector("[data-figure='sent']:has-text('1')", timeout=60_000)
    worker.stop()
    assert page.locator("[data-figure='skipped']").inner_text() == "1"
    assert "no consent" in page.locator(".skipped-reasons").inner_text()
    page.screenshot(path=str(artifacts / "outbound-campaign.png"), full_page=True)

    campaign_mail = [m for m in arrived(dovecot, buyer) if m["Subject"].startswith("New hinge")]
    assert (
        len(campaign_mail) == 1 and campaign_mail[0]["Subject"] == f"New hinge prices for {buyer}"
    )
    assert campaign_mail[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = link_in(campaign_mail[0], "unsubscribe")
    buyer_page.goto(unsubscribe_url)
    buyer_page.click(".unsubscribe-form button[type=submit]")
    buyer_page.wait_for_selector(".unsubscribe-done")
    assert Consent.objects.get(address=buyer).status == "withdrawn"
    assert CampaignRecipient.objects.get(address=buyer).unsubscribed_at is not None
    buyer_page.screenshot(path=str(artifacts / "outbound-unsubscribed.png"), full_page=True)

    page.reload()
    assert page.locator("[data-figure='unsubscribed']").inner_text() == "1"
    page.click(".outbound-nav a[href='/outbound/suppression/']")
    row = page.locator(f".suppression-table tr[data-address='{buyer}']")
    assert row.get_attribute("data-reason") == "unsubscribed"
    assert Suppression.objects.filter(address=buyer).count() == 1
    page.screenshot(path=str(artifacts / "outbound-suppression.png"), full_page=True)

    # The public sign-up page of the list.
    buyer_page.goto(live_server.url + "/outbound/subscribe/hinge-news/")
    buyer_page.fill("#id_address", f"bo-{os.getpid()}@{DOMAIN}")
    buyer_page.check("#id_agree")
    buyer_page.click(".subscribe-form button[type=submit]")
    buyer_page.wait_for_selector(".subscribe-sent")
    assert page.errors == [] and buyer_page.is_closed() is False
