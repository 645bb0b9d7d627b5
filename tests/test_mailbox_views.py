"""Mailbox pages through Django's test client: connect form, compose, outbox actions."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path

from tests.servers import mail as mail_servers
from tests.servers.mail import make_account
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import Account, OutboxMessage

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_mailbox_views")]
urlpatterns = [
    path("mailbox/", include("tradeinbox.mailbox.urls")),
    path("", include("tradeinbox.urls")),
]


@pytest.fixture
def client_in(client):
    user = User.objects.create_user("sales", password="pw-123456")
    client.force_login(user)
    return client


def form_data(dovecot, user, relay, **overrides):
    data = {
        "email_address": user.address,
        "sender_name": "Li Wei",
        "company": "Ningbo Tools",
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.imap_port,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": relay.port,
        "smtp_security": "none",
        "username": "",
        "password": user.password,
        "sent_copy": "auto",
        "verify_tls": "on",
        "signature": "",
    }
    data.update(overrides)
    return data


@pytest.mark.servers
def test_connect_form_tests_before_saving(client_in, dovecot, mail_user, smtp_relay):
    response = client_in.post(
        "/mailbox/accounts/add/", form_data(dovecot, mail_user, smtp_relay, password="wrong")
    )
    assert response.status_code == 200
    assert not Account.objects.exists()
    page = response.content.decode()
    assert 'data-step="login"' in page and "did not accept the user name or password" in page

    response = client_in.post("/mailbox/accounts/add/", form_data(dovecot, mail_user, smtp_relay))
    account = Account.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/accounts/{account.pk}/")
    assert account.username == mail_user.address  # blank user name: the address
    assert account.get_password() == mail_user.password
    assert mail_user.password not in account.password_encrypted


def test_unencrypted_remote_server_is_refused(client_in):
    response = client_in.post(
        "/mailbox/accounts/add/",
        {
            "email_address": "li@factory.example",
            "sender_name": "Li",
            "imap_host": "imap.factory.example",
            "imap_port": 143,
            "imap_security": "none",
            "smtp_host": "smtp.factory.example",
            "smtp_port": 587,
            "smtp_security": "starttls",
            "password": "x",
            "sent_copy": "auto",
        },
    )
    assert response.status_code == 200 and not Account.objects.exists()
    assert "only allowed to a server on this computer" in response.content.decode()


@pytest.mark.servers
def test_compose_schedule_move_cancel(client_in, dovecot, mail_user, smtp_relay):
    account = make_account(dovecot, mail_user, smtp_relay)
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_in.post(
        "/mailbox/compose/",
        {
            "account": account.pk,
            "to": "Ana <ana@buyer.example>",
            "cc": "",
            "bcc": "boss@factory.example",
            "subject": "Offer 报价",
            "body": "Dear Ana,\nprices attached.",
            "send_at": later,
            "attachments": [SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", "application/pdf")],
        },
    )
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    assert row.status == "queued" and row.recipients == [
        "ana@buyer.example",
        "boss@factory.example",
    ]
    assert row.send_at > datetime.now(UTC) + timedelta(hours=23)
    raw = outbox.blobs().get(row.raw_sha256)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Offer 报价" and "Bcc" not in parsed
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["offer.pdf"]

    page = client_in.get("/mailbox/outbox/").content.decode()
    assert "Offer 报价" in page and 'data-status="queued"' in page

    sooner = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client_in.post(f"/mailbox/outbox/{row.pk}/reschedule/", {"send_at": sooner})
    row.refresh_from_db()
    assert row.send_at < datetime.now(UTC) + timedelta(hours=3)
    client_in.post(f"/mailbox/outbox/{row.pk}/cancel/")
    row.refresh_from_db()
    assert row.status == "cancelled"


@pytest.mark.servers
def test_compose_rejects_bad_address(client_in, dovecot, mail_user, smtp_relay):
    account = make_account(dovecot, mail_user, smtp_relay)
    response = client_in.post(
        "/mailbox/compose/",
        {
            "account": account.pk,
            "to": "ana at buyer",
            "subject": "x",
            "body": "y",
        },
    )
    assert response.status_code == 200 and not OutboxMessage.objects.exists()
    assert "is not an email address" in response.content.decode()


def test_pages_need_sign_in(client):
    response = client.get("/mailbox/compose/")
    assert response.status_code == 302 and "/login/" in response["Location"]
