"""The web shell: sign-in, inbox paging, message display, attachments, search, i18n.

Messages are real RFC 5322 bytes built here and stored with the real importer,
so the pages are tested against what an import produces.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Attachment, Message, Quarantine
from tradeinbox.store.querying import decode_cursor, inbox_page, search_messages
from tradeinbox.web.sanitize import body_csp, sanitise_html
from tradeinbox.web.views_messages import content_disposition

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BASE_DATE = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

HOSTILE_HTML = """<html><head><title>Hidden title</title>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<base href="https://evil.example/"><style>body{background:url(https://track.example/css.gif)}</style>
</head><body onload="alert('onload')">
<script>document.title='pwned'</script>
<p style="color: #c00; background-image: url(https://track.example/bg.gif); font-weight: bold">Dear buyer,</p>
<p>Please find our offer. <img src="https://track.example/pixel.gif?id=42" width="1" height="1" alt="">
<img src="cid:logo@factory" alt="logo"> <img src="x" onerror="alert('onerror')"></p>
<form action="https://evil.example/login"><input name="password" type="password"><button>Verify</button></form>
<iframe src="https://evil.example/frame"></iframe>
<a href="javascript:alert('js')">click me</a> <a href="https://factory.example/catalogue">catalogue</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
</body></html>"""


def build_email(
    subject: str,
    body: str,
    *,
    sender: str = "Li Wei <li.wei@factory.example>",
    to: str = "Ana Buyer <ana@buyer.example>",
    date: datetime = BASE_DATE,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline_images: list[tuple[str, bytes]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id or f"<{hashlib.sha1(subject.encode()).hexdigest()}@test>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if inline_images:
            html_part = msg.get_payload()[1]
            for cid, data in inline_images:
                html_part.add_related(data, "image", "png", cid=f"<{cid}>")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def import_emails(folder: Path, emails: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in emails.items():
        (folder / name).write_bytes(data)
    Importer().import_paths([folder])


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("sales", password="correct horse battery")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def mailbox(db, tmp_path) -> dict[str, Message]:
    first_id = "<offer-1@factory.example>"
    emails = {
        "offer.eml": build_email(
            "Quotation for LED panels",
            "Dear Ana,\nplease find the quotation attached. Price valid 30 days.\n",
            message_id=first_id,
            attachments=[
                ("报价单 2026.pdf", "application/pdf", PDF),
                ("invoice.html", "text/html", b"<script>alert(1)</script>"),
                ("photo.png", "image/png", PNG),
            ],
        ),
        "reply.eml": build_email(
            "Re: Quotation for LED panels",
            "Thanks, we will check the offer with our team.\n",
            sender="Ana Buyer <ana@buyer.example>",
            to="Li Wei <li.wei@factory.example>",
            date=BASE_DATE + timedelta(days=1),
            in_reply_to=first_id,
        ),
        "chinese.eml": build_email(
            "请查收报价单",
            "王经理您好，附件是我们最新的报价单，请查收。谢谢！\n",
            sender="王经理 <wang@shenzhen-trade.example>",
            date=BASE_DATE + timedelta(days=2),
        ),
        "html.eml": build_email(
            "Newsletter with pictures",
            "Plain part of the newsletter.\n",
            html=HOSTILE_HTML,
            inline_images=[("logo@factory", PNG)],
            date=BASE_DATE + timedelta(days=3),
        ),
        "not-mail.eml": b"\x00\x01\x02 this is not an email at all \xff\xfe",
    }
    import_emails(tmp_path / "mail", emails)
    by_subject = {m.subject: m for m in Message.objects.all()}
    return {
        "offer": by_subject["Quotation for LED panels"],
        "reply": by_subject["Re: Quotation for LED panels"],
        "chinese": by_subject["请查收报价单"],
        "html": by_subject["Newsletter with pictures"],
    }


# -- sign-in --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_requires_sign_in(client, mailbox):
    offer = mailbox["offer"]
    urls = [
        reverse("inbox"),
        reverse("search") + "?q=price",
        reverse("quarantine"),
        reverse("message_detail", args=[offer.pk]),
        reverse("message_body", args=[mailbox["html"].pk]),
        reverse("message_raw", args=[offer.pk]),
        reverse("attachment_download", args=[offer.pk, 0]),
        reverse("thread_detail", args=[offer.thread_id]),
        reverse("message_cid", args=[mailbox["html"].pk, "logo@factory"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_login_and_logout(client, user):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="password"' in page.content
    bad = client.post(reverse("login"), {"username": "sales", "password": "wrong"})
    assert bad.status_code == 200 and b'role="alert"' in bad.content
    good = client.post(reverse("login"), {"username": "sales", "password": "correct horse battery"})
    assert good.status_code == 302 and good["Location"] == reverse("inbox")
    assert client.get(reverse("inbox")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("inbox")).status_code == 302


# -- pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_render(signed_in, mailbox):
    offer, html = mailbox["offer"], mailbox["html"]
    for url in [
        reverse("inbox"),
        reverse("search"),
        reverse("search") + "?q=quotation",
        reverse("quarantine"),
        reverse("message_detail", args=[offer.pk]),
        reverse("message_detail", args=[html.pk]),
        reverse("message_detail", args=[html.pk]) + "?view=text",
        reverse("thread_detail", args=[offer.thread_id]),
    ]:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        # No inline script or style attribute anywhere in our own pages.
        assert not re.search(rb"<script(?![^>]*\bsrc=)", response.content), url
        assert b" style=" not in response.content, url


@pytest.mark.django_db
def test_inbox_lists_newest_first_with_thread_counts(signed_in, mailbox):
    content = signed_in.get(reverse("inbox")).content.decode()
    order = [
        content.index(s) for s in ("Newsletter with pictures", "请查收报价单", "Re: Quotation")
    ]
    assert order == sorted(order)
    # The offer and its reply share a thread: both rows say so.
    assert content.count('<span class="thread-count" title="2 messages">2</span>') == 2
    assert 'class="attachment-icon"' in content


@pytest.mark.django_db
def test_thread_shows_messages_in_date_order(signed_in, mailbox):
    offer, reply = mailbox["offer"], mailbox["reply"]
    assert offer.thread_id == reply.thread_id
    content = signed_in.get(reverse("thread_detail", args=[offer.thread_id])).content.decode()
    assert content.index("please find the quotation") < content.index("Thanks, we will check")


@pytest.mark.django_db
def test_message_page_shows_headers_and_attachments(signed_in, mailbox):
    offer = mailbox["offer"]
    content = signed_in.get(reverse("message_detail", args=[offer.pk])).content.decode()
    assert reverse("thread_detail", args=[offer.thread_id]) in content
    assert "li.wei@factory.example" in content and "Ana Buyer &lt;ana@buyer.example&gt;" in content
    assert "报价单 2026.pdf" in content
    assert reverse("attachment_download", args=[offer.pk, 0]) in content
    assert "please find the quotation attached" in content


@pytest.mark.django_db
def test_quarantine_lists_reasons(signed_in, mailbox):
    assert Quarantine.objects.count() == 1
    content = signed_in.get(reverse("quarantine")).content.decode()
    assert "not-mail.eml" in content and "not an email message" in content


# -- HTML body ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_html_body_is_sanitised_and_blocks_remote_images(signed_in, mailbox):
    html = mailbox["html"]
    page = signed_in.get(reverse("message_detail", args=[html.pk])).content.decode()
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "allow-scripts" not in page
    assert 'id="show-images"' in page and "?images=1" in page

    body = signed_in.get(reverse("message_body", args=[html.pk]))
    assert body.status_code == 200
    csp = body["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'self';" in csp and "script-src" not in csp
    assert "sandbox" in csp and "allow-scripts" not in csp
    text = body.content.decode()
    for forbidden in ("<script", "onload", "onerror", "alert(", "<form", "<iframe", "<base",
                      "http-equiv", "track.example", "javascript:", "data:text", "Hidden title",
                      "password"):  # fmt: skip
        assert forbidden not in text, forbidden
    assert "Dear buyer," in text and "color:#c00" in text.replace(" ", "")
    assert 'href="https://factory.example/catalogue"' in text
    cid_url = reverse("message_cid", args=[html.pk, "logo@factory"])
    assert f'src="{cid_url}"' in text

    shown = signed_in.get(reverse("message_body", args=[html.pk]) + "?images=1")
    assert "img-src 'self' https: http:" in shown["Content-Security-Policy"]
    assert "https://track.example/pixel.gif?id=42" in shown.content.decode()
    assert "<script" not in shown.content.decode()

    image = signed_in.get(cid_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG


def test_sanitiser_unit_cases():
    cleaned = sanitise_html(
        '<img src="http://t.example/a.gif"><img src="//t.example/b.gif">'
        '<img src="data:image/png;base64,AAAA"><img srcset="https://t.example/c 2x">'
        '<td background="https://t.example/bg.gif">cell</td>'
        '<a href="/admin/">rel</a><a href=" JaVaScRiPt:alert(1)">js</a>'
        '<div style="width:10px;background:url(https://t.example/x);color:red">s</div>'
        '<p style="font-family:\\75 rl(x)">esc</p><meta http-equiv="refresh" content="0">'
        '<svg><image href="https://t.example/svg"/></svg><object data="x"></object>'
    )
    assert cleaned.blocked_remote_images == 2
    html = cleaned.html
    assert "t.example" not in html and "data:" not in html and "javascript" not in html.lower()
    assert 'href="/admin/"' not in html and "meta" not in html and "svg" not in html
    assert "color:red" in html.replace(" ", "") and "width:10px" in html.replace(" ", "")
    assert "url" not in html and "\\" not in html
    assert 'target="_blank"' in html and "noopener" in html

    allowed = sanitise_html(
        '<img src="https://cdn.example/p.png" onerror="x()">', allow_remote_images=True
    )
    assert 'src="https://cdn.example/p.png"' in allowed.html and "onerror" not in allowed.html
    dropped_cid = sanitise_html('<img src="cid:a@b">')  # no URL maker: dropped, not leaked
    assert "cid:" not in dropped_cid.html
    assert "img-src 'self';" in body_csp(False) and "https:" in body_csp(True)


# -- attachments ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_attachment_download_headers(signed_in, mailbox):
    offer = mailbox["offer"]
    pdf = signed_in.get(reverse("attachment_download", args=[offer.pk, 0]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == PDF
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert pdf["Content-Type"] == "application/octet-stream"
    disposition = pdf["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="2026.pdf"' in disposition or 'filename="_2026.pdf"' in disposition
    star = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(star) == "报价单 2026.pdf"

    # An HTML attachment is never rendered, even when asked for inline.
    page = signed_in.get(reverse("attachment_download", args=[offer.pk, 1]) + "?inline=1")
    assert page["Content-Type"] == "application/octet-stream"
    assert page["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in page["Content-Security-Policy"]

    # A real PNG may be shown inline.
    image = signed_in.get(reverse("attachment_download", args=[offer.pk, 2]) + "?inline=1")
    assert image["Content-Type"] == "image/png" and image["Content-Disposition"].startswith(
        "inline;"
    )

    raw = signed_in.get(reverse("message_raw", args=[offer.pk]))
    assert raw["Content-Disposition"].startswith("attachment;") and b"Subject:" in raw.content
    assert signed_in.get(reverse("attachment_download", args=[offer.pk, 9])).status_code == 404


def test_content_disposition_is_safe():
    value = content_disposition("attachment", '../../etc/pass"wd\r\nX-Evil: 1.txt')
    assert "\r" not in value and "\n" not in value and "/" not in value.split("filename*")[0]
    assert value.count('"') == 2
    assert content_disposition("attachment", "plain.pdf") == 'attachment; filename="plain.pdf"'


# -- search ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_chinese_without_spaces(signed_in, mailbox):
    response = signed_in.get(reverse("search"), {"q": "报价单"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "请查收报价单" in content
    assert "<mark>报价单</mark>" in content
    assert "Re: Quotation" not in content and "Newsletter" not in content
    # The offer matches too: its attachment is called "报价单 2026.pdf".
    assert content.index("请查收报价单") < content.index("Quotation for LED panels")


@pytest.mark.django_db
def test_search_operators(mailbox):
    subjects = lambda q: {hit.message.subject for hit in search_messages(q)}  # noqa: E731
    # The newsletter's inline logo (cid:) is stored, but it is not an attachment.
    assert subjects("has:attachment") == {"Quotation for LED panels"}
    assert subjects("from:ana") == {"Re: Quotation for LED panels"}
    assert subjects("subject:newsletter") == {"Newsletter with pictures"}
    assert "Re: Quotation for LED panels" in subjects("to:li.wei")
    assert subjects("after:2026-03-04") == {"请查收报价单", "Newsletter with pictures"}
    assert subjects("quotation before:2026-03-03") == {"Quotation for LED panels"}
    assert subjects("") == set()
    hits = search_messages("quotation")
    assert [h.message.date for h in hits] == sorted((h.message.date for h in hits), reverse=True)
    assert len(search_messages("quotation", limit=1)) == 1
    assert search_messages("quotation", limit=1, offset=1)[0].message == hits[1].message
    assert "<mark>" in hits[-1].snippet_html


@pytest.mark.django_db
def test_search_bad_date_shows_error(signed_in, mailbox):
    response = signed_in.get(reverse("search"), {"q": "before:yesterday"})
    assert response.status_code == 400
    assert "2026-03-31" in response.content.decode() and 'role="alert"' in response.content.decode()


@pytest.mark.django_db
def test_search_escapes_message_text(signed_in, tmp_path):
    import_emails(tmp_path, {"x.eml": build_email("Offer <b>bold</b>", "price <script>x</script>")})
    content = signed_in.get(reverse("search"), {"q": "price"}).content.decode()
    assert "<script>x" not in content and "&lt;script&gt;" in content


# -- inbox paging --------------------------------------------------------------------------


def _bulk_messages(count: int, same_date_every: int = 3) -> list[int]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        # Several messages share a timestamp, so ties must be broken by id.
        date = now + timedelta(minutes=i // same_date_every)
        rows.append(
            Message(
                dedupe_key=f"k{i}", raw_sha256="0" * 64, raw_size=10, subject=f"bulk {i}",
                from_email=f"s{i}@x.example", date=date, imported_at=now,
            )
        )  # fmt: skip
    Message.objects.bulk_create(rows, batch_size=500)
    return list(Message.objects.order_by("-date", "-id").values_list("id", flat=True))


@pytest.mark.django_db
def test_keyset_pagination_walks_every_message_once(settings):
    expected = _bulk_messages(23)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = inbox_page(cursor, page_size=5)
        seen.extend(m.pk for m in page.messages)
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected and pages == 5
    # And back again with the "newer" cursors.
    back: list[int] = []
    while page.prev_cursor:
        page = inbox_page(page.prev_cursor, page_size=5)
        back = [m.pk for m in page.messages] + back
    assert back == expected[:20] and page.prev_cursor is None
    assert decode_cursor("garbage!") is None and inbox_page("garbage", 5).messages


@pytest.mark.django_db
def test_inbox_page_queries_are_bounded(signed_in, settings):
    settings.TRADEINBOX = {**settings.TRADEINBOX, "INBOX_PAGE_SIZE": 10}
    _bulk_messages(40)
    first = signed_in.get(reverse("inbox"))
    cursor = re.search(r'rel="next" href="\?cursor=([^"]+)"', first.content.decode()).group(1)
    with CaptureQueriesContext(connection) as queries:
        second = signed_in.get(reverse("inbox"), {"cursor": cursor})
    assert second.status_code == 200
    assert second.content.decode().count('class="message-row') == 10
    assert len(queries) <= 6
    assert not any("COUNT(" in q["sql"].upper() for q in queries)


@pytest.mark.django_db
def test_inbox_query_walks_an_index_without_sorting():
    if connection.vendor != "sqlite":
        pytest.skip("query plan check is written for SQLite")
    _bulk_messages(30)
    first = inbox_page(None, page_size=5)
    with CaptureQueriesContext(connection) as queries:
        inbox_page(first.next_cursor, page_size=5)
    select = next(q["sql"] for q in queries if 'FROM "store_message"' in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + select)
        plan = " ".join(str(row) for row in cursor.fetchall())
    # A date index (with the rowid as tie-breaker) serves both the range and the
    # order: no full scan, no temporary sort of the whole table.
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan


# -- language ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_language_switch_is_saved(signed_in, user):
    response = signed_in.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    from tradeinbox.users.models import Profile

    assert Profile.objects.get(user=user).language == "es"
    page = signed_in.get(reverse("inbox")).content.decode()
    assert 'lang="es"' in page and "Bandeja de entrada" in page
    signed_in.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "收件箱" in signed_in.get(reverse("inbox")).content.decode()


@pytest.mark.django_db
def test_saved_language_applies_at_sign_in(client, user):
    from tradeinbox.users.models import Profile

    Profile.objects.create(user=user, language="zh-hans")
    response = client.post(
        reverse("login"), {"username": "sales", "password": "correct horse battery"}
    )
    assert response.cookies["django_language"].value == "zh-hans"
    assert "收件箱" in client.get(reverse("inbox")).content.decode()


@pytest.mark.django_db
def test_attachment_rows_match_import(mailbox):
    names = list(
        Attachment.objects.filter(message=mailbox["offer"]).values_list("filename", flat=True)
    )
    assert names == ["报价单 2026.pdf", "invoice.html", "photo.png"]


@pytest.mark.django_db
def test_dense_and_sparse_search_plans_agree(monkeypatch, tmp_path):
    from tradeinbox.store import querying

    emails = {
        f"m{i}.eml": build_email(
            f"Offer {i}",
            "common words in every message" + (" 样品" if i % 3 == 0 else ""),
            date=BASE_DATE + timedelta(hours=(i * 7) % 24, days=i % 5),
            attachments=[("a.pdf", "application/pdf", PDF)] if i % 2 else [],
        )
        for i in range(24)
    }
    import_emails(tmp_path, emails)
    queries = [
        "common",
        "common has:attachment",
        "样品",
        "common after:2026-03-04",
        "words before:2026-03-04",
    ]
    sparse = {q: [h.message.pk for h in search_messages(q, limit=7, offset=3)] for q in queries}
    monkeypatch.setattr(querying, "DENSE_MATCHES", 2)
    with CaptureQueriesContext(connection) as captured:
        dense = {q: [h.message.pk for h in search_messages(q, limit=7, offset=3)] for q in queries}
    assert dense == sparse and all(sparse.values())
    if connection.vendor == "sqlite":
        assert any("INDEXED BY message_newest_first" in q["sql"] for q in captured)
        walk = next(q["sql"] for q in captured if "INDEXED BY" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + walk)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "message_newest_first" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.django_db
def test_preferences_set_language_and_time_zone(signed_in, user, mailbox):
    from tradeinbox.users.models import Profile

    assert signed_in.get(reverse("preferences")).status_code == 200
    bad = signed_in.post(reverse("preferences"), {"language": "es", "time_zone": "Mars/Base"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    response = signed_in.post(
        reverse("preferences"), {"language": "es", "time_zone": "Asia/Shanghai"}
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.language, profile.time_zone) == ("es", "Asia/Shanghai")
    # 09:30 UTC is 17:30 in Shanghai.
    page = signed_in.get(reverse("message_detail", args=[mailbox["offer"].pk])).content.decode()
    assert "17:30" in page and "Para" in page
