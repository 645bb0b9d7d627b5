"""Who may see and do what in a team: admin, manager, salesperson.

Pure rules over plain values; :mod:`tradeinbox.users.roles` builds the :class:`Actor`
from the database, turns :func:`scope_of` into query filters and asks :func:`decide`
for single objects. Every decision carries its :class:`Evidence` so a 403 can say why
in the log and tests can check the rule that fired.

The rules (see docs/architecture.md, "Roles"):

* **admin** sees and changes everything, in every team.
* **manager** sees everything owned by the members of their team and the public pool;
  a manager who belongs to no team manages the whole organisation (sees everything).
  Managers reassign customers (within their team) and read the audit log.
* **salesperson** sees what they own (customers, mailboxes, deals) and the public pool.
* Things nobody owns (the pool) are everybody's; organisation-wide things (quarantine,
  other teams' mailboxes) need the whole-organisation scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tradeinbox.core.evidence import Evidence

ADMIN = "admin"
MANAGER = "manager"
SALESPERSON = "salesperson"
ROLES = (ADMIN, MANAGER, SALESPERSON)
_RANK = {SALESPERSON: 1, MANAGER: 2, ADMIN: 3}


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user as the rules see them. ``team_members`` includes the user."""

    user_id: int
    role: str
    team_id: int | None = None
    team_members: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.role not in _RANK:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class Scope:
    """What an actor sees: everything, or things owned by ``owners`` plus the pool."""

    everything: bool
    owners: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Resource:
    """One object asked about. ``owners`` empty and ``pooled`` set: the public pool.

    ``owners`` empty and not pooled: organisation property (quarantine, a mailbox
    nobody owns, settings) - only the whole-organisation scope reaches it.
    """

    kind: str
    owners: frozenset[int] = frozenset()
    pooled: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed


def at_least(actor: Actor, role: str) -> bool:
    return _RANK[actor.role] >= _RANK[role]


def scope_of(actor: Actor) -> Scope:
    if actor.role == ADMIN or (actor.role == MANAGER and actor.team_id is None):
        return Scope(everything=True)
    if actor.role == MANAGER:
        return Scope(everything=False, owners=frozenset(actor.team_members) | {actor.user_id})
    return Scope(everything=False, owners=frozenset({actor.user_id}))


def _yes(rule: str, detail: str) -> Decision:
    return Decision(True, (Evidence(rule, 1.0, detail),))


def _no(rule: str, detail: str) -> Decision:
    return Decision(False, (Evidence(rule, -1.0, detail),))


def _sees(actor: Actor, resource: Resource) -> Decision:
    scope = scope_of(actor)
    if scope.everything:
        return _yes("access.scope.everything", f"{actor.role} sees the whole organisation")
    if resource.owners & scope.owners:
        who = "own" if actor.user_id in resource.owners else "a team member's"
        return _yes("access.scope.owner", f"{resource.kind} is {who}")
    if resource.pooled:
        return _yes("access.scope.pool", f"{resource.kind} is in the public pool")
    return _no("access.scope.outside", f"{resource.kind} belongs to someone outside the scope")


# Actions that need a role and nothing else: (minimum role, whole organisation needed).
# Organisation-wide things (outbound setup and campaigns, quarantined input of every
# mailbox) are not a team's: a team's manager does not reach them.
ROLE_ACTIONS: dict[str, tuple[str, bool]] = {
    "audit.view": (MANAGER, False),
    "customers.reassign": (MANAGER, False),
    "settings.organisation": (MANAGER, True),
    "settings.security": (ADMIN, True),  # DKIM keys, roles and teams
    "quarantine.view": (MANAGER, True),
}


def decide(actor: Actor, action: str, resource: Resource | None = None) -> Decision:
    """May ``actor`` do ``action`` (to ``resource``)?

    Actions: ``view`` (see it), ``change`` (edit, send from, cancel, remove: the owner
    or an admin; a manager for things of the team's customers), ``claim`` (take a pool
    customer), ``release`` (return a customer to the pool), ``assign:<user id>`` (give
    a customer to that user), and the role-only actions of :data:`ROLE_ACTIONS`.
    """
    if action in ROLE_ACTIONS:
        needed, organisation = ROLE_ACTIONS[action]
        if not at_least(actor, needed):
            return _no("access.role", f"{action} needs the {needed} role")
        if organisation and not scope_of(actor).everything:
            return _no("access.role.team", f"{action} is organisation-wide; a team's role is not")
        return _yes("access.role", f"{actor.role} may {action}")
    if resource is None:
        raise ValueError(f"{action} needs a resource")
    seen = _sees(actor, resource)
    if action == "view" or not seen:
        return seen
    if action == "change":
        if actor.role == ADMIN or actor.user_id in resource.owners:
            return _yes("access.change.owner", "the owner or an admin")
        if resource.kind != "account" and (resource.pooled or at_least(actor, MANAGER)):
            return _yes("access.change.shared", f"{resource.kind} is shared with the scope")
        return _no("access.change.not_owner", f"only the owner changes this {resource.kind}")
    if action == "claim":
        if resource.pooled or at_least(actor, MANAGER):
            return _yes("access.claim", "in the pool, or a manager")
        return _no("access.claim.owned", "someone else owns this customer")
    if action == "release":
        if actor.user_id in resource.owners or at_least(actor, MANAGER):
            return _yes("access.release", "the owner or a manager")
        return _no("access.release.not_owner", "only the owner or a manager releases it")
    if action.startswith("assign:"):
        if not at_least(actor, MANAGER):
            return _no("access.assign.role", "reassigning needs the manager role")
        target = int(action.split(":", 1)[1])
        scope = scope_of(actor)
        if scope.everything or target in scope.owners:
            return _yes("access.assign", "the new owner is within the manager's scope")
        return _no("access.assign.outside", "the new owner is in another team")
    raise ValueError(f"unknown action {action!r}")


def owners_visible(actor: Actor, owners: Iterable[int | None]) -> bool:
    """True when any of ``owners`` is within the scope; None stands for "nobody" (pool)."""
    scope = scope_of(actor)
    return scope.everything or any(o is None or o in scope.owners for o in owners)


def message_addresses(from_email: str, recipients: dict | None) -> tuple[str, ...]:
    """The addresses that decide who sees a message: its sender and every To/Cc/Bcc,
    lower-cased, sorted, each once; ``("",)`` when it has none.

    ``recipients`` is the stored form, ``{"to": [[name, email], ...], "cc": ...}``.
    A salesperson sees a message when one of these belongs to their customer.
    """
    found = {from_email.strip().lower()} if from_email and "@" in from_email else set()
    for key in ("to", "cc", "bcc"):
        for pair in (recipients or {}).get(key, []) or []:
            email = pair[1] if isinstance(pair, (list, tuple)) and len(pair) > 1 else ""
            if email and "@" in email:
                found.add(email.strip().lower()[:320])
    return tuple(sorted(found)) if found else ("",)
