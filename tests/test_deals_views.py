"""Deal pages and downloads: visibility, CSRF, stage changes, consolidation, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.deals_mail import COLLEAGUE, GMAIL, OFFICE, SELLER, START, deal_messages, store
from tradeinbox.customers import services
from tradeinbox.customers.models import Company
from tradeinbox.deals.models import Deal, DealSettings, FeedToken, FollowUp, StageChange
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.store.models import Thread
from tradeinbox.users.roles import assign_role

pytestmark = [pytest.mark.django_db]
PASSWORD = "deal views pass 42"
H = timedelta(hours=1)


@pytest.fixture
def world(tmp_path):
    li = User.objects.create_user("li", email=SELLER, password=PASSWORD)
    bo = User.objects.create_user("bo", password=PASSWORD)
    boss = User.objects.create_user("boss", password=PASSWORD)
    assign_role(li, "salesperson")
    assign_role(bo, "salesperson")
    assign_role(boss, "manager")
    account = Account(
        owner=li, email_address=SELLER, sender_name="Li Wei", company="Ningbo Tools",
        imap_host="127.0.0.1", imap_security="none", smtp_host="127.0.0.1",
        smtp_security="none", username=SELLER,
    )  # fmt: skip
    account.set_password("unused")
    account.save()
    store(tmp_path, deal_messages()[:5], now=START + 9 * 24 * H)
    company = Company.objects.get(name="Andina Import")
    services.assign(company, li)
    deal = Deal.objects.get()
    deal.owner = li
    deal.save()
    return {"li": li, "bo": bo, "boss": boss, "deal": deal}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_pages_render_for_the_owner_and_404_for_another_salesperson(world):
    deal = world["deal"]
    li = client_for(world["li"])
    for url in (
        "/deals/",
        "/deals/all/",
        f"/deals/{deal.pk}/",
        "/deals/dashboard/",
        "/deals/settings/",
    ):
        response = li.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response.headers
    html = li.get(f"/deals/{deal.pk}/").content.decode()
    assert "Inquiry: LP-600 LED panels for Colombia" in html
    assert "Put everything in one place" in html  # two buyer addresses: consolidation
    assert "QT-2026-031" in html and "4500012345" in html
    bo = client_for(world["bo"])
    assert bo.get(f"/deals/{deal.pk}/").status_code == 404
    assert "LP-600" not in bo.get("/deals/all/").content.decode()
    assert bo.post(f"/deals/{deal.pk}/stage/", {"stage": "order"}).status_code == 404
    assert client_for(world["boss"]).get(f"/deals/{deal.pk}/").status_code == 200
    assert Client().get("/deals/").status_code == 302  # sign-in first


def test_accepting_the_suggestion_moves_the_stage_with_history(world):
    deal = world["deal"]
    assert deal.suggested_stage == "order"
    li = client_for(world["li"])
    response = li.post(f"/deals/{deal.pk}/stage/", {"stage": "order", "accepted": "on"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "order" and deal.suggested_stage == ""
    change = StageChange.objects.last()
    assert (change.from_stage, change.to_stage, change.source, change.by) == (
        "inquiry", "order", "suggestion", world["li"],
    )  # fmt: skip
    assert change.evidence  # why it was suggested is kept
    assert li.post(f"/deals/{deal.pk}/stage/", {"stage": "nonsense"}).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "order"


def test_posts_need_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world["li"])
    assert c.post(f"/deals/{world['deal'].pk}/stage/", {"stage": "order"}).status_code == 403
    assert c.get("/deals/").status_code == 200


def test_edit_amount_and_owner(world):
    deal = world["deal"]
    li = client_for(world["li"])
    li.post(
        f"/deals/{deal.pk}/edit/",
        {
            "title": "LP-600 for Andina",
            "amount": "8100.00",
            "currency": "usd",
            "formal_address": OFFICE,
        },
    )
    deal.refresh_from_db()
    assert (deal.title, str(deal.amount), deal.currency, deal.formal_address) == (
        "LP-600 for Andina",
        "8100.00",
        "USD",
        OFFICE,
    )
    assert deal.owner == world["li"]  # a salesperson cannot hand it over
    li.post(f"/deals/{deal.pk}/edit/", {"title": "x", "amount": "5", "currency": ""})
    deal.refresh_from_db()
    assert str(deal.amount) == "8100.00"  # amount without a currency is refused
    boss = client_for(world["boss"])
    boss.post(f"/deals/{deal.pk}/edit/", {"title": deal.title, "owner": str(world["bo"].pk)})
    deal.refresh_from_db()
    assert deal.owner == world["bo"]


def test_consolidation_mail_goes_to_the_formal_address_through_the_outbox(world):
    deal = world["deal"]
    li = client_for(world["li"])
    html = li.get(f"/deals/{deal.pk}/").content.decode()
    assert f'value="{OFFICE}"' in html
    response = li.post(
        f"/deals/{deal.pk}/consolidation/",
        {
            "to": OFFICE,
            "cc": f"{GMAIL}, {COLLEAGUE}",
            "subject": "Summary",
            "body": "Dear Carlos,\n...",
        },
    )
    assert response.status_code == 302
    row = OutboxMessage.objects.get(subject="Summary")
    assert row.recipients == [OFFICE, GMAIL, COLLEAGUE]
    assert (
        li.post(
            f"/deals/{deal.pk}/consolidation/",
            {"to": "not an address", "subject": "x", "body": "y"},
        ).status_code
        == 302
    )
    assert OutboxMessage.objects.filter(subject="x").count() == 0


def test_followup_actions_from_the_due_list(world):
    deal = world["deal"]
    li = client_for(world["li"])
    fu = FollowUp.objects.create(
        deal=deal,
        rule="manual",
        step=1,
        action="task",
        anchor_at=START,
        due_at=START,
        status="open",
    )
    html = li.get("/deals/").content.decode()
    assert f'data-followup="{fu.pk}"' in html
    li.post(f"/deals/followups/{fu.pk}/done/", {"next": "/deals/"})
    fu.refresh_from_db()
    assert fu.status == "done" and fu.finished_by == world["li"]
    assert client_for(world["bo"]).post(f"/deals/followups/{fu.pk}/cancel/").status_code == 404


def test_due_list_shows_waiting_mail_overdue_first(world):
    html = client_for(world["li"]).get("/deals/").content.decode()
    # The PO (March 2026) is unanswered and long overdue.
    assert "PO 4500012345 - LP-600" in html and "is-overdue" in html


def test_calendar_feed_needs_the_secret_and_a_new_link_revokes_it(world):
    li = client_for(world["li"])
    li.get("/deals/")  # makes the token
    token = FeedToken.objects.get(user=world["li"]).token
    anonymous = Client()
    response = anonymous.get(f"/deals/feed/{world['li'].pk}/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT" in body
    assert "Reply: PO 4500012345 - LP-600" in body
    assert anonymous.get(f"/deals/feed/{world['li'].pk}/{token[:-1]}x.ics").status_code == 404
    assert anonymous.get(f"/deals/feed/{world['bo'].pk}/{token}.ics").status_code == 404
    li.post("/deals/feed/reset/")
    assert anonymous.get(f"/deals/feed/{world['li'].pk}/{token}.ics").status_code == 404


def test_csv_and_vcard_exports(world):
    deal = world["deal"]
    deal.title = '=HYPERLINK("http://evil")'
    deal.save()
    li = client_for(world["li"])
    response = li.get("/deals/export/deals.csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "title", "company", "contact", "stage"]
    assert rows[1][1].startswith("'=")  # never a live formula in a spreadsheet
    assert rows[1][7] == "FOB Ningbo"
    contacts = li.get("/deals/export/contacts.csv").content.decode("utf-8-sig")
    assert OFFICE in contacts and "Andina Import" in contacts
    vcf = li.get("/deals/export/contacts.vcf").content.decode()
    assert vcf.count("BEGIN:VCARD") >= 2 and f"EMAIL;TYPE=work;PREF=1:{OFFICE}" in vcf
    deal_vcf = li.get(f"/deals/{deal.pk}/people.vcf").content.decode()
    assert deal_vcf.count("FN:Carlos M") == 2  # his Gmail and his office address
    assert client_for(world["bo"]).get(f"/deals/{deal.pk}/people.vcf").status_code == 404
    assert "Andina" not in client_for(world["bo"]).get("/deals/export/deals.csv").content.decode()


def test_settings_only_for_managers_and_validated(world):
    data = {
        "time_zone": "Asia/Shanghai", "day_start": "09:00", "day_end": "18:00",
        "lunch_start": "12:00", "lunch_end": "13:30", "country": "cn",
        "reply_hours_d": "1", "reply_hours_c": "2", "reply_hours_b": "24", "ungraded_hours": "",
        "max_unanswered": "3", "followup_mode": "review", "workday_list": ["0", "1", "2", "3", "4", "5"],
    }  # fmt: skip
    assert client_for(world["li"]).post("/deals/settings/", data).status_code == 403
    boss = client_for(world["boss"])
    assert boss.post("/deals/settings/", data).status_code == 302
    row = DealSettings.load()
    assert (row.time_zone, row.country, row.workdays, row.ungraded_hours) == (
        "Asia/Shanghai",
        "CN",
        "0,1,2,3,4,5",
        None,
    )
    bad = boss.post("/deals/settings/", data | {"time_zone": "Mars/Olympus", "day_end": "08:00"})
    assert bad.status_code == 200
    assert "Unknown time zone." in bad.content.decode()
    assert DealSettings.load().time_zone == "Asia/Shanghai"


def test_open_a_deal_from_a_thread_and_merge_two_deals(world, tmp_path):
    from tests.deals_mail import SELLER_FROM, mail

    cold = mail(
        SELLER_FROM,
        "Ana <ana@newbuyer.example>",
        "LED panels for your stores",
        "Dear Ana,\nwe make LED panels.\nLi",
        at=START,
        msgid="c1",
    )
    store(tmp_path, [("cold.eml", cold)])
    thread = Thread.objects.get(messages__message_id="c1@deal.test")
    li = client_for(world["li"])
    response = li.post(f"/deals/from-thread/{thread.pk}/")
    new = Deal.objects.exclude(pk=world["deal"].pk).get()
    assert response["Location"] == f"/deals/{new.pk}/"
    assert new.stage == "cold" and new.owner == world["li"]
    li.post(f"/deals/{world['deal'].pk}/merge/", {"other": str(new.pk)})
    assert Deal.objects.count() == 1
    assert world["deal"].deal_messages.filter(message__message_id="c1@deal.test").exists()
