"""Search plans give the same hits, newest first, whichever plan runs.

PostgreSQL picks between walking the newest rows, date windows and a bitmap of the
user's ids (tradeinbox.store.pgsearch); SQLite between FTS5 sets and a walk of the date
index. The thresholds are lowered here so that a few dozen messages go through every
plan, and each result is compared with the answer worked out from what was written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_web_views import PDF, build_email, import_emails
from tradeinbox.core.search_query import parse_query
from tradeinbox.mailbox.models import Account, Folder, MessageLocation
from tradeinbox.store import pgsearch
from tradeinbox.store.models import Message
from tradeinbox.store.querying import search_slice
from tradeinbox.users.mailscope import MailScope

NEWEST = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SENDERS = [
    "Eve North <eve@north.example>",
    "Odd Person <odd.person@south.example>",
    "王小明 <wang@factory.example>",
]


def _spec(i: int) -> dict:
    """Message i (0 = newest). Two share a date, to check the tie on id."""
    words = ["alpha"]
    if 22 <= i < 37:
        words.append("beta")  # common, but not among the newest
    if i in (3, 17, 33):
        words.append("gamma")  # rare
    return {
        "i": i,
        "date": NEWEST - timedelta(hours=i if i != 7 else 6),
        "words": words,
        "sender": SENDERS[i % 3],
        "attachment": i % 4 == 1,
        "mine": i % 5 != 0,
    }


SPECS = [_spec(i) for i in range(40)]

QUERIES = {
    "alpha": lambda s: True,
    "beta": lambda s: "beta" in s["words"],
    "gamma": lambda s: "gamma" in s["words"],
    "alpha has:attachment": lambda s: s["attachment"],
    "beta before:2026-04-30": lambda s: "beta" in s["words"] and s["date"] < _day(30),
    "alpha after:2026-04-30": lambda s: s["date"] >= _day(30),
    "from:south.example": lambda s: "south" in s["sender"],
    "from:odd.person@south.example beta": lambda s: "south" in s["sender"] and "beta" in s["words"],
    "from:eve alpha": lambda s: s["sender"].startswith("Eve"),
    "from:王小明": lambda s: s["sender"].startswith("王"),
    "from:nobody": lambda s: False,
}


def _day(day: int) -> datetime:
    return datetime(2026, 4, day, tzinfo=UTC)


@pytest.fixture
def mail(db, tmp_path) -> dict:
    emails = {
        f"m{s['i']:02}.eml": build_email(
            f"Message {s['i']}",
            " ".join(s["words"]) + " and some filler text",
            sender=s["sender"],
            date=s["date"],
            message_id=f"<plan-{s['i']}@test>",
            attachments=[("a.pdf", "application/pdf", PDF)] if s["attachment"] else [],
        )
        for s in SPECS
    }
    import_emails(tmp_path / "mail", emails)
    pks = dict(Message.objects.values_list("message_id", "pk"))
    pk_of = {s["i"]: pks[f"plan-{s['i']}@test"] for s in SPECS}
    owner = User.objects.create_user("planner")
    account = Account(
        owner=owner,
        email_address="planner@factory.example",
        sender_name="Planner",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        username="planner",
        sync_enabled=False,
    )
    account.set_password("unused")
    account.save()
    folder = Folder.objects.create(account=account, name="INBOX")
    MessageLocation.objects.bulk_create(
        [
            MessageLocation(message_id=pk_of[s["i"]], folder=folder, uid=s["i"] + 1)
            for s in SPECS
            if s["mine"]
        ]
        # A location whose message is not stored (yet): its id is NULL.
        + [MessageLocation(message=None, folder=folder, uid=999)]
    )
    return {"pk_of": pk_of, "owner": owner.pk, "folder": folder.pk}


def _expected(mail: dict, predicate, scoped: bool) -> list[int]:
    chosen = [s for s in SPECS if predicate(s) and (s["mine"] or not scoped)]
    chosen.sort(key=lambda s: (s["date"], mail["pk_of"][s["i"]]), reverse=True)
    return [mail["pk_of"][s["i"]] for s in chosen]


def _scopes(mail: dict) -> dict:
    def scope(share: float) -> MailScope:
        return MailScope(owners=(mail["owner"],), folders=(mail["folder"],), share=share)

    return {"everyone": None, "manager": scope(0.5), "salesperson": scope(0.01)}


def _check_all(mail: dict) -> None:
    for name, scope in _scopes(mail).items():
        for text, predicate in QUERIES.items():
            expected = _expected(mail, predicate, scoped=scope is not None)
            query = parse_query(text)
            for start, stop in ((0, 7), (3, 9), (0, 60)):
                got = [m.pk for m in search_slice(query, start, stop, scope)]
                assert got == expected[start:stop], (name, text, start, stop)


@pytest.mark.django_db
def test_every_plan_returns_the_newest_matches(mail, monkeypatch):
    _check_all(mail)  # the plans the statistics choose
    if connection.vendor != "postgresql":
        return
    monkeypatch.setattr(pgsearch, "_bounds", {})
    monkeypatch.setattr(pgsearch, "WALK", 40)
    monkeypatch.setattr(pgsearch, "WINDOWS", (6, 30))
    # Words estimated frequent (walk first), middling (windows), rare (every match).
    for share in (1.0, 0.02, 0.0):
        monkeypatch.setattr(pgsearch, "_estimated_share", lambda query, share=share: share)
        with CaptureQueriesContext(connection) as captured:
            _check_all(mail)
        sql = [q["sql"] for q in captured]
        walked = any("store_message_search t WHERE t.message_id" in q for q in sql)
        assert walked is (share == 1.0), share
        assert any("s.message_id = ANY(" in q for q in sql)  # the salesperson's ids
        assert any("OFFSET 0) c WHERE" in q for q in sql)  # the manager's, on sorted rows
    # A word absent from the newest messages goes on from the walk to a date window.
    monkeypatch.setattr(pgsearch, "_estimated_share", lambda query: 1.0)
    with CaptureQueriesContext(connection) as captured:
        search_slice(parse_query("beta"), 0, 7, None)
    assert any("s.date >= '" in q["sql"] for q in captured)


@pytest.mark.django_db
def test_from_matches_the_address_on_both_databases(mail):
    """PostgreSQL keeps an address as one word; the sender words are split like FTS5's."""
    for text in ("from:south.example", "from:odd.person@south.example", "from:person"):
        got = {m.pk for m in search_slice(parse_query(text), 0, 100)}
        assert got == set(_expected(mail, QUERIES["from:south.example"], scoped=False)), text


@pytest.mark.django_db
def test_migration_fills_rows_as_the_importer_writes_them(mail):
    """Migration 0005 fills existing rows: the same dates, attachment flags and sender
    words (SQL for ASCII senders, the importer's Python function for the others) as a
    fresh import."""
    if connection.vendor != "postgresql":
        pytest.skip("the search row's date and sender words are PostgreSQL's")
    import importlib

    migration = importlib.import_module(
        "tradeinbox.store.migrations.0005_messagesearch_date_sender"
    )
    query = (
        "SELECT message_id, date, has_attachment, sender_document::text "
        "FROM store_message_search ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        written = cursor.fetchall()
        cursor.execute(
            "UPDATE store_message_search SET date = now(), has_attachment = NOT has_attachment, "
            "sender_document = ''"
        )
    with connection.schema_editor() as editor:
        migration.fill(None, editor)
    with connection.cursor() as cursor:
        cursor.execute(query)
        assert cursor.fetchall() == written
    assert any("'王小'" in row[3] for row in written)  # the non-ASCII sender took the Python path
