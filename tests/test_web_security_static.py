"""Guards over the whole source tree: templates, network access, GET requests.

Complements tests/test_web_security.py (which drives every URL): these read every template
and every module, so a page or a module added later is checked without editing this file.
"""

from __future__ import annotations

import re
import socket
import urllib.request
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tests.test_web_security import _remote_heavy_mail, all_urls

PACKAGE = Path(__file__).resolve().parents[1] / "tradeinbox"

# -- templates: nothing the Content-Security-Policy would block or that runs script -----------

TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
    "style attribute (CSP style-src 'self' ignores it)": re.compile(
        r"<[a-z][^>]*\sstyle\s*=", re.I
    ),
    "inline <style>": re.compile(r"<style[\s>]", re.I),
    "htmx attribute that evaluates script": re.compile(
        r"\shx-(?:on\b|on:|on-|vars\s*=)|hx-vals\s*=\s*[\"']\s*(?:js|javascript):", re.I
    ),
}
# Output marked safe must be escaped by the code that builds it. Each use is listed with
# the function that escapes it, and tested below with hostile text.
SAFE_ALLOWED = {
    ("web/_message_row.html", "snippet_html|safe"),  # store.search.highlight_snippet
    # SVG from core.deals.charts: every text goes through _e (XML escape), in element text.
    ("deals/dashboard.html", "dash.inquiries_svg|safe"),
    ("deals/dashboard.html", "dash.response_svg|safe"),
    ("deals/dashboard.html", "dash.funnel_svg|safe"),
    ("deals/dashboard.html", "dash.followups_svg|safe"),
}


def template_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.html")
        if "templates" in path.relative_to(PACKAGE).parts and "migrations" not in path.parts
    )


def test_templates_have_no_inline_script_styles_or_handlers():
    files = template_files()
    assert len(files) >= 20
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for rule, pattern in TEMPLATE_RULES.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PACKAGE)}:{line}: {rule}: {match.group(0)[:60]}")
    assert found == []


def test_unescaped_output_only_where_listed():
    found = set()
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        name = "/".join(path.parts[path.parts.index("templates") + 1 :])
        if re.search(r"{%\s*autoescape\s+off", text):
            found.add((name, "autoescape off"))
        for match in re.finditer(r"([\w.]+\|safe(?:seq)?)\b", text):
            found.add((name, match.group(1)))
    assert found <= SAFE_ALLOWED, sorted(found - SAFE_ALLOWED)


def test_rules_catch_what_they_are_for():
    """The scan above can fail: each rule matches a sample of what it forbids."""
    samples = {
        "inline <script>": "<script>alert(1)</script>",
        "event handler attribute": '<img src="x.png" onerror="alert(1)">',
        "javascript: URL": '<a href="javascript:alert(1)">x</a>',
        "style attribute (CSP style-src 'self' ignores it)": '<div class="a" style="color:red">',
        "inline <style>": "<style>body{}</style>",
        "htmx attribute that evaluates script": '<button hx-on:click="alert(1)">',
    }
    for rule, sample in samples.items():
        assert TEMPLATE_RULES[rule].search(sample), rule
    assert not TEMPLATE_RULES["inline <script>"].search('<script src="/static/a.js" defer>')
    assert not TEMPLATE_RULES["event handler attribute"].search('<input name="once">')


def test_highlighted_snippets_are_escaped():
    from tradeinbox.store.search import highlight_snippet

    html = highlight_snippet('price <img src=x onerror="alert(1)"> <b>quote</b>', ["quote"])
    assert "<img" not in html and "<b>" not in html
    assert "<" not in re.sub(r"</?mark>", "", html) and "<mark>quote</mark>" in html


def test_charts_escape_text_from_mail():
    from tradeinbox.core.deals.charts import deal_funnel

    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    svg = deal_funnel([(hostile, 3), ("won", 1)], title=hostile, chart_id=hostile)
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg


# -- no SSRF: which modules may open network connections at all ------------------------------

# What may reach the network, and why none of it takes an address from a message:
NETWORK_ALLOWED = {
    # IMAP and SMTP to the servers the user configured for the account.
    "mailbox/connect.py": {"socket", "smtplib", "imapclient"},
    # Exception classes only (to describe failures), no connections.
    "mailbox/errors.py": {"socket", "smtplib", "imapclient"},
    # Talk over the connections connect.py opened to the account's own servers.
    "mailbox/outbox.py": {"smtplib"},
    "mailbox/sync.py": {"imapclient"},
    # imaplib: its response patterns, to read bulk FETCH answers on that same connection.
    "mailbox/imapfetch.py": {"imapclient", "imaplib"},
    # socket.gethostname() for worker names, no connections.
    "mailbox/workers.py": {"socket"},
    "worker/jobs.py": {"socket"},
    # DNS of the user's own sending domain (dnscheck, DKIM records to publish).
    "core/dnscheck.py": {"dns"},
    "core/dnsquery.py": {"dns"},  # the resolver plumbing dnscheck uses
    "core/dkimsign.py": {"dns"},
    # DKIM verification looks up the signer's key (d=/s= of a message): only in
    # ``tradeinbox analyze --dns``, an explicit command-line choice (checked below).
    "core/authres.py": {"dns"},
    # Starts gunicorn and the worker as child processes; binds (never connects) to check
    # that the port is free.
    "commands/run.py": {"subprocess", "socket"},
}
NETWORK_MODULES = re.compile(
    r"^\s*(?:import|from)\s+(urllib\.request|urllib3|http\.client|requests|httpx|aiohttp|"
    r"pycurl|socket|smtplib|imaplib|imapclient|poplib|ftplib|telnetlib|dns|webbrowser|"
    r"subprocess|xmlrpc\.client)\b",
    re.M,
)


def test_only_listed_modules_can_reach_the_network():
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        modules = {m.split(".")[0] for m in NETWORK_MODULES.findall(text)}
        modules |= {"urlopen"} if "urlopen(" in text else set()
        if modules:
            found[str(path.relative_to(PACKAGE))] = modules
    extra = {
        name: sorted(mods - NETWORK_ALLOWED.get(name, set()))
        for name, mods in found.items()
        if mods - NETWORK_ALLOWED.get(name, set())
    }
    assert extra == {}, "new network access: list it in NETWORK_ALLOWED with the reason"


def test_dkim_lookups_of_message_domains_only_on_request():
    users = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "dnspython_txt" in path.read_text(encoding="utf-8")
        and path.name != "authres.py"
        and "migrations" not in path.parts
    ]
    assert users == ["commands/analyze.py"]
    text = (PACKAGE / "commands" / "analyze.py").read_text(encoding="utf-8")
    assert "if args.dns:" in text


@pytest.fixture
def no_network(monkeypatch):
    """Every outgoing connection attempt is recorded and refused (unix sockets still work)."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError("network access")
        return real_connect(sock, address)

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network access")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return attempts


@pytest.mark.django_db
def test_import_and_background_analysis_fetch_nothing(tmp_path, no_network, settings):
    """Storing a message full of remote URLs and running every job it queues: no fetch."""
    from tradeinbox.store.importer import Importer
    from tradeinbox.worker.jobs import claim_next, run_job
    from tradeinbox.worker.models import Job

    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "remote.eml").write_bytes(_remote_heavy_mail())
    assert Importer().import_paths([folder]).imported == 1
    ran = 0
    while (job := claim_next("test")) is not None:
        run_job(job)
        ran += 1
    assert ran >= 1, "storing a message queues its analysis"
    assert no_network == []
    assert not Job.objects.filter(status=Job.Status.FAILED).exists()


# -- GET never changes anything ------------------------------------------------------------------

# Rows a GET may legitimately touch: the session, the sign-in time; and rows created with
# their defaults the first time a page needs them (a profile, deal and quotation
# settings, a user's calendar-feed token): no forged request gains anything by that.
# Existing rows must not change.
IGNORED_TABLES = {"django_session"}
IGNORED_COLUMNS = {("auth_user", "last_login")}
CREATED_ON_FIRST_USE = {
    "users_profile",
    "deals_dealsettings",
    "deals_feedtoken",
    "quotes_companysettings",
}


def database_snapshot() -> dict[str, list]:
    snapshot = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table in IGNORED_TABLES or not model._meta.managed:
                continue
            columns = [
                f.column
                for f in model._meta.concrete_fields
                if (table, f.column) not in IGNORED_COLUMNS
            ]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            snapshot[table] = sorted(map(repr, cursor.fetchall()))
    return snapshot


@pytest.mark.django_db
def test_get_requests_change_nothing(tmp_path):
    """State changes go through POST (and so through CSRF); a GET, even a forged one, can't."""
    from tradeinbox.store.importer import Importer
    from tradeinbox.store.models import Message

    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(_remote_heavy_mail())
    Importer().import_paths([folder])
    pk = Message.objects.get().pk
    client = Client()
    client.force_login(User.objects.create_user("sales", password="correct horse battery"))
    urls = all_urls(pk) + [f"/messages/{pk}/?images=1", f"/messages/{pk}/body/?images=1"]
    before = database_snapshot()
    changed = []
    for url in urls:
        client.get(url)
        after = database_snapshot()
        for table in after:
            if table in CREATED_ON_FIRST_USE:
                if not set(before[table]) <= set(after[table]):
                    changed.append((url, table))
            elif after[table] != before[table]:
                changed.append((url, table))
        before = after
    assert changed == []
