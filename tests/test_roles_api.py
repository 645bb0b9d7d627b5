"""The permission API: single-user mode, roles from the command line, the message
address index (signal and backfill) that message visibility rests on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.roles_world import PRIVATE, build_world
from tradeinbox.audit.models import AuditEntry
from tradeinbox.store.models import Message
from tradeinbox.users import roles, visibility
from tradeinbox.users.models import MessageAddress

pytestmark = [pytest.mark.django_db]


def test_single_user_installation_until_the_first_role():
    alone = User.objects.create_user("alone")
    assert roles.role_of(alone) == "admin"  # nobody has a role yet: one-person install
    newcomer = User.objects.create_user("newcomer")
    roles.assign_role(User.objects.create_user("boss"), "manager")
    assert roles.role_of(User.objects.get(pk=newcomer.pk)) == "salesperson"
    assert roles.role_of(None) is None


def test_role_command_assigns_lists_and_audits(capsys):
    User.objects.create_user("ana")
    call_command("role", "ana", "manager", "--team", "Alpha")
    assert roles.role_of(User.objects.get(username="ana")) == "manager"
    call_command("role", "ana", "salesperson")  # keeps the team
    call_command("role", "--list")
    out = capsys.readouterr().out
    assert "ana\tsalesperson\tAlpha" in out
    entry = AuditEntry.objects.filter(action="role.assign").order_by("-id").first()
    assert entry.before == {"role": "manager", "team": "Alpha"}
    assert entry.after["role"] == "salesperson" and entry.actor is None
    with pytest.raises(CommandError, match="no user"):
        call_command("role", "nobody", "admin")


def test_address_index_is_filled_on_import_and_backfilled(tmp_path):
    world = build_world(tmp_path)
    rows = set(
        MessageAddress.objects.filter(message=world.message).values_list("address", flat=True)
    )
    assert rows == {f"alma@{PRIVATE.lower()}.example", "sales-a@ourco.example"}
    MessageAddress.objects.all().delete()
    assert not roles.visible_messages(world.users["sales_b"]).filter(pk=world.pool_message.pk)
    assert visibility.backfill() == Message.objects.count()
    assert roles.visible_messages(world.users["sales_b"]).filter(pk=world.pool_message.pk)
    assert visibility.backfill() == 0


def test_visibility_rules_for_messages(tmp_path):
    w = build_world(tmp_path)
    seen = {
        name: set(roles.visible_messages(user).values_list("pk", flat=True))
        for name, user in w.users.items()
    }
    both = {w.message.pk, w.pool_message.pk}
    assert seen["admin"] == both and seen["manager_a"] == both and seen["sales_a"] == both
    for outsider in ("sales_a2", "manager_b", "sales_b"):
        assert seen[outsider] == {w.pool_message.pk}, outsider
    # The customer's mail follows the customer: give it to sales_b and it is theirs.
    w.company.owner = w.users["sales_b"]
    w.company.save()
    assert roles.visible_messages(User.objects.get(username="sales_b")).filter(pk=w.message.pk)
    # sales_a keeps what sits in her own mailbox.
    assert roles.visible_messages(User.objects.get(username="sales_a")).filter(pk=w.message.pk)
