"""Compose with the writing assistant, through Django's test client and a real database:
template fill for a CRM person, undefined variables named before sending, the live check,
the check again on send (errors block until confirmed), send-time scheduling, reply
prefill with the recommended recipients, and the user's own templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tests.customers_mail import OWN, write_mail
from tradeinbox.customers import services
from tradeinbox.customers.models import Company, EmailAddress, Person
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message
from tradeinbox.writing.models import UserTemplate

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def world(tmp_path, client):
    user = User.objects.create_user("li", email=OWN, password="compose pass 1")
    summary = Importer().import_paths([write_mail(tmp_path / "mail")])
    services.analyse_messages(summary.new_message_ids)
    account = Account(
        email_address=OWN, sender_name="Li Wei", company="Ningbo Tools",
        imap_host="127.0.0.1", smtp_host="127.0.0.1", username=OWN,
        signature="Li Wei\nSales Manager, Ningbo Tools\nTel: +86 574 8765 4321",
    )  # fmt: skip
    account.set_password("x")
    account.save()
    client.force_login(user)
    anna = EmailAddress.objects.get(address="anna.silva@buyer.com.br").person
    return {"user": user, "account": account, "anna": anna, "client": client}


def compose_data(world, **overrides) -> dict:
    data = {
        "account": world["account"].pk,
        "to": "Anna Silva <anna.silva@buyer.com.br>",
        "cc": "",
        "bcc": "",
        "subject": "Steel pipes quotation - Ningbo Tools - RFQ# 4471",
        "body": "Dear Anna,\n\nOur price is USD 820/ton FOB Shanghai.\n\n"
        "Could you confirm the quantity?\n\nBest regards,\nLi Wei\n",
    }
    data.update(overrides)
    return data


def test_fill_template_for_a_person_names_missing_variables_then_fills(world):
    c = world["client"]
    anna = world["anna"]
    base = compose_data(world, to="", subject="", body="")
    base.update(tpl="builtin:en:cold_outreach", tpl_person=anna.pk, tpl_title="ms")
    response = c.post("/writing/compose/panel/", {**base, "action": "fill"})
    html = response.content.decode()
    # deal.product is not known for Anna: an error naming it, never a gap in the text.
    assert response.status_code == 200 and "deal.product" in html and "fill-problems" in html
    assert 'name="var.deal.product"' in html and "hx-swap-oob" not in html

    base["var.deal.product"] = "seamless steel pipes"
    base["var.deal.value_points"] = "ISO 9001 mill\n35-day lead time"
    response = c.post("/writing/compose/panel/", {**base, "action": "fill"})
    html = response.content.decode()
    assert "fill-ok" in html and response.headers["HX-Trigger-After-Settle"] == "recheck"
    assert 'id="body-field"' in html and "Dear Ms. Silva," in html
    assert "seamless steel pipes" in html and "- ISO 9001 mill" in html
    # To was empty: the person's formal address is put in (not her gmail).
    assert 'id="to-field"' in html and "anna.silva@buyer.com.br" in html
    assert "{{" not in html.split('id="body-field"')[1]


def test_panel_lists_only_what_the_crm_does_not_know(world):
    c = world["client"]
    data = compose_data(world, tpl="builtin:es:shipping_notice", tpl_person=world["anna"].pk)
    html = c.post("/writing/compose/panel/", data).content.decode()
    for name in ("deal.po_no", "deal.carrier", "deal.tracking_no", "deal.eta"):
        assert f'name="var.{name}"' in html
    assert 'name="var.company.name"' not in html  # Buyer's company comes from the CRM
    assert 'type="date" id' in html  # deal.eta asks for a date


def test_live_check_reports_findings_with_spans_and_send_time(world):
    c = world["client"]
    body = "Dear Anna,\n\nPlease find attached our PRICE LIST.\n\nBest regards,\nLi Wei\n"
    html = c.post("/writing/compose/check/", compose_data(world, body=body)).content.decode()
    assert 'data-rule="attachment.missing"' in html and 'data-errors="1"' in html
    start = body.index("Please find attached")
    assert f'data-start="{start}"' in html
    assert '<mark class="mark-error"' in html and "Please find attached</mark>" in html
    assert 'id="sendtime-card"' in html and "America/Sao_Paulo" in html  # +55 phone, .br
    # The file is chosen: the error goes away before anything is uploaded.
    meta = '[{"name": "prices.pdf", "size": 120000, "type": "application/pdf"}]'
    html = c.post(
        "/writing/compose/check/", compose_data(world, body=body, attachment_meta=meta)
    ).content.decode()
    assert 'data-errors="0"' in html and "prices.pdf" in html


def test_send_is_blocked_by_errors_until_confirmed(world):
    c = world["client"]
    data = compose_data(world, body="Dear Anna,\n\nAttached is the PI.\n\nBest regards,\nLi Wei\n")
    response = c.post("/mailbox/compose/", data)
    assert response.status_code == 200 and not OutboxMessage.objects.exists()
    html = response.content.decode()
    assert "attachment.missing" in html and 'name="confirm_errors"' in html
    response = c.post("/mailbox/compose/", {**data, "confirm_errors": "on"})
    assert response.status_code == 302 and OutboxMessage.objects.count() == 1


def test_accepting_the_suggested_time_schedules_the_send(world):
    c = world["client"]
    later = datetime.now(UTC) + timedelta(days=1, hours=3)
    response = c.post("/mailbox/compose/", compose_data(world, schedule_at=later.isoformat()))
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    assert row.status == "queued" and abs((row.send_at - later).total_seconds()) < 1
    assert "Steel pipes quotation" in c.get("/mailbox/outbox/").content.decode()


def test_reply_prefills_recipients_subject_and_quote(world):
    c = world["client"]
    original = Message.objects.get(message_id="m3@test")  # Anna, from her gmail
    html = c.get(f"/mailbox/compose/?reply_to={original.pk}").content.decode()
    assert 'value="Re: Inquiry: steel pipes"' in html
    # To: the formal company address; Cc: the personal one she used in this thread.
    assert 'name="to" value="anna.silva@buyer.com.br"' in html
    assert "anna.silva77@gmail.com" in html.split('name="cc"')[1].split(">")[0]
    assert "&gt; Thanks, the price is fine" in html  # the quote, kept apart
    assert 'value="&lt;m3@test&gt;"' in html and 'value="&lt;m2@test&gt;"' in html

    data = compose_data(
        world, to="anna.silva@buyer.com.br", cc="anna.silva77@gmail.com",
        subject="Re: Inquiry: steel pipes", in_reply_to="<m3@test>",
        quoted="On 2026-03-02, Anna wrote:\n> Please find attached the drawing.\n",
        thread=original.thread_id,
    )  # fmt: skip
    assert c.post("/mailbox/compose/", data).status_code == 302
    from tradeinbox.mailbox import outbox

    raw = outbox.blobs().get(OutboxMessage.objects.get().raw_sha256).decode()
    assert raw.index("Sales Manager, Ningbo Tools") < raw.index("> Please find attached")
    assert "In-Reply-To: <m3@test>" in raw


def test_recipient_warnings_for_former_addresses(world):
    c = world["client"]
    gone = EmailAddress.objects.get(address="carlos.lima@buyer.com.br")
    assert gone.kind == "former"
    html = c.post(
        "/writing/compose/check/", compose_data(world, to="carlos.lima@buyer.com.br")
    ).content.decode()
    assert "recipients.bad_address" in html


def test_user_templates_are_checked_saved_and_used(world):
    c = world["client"]
    response = c.post(
        "/writing/templates/new/",
        {"name": "Price update", "language": "en", "subject": "Prices {{ deal.prodcut }}",
         "body": "{{ salutation }}\n\nNew prices.\n\n{{ signature }}"},
    )  # fmt: skip
    assert response.status_code == 200 and "unknown variable" in response.content.decode()
    response = c.post(
        "/writing/templates/new/",
        {"name": "Price update", "language": "en", "subject": "Prices {{ deal.product }}",
         "body": "{{ salutation }}\n\nNew prices for {{ company.name }}.\n\n{{ signature }}"},
    )  # fmt: skip
    assert response.status_code == 302
    row = UserTemplate.objects.get()
    page = c.get("/writing/templates/").content.decode()
    assert "Price update" in page and "Cold outreach" in page
    data = compose_data(world, tpl=f"user:{row.pk}", tpl_person=world["anna"].pk, action="fill")
    data["var.deal.product"] = "pipes"
    html = c.post("/writing/compose/panel/", data).content.decode()
    company = world["anna"].company.name
    assert company and f"New prices for {company}." in html
    other = User.objects.create_user("bo", password="x")
    c.force_login(other)
    assert c.get(f"/writing/templates/{row.pk}/").status_code == 404


def test_compose_page_renders_the_picker(world):
    html = (
        world["client"]
        .get(f"/mailbox/compose/?template=builtin:zh:order_confirmation&person={world['anna'].pk}")
        .content.decode()
    )
    assert 'value="builtin:zh:order_confirmation" selected' in html
    assert 'hx-post="/writing/compose/check/"' in html
    assert "<script>" not in html  # CSP: no inline script
    assert Company.objects.exists() and Person.objects.exists()


def test_compose_page_in_chinese_and_spanish(world):
    c = world["client"]
    for language, words in (
        ("zh-hans", ["模板", "填充", "称谓"]),
        ("es", ["Plantilla", "Rellenar"]),
    ):
        c.cookies["django_language"] = language
        html = c.get("/mailbox/compose/").content.decode()
        assert all(w in html for w in words), language
        body = "Dear Anna,\n\nAttached is the PI.\n"
        html = c.post("/writing/compose/check/", compose_data(world, body=body)).content.decode()
        assert ("个错误" if language == "zh-hans" else "error") in html
