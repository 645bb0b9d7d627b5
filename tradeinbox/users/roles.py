"""The permission API every view calls: roles, scopes, and query filters per model.

* :func:`role_of` / :func:`actor_of` - the user's role and team (cached on the user).
* :func:`can` / :func:`require` - one object or one action (rules in
  :mod:`tradeinbox.core.access`).
* :func:`visible` - any queryset narrowed to what the user may see, by model; the
  per-kind filters (:func:`visible_messages`, :func:`visible_companies` ...) are
  public too. Views fetch objects through these, so a forbidden object is a 404,
  exactly like one that does not exist.
* :func:`role_required` - a view decorator for role-only pages (audit log ...).

Messages have no owner of their own. A message is visible to a user whose scope
includes the owner of a mailbox it sits in, or the owner of a customer company one
of its addresses belongs to, or when one of those companies is in the public pool.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, Model, OuterRef, Q, QuerySet, When

from tradeinbox.core.access import (
    ADMIN,
    MANAGER,
    ROLES,
    SALESPERSON,
    Actor,
    Decision,
    Resource,
    Scope,
    decide,
    scope_of,
)
from tradeinbox.users.models import Membership, MessageAddress, Team

__all__ = [
    "ADMIN",
    "MANAGER",
    "ROLES",
    "SALESPERSON",
    "actor_of",
    "assign_role",
    "assignable_users",
    "can",
    "decision",
    "owner_q",
    "require",
    "role_of",
    "role_required",
    "scope",
    "mail_scope",
    "visible",
    "visible_messages",
]

_CACHE = "_tradeinbox_actor"


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def actor_of(user) -> Actor | None:
    """The user as :mod:`tradeinbox.core.access` sees them; None when not signed in."""
    if not _authenticated(user) or not getattr(user, "is_active", True):
        return None
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    # One query answers both "what is my row" and "has anyone a row": own row first.
    first = (
        Membership.objects.annotate(mine=Case(When(user_id=user.pk, then=0), default=1))
        .order_by("mine", "pk")
        .first()
    )
    row = first if first is not None and first.user_id == user.pk else None
    team_members: frozenset[int] = frozenset()
    if user.is_superuser:
        role = ADMIN
    elif row is not None:
        role = row.role
    elif first is None:
        # Single-user installation: nobody has been given a role yet.
        role = ADMIN
    else:
        role = SALESPERSON
    team_id = row.team_id if row is not None else None
    if team_id is not None:
        team_members = frozenset(
            Membership.objects.filter(team_id=team_id).values_list("user_id", flat=True)
        )
    actor = Actor(user_id=user.pk, role=role, team_id=team_id, team_members=team_members)
    setattr(user, _CACHE, actor)
    return actor


def role_of(user) -> str | None:
    actor = actor_of(user)
    return actor.role if actor else None


def scope(user) -> Scope | None:
    actor = actor_of(user)
    return scope_of(actor) if actor else None


def assign_role(user, role: str, team: Team | str | None = None) -> Membership:
    """Give ``user`` a role (and team, by object or name)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if isinstance(team, str):
        team, _created = Team.objects.get_or_create(name=team)
    row, _created = Membership.objects.update_or_create(
        user=user, defaults={"role": role, "team": team}
    )
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
    return row


# -- single objects -------------------------------------------------------------------


def _resource(obj: Model) -> Resource:
    label = obj._meta.label_lower
    if label == "customers.company":
        owners = {obj.owner_id} if obj.owner_id else set()
        return Resource("company", frozenset(owners), pooled=not owners)
    if label == "customers.person":
        company = obj.company
        if company is None:
            return Resource("person", pooled=True)
        owners = {company.owner_id} if company.owner_id else set()
        return Resource("person", frozenset(owners), pooled=not owners)
    if label == "mailbox.account":
        return Resource("account", frozenset({obj.owner_id} - {None}))
    if label == "mailbox.folder":
        return Resource("account", frozenset({obj.account.owner_id} - {None}))
    if label == "mailbox.outboxmessage":
        return Resource("outbox", frozenset({obj.account.owner_id, obj.created_by_id} - {None}))
    if label == "audit.auditentry":
        return Resource("audit", frozenset({obj.actor_id} - {None}))
    owner = getattr(obj, "owner_id", None)
    return Resource(label, frozenset({owner} - {None}))


def decision(user, action: str, obj: Model | None = None) -> Decision:
    actor = actor_of(user)
    if actor is None:
        return Decision(False)
    if obj is not None and action == "view" and obj._meta.label_lower in _FILTERS:
        # One rule for lists and single objects: the object is visible when the
        # list filter keeps it.
        found = visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
        return Decision(found)
    return decide(actor, action, _resource(obj) if obj is not None else None)


def can(user, action: str, obj: Model | None = None) -> bool:
    """May ``user`` do ``action`` (to ``obj``)? See :func:`tradeinbox.core.access.decide`."""
    return decision(user, action, obj).allowed


def require(user, action: str, obj: Model | None = None) -> None:
    """Raise PermissionDenied (403) unless :func:`can`."""
    if not can(user, action, obj):
        raise PermissionDenied


def role_required(action: str) -> Callable:
    """Decorate a view (inside ``@page``) that needs a role-only action, e.g. ``audit.view``."""

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, action)
            return view(request, *args, **kwargs)

        return wrapped

    return wrap


# -- query filters --------------------------------------------------------------------


def owner_q(user, field: str, *, pool: bool = True) -> Q:
    """A filter on an owner foreign key ``field``: the scope's owners (and, with
    ``pool``, rows nobody owns). Matches nothing for anonymous users."""
    sc = scope(user)
    if sc is None:
        return Q(pk__in=[])
    if sc.everything:
        return Q()
    q = Q(**{f"{field}__in": sorted(sc.owners)})
    if pool:
        q |= Q(**{f"{field}__isnull": True})
    return q


def assignable_users(user) -> QuerySet:
    """Users a manager may give customers to: their team (everyone for the org scope)."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    sc = scope(user)
    if sc is None:
        return users.none()
    return users if sc.everything else users.filter(pk__in=sorted(sc.owners))


def visible_companies(user, qs: QuerySet) -> QuerySet:
    return qs.filter(owner_q(user, "owner"))


def visible_people(user, qs: QuerySet) -> QuerySet:
    sc = scope(user)
    if sc is None:
        return qs.none()
    if sc.everything:
        return qs
    return qs.filter(Q(company__isnull=True) | owner_q(user, "company__owner"))


def visible_messages(user, qs: QuerySet | None = None) -> QuerySet:
    """Messages in the user's scope (see the module docstring for the rule)."""
    from tradeinbox.customers.models import EmailAddress
    from tradeinbox.mailbox.models import Folder, MessageLocation
    from tradeinbox.store.models import Message

    qs = Message.objects.all() if qs is None else qs
    sc = scope(user)
    if sc is None:
        return qs.none()
    if sc.everything:
        return qs
    owners = sorted(sc.owners)
    # Both inner sets are uncorrelated: the database computes them once per query and
    # probes them per message (three or so index lookups a row).
    customer_addresses = EmailAddress.objects.filter(
        is_own=False, person__company__isnull=False
    ).filter(Q(person__company__owner__in=owners) | Q(person__company__owner__isnull=True))
    with_customer = MessageAddress.objects.filter(
        message_id=OuterRef("pk"), address__in=customer_addresses.values("address")
    )
    folders = Folder.objects.filter(account__owner__in=owners).values("id")
    in_mailbox = MessageLocation.objects.filter(message_id=OuterRef("pk"), folder_id__in=folders)
    return qs.filter(Q(Exists(with_customer)) | Q(Exists(in_mailbox)))


def mail_scope(user):
    """What the user's mail lists show (tradeinbox.users.mailscope); None: everything."""
    from tradeinbox.users.mailscope import MailScope, build

    sc = scope(user)
    if sc is None:
        return MailScope(owners=(), folders=(), share=0.0)
    if sc.everything:
        return None
    cached = getattr(user, "_tradeinbox_mail_scope", None)
    if cached is None:
        cached = build(tuple(sorted(sc.owners)))
        user._tradeinbox_mail_scope = cached
    return cached


def visible_threads(user, qs: QuerySet) -> QuerySet:
    sc = scope(user)
    if sc is None:
        return qs.none()
    if sc.everything:
        return qs
    return qs.filter(Exists(visible_messages(user).filter(thread_id=OuterRef("pk"))))


def _by_message(user, qs: QuerySet) -> QuerySet:
    sc = scope(user)
    if sc is None:
        return qs.none()
    if sc.everything:
        return qs
    return qs.filter(message__in=visible_messages(user).values("pk"))


def _organisation_only(user, qs: QuerySet) -> QuerySet:
    sc = scope(user)
    return qs if sc is not None and sc.everything else qs.none()


_FILTERS: dict[str, Callable[[object, QuerySet], QuerySet]] = {
    "customers.company": visible_companies,
    "customers.person": visible_people,
    "customers.mergeproposal": lambda u, qs: qs.filter(
        target__in=visible_people(u, _model("customers.person").objects.all()),
        source__in=visible_people(u, _model("customers.person").objects.all()),
    ),
    "store.message": lambda u, qs: visible_messages(u, qs),
    "store.thread": visible_threads,
    "store.attachment": _by_message,
    "store.quarantine": _organisation_only,
    "mailbox.account": lambda u, qs: qs.filter(owner_q(u, "owner", pool=False)),
    "mailbox.folder": lambda u, qs: qs.filter(owner_q(u, "account__owner", pool=False)),
    "mailbox.messagelocation": lambda u, qs: qs.filter(
        owner_q(u, "folder__account__owner", pool=False)
    ),
    "mailbox.outboxmessage": lambda u, qs: qs.filter(
        owner_q(u, "account__owner", pool=False) | owner_q(u, "created_by", pool=False)
    ),
    "audit.auditentry": lambda u, qs: qs.filter(owner_q(u, "actor", pool=False)),
}


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def visible(user, qs: QuerySet) -> QuerySet:
    """``qs`` narrowed to the rows ``user`` may see.

    Models without a rule of their own: rows with a ``message`` are filtered by the
    message's visibility, rows with an ``owner`` by owner (pool included). Anything
    else is organisation data: whole-organisation scope only, so a forgotten model
    fails closed.
    """
    if not _authenticated(user):
        return qs.none()
    label = qs.model._meta.label_lower
    rule = _FILTERS.get(label)
    if rule is not None:
        return rule(user, qs)
    names = {f.name for f in qs.model._meta.get_fields()}
    if "message" in names:
        return _by_message(user, qs)
    if "owner" in names:
        return qs.filter(owner_q(user, "owner"))
    return _organisation_only(user, qs)


def sendable_accounts(user) -> QuerySet:
    """Mailboxes the user may send from: their own; admins every one."""
    from tradeinbox.mailbox.models import Account

    actor = actor_of(user)
    if actor is None:
        return Account.objects.none()
    if actor.role == ADMIN:
        return Account.objects.all()
    return Account.objects.filter(owner_id=actor.user_id)


def same_team_q(user, field: str) -> Q:
    """Rows whose user ``field`` is in the user's team ("shared with the team"); users
    in no team share with everyone else in no team."""
    actor = actor_of(user)
    if actor is None:
        return Q(pk__in=[])
    if actor.team_id is None:
        return ~Q(**{f"{field}__membership__team__isnull": False})
    return Q(**{f"{field}__membership__team_id": actor.team_id})
