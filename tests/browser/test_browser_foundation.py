"""The web shell in a real browser: sign in, search Chinese, open hostile HTML mail.

What only a browser can show: that a remote image (a tracking pixel) is really not
fetched until the user asks, that it is fetched after "Show images", and that no
script in a message runs, whatever the HTML tries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser test pass 42"


def _email(subject: str, text: str, html: str | None, date: datetime, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Ana Buyer <ana@buyer.example>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{abs(hash(subject))}@browser.test>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def _load_mail(folder: Path, tracker_url: str) -> None:
    start = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    hostile = f"""<html><head><title>x</title>
<script>new Image().src = "{tracker_url}/script-ran/head";</script></head>
<body onload="new Image().src='{tracker_url}/script-ran/onload'">
<h2>Spring price list</h2>
<p>Dear Ana, our new prices are below.</p>
<p><img src="{tracker_url}/pixel.png?uid=ana" alt="company logo" width="120" height="40"></p>
<img src="x" onerror="new Image().src='{tracker_url}/script-ran/onerror'">
<a href="javascript:new Image().src='{tracker_url}/script-ran/link'">details</a>
<table style="background: url({tracker_url}/css-bg.png)"><tr><td>Model A</td><td>USD 12.50</td></tr></table>
</body></html>"""
    mails = {
        "chinese.eml": _email(
            "请查收报价单",
            "王经理您好，附件是我们最新的报价单，请查收。\n",
            None,
            start,
            "王经理 <wang@shenzhen-trade.example>",
        ),
        "other.eml": _email(
            "Meeting notes",
            "Notes from the call, nothing about prices.\n",
            None,
            start + timedelta(hours=1),
            "Bob <bob@partner.example>",
        ),  # fmt: skip
        "html.eml": _email(
            "Spring price list",
            "Our new prices.\n",
            hostile,
            start + timedelta(hours=2),
            "Sales <sales@factory.example>",
        ),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in mails.items():
        (folder / name).write_bytes(data)
    Importer().import_paths([folder])


def test_sign_in_search_and_safe_html(live_server, chromium, tracker, artifacts, tmp_path):
    _load_mail(tmp_path / "mail", tracker.base_url)
    User.objects.create_user("sales", password=PASSWORD)
    html_message = Message.objects.get(subject="Spring price list")

    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Everything needs a session: the inbox sends us to the sign-in page.
        page.goto(live_server.url + "/")
        assert "/login/" in page.url
        page.fill("#id_username", "sales")
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        assert page.locator(".message-row").count() == 3
        page.screenshot(path=str(artifacts / "foundation-inbox.png"), full_page=True)

        # Chinese without spaces, typed into the search box every page has.
        page.fill("#global-search", "报价单")
        page.press("#global-search", "Enter")
        page.wait_for_url("**/search?q=*")
        rows = page.locator(".message-row")
        assert rows.count() == 1
        assert rows.first.locator(".subject").inner_text() == "请查收报价单"
        assert "报价单" in rows.first.locator("mark").first.inner_text()
        page.screenshot(path=str(artifacts / "foundation-search-zh.png"), full_page=True)

        # A bad date gives a message, not a crash.
        page.goto(live_server.url + "/search?q=after%3Atomorrow")
        assert "2026-03-31" in page.locator("[role=alert]").inner_text()

        # Hostile HTML: no remote fetch, no script.
        page.goto(f"{live_server.url}/messages/{html_message.pk}/")
        frame_element = page.wait_for_selector("iframe.message-frame")
        frame = frame_element.content_frame()
        frame.wait_for_load_state("load")
        assert "Dear Ana" in frame.locator("body").inner_text()
        page.wait_for_timeout(500)
        assert tracker.count("/pixel.png") == 0
        assert tracker.count("/css-bg.png") == 0
        sandbox = frame_element.get_attribute("sandbox") or ""
        assert "allow-scripts" not in sandbox
        assert page.locator("#show-images").is_visible()
        page.screenshot(path=str(artifacts / "foundation-message-blocked.png"), full_page=True)

        page.click("#show-images")
        page.wait_for_url("**images=1")
        frame = page.wait_for_selector("iframe.message-frame").content_frame()
        frame.wait_for_load_state("load")
        page.wait_for_function(
            "() => { const f = document.querySelector('iframe.message-frame');"
            " const img = f && f.contentDocument && f.contentDocument.querySelector('img');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=10_000,
        )
        assert tracker.count("/pixel.png") >= 1
        page.screenshot(path=str(artifacts / "foundation-message-images.png"), full_page=True)

        # Clicking the javascript: link does nothing either.
        frame.click("text=details", timeout=2_000)
        page.wait_for_timeout(300)
        assert tracker.count("/script-ran") == 0, dict(tracker.hits)
        assert errors == [], errors
    finally:
        context.close()
