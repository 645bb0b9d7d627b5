"""The domain check page's work: run :func:`tradeinbox.core.dnscheck.check_domain` for a row."""

from __future__ import annotations

from datetime import UTC, datetime

from tradeinbox.core.dnscheck import FORM_HINTS, check_domain, make_resolver, parse_nameserver
from tradeinbox.core.i18n import english
from tradeinbox.outbound import conf
from tradeinbox.outbound.models import DkimKey, DomainCheck


def default_selector(domain: str) -> str:
    """The selector of the domain's active key here, so the check looks where we sign."""
    key = DkimKey.objects.filter(domain=domain, active=True).first()
    return key.selector if key else ""


def run_check(check_id: int) -> DomainCheck:
    """Run one queued check and store its report (DNS trouble is a 'warn', never a crash)."""
    row = DomainCheck.objects.get(pk=check_id)
    try:
        host, port = parse_nameserver(conf.nameserver() or None)
        with english():  # the report is stored; the page translates it when shown
            report = check_domain(
                row.domain,
                ip=row.ip or None,
                selector=row.selector or default_selector(row.domain) or None,
                resolver=make_resolver(host, port, 5.0),
                dnsbl_zones=conf.dnsbl_zones(),
                hints=FORM_HINTS,  # name the page's fields, not the CLI's options
            )
    except ValueError as exc:  # a bad nameserver setting, an unusable name
        row.status, row.error = DomainCheck.Status.ERROR, str(exc)[:1000]
    else:
        row.status, row.worst, row.report = DomainCheck.Status.DONE, report.worst, report.to_dict()
        row.error = ""
    row.finished_at = datetime.now(UTC)
    row.save(update_fields=["status", "worst", "report", "error", "finished_at"])
    return row
