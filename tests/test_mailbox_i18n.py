"""The mailbox account pages and the connection test speak Chinese and Spanish too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import include, path
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

from tests.servers import mail as mail_servers
from tests.servers.mail import make_account

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_mailbox_i18n")]
urlpatterns = [
    path("mailbox/", include("tradeinbox.mailbox.urls")),
    path("", include("tradeinbox.urls")),
]

MAILBOX = Path(__file__).resolve().parents[1] / "tradeinbox" / "mailbox"
# The compose page and its row belong to the writing assistant's translations.
ACCOUNT_TEMPLATES = [
    "accounts.html",
    "account_detail.html",
    "account_form.html",
    "_checks.html",
    "folder.html",
    "outbox.html",
]
_CALL = re.compile(r"\b(?:n?gettext|_)\(((?:u?'(?:[^'\\]|\\.)*'(?:,\s*)?)+)")
_LITERAL = re.compile(r"u?'(?:[^'\\]|\\.)*'")


def template_msgids(name: str) -> set[str]:
    code = templatize((MAILBOX / "templates" / "mailbox" / name).read_text(), origin=name)
    found = set()
    for call in _CALL.finditer(code):
        # The first literal is the catalog's key (an ngettext plural is filed under it).
        found.add(ast.literal_eval(_LITERAL.findall(call.group(1))[0]))
    return found


def python_msgids(module: str) -> set[str]:
    tree = ast.parse((MAILBOX / module).read_text())
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"_", "gettext", "gettext_lazy"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_every_account_page_string_has_a_translation(language):
    wanted = set().union(*(template_msgids(name) for name in ACCOUNT_TEMPLATES))
    wanted |= python_msgids("connect.py") | python_msgids("forms.py")
    assert {"Test connection", "Sends as \u201c%(name)s\u201d", "Sign-in"} <= wanted
    catalog = trans_real.translation(language)._catalog
    plural_ids = {key[0] for key in catalog.keys() if isinstance(key, tuple)}
    missing = sorted(m for m in wanted if m not in catalog and m not in plural_ids)
    assert missing == []


@pytest.fixture
def client_in(client):
    user = User.objects.create_user("sales", password="pw-123456")
    client.force_login(user)
    return client


@pytest.mark.servers
@pytest.mark.parametrize(
    ("language", "heading", "step", "failure"),
    [
        ("zh-hans", "连接测试", "登录", "服务器不接受该用户名或密码"),
        ("es", "Prueba de conexión", "Inicio de sesión", "El servidor no aceptó el nombre"),
    ],
)
def test_connection_test_steps_are_shown_in_the_users_language(
    client_in, dovecot, mail_user, smtp_relay, language, heading, step, failure
):
    account = make_account(dovecot, mail_user, smtp_relay)
    account.set_password("not the password")
    account.save()
    client_in.cookies["django_language"] = language
    page = client_in.post(f"/mailbox/accounts/{account.pk}/test/").content.decode()
    assert heading in page and step in page and failure in page
    assert 'data-step="login"' in page  # the stable key scripts and tests use
    listing = client_in.get("/mailbox/").content.decode()
    assert {"zh-hans": "连接邮箱", "es": "Conectar un buzón"}[language] in listing
