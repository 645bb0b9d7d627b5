"""Web load on PostgreSQL: 500,000 messages, 5,000+ companies, 50 simultaneous users.

    .venv/bin/python bench/web_load.py [--corpora DIR] [--messages 500000]
        [--companies 5000] [--users 50] [--duration 120] [--web-workers 4]
        [--pg postgres://postgres@127.0.0.1:5432/postgres] [--keep] [--reuse NAME]

1. Creates a throwaway database on the PostgreSQL server (trust auth on 127.0.0.1)
   and migrates it.
2. Imports the real corpora with the real importer (parse, store, full-text index,
   threads, visibility index), then replicates the stored rows in SQL with fresh
   Message-IDs and dedupe keys, shifted dates and per-copy addresses
   (``x+r7@domain``) until there are ``--messages`` messages: message rows, their
   search rows (the original's words, the copy's date) and their address index rows.
   Copies have no raw bytes (the pages measured here never read them).
3. Builds a sales organisation: 5 teams of 1 manager and 9 salespeople, each with a
   mailbox account, every message placed in one of those mailboxes, at least
   ``--companies`` customer companies (people and addresses from the mail) of which
   60% are owned by salespeople and 40% are in the public pool; signs every user in.
4. Starts gunicorn (``--web-workers`` sync workers) and runs
   bench/web_load_driver.py in a second process: ``--users`` simulated users, each
   reading a page for 2-10 s (``--think``; 6 s on average, so 50 users ask for about
   8 pages a second) before the next one (inbox and its next pages, search, a
   customer page, the pre-send check), for ``--duration`` seconds after a warm-up.

The last line is one JSON object: fill figures, p50/p95/p99 per page, errors, load.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
SOURCES = ["enron_maildir_sample", "spamassassin_public", "b2b_inquiry_candidates", "phishing_pot"]
TEAMS, SALES_PER_TEAM = 5, 9


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def admin_sql(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(statement)


def setup_django(database_url: str, data_dir: Path, secret: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        TRADEINBOX_DATA=str(data_dir),
        SECRET_KEY=secret,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TRADEINBOX_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="tradeinbox.settings",
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


# -- filling --------------------------------------------------------------------------


def import_base(corpora: Path) -> int:
    from tradeinbox.store.importer import Importer

    paths = [corpora / name for name in SOURCES if (corpora / name).is_dir()]
    if not paths:
        raise SystemExit(f"no corpora under {corpora} (expected {', '.join(SOURCES)})")
    summary = Importer().import_paths(paths)
    log(f"imported {summary.imported} real messages from {len(paths)} corpora")
    return summary.imported


def replicate(target: int) -> dict:
    """Copy the stored messages in SQL until there are ``target`` of them."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), max(id) FROM store_message")
        base, top = cur.fetchone()
        copies = max(0, -(-target // base) - 1)
        stride = top + 1
        columns = (
            "raw_sha256, raw_size, subject, from_name, date_header_valid, utc_offset_minutes, "
            'in_reply_to, "references", thread_id, body_text, has_html, snippet, '
            "attachment_count, attachment_names, source, is_seen, is_answered, is_flagged, "
            "defects, imported_at"
        )
        for k in range(1, copies + 1):
            left = target - base * k
            if left <= 0:
                break
            limit = f"ORDER BY id LIMIT {min(base, left)}"
            cur.execute(
                f"INSERT INTO store_message (id, dedupe_key, message_id, from_email, recipients, "
                f"date, {columns}) SELECT id + %s, md5(dedupe_key || ':' || %s), "
                f"CASE WHEN message_id = '' THEN '' ELSE left('r' || %s || '.' || message_id, 255) END, "
                f"replace(from_email, '@', '+r' || %s || '@'), "
                f"replace(recipients::text, '@', '+r' || %s || '@')::jsonb, "
                f"date - make_interval(days => %s), {columns} "
                f"FROM store_message WHERE id < %s {limit}",
                [k * stride, k, k, k, k, 3 * k, stride],
            )
            # The copy's search row takes the copy's (shifted) date; its words and
            # sender words are the original's, like its subject and body.
            cur.execute(
                "INSERT INTO store_message_search (message_id, date, has_attachment, document, "
                "sender_document) SELECT s.message_id + %s, m.date, s.has_attachment, "
                "s.document, s.sender_document "
                "FROM store_message_search s JOIN store_message m ON m.id = s.message_id + %s "
                "WHERE s.message_id < %s AND m.id >= %s AND m.id < %s",
                [k * stride, k * stride, stride, k * stride, (k + 1) * stride],
            )
            cur.execute(
                "INSERT INTO users_messageaddress (message_id, address) "
                "SELECT message_id + %s, CASE WHEN address = '' THEN '' "
                "ELSE replace(address, '@', '+r' || %s || '@') END "
                "FROM users_messageaddress WHERE message_id < %s AND message_id + %s IN "
                "(SELECT id FROM store_message WHERE id >= %s AND id < %s)",
                [k * stride, k, stride, k * stride, k * stride, (k + 1) * stride],
            )
            log(f"copy {k}/{copies} stored")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('store_message', 'id'), "
            "(SELECT max(id) FROM store_message))"
        )
        cur.execute("SELECT count(*) FROM store_message")
        total = cur.fetchone()[0]
    return {"base_messages": base, "messages": total, "copies": copies, "stride": stride}


def build_organisation(companies_wanted: int, stride: int) -> dict:
    """Teams, users with mailboxes, every message in a mailbox, customers from the mail."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from tradeinbox.core.addresses import company_domain
    from tradeinbox.customers.models import Company, CompanyDomain, EmailAddress, Person
    from tradeinbox.mailbox.models import Account, Folder
    from tradeinbox.users.models import MessageAddress
    from tradeinbox.users.roles import assign_role

    users, sales = [], []
    for t in range(TEAMS):
        team = f"Team {t + 1}"
        manager = User.objects.create_user(f"manager{t + 1}")
        assign_role(manager, "manager", team)
        users.append(manager)
        for s in range(SALES_PER_TEAM):
            person = User.objects.create_user(f"sales{t + 1}_{s + 1}")
            assign_role(person, "salesperson", team)
            users.append(person)
            sales.append(person)
    folders = []
    for user in users:
        account = Account(
            owner=user,
            email_address=f"{user.username}@ourfactory.example",
            sender_name=user.username,
            imap_host="127.0.0.1",
            smtp_host="127.0.0.1",
            username=user.username,
            sync_enabled=False,
        )
        account.set_password("not used")
        account.save()
        folders.append(Folder.objects.create(account=account, name="INBOX", special_use="inbox"))
    with connection.cursor() as cur:
        # Message i sits in salesperson mailbox i mod n: every message is someone's mail.
        ids = [f.pk for f in folders if f.account.owner in sales]
        cur.execute(
            "INSERT INTO mailbox_messagelocation (message_id, folder_id, uid, flags) "
            "SELECT id, (%s::bigint[])[1 + id %% %s], id, '[]'::jsonb FROM store_message",
            [ids, len(ids)],
        )
    # Customers: one company per registrable domain of the base mail (free-mail
    # excluded), one person per address; repeated for copies until there are enough.
    base_addresses = (
        MessageAddress.objects.filter(message_id__lt=stride)
        .exclude(address="")
        .values_list("address", flat=True)
        .distinct()
    )
    by_domain: dict[str, list[str]] = {}
    for address in base_addresses.iterator(chunk_size=20000):
        domain = company_domain(address)
        if domain and not domain.endswith("ourfactory.example"):
            by_domain.setdefault(domain, []).append(address)
    rounds = max(1, -(-companies_wanted // max(1, len(by_domain))))
    made = 0
    for k in range(rounds):
        with transaction.atomic():
            companies = Company.objects.bulk_create(
                [
                    Company(
                        name=f"{d.split('.')[0].title()}{f' {k}' if k else ''}",
                        owner=sales[(made + i) % len(sales)] if (made + i) % 5 < 3 else None,
                    )
                    for i, d in enumerate(by_domain)
                ]
            )
            CompanyDomain.objects.bulk_create(
                [
                    CompanyDomain(company=c, domain=f"r{k}.{d}" if k else d)
                    for c, d in zip(companies, by_domain, strict=True)
                ]
            )
            people, rows = [], []
            for company, (_domain, addresses) in zip(companies, by_domain.items(), strict=True):
                for address in addresses[:20]:
                    people.append(Person(name=address.split("@")[0], company=company))
                    rows.append(address.replace("@", f"+r{k}@") if k else address)
            people = Person.objects.bulk_create(people, batch_size=5000)
            EmailAddress.objects.bulk_create(
                [EmailAddress(address=a, person=p) for a, p in zip(rows, people, strict=True)],
                batch_size=5000,
                ignore_conflicts=True,
            )
        made += len(companies)
    log(f"{made} companies, {len(users)} users")
    return {"users": users, "companies": made}


def sign_in(users, visible_companies) -> list[dict]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tradeinbox.mailbox.models import Account

    specs = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        account = Account.objects.filter(owner=user).values_list("pk", flat=True).first()
        specs.append(
            {
                "user": user.username,
                "session": session.session_key,
                "account": account,
                "companies": visible_companies(user),
            }
        )
    return specs


def plan_for_users(n_users: int) -> list[dict]:
    from django.contrib.auth.models import User
    from django.db.models import Exists, OuterRef

    from tradeinbox.customers.models import Company, Person
    from tradeinbox.users.roles import visible

    users = list(User.objects.order_by("pk")[:n_users])

    with_people = Company.objects.filter(Exists(Person.objects.filter(company=OuterRef("pk"))))

    def companies(user) -> list[int]:
        rows = visible(user, with_people).order_by("?")
        return list(rows.values_list("pk", flat=True)[:200])

    return sign_in(users, companies)


def search_terms() -> list[str]:
    """Words from the stored subjects: frequent ones, and rarer ones."""
    from collections import Counter

    from tradeinbox.store.models import Message

    counts: Counter[str] = Counter()
    for subject in Message.objects.order_by("id").values_list("subject", flat=True)[:20000]:
        counts.update(w for w in subject.lower().split() if w.isalpha() and 4 <= len(w) <= 12)
    common = [w for w, _n in counts.most_common(40)]
    rare = [w for w, n in counts.most_common(4000)[2000:] if n >= 2][:40]
    return common + rare + ["from:enron.com", "has:attachment price"]


# -- running --------------------------------------------------------------------------


def start_gunicorn(env: dict, port: int, workers: int, logs: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "tradeinbox.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--error-logfile", str(logs / "gunicorn.log"), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=REPO)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not start; see " + str(logs / "gunicorn.log"))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 10.0))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", help="use this filled database (from --keep) as it is")
    args = parser.parse_args()

    name = args.reuse or f"tradeinbox_load_{os.getpid()}"
    database_url = with_database(args.pg, name)
    work = Path(tempfile.mkdtemp(prefix="tradeinbox-load-"))
    secret_file = Path(tempfile.gettempdir()) / f"{name}.secret"
    secret = secret_file.read_text() if args.reuse else secrets.token_urlsafe(40)
    if not args.reuse:
        admin_sql(args.pg, f'CREATE DATABASE "{name}"')
        # Short web queries: planning them for JIT compilation costs more than it saves.
        admin_sql(args.pg, f'ALTER DATABASE "{name}" SET jit = off')
        secret_file.write_text(secret)
    figures: dict = {"database": name}
    gunicorn = None
    try:
        setup_django(database_url, work / "data", secret)
        from django.core.management import call_command
        from django.db import connection

        started = time.monotonic()
        if not args.reuse:
            call_command("migrate", interactive=False, verbosity=0)
            import_base(args.corpora)
            figures.update(replicate(args.messages))
            org = build_organisation(args.companies, figures["stride"])
            figures["companies"] = org["companies"]
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            figures["fill_s"] = round(time.monotonic() - started, 1)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM store_message")
            figures["messages"] = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM customers_company")
            figures["companies"] = cur.fetchone()[0]
            cur.execute("SELECT pg_database_size(current_database())")
            figures["database_mb"] = round(cur.fetchone()[0] / 2**20)
        plan = {
            "users": plan_for_users(args.users),
            "terms": search_terms(),
            "duration": args.duration,
            "warmup": args.warmup,
            "think_min": args.think[0],
            "think_max": args.think[1],
        }
        connection.close()
        port = free_port()
        env = os.environ | {"TRADEINBOX_DB_CONN_MAX_AGE": "600"}
        gunicorn = start_gunicorn(env, port, args.web_workers, work)
        plan["base"] = f"http://127.0.0.1:{port}"
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan))
        load_before = os.getloadavg()
        log(f"load: {args.users} users for {args.warmup}+{args.duration} s against {plan['base']}")
        driver = subprocess.run(
            [sys.executable, str(REPO / "bench" / "web_load_driver.py"), str(plan_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(driver.stdout.strip().splitlines()[-1])
        figures.update(result)
        figures["loadavg_before"] = [round(x, 2) for x in load_before]
        figures["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        figures["cpus"] = os.cpu_count()
        figures["web_workers"] = args.web_workers
        figures["p95_target_met"] = all(p["p95_ms"] <= 300 for p in result["pages"].values())
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        if not args.keep and not args.reuse:
            admin_sql(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            secret_file.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
