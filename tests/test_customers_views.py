"""Customer pages: pools enforced in queries (404 for others' customers), merges, chats."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.customers_mail import OWN, WHATSAPP, write_mail
from tradeinbox.customers import services
from tradeinbox.customers.models import ChatMessage, Company, EmailAddress, MergeProposal
from tradeinbox.store.importer import Importer
from tradeinbox.users.roles import assign_role

pytestmark = [pytest.mark.django_db]
PASSWORD = "customer views pass 42"


@pytest.fixture
def world(tmp_path):
    User.objects.create_user("li", email=OWN, password=PASSWORD)
    summary = Importer().import_paths([write_mail(tmp_path / "mail")])
    services.analyse_messages(summary.new_message_ids)
    ana = User.objects.create_user("ana", password=PASSWORD)
    bo = User.objects.create_user("bo", password=PASSWORD)
    boss = User.objects.create_user("boss", password=PASSWORD)
    assign_role(ana, "salesperson")
    assign_role(bo, "salesperson")
    assign_role(boss, "manager")
    company = Company.objects.get()
    services.assign(company, ana)
    return {"ana": ana, "bo": bo, "boss": boss, "company": company}


def login(client, user):
    client.force_login(user)
    return client


def test_owner_sees_company_page_with_people_ranking_and_timeline(client, world):
    c = login(client, world["ana"])
    response = c.get(f"/customers/{world['company'].pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "anna.silva77@gmail.com" in html and "Decision makers" in html
    assert "Inquiry: steel pipes" in html  # timeline
    assert response.headers["Content-Security-Policy"]


def test_other_salesperson_gets_404_and_empty_list(client, world):
    c = login(client, world["bo"])
    assert c.get(f"/customers/{world['company'].pk}/").status_code == 404
    person = EmailAddress.objects.get(address="anna.silva@buyer.com.br").person
    assert c.get(f"/customers/people/{person.pk}/").status_code == 404
    assert "buyer.com.br" not in c.get("/customers/").content.decode()
    proposal = MergeProposal.objects.get(status="proposed")
    assert c.post(f"/customers/merges/{proposal.pk}/confirm/").status_code == 404
    assert (
        c.post(f"/customers/{world['company'].pk}/owner/", {"action": "claim"}).status_code == 404
    )


def test_manager_reassigns_and_pool_claim(client, world):
    c = login(client, world["boss"])
    company = world["company"]
    assert c.get(f"/customers/{company.pk}/").status_code == 200
    c.post(f"/customers/{company.pk}/owner/", {"action": "assign", "owner": ""})
    company.refresh_from_db()
    assert company.owner is None
    bo = login(client, world["bo"])
    assert bo.get(f"/customers/{company.pk}/").status_code == 200  # in the pool now
    bo.post(f"/customers/{company.pk}/owner/", {"action": "claim"})
    company.refresh_from_db()
    assert company.owner == world["bo"]
    ana = login(client, world["ana"])
    assert (
        ana.post(f"/customers/{company.pk}/owner/", {"action": "assign", "owner": ""}).status_code
        == 404
    )


def test_salesperson_cannot_reassign(client, world):
    c = login(client, world["ana"])
    company = world["company"]
    response = c.post(
        f"/customers/{company.pk}/owner/", {"action": "assign", "owner": world["bo"].pk}
    )
    assert response.status_code == 403


def test_confirm_and_split_through_the_pages(client, world):
    c = login(client, world["ana"])
    proposal = MergeProposal.objects.get(status="proposed")
    c.post(f"/customers/merges/{proposal.pk}/confirm/")
    proposal.refresh_from_db()
    assert proposal.status == "confirmed"
    c.post(f"/customers/merges/{proposal.pk}/split/")
    proposal.refresh_from_db()
    assert proposal.status == "split"


def test_whatsapp_upload_and_channel_form(client, world):
    c = login(client, world["ana"])
    person = EmailAddress.objects.get(address="anna.silva@buyer.com.br").person
    upload = SimpleUploadedFile("WhatsApp Chat with Anna.txt", WHATSAPP.encode(), "text/plain")
    c.post(f"/customers/people/{person.pk}/chats/", {"file": upload})
    assert ChatMessage.objects.filter(person=person).count() == 3
    page = c.get(f"/customers/people/{person.pk}/").content.decode()
    assert "I will send the PO tomorrow" in page
    c.post(
        f"/customers/people/{person.pk}/channels/", {"kind": "telegram", "value": "t.me/Anna_Buyer"}
    )
    assert person.channels.filter(kind="telegram", value="@anna_buyer").exists()
    bad = SimpleUploadedFile("notes.txt", b"just some notes", "text/plain")
    response = c.post(f"/customers/people/{person.pk}/chats/", {"file": bad}, follow=True)
    assert "Could not import" in response.content.decode()


def test_recipients_json(client, world):
    from tradeinbox.store.models import Message

    c = login(client, world["ana"])
    thread = Message.objects.get(message_id__startswith="m3").thread_id
    data = c.get(f"/customers/recipients/thread/{thread}/").json()
    assert data["to"] == ["anna.silva@buyer.com.br"]
    assert data["cc"] == ["anna.silva77@gmail.com"]
