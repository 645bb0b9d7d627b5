"""``tradeinbox dnscheck DOMAIN``: SPF, DKIM, DMARC, MX, reverse DNS and blocklist check."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap

HELP = "check a sending domain's SPF/DKIM/DMARC/MX/rDNS/blocklists (exit 1 if any check fails)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domain", help="the domain in your From: address")
    parser.add_argument("--ip", help="IP address your mail leaves from (enables PTR and DNSBL)")
    parser.add_argument("--selector", help="DKIM selector (s= of your DKIM-Signature)")
    parser.add_argument("--nameserver", metavar="HOST:PORT", help="query this DNS server")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per query (5)")
    parser.add_argument(
        "--dnsbl",
        action="append",
        metavar="ZONE",
        help="blocklist zone to query (repeatable; replaces the default list)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _table(report) -> str:
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 120))
    mark = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
    lines = [f"Deliverability check for {report.domain}" + (f" sent from {report.ip}" if report.ip
             else ""), ""]  # fmt: skip
    for check in report.checks:
        head = f"{mark[check.status]:4}  {check.name.upper():6} "
        body = textwrap.wrap(check.detail, width - len(head)) or [""]
        lines.append(head + body[0])
        lines += [" " * len(head) + b for b in body[1:]]
        indent = " " * len(head)
        if check.fix:
            lines += textwrap.wrap("Fix: " + check.fix, width, initial_indent=indent,
                                   subsequent_indent=indent + "     ")  # fmt: skip
        if check.record:
            lines.append(indent + "Record: " + check.record)
    lines += ["", f"Overall: {mark[report.worst]}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from tradeinbox.core.dnscheck import (
        DEFAULT_DNSBL_ZONES,
        check_domain,
        make_resolver,
        parse_nameserver,
    )

    host, port = parse_nameserver(args.nameserver)
    report = check_domain(
        args.domain,
        ip=args.ip,
        selector=args.selector,
        resolver=make_resolver(host, port, args.timeout),
        dnsbl_zones=args.dnsbl or DEFAULT_DNSBL_ZONES,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(_table(report))
    return 1 if report.worst == "fail" else 0
