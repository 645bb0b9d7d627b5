"""The audit log: one entry per action, from the real views, with who, what and where."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.roles_world import PRIVATE, World, build_world
from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, make_account
from tradeinbox.audit.log import client_ip
from tradeinbox.audit.models import AuditEntry
from tradeinbox.mailbox import outbox

pytestmark = [pytest.mark.django_db]
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay
AGENT = "Mozilla/5.0 (audit test)"


@pytest.fixture
def world(tmp_path) -> World:
    return build_world(tmp_path)


def as_user(world: World, name: str) -> Client:
    client = Client(HTTP_USER_AGENT=AGENT)
    client.force_login(world.users[name])
    return client


def last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-id").first()
    assert entry is not None, f"no {action} entry"
    return entry


def assert_from_request(entry: AuditEntry, user) -> None:
    assert entry.actor == user and entry.actor_name == user.get_username()
    assert entry.ip == "127.0.0.1" and entry.user_agent == AGENT
    assert entry.created_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - entry.created_at).total_seconds()) < 120


@pytest.mark.parametrize("action", ["confirm", "split", "reject"])
def test_merge_actions(world, action):
    client = as_user(world, "sales_a")
    if action == "split":
        client.post(reverse("customers:merge_confirm", args=[world.proposal.pk]))
    response = client.post(reverse(f"customers:merge_{action}", args=[world.proposal.pk]))
    assert response.status_code == 302
    entry = last(f"merge.{action}")
    assert_from_request(entry, world.users["sales_a"])
    assert entry.object_type == "customers.mergeproposal"
    assert entry.object_id == str(world.proposal.pk)
    expected = {"confirm": "confirmed", "split": "split", "reject": "rejected"}[action]
    assert entry.before["status"] != expected and entry.after["status"] == expected


def test_owner_reassignment(world):
    client = as_user(world, "manager_a")
    url = reverse("customers:company_owner", args=[world.company.pk])
    client.post(url, {"action": "assign", "owner": world.users["sales_a2"].pk})
    entry = last("customer.owner")
    assert_from_request(entry, world.users["manager_a"])
    assert entry.before == {"owner": "sales_a"}
    assert entry.after == {"owner": "sales_a2", "how": "assign"}
    assert entry.object_id == str(world.company.pk)


def test_account_add_edit_remove(world):
    client = as_user(world, "sales_b")
    form = {
        "email_address": "sales-b@ourco.example",
        "sender_name": "Sales B",
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": 1,
        "smtp_security": "none",
        "username": "sales-b",
        "password": "secret app password",
        "sent_copy": "auto",
        "save_without_test": "on",
    }
    assert client.post(reverse("mailbox:account_add"), form).status_code == 302
    added = last("account.add")
    assert_from_request(added, world.users["sales_b"])
    assert added.before is None and added.after["email_address"] == form["email_address"]
    assert added.after["password_changed"] is True
    assert "secret app password" not in str(added.after)
    pk = int(added.object_id)
    edited = {**form, "sender_name": "B. Sales", "password": ""}
    assert client.post(reverse("mailbox:account_edit", args=[pk]), edited).status_code == 302
    entry = last("account.edit")
    assert entry.before["sender_name"] == "Sales B" and entry.after["sender_name"] == "B. Sales"
    assert entry.after["password_changed"] is False
    assert client.post(reverse("mailbox:account_remove", args=[pk])).status_code == 302
    removed = last("account.remove")
    assert removed.before["email_address"] == form["email_address"] and removed.object_id == str(pk)


def test_preferences_and_language(world):
    client = as_user(world, "sales_a")
    client.post(reverse("preferences"), {"language": "es", "time_zone": "America/Lima"})
    entry = last("settings.preferences")
    assert_from_request(entry, world.users["sales_a"])
    assert entry.after == {"language": "es", "time_zone": "America/Lima"}
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert last("settings.language").after == {"language": "zh-hans"}


def test_deal_stage_and_settings(world):
    if "deal" not in world.objects:
        pytest.skip("deals app not installed")
    from tradeinbox.deals.forms import SettingsForm
    from tradeinbox.deals.models import DealSettings

    deal = world.objects["deal"]
    client = as_user(world, "sales_a")
    client.post(reverse("deals:stage", args=[deal.pk]), {"stage": "quoted"})
    entry = last("deal.stage")
    assert_from_request(entry, world.users["sales_a"])
    assert entry.before == {"stage": "inquiry"} and entry.after == {"stage": "quoted"}

    form = SettingsForm(instance=DealSettings.load())
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["max_unanswered"] = 5
    manager = as_user(world, "manager_a")
    assert manager.post(reverse("deals:settings"), data).status_code == 302
    changed = last("settings.deals")
    assert changed.after.get("max_unanswered") == 5 and changed.before.get("max_unanswered") == 3


@pytest.mark.servers
def test_send_queued_and_sent(world, dovecot, mail_user, relay):
    account = make_account(dovecot, mail_user, relay, owner=world.users["sales_a"])
    buyer = f"audit-buyer@{DOMAIN}"
    dovecot.add_user(buyer, "buyer-pw")
    client = as_user(world, "sales_a")
    response = client.post(
        reverse("mailbox:compose"),
        {
            "account": account.pk,
            "to": buyer,
            "subject": "Quotation QT-2026-77",
            "body": "Dear Ana,\n\nPlease find our quotation below.\n\nBest regards,\nSales A",
            "confirm_errors": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    queued = last("outbox.queued")
    assert_from_request(queued, world.users["sales_a"])
    assert queued.after["to"] == [buyer] and queued.object_type == "mailbox.outboxmessage"
    assert outbox.run_due("audit-test-worker") == 1
    sent = last("outbox.sent")
    # The worker sends: no request, so no address, but the author is credited.
    assert sent.actor == world.users["sales_a"] and sent.ip is None
    assert sent.object_id == queued.object_id and sent.after["to"] == [buyer]
    assert AuditEntry.objects.filter(action="outbox.sent").count() == 1


def test_audit_page_scope_and_filters(world):
    client = as_user(world, "manager_a")
    client.post(
        reverse("customers:company_owner", args=[world.company.pk]),
        {"action": "assign", "owner": world.users["sales_a2"].pk},
    )
    page = client.get(reverse("audit:list")).content.decode()
    assert PRIVATE in page and "customer.owner" in page
    only = client.get(reverse("audit:list"), {"action": "customer.owner"}).content.decode()
    assert "customer.owner" in only and f"{PRIVATE} audit trail" not in only
    by_actor = client.get(reverse("audit:list"), {"actor": "sales_a"}).content.decode()
    assert f"{PRIVATE} audit trail" in by_actor and "customer.owner</code>" not in by_actor
    dated = client.get(reverse("audit:list"), {"since": "2999-01-01"}).content.decode()
    assert "No entries match" in dated
    bad = client.get(reverse("audit:list"), {"since": "31/03/2026"})
    assert bad.status_code == 200 and "Enter dates like" in bad.content.decode()
    # Another team's manager sees none of team Alpha's entries; salespeople no page.
    other = as_user(world, "manager_b").get(reverse("audit:list")).content.decode()
    assert PRIVATE not in other and "customer.owner</code>" not in other
    assert as_user(world, "sales_a").get(reverse("audit:list")).status_code == 403


def test_entries_are_never_changed(world):
    entry = last("merge.confirm")
    entry.summary = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        entry.save()


def test_client_address_behind_a_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5")
    request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.9, 198.51.100.7"
    assert client_ip(request) == "10.0.0.5"  # no trusted proxy: the header is ignored
    settings.TRADEINBOX = {**settings.TRADEINBOX, "TRUSTED_PROXIES": 1}
    assert client_ip(request) == "198.51.100.7"
    settings.TRADEINBOX = {**settings.TRADEINBOX, "TRUSTED_PROXIES": 2}
    assert client_ip(request) == "203.0.113.9"
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    settings.TRADEINBOX = {**settings.TRADEINBOX, "TRUSTED_PROXIES": 1}
    assert client_ip(request) is None
