"""``tradeinbox analyze PATH...``: triage mail files, one JSON object per message.

Output contract (one line per message, other tools read it)::

    {"source": ..., "message_id": ..., "threat": 0.0-1.0, "label": "phish"|"spam"|"ham",
     "inquiry": true|false, "grade": "A"|"B"|"C"|"D"|null, "authenticity": 0.0-1.0,
     "origin": {"ip": ..., "country": ..., "local_hour": ...},
     "references": [{"kind": ..., "value": ...}],
     "evidence": [{"rule": ..., "weight": ..., "detail": ...}]}

Input that cannot be read or parsed gives ``{"source": ..., "error": ...}``.
A phish or spam verdict never carries a B/C/D grade: grade "A" if it was an
inquiry, else null (see :mod:`tradeinbox.core.triage`). No database, no network:
DKIM is only verified against DNS with ``--dns``. Many inputs are analysed by
``--jobs`` worker processes; output order always follows input order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator

HELP = "triage messages (threat, inquiry grade, origin) and print one JSON line each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="mail file, Maildir, mbox, folder, or - (stdin)"
    )
    parser.add_argument(
        "--own-domain", action="append", default=[], metavar="DOMAIN",
        help="our own mail domain (lookalike protection); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--known-domain", action="append", default=[], metavar="DOMAIN",
        help="a customer's or supplier's domain to protect; repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--contact", action="append", default=[], metavar="'NAME <EMAIL>'",
        help="a known contact (display-name impersonation check); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--authserv-id", action="append", default=None, metavar="ID",
        help="authserv-id of our own MTA whose Authentication-Results to trust "
        "(default: trust by position above the boundary Received line)",
    )  # fmt: skip
    parser.add_argument(
        "--dns", action="store_true", help="verify DKIM signatures with live DNS (3 s limit)"
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=0,
        help="worker processes (default: number of CPUs when there are many messages)",
    )  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.5, help="threat score for phish/spam")
    parser.add_argument(
        "--model", metavar="FILE", default=None,
        help="threat model file written by 'tradeinbox learn' (default: the shipped model)",
    )  # fmt: skip


def _options(args: argparse.Namespace):
    from tradeinbox.core.headers import parse_addresses
    from tradeinbox.core.triage import TriageOptions

    contacts: dict[str, set[str]] = {}
    for value in args.contact:
        for address in parse_addresses([value]):
            if address.name:
                contacts.setdefault(address.name.lower(), set()).add(address.email)
    dnsfunc = None
    if args.dns:
        from tradeinbox.core.authres import dnspython_txt

        dnsfunc = dnspython_txt(3.0)
    model = None
    if args.model:
        from pathlib import Path

        from tradeinbox.core.classifier import load_model

        model = load_model(Path(args.model))
        if model is None:
            raise SystemExit(f"tradeinbox analyze: {args.model} is not a readable model file")
    return TriageOptions(
        model=model,
        own_domains=frozenset(args.own_domain),
        known_domains=frozenset(args.known_domain),
        known_contacts={name: frozenset(emails) for name, emails in contacts.items()},
        trusted_authserv_ids=args.authserv_id,
        dnsfunc=dnsfunc,
        threshold=args.threshold,
    )


def _inputs(paths: list[str]) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(source, raw bytes or None, error) for every message under ``paths``."""
    from tradeinbox.core.sources import SkippedFile, iter_path

    for path in paths:
        if path == "-":
            yield "-", sys.stdin.buffer.read(), None
            continue
        for item in iter_path(path):
            if isinstance(item, SkippedFile):
                yield item.source, None, item.reason
            else:
                yield item.source, item.data, None


_OPTIONS = None


def _init_worker(options) -> None:
    global _OPTIONS
    _OPTIONS = options


def analyse_one(job: tuple[str, bytes | None, str | None]) -> dict:
    """The JSON object for one input; never raises."""
    source, raw, error = job
    if raw is None:
        return {"source": source, "error": error or "unreadable"}
    try:
        from tradeinbox.core.parse import parse_message
        from tradeinbox.core.triage import as_json, triage_message

        msg = parse_message(raw)
        return as_json(source, triage_message(msg, raw, _OPTIONS))
    except Exception as exc:  # one bad message must not stop a batch
        return {"source": source, "error": f"{type(exc).__name__}: {exc}"[:300]}


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    _init_worker(options)
    jobs = args.jobs or (os.cpu_count() or 1)
    out = sys.stdout
    failures = 0
    inputs = _inputs(args.paths)
    if jobs > 1 and not (len(args.paths) == 1 and args.paths[0] == "-"):
        import itertools
        import multiprocessing

        first = list(itertools.islice(inputs, 64))
        if len(first) < 64:
            results = map(analyse_one, first)
            pool = None
        else:
            from tradeinbox.core.triage import warm_up

            warm_up()  # once here, shared by the forked workers (~0.4 s each otherwise)
            context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
            pool = context.Pool(jobs, initializer=_init_worker, initargs=(options,))
            results = pool.imap(analyse_one, itertools.chain(first, inputs), chunksize=16)
        try:
            for result in results:
                failures += "error" in result
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    else:
        for job in inputs:
            result = analyse_one(job)
            failures += "error" in result
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return 0
