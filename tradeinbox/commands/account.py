"""``tradeinbox account add/list/test/remove/sync``: connect company mailboxes.

The password is read from a prompt, from ``--password-env VAR``, or from standard input
with ``--password-stdin`` (never from the command line, where ``ps`` would show it), and is
stored encrypted.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from tradeinbox.mailbox.providers import PRESETS  # a plain dict: importing it needs no Django

HELP = "connect a company mailbox (IMAP + SMTP): add, list, test, sync, remove"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="add a mailbox (tests the connection first)")
    add.add_argument("email", help="the mailbox address, e.g. li.wei@factory.example")
    add.add_argument("--name", required=True, help='sender name, e.g. "Li Wei"')
    add.add_argument("--company", default="", help='shown as "Name @ Company"')
    add.add_argument("--provider", choices=sorted(PRESETS), help="fill in known server settings")
    add.add_argument("--imap-host")
    add.add_argument("--imap-port", type=int)
    add.add_argument("--imap-security", choices=["tls", "starttls", "none"])
    add.add_argument("--smtp-host")
    add.add_argument("--smtp-port", type=int)
    add.add_argument("--smtp-security", choices=["tls", "starttls", "none"])
    add.add_argument("--username", help="login name (default: the address)")
    add.add_argument("--smtp-username", default="", help="SMTP login when it differs")
    add.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--signature", default="", help="signature text appended to new mail")
    add.add_argument(
        "--no-verify-tls", action="store_true", help="accept any certificate (not recommended)"
    )
    add.add_argument("--skip-test", action="store_true", help="save without testing the connection")

    listing = sub.add_parser("list", help="list mailboxes and their sync state")
    listing.add_argument("--json", action="store_true")

    test = sub.add_parser("test", help="check DNS, connection, encryption, login, capabilities")
    test.add_argument("email")
    test.add_argument("--json", action="store_true")

    sync = sub.add_parser("sync", help="sync a mailbox now (all folders)")
    sync.add_argument("email")
    sync.add_argument("--json", action="store_true")

    remove = sub.add_parser("remove", help="forget a mailbox (its stored mail stays)")
    remove.add_argument("email")


def _password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise SystemExit(f"${args.password_env} is not set")
        return value
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(f"Password for {args.email}: ")


def _print_checks(results, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                [
                    {"protocol": r.protocol, "ok": r.ok, "steps": [s.__dict__ for s in r.steps]}
                    for r in results
                ],
                ensure_ascii=False,
            )
        )
        return
    for result in results:
        print(f"{result.protocol}: {'OK' if result.ok else 'FAILED'}")
        for step in result.steps:
            mark = "ok  " if step.ok else "FAIL"
            print(f"  [{mark}] {step.name}: {step.message}")
            if step.detail and not step.ok:
                print(f"         ({step.detail})")


def _add(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from tradeinbox.mailbox.connect import check_imap, check_smtp, imap_endpoint, smtp_endpoint
    from tradeinbox.mailbox.models import Account

    preset = PRESETS.get(args.provider or "", (None, 993, "tls", None, 465, "tls"))
    fields = {
        "email_address": args.email.strip(),
        "sender_name": args.name.strip(),
        "company": args.company.strip(),
        "signature": args.signature,
        "imap_host": args.imap_host or preset[0],
        "imap_port": args.imap_port or preset[1],
        "imap_security": args.imap_security or preset[2],
        "smtp_host": args.smtp_host or preset[3] or args.imap_host,
        "smtp_port": args.smtp_port or preset[4],
        "smtp_security": args.smtp_security or preset[5],
        "username": args.username or args.email.strip(),
        "smtp_username": args.smtp_username,
        "verify_tls": not args.no_verify_tls,
    }
    if not fields["imap_host"]:
        print("Give --imap-host (and --smtp-host), or --provider.", file=sys.stderr)
        return 2
    if Account.objects.filter(email_address__iexact=fields["email_address"]).exists():
        print(f"{fields['email_address']} is already connected.", file=sys.stderr)
        return 1
    account = Account(**fields)
    account.set_password(_password(args))
    try:
        account.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                print(f"{field}: {message}", file=sys.stderr)
        return 2
    if not args.skip_test:
        results = [check_imap(imap_endpoint(account)), check_smtp(smtp_endpoint(account))]
        if not all(r.ok for r in results):
            _print_checks(results, False)
            print("Not saved. Fix the settings above, or use --skip-test.", file=sys.stderr)
            return 1
    account.save()
    print(
        f"Added {account.email_address} as \u201c{account.display_name}\u201d. "
        "The worker (tradeinbox worker) will sync it."
    )
    return 0


def _find(email: str):
    from tradeinbox.mailbox.models import Account

    account = Account.objects.filter(email_address__iexact=email.strip()).first()
    if account is None:
        print(f"No mailbox {email} (see: tradeinbox account list).", file=sys.stderr)
    return account


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.store.setup import ensure_database

    ensure_database()
    from tradeinbox.mailbox.models import Account

    if args.action == "add":
        return _add(args)
    if args.action == "list":
        rows = []
        for account in Account.objects.all():
            rows.append(
                {
                    "email": account.email_address,
                    "sender": account.display_name,
                    "imap": f"{account.imap_host}:{account.imap_port} ({account.imap_security})",
                    "smtp": f"{account.smtp_host}:{account.smtp_port} ({account.smtp_security})",
                    "last_sync": account.last_sync_at.isoformat() if account.last_sync_at else None,
                    "messages": sum(f.message_count for f in account.folders.all()),
                    "error": account.last_error,
                }
            )
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        elif not rows:
            print("No mailboxes yet. Add one: tradeinbox account add EMAIL --name NAME ...")
        else:
            for row in rows:
                state = row["last_sync"] or "not synced yet"
                print(
                    f"{row['email']}  \u201c{row['sender']}\u201d  IMAP {row['imap']}  "
                    f"SMTP {row['smtp']}  {row['messages']} messages, last sync {state}"
                )
                if row["error"]:
                    print(f"    problem: {row['error']}")
        return 0
    account = _find(args.email)
    if account is None:
        return 1
    if args.action == "test":
        from tradeinbox.mailbox.connect import check_imap, check_smtp, imap_endpoint, smtp_endpoint

        results = [check_imap(imap_endpoint(account)), check_smtp(smtp_endpoint(account))]
        _print_checks(results, args.json)
        return 0 if all(r.ok for r in results) else 1
    if args.action == "sync":
        from tradeinbox.mailbox.errors import describe
        from tradeinbox.mailbox.sync import AccountSync

        try:
            report = AccountSync(account).run()
        except Exception as exc:  # noqa: BLE001 - said in words, exit status 1
            print(describe(exc), file=sys.stderr)
            return 1
        Account.objects.filter(pk=account.pk).update(initial_sync_done=True, last_error="")
        data = report.as_dict()
        if args.json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(
                f"{data['new']} new, {data['flag_changes']} flag changes, {data['removed']} "
                f"removed, {data['stored']} stored in {data['seconds']} s"
            )
        return 0
    if args.action == "remove":
        from django.db.models import ProtectedError

        email = account.email_address
        try:
            account.delete()
        except ProtectedError:
            account.outbox.filter(status__in=["sent", "failed", "cancelled"]).delete()
            if account.outbox.exists():
                print(
                    "This mailbox still has messages waiting to be sent; cancel them first.",
                    file=sys.stderr,
                )
                return 1
            account.delete()
        print(f"Removed {email}. Mail already stored stays in tradeinbox.")
        return 0
    return 2
