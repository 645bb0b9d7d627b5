"""Every URL of the app, as every role, as another team's member and anonymous.

The URL list comes from the resolver, so pages other parts add are covered without
editing this file: pages without arguments at once; pages with arguments need an entry
in :func:`url_args` (objects of ``sales_a``'s that outsiders must not reach), in
:data:`FILTERED` (pages that answer everyone with only what they may see), in
:data:`POLICY_ONLY` (role-only pages answered by ``RolePolicyMiddleware`` before any
lookup) or in :data:`PUBLIC` (no sign-in by design). A parametrised URL in none of them
fails ``test_every_parametrised_url_has_fixtures``.

For each URL and role the test asserts: no 5xx; anonymous gets the sign-in redirect
(or 403/404/405); no response (body or headers) carries data the role may not see
(markers of tests/roles_world.py); outsiders asking for ``sales_a``'s objects get
403/404 and change nothing; role-only pages answer 403 to roles without the role.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.roles_world import ORG, POOL, PRIVATE, TEAM, World, build_world
from tradeinbox.users import roles
from tradeinbox.users.middleware import policy_for

pytestmark = [pytest.mark.django_db]

OUTSIDERS = ("sales_b", "manager_b", "sales_a2")  # may not see sales_a's private data
INSIDERS = ("sales_a", "manager_a", "admin")
# Which markers each role must never receive.
FORBIDDEN = {
    None: (PRIVATE, TEAM, ORG),
    "sales_b": (PRIVATE, TEAM, ORG),
    "manager_b": (PRIVATE, TEAM, ORG),
    "sales_a2": (PRIVATE, ORG),
    "sales_a": (ORG,),
    "manager_a": (ORG,),
    "admin": (),
}

# No sign-in by design; arguments are made-up values (a wrong feed token is a 404).
PUBLIC: dict[str, Callable[[World], dict]] = {
    "login": lambda w: {},
    "logout": lambda w: {},
    "set_language": lambda w: {},
    "deals:feed": lambda w: {"user_pk": w.users["sales_a"].pk, "token": "not-the-token"},
    "outbound:unsubscribe": lambda w: {"token": "not-a-token"},
    "outbound:confirm": lambda w: {"token": "not-a-token"},
    "outbound:subscribe": lambda w: {"slug": "no-such-list"},
}
# Role-only pages (tradeinbox.users.middleware.URL_POLICY): the middleware refuses them
# before the view looks anything up, so a made-up id tests the refusal.
POLICY_ONLY = {
    "outbound:health_detail": ("pk",),
    "outbound:dkim_activate": ("pk",),
    "outbound:dkim_delete": ("pk",),
    "outbound:list_detail": ("pk",),
    "outbound:consent_withdraw": ("pk", "consent_id"),
    "outbound:campaign_detail": ("pk",),
    "outbound:campaign_start": ("pk",),
    "outbound:campaign_pause": ("pk",),
    "outbound:campaign_resume": ("pk",),
    "outbound:campaign_cancel": ("pk",),
    "outbound:suppression_remove": ("pk",),
}


def url_args(w: World) -> dict[str, dict]:
    """Arguments pointing at ``sales_a``'s private objects, per URL name."""
    deal = w.objects.get("deal")
    template = w.objects.get("template")
    args = {
        "customers:company": {"pk": w.company.pk},
        "customers:company_owner": {"pk": w.company.pk},
        "customers:person": {"pk": w.person.pk},
        "customers:chat_upload": {"pk": w.person.pk},
        "customers:channel_add": {"pk": w.person.pk},
        "customers:channel_delete": {"pk": w.person.pk, "channel_pk": w.channel.pk},
        "customers:merge_confirm": {"pk": w.proposal.pk},
        "customers:merge_reject": {"pk": w.proposal.pk},
        "customers:merge_split": {"pk": w.proposal.pk},
        "customers:recipients": {"thread_pk": w.message.thread_id},
        "mailbox:folder": {"pk": w.folder.pk},
        "thread_detail": {"pk": w.message.thread_id},
        "message_detail": {"pk": w.message.pk},
        "message_body": {"pk": w.message.pk},
        "message_raw": {"pk": w.message.pk},
        "attachment_download": {"pk": w.message.pk, "position": 0},
        "message_cid": {"pk": w.message.pk, "content_id": "logo@roles.test"},
        "triage:mark": {"pk": w.message.pk},
        "deals:from_thread": {"thread_pk": w.message.thread_id},
    }
    for name in ("account_detail", "account_edit", "account_test", "account_sync"):
        args[f"mailbox:{name}"] = {"pk": w.account.pk}
    args["mailbox:account_remove"] = {"pk": w.account.pk}
    for name in ("outbox_cancel", "outbox_reschedule", "outbox_send_again"):
        args[f"mailbox:{name}"] = {"pk": w.outbox.pk}
    if template is not None:
        args["writing:template_edit"] = {"pk": template.pk}
        args["writing:template_delete"] = {"pk": template.pk}
    if deal is not None:
        for name in ("deal", "stage", "edit", "cadence", "consolidation", "merge", "deal_vcf"):
            args[f"deals:{name}"] = {"pk": deal.pk}
        args["deals:followup"] = {"pk": w.objects["followup"].pk, "action": "done"}
    quote = w.objects.get("quote")
    if quote is not None:
        for name in ("quote", "make_document", "reply", "deal", "order", "status"):
            args[f"quotes:{name}"] = {"pk": quote.pk}
        args["quotes:document"] = {"pk": w.objects["quote_document"].pk}
        args["quotes:product_edit"] = {"pk": w.objects["product"].pk}  # organisation only
    return args


# Pages with arguments that answer everyone, showing only what the user may see.
FILTERED: dict[str, Callable[[World], dict]] = {
    "quotes:history": lambda w: {"sku": "LP600A"},
}


def _walk(patterns, namespace: str = ""):
    for item in patterns:
        if isinstance(item, URLResolver):
            inner = f"{namespace}:{item.namespace}" if namespace else item.namespace or ""
            yield from _walk(item.url_patterns, inner if item.namespace else namespace)
        elif isinstance(item, URLPattern) and item.name:
            name = f"{namespace}:{item.name}" if namespace else item.name
            yield name, tuple(item.pattern.converters)


def all_urls() -> dict[str, tuple[str, ...]]:
    """Every named URL pattern and its argument names, straight from the resolver."""
    found: dict[str, tuple[str, ...]] = {}
    for name, params in _walk(get_resolver().url_patterns):
        found.setdefault(name, params)
    return found


ALL_URLS = all_urls()


def _client(world: World, role: str | None) -> Client:
    client = Client()
    if role is not None:
        client.force_login(world.users[role])
    return client


def _fetch(client: Client, url: str):
    """GET, or POST (empty form, CSRF checks off as for every test client) when the
    view only takes POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return (body.decode("utf-8", "replace") + " " + headers).lower()


def _state(w: World) -> dict:
    """What an outsider's request must not change."""
    from tradeinbox.customers.models import Channel, Company, MergeProposal
    from tradeinbox.mailbox.models import Account, OutboxMessage

    state = {
        "owner": Company.objects.filter(pk=w.company.pk).values_list("owner_id", flat=True)[:1],
        "proposal": MergeProposal.objects.filter(pk=w.proposal.pk).values_list("status")[:1],
        "account": Account.objects.filter(pk=w.account.pk).values_list("sync_enabled")[:1],
        "outbox": OutboxMessage.objects.filter(pk=w.outbox.pk).values_list("status")[:1],
        "channel": Channel.objects.filter(pk=w.channel.pk).exists(),
    }
    for key in ("deal", "template", "followup", "triage", "quote", "product"):
        obj = w.objects.get(key)
        if obj is not None:
            fresh = type(obj).objects.filter(pk=obj.pk).values()[:1]
            state[key] = [{k: v for k, v in r.items() if k != "updated_at"} for r in fresh]
    return {k: list(v) if not isinstance(v, bool) else v for k, v in state.items()}


def _kwargs(world: World, name: str) -> dict | None:
    params = ALL_URLS[name]
    if name in PUBLIC:
        return PUBLIC[name](world)
    if not params:
        return {}
    if name in POLICY_ONLY:
        return {p: 999999 for p in params}
    if name in FILTERED:
        return FILTERED[name](world)
    return url_args(world).get(name)


@pytest.mark.parametrize("name", sorted(ALL_URLS))
def test_url_as_every_role(name, tmp_path):
    world = build_world(tmp_path)
    kwargs = _kwargs(world, name)
    if kwargs is None:
        pytest.skip(f"{name}: no fixture yet (see test_every_parametrised_url_has_fixtures)")
    url = reverse(name, kwargs=kwargs)
    private_target = bool(ALL_URLS[name]) and name not in (*PUBLIC, *POLICY_ONLY, *FILTERED)
    action = policy_for(name)
    before = _state(world)
    for role in (None, *OUTSIDERS):
        response = _fetch(_client(world, role), url)
        text = _text(response)
        where = f"{name} as {role or 'anonymous'}: {response.status_code}"
        assert response.status_code < 500, where
        for marker in FORBIDDEN[role]:
            assert marker.lower() not in text, f"{where} shows {marker}"
        if role is None:
            if name not in PUBLIC:
                assert response.status_code in (302, 403, 404, 405), where
                if response.status_code == 302:
                    assert response["Location"].startswith(reverse("login")), where
            continue
        if private_target:
            assert response.status_code in (403, 404), where
        if action is not None and not roles.can(world.users[role], action):
            assert response.status_code == 403, where
    assert _state(world) == before, f"{name}: an outsider's request changed something"
    for role in INSIDERS:
        response = _fetch(_client(world, role), url)
        text = _text(response)
        where = f"{name} as {role}: {response.status_code}"
        assert response.status_code < 500, where
        for marker in FORBIDDEN[role]:
            assert marker.lower() not in text, f"{where} shows {marker}"
        if action is not None and not roles.can(world.users[role], action):
            assert response.status_code == 403, where


def test_every_parametrised_url_has_fixtures(tmp_path):
    world = build_world(tmp_path)
    missing = [name for name in sorted(ALL_URLS) if _kwargs(world, name) is None]
    assert missing == [], (
        "URL patterns with arguments the role matrix cannot build; add them to url_args "
        f"(private objects), POLICY_ONLY or PUBLIC in tests/test_roles_matrix.py: {missing}"
    )


def _get(world: World, role: str, name: str, **kwargs) -> str:
    response = _client(world, role).get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, f"{name} as {role}: {response.status_code}"
    return _text(response)


def test_fixtures_are_visible_to_those_who_may_see_them(tmp_path):
    """The markers are really in the pages for the right roles, so the matrix's "not
    shown" means something."""
    w = build_world(tmp_path)
    for role in ("admin", "manager_a", "sales_a"):
        assert PRIVATE.lower() in _get(w, role, "inbox"), role
        assert PRIVATE.lower() in _get(w, role, "customers:company", pk=w.company.pk), role
        assert PRIVATE.lower() in _get(w, role, "message_detail", pk=w.message.pk), role
        assert PRIVATE.lower() in _get(w, role, "thread_detail", pk=w.message.thread_id), role
        assert PRIVATE.lower() in _get(w, role, "mailbox:outbox"), role
    assert PRIVATE.lower() in _get(w, "admin", "mailbox:account_detail", pk=w.account.pk)
    assert PRIVATE.lower() in _get(w, "manager_a", "audit:list")
    assert ORG.lower() in _get(w, "admin", "quarantine")
    for role in ("sales_a2", "manager_b", "sales_b", "sales_a"):
        # The public pool's mail is everybody's to open, but nobody's inbox.
        assert POOL.lower() in _get(w, role, "message_detail", pk=w.pool_message.pk), role
        assert POOL.lower() not in _get(w, role, "inbox"), role
    for role in ("sales_a2", "manager_a"):
        assert TEAM.lower() in _get(w, role, "writing:templates"), role
    if "deal" in w.objects:
        assert PRIVATE.lower() in _get(w, "manager_a", "deals:deal", pk=w.objects["deal"].pk)


def test_search_finds_only_visible_mail(tmp_path):
    w = build_world(tmp_path)
    for role, sees in (("sales_a", True), ("manager_a", True), ("sales_b", False)):
        response = _client(w, role).get(reverse("search"), {"q": PRIVATE})
        assert response.status_code == 200
        assert (f"{PRIVATE} quotation".lower() in _text(response)) is sees, role


def test_team_manager_reassigns_only_within_team(tmp_path):
    w = build_world(tmp_path)
    url = reverse("customers:company_owner", args=[w.company.pk])
    manager = _client(w, "manager_a")
    outside = manager.post(url, {"action": "assign", "owner": w.users["sales_b"].pk})
    assert outside.status_code == 403
    inside = manager.post(url, {"action": "assign", "owner": w.users["sales_a2"].pk})
    assert inside.status_code == 302
    w.company.refresh_from_db()
    assert w.company.owner == w.users["sales_a2"]
    # sales_a no longer owns it, and the customer's mail follows the customer.
    assert PRIVATE.lower() in _get(w, "sales_a2", "message_detail", pk=w.message.pk)


def test_claiming_a_pool_customer_brings_its_mail_into_the_inbox(tmp_path):
    from tradeinbox.customers.models import Company

    w = build_world(tmp_path)
    pool = Company.objects.get(name__startswith=POOL)
    client = _client(w, "sales_b")
    assert POOL.lower() not in _text(client.get(reverse("inbox")))
    response = client.post(reverse("customers:company_owner", args=[pool.pk]), {"action": "claim"})
    assert response.status_code == 302
    assert POOL.lower() in _text(_client(w, "sales_b").get(reverse("inbox")))
    assert POOL.lower() in _text(_client(w, "manager_b").get(reverse("inbox")))
    assert POOL.lower() not in _text(_client(w, "manager_a").get(reverse("inbox")))
