"""In a real browser: connect the loopback Dovecot through the web form, watch the first
messages arrive (synced by a real worker loop), compose and send one, and find it in the
recipient's mailbox and in Sent.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.urls import include, path

from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, deliver_many, make_message

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

pytestmark = [
    pytest.mark.browser,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.test_browser_mailbox"),
]

# The app's pages plus the mailbox pages, whether or not the root URLconf includes them yet.
urlpatterns = [
    path("mailbox/", include("tradeinbox.mailbox.urls")),
    path("", include("tradeinbox.urls")),
]
PASSWORD = "browser mailbox pass 7"


@pytest.fixture
def worker():
    """The real worker loop (services included) in a thread, stopped like on SIGTERM."""
    from django.db import connections

    from tradeinbox.worker.loop import Worker

    loop = Worker(poll_seconds=0.3, name="browser-test-worker")

    def run() -> None:
        try:
            loop.run_forever()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield loop
    loop.stopping.set()
    thread.join(timeout=30)


def test_connect_sync_compose_send(
    live_server, chromium, artifacts, dovecot, mail_user, smtp_relay, worker
):
    User.objects.create_user("sales", password=PASSWORD)
    deliver_many(
        dovecot,
        mail_user.address,
        [make_message("RFQ: 2,000 stainless hinges"), make_message("Sample feedback from Lima")],
    )
    buyer = f"ana-browser-{os.getpid()}@{DOMAIN}"
    dovecot.add_user(buyer, "buyer-pw")

    page = chromium.new_page()
    try:
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "sales")
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(live_server.url + "/")

        page.goto(live_server.url + "/mailbox/accounts/add/")
        page.fill("#id_email_address", mail_user.address)
        page.fill("#id_sender_name", "Li Wei")
        page.fill("#id_company", "Ningbo Tools")
        page.fill("#id_imap_host", "127.0.0.1")
        page.fill("#id_imap_port", str(dovecot.imap_port))
        page.select_option("#id_imap_security", "none")
        page.fill("#id_smtp_host", "127.0.0.1")
        page.fill("#id_smtp_port", str(smtp_relay.port))
        page.select_option("#id_smtp_security", "none")
        page.fill("#id_password", mail_user.password)
        page.fill("#id_signature", "Li Wei\nNingbo Tools")
        page.click(".mailbox-form button[type=submit]")
        page.wait_for_selector("text=is connected")
        assert mail_user.address in page.inner_text("h1")

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page.reload()
            if page.locator(".folder-list a", has_text="Inbox").count():
                break
            time.sleep(0.5)
        page.click(".folder-list a:has-text('Inbox')")
        page.wait_for_selector("#folder-messages")
        listed = page.inner_text("#folder-messages")
        assert "RFQ: 2,000 stainless hinges" in listed and "Sample feedback from Lima" in listed
        page.screenshot(path=str(artifacts / "mailbox-inbox.png"), full_page=True)

        page.goto(live_server.url + "/mailbox/compose/")
        page.fill("#id_to", f"Ana <{buyer}>")
        page.fill("#id_subject", "Quotation for 2,000 stainless hinges")
        page.fill("#id_body", "Dear Ana,\n\nUSD 0.42/pc FOB Ningbo, 30 days.\n")
        page.click(".compose-form button[type=submit]")
        page.wait_for_url(live_server.url + "/mailbox/outbox/")
        row = page.locator(".outbox-table tbody tr").first
        deadline = time.monotonic() + 30
        while row.get_attribute("data-status") != "sent" and time.monotonic() < deadline:
            time.sleep(0.5)
            page.reload()
            row = page.locator(".outbox-table tbody tr").first
        assert row.get_attribute("data-status") == "sent", row.inner_text()
        page.screenshot(path=str(artifacts / "mailbox-outbox.png"), full_page=True)
    finally:
        page.close()

    from tradeinbox.mailbox.models import OutboxMessage

    message_id = OutboxMessage.objects.get().message_id
    assert dovecot.message_ids(buyer) == [message_id]
    assert dovecot.message_ids(mail_user.address, "Sent") == [message_id]
