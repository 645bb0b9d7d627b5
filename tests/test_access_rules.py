"""The pure role rules (tradeinbox.core.access): scopes and decisions with evidence."""

from __future__ import annotations

import pytest

from tradeinbox.core.access import (
    ADMIN,
    MANAGER,
    SALESPERSON,
    Actor,
    Resource,
    decide,
    message_addresses,
    scope_of,
)

SALES = Actor(user_id=1, role=SALESPERSON, team_id=10, team_members=frozenset({1, 2, 3}))
COLLEAGUE = Actor(user_id=2, role=SALESPERSON, team_id=10, team_members=frozenset({1, 2, 3}))
MANAGER_A = Actor(user_id=3, role=MANAGER, team_id=10, team_members=frozenset({1, 2, 3}))
MANAGER_B = Actor(user_id=4, role=MANAGER, team_id=20, team_members=frozenset({4, 5}))
ORG_MANAGER = Actor(user_id=6, role=MANAGER)
BOSS = Actor(user_id=7, role=ADMIN, team_id=20, team_members=frozenset({4, 5, 7}))

OWN = Resource("company", frozenset({1}))
POOL = Resource("company", pooled=True)
ACCOUNT = Resource("account", frozenset({1}))


def test_scopes():
    assert scope_of(SALES).owners == {1} and not scope_of(SALES).everything
    assert scope_of(MANAGER_A).owners == {1, 2, 3}
    assert scope_of(ORG_MANAGER).everything and scope_of(BOSS).everything


@pytest.mark.parametrize(
    ("actor", "resource", "allowed"),
    [
        (SALES, OWN, True),
        (COLLEAGUE, OWN, False),
        (COLLEAGUE, POOL, True),
        (MANAGER_A, OWN, True),
        (MANAGER_B, OWN, False),
        (MANAGER_B, POOL, True),
        (ORG_MANAGER, OWN, True),
        (BOSS, ACCOUNT, True),
    ],
)
def test_view(actor, resource, allowed):
    decision = decide(actor, "view", resource)
    assert decision.allowed is allowed
    assert decision.evidence and decision.evidence[0].rule.startswith("access.scope")


def test_change_account_is_for_its_owner_and_admins_only():
    assert decide(SALES, "change", ACCOUNT)
    assert not decide(MANAGER_A, "change", ACCOUNT)  # sees it, may not send from it
    assert decide(MANAGER_A, "view", ACCOUNT)
    assert decide(BOSS, "change", ACCOUNT)


def test_claim_release_assign():
    assert decide(COLLEAGUE, "claim", POOL)
    assert not decide(COLLEAGUE, "release", OWN)  # not visible to the colleague at all
    assert decide(SALES, "release", OWN)
    assert decide(MANAGER_A, "assign:2", OWN)
    refused = decide(MANAGER_A, "assign:5", OWN)
    assert not refused and refused.evidence[0].rule == "access.assign.outside"
    assert not decide(SALES, "assign:2", OWN)


def test_role_actions():
    assert decide(MANAGER_A, "audit.view") and not decide(SALES, "audit.view")
    assert not decide(MANAGER_A, "quarantine.view")  # organisation-wide
    assert decide(ORG_MANAGER, "quarantine.view") and decide(BOSS, "settings.security")
    assert not decide(ORG_MANAGER, "settings.security")


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="unknown role"):
        Actor(user_id=1, role="owner")
    with pytest.raises(ValueError, match="unknown action"):
        decide(SALES, "fly", OWN)
    with pytest.raises(ValueError, match="needs a resource"):
        decide(SALES, "view")


def test_message_addresses_are_every_party_once_lower_cased_and_sorted():
    recipients = {
        "to": [["Sales", "Sales@Brightway.example "], ["", "not-an-address"]],
        "cc": [["John", "john@buyer.example"], ["Again", "sales@brightway.example"]],
        "bcc": [["", "boss@brightway.example"]],
        "reply_to": [["", "elsewhere@reply.example"]],  # a reply address is not a party
    }
    assert message_addresses("JOHN@buyer.example", recipients) == (
        "boss@brightway.example",
        "john@buyer.example",
        "sales@brightway.example",
    )
    assert message_addresses("", None) == ("",)
    assert message_addresses("", {"to": [["only a name"]]}) == ("",)
