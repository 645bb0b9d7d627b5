"""Recognise bounces, delivery reports, complaints and auto-replies.

An export sales team mails hundreds of buyers; a CRM must notice which mails came back
and why, so dead addresses are marked ``former`` (see :mod:`tradeinbox.core.addresses`)
and the thread shows "not delivered". Recognised:

* ``dsn``       - RFC 3464 delivery status notifications (``multipart/report;
                  report-type=delivery-status``), including ones that put the
                  ``Final-Recipient``/``Status`` fields in a text part;
* ``bounce``    - non-standard MTA bounces (qmail, Exim, Postfix, Sendmail, Exchange,
                  Lotus, Gmail, Yahoo, Sina, QQ, NetEase, Japanese carriers ...),
                  by structure and phrases, with :mod:`flufl.bounce` as one more input;
* ``complaint`` - RFC 5965 ARF feedback reports (and Hotmail-style JMRP);
* ``autoreply`` - RFC 3834 auto-replies: vacation / out-of-office, "has left the
                  company" (see :mod:`tradeinbox.core.autoreplies`).

Each failed recipient gets hard/soft (:mod:`tradeinbox.core.bounce_reasons`), the
diagnostic text, and the report gets the Message-ID of the original message so the
bounce can be tied to the sent mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from tradeinbox.core.autoreplies import detect_autoreply
from tradeinbox.core.bounce_reasons import (
    classify_failure,
    find_smtp_code,
    find_status,
)
from tradeinbox.core.bounce_text import (
    ADDRESS_RE,
    BounceView,
    bounce_score,
    candidate_addresses,
    diagnostic_for,
    view_of,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import ParsedMessage

_BYTES_PARSER = BytesParser(policy=compat32)
_FAILED_ACTIONS = ("failed", "delayed")
#: A bounce needs at least this score from independent signals (sender, subject, body ...).
BOUNCE_THRESHOLD = 2.0
#: When flufl.bounce names a strict subset of the addresses in the text, keep its subset.
FLUFL_NARROWS = True


@dataclass(slots=True)
class RecipientStatus:
    """What the report says about one recipient."""

    address: str
    hard: bool
    permanent: bool
    reason: str
    action: str | None = None
    status: str | None = None
    smtp_code: str | None = None
    diagnostic: str = ""
    remote_mta: str | None = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class BounceReport:
    """The verdict for one message; ``kind`` None means an ordinary message."""

    kind: str | None  # "dsn" | "bounce" | "complaint" | "autoreply" | None
    recipients: list[RecipientStatus] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)  # DSN Action delivered/relayed
    diagnostic: str = ""
    original_message_id: str | None = None
    reporting_mta: str | None = None
    feedback_type: str | None = None  # ARF Feedback-Type
    autoreply_type: str | None = None  # "vacation" | "left_company" | "auto"
    autoreply_from: str | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def failed_addresses(self) -> list[str]:
        return [r.address for r in self.recipients if self.kind in ("dsn", "bounce")]

    @property
    def hard_addresses(self) -> list[str]:
        return [r.address for r in self.recipients if r.hard]


def detect_bounce(
    message: ParsedMessage | Message | bytes, *, raw: bytes | None = None, _depth: int = 0
) -> BounceReport:
    """Classify ``message``. Never raises on odd input.

    ``raw`` (the original bytes) is optional with a :class:`ParsedMessage`: when given,
    the MIME tree is read again from it, because a flattened ParsedMessage may not keep
    every block of a ``message/delivery-status`` part.
    """
    if isinstance(message, bytes):
        msg: ParsedMessage | Message = _BYTES_PARSER.parsebytes(_lf(message))
    elif raw is not None:
        msg = _BYTES_PARSER.parsebytes(_lf(raw))
    else:
        msg = message
    view = view_of(msg)
    report = _from_dsn(view) or _from_arf(view) or _from_ses(view) or _from_text(view)
    if report is not None and report.kind == "bounce":
        report = _nested_report(view, report, _depth)
    if report is None:
        auto = detect_autoreply(view.headers, view.report_text)
        if auto is not None:
            report = BounceReport(
                kind="autoreply",
                autoreply_type=auto.kind,
                autoreply_from=view.from_address,
                diagnostic=auto.detail,
                evidence=auto.evidence,
            )
    if report is None:
        return BounceReport(kind=None)
    if report.original_message_id is None:
        report.original_message_id = view.original_message_id
        if report.original_message_id:
            report.evidence.append(
                Evidence("bounce.original_id", 0.5, "Message-ID of the original message")
            )
    return report


def _nested_report(view: BounceView, report: BounceReport, depth: int) -> BounceReport:
    """A gateway that re-wraps a bounce it received (a filter appliance, a forwarder)
    says little itself; the delivery report it returns as ``message/rfc822`` has the
    details. Used only when the outer text gives no reason for any recipient."""
    if depth > 2 or view.stdlib is None:
        return report
    if any(r.reason != "undefined" for r in report.recipients):
        return report
    for part in view.stdlib.walk():
        payload = part.get_payload()
        if part.get_content_type() != "message/rfc822" or not isinstance(payload, list):
            continue
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        if inner is None or inner.get_content_type() != "multipart/report":
            continue
        nested = detect_bounce(inner, _depth=depth + 1)
        if nested.kind == "dsn" and nested.recipients:
            outer = {r.address for r in report.recipients}
            if outer and not outer & {r.address for r in nested.recipients}:
                continue  # a report about other recipients
            nested.kind = "bounce"
            nested.evidence = report.evidence + [
                Evidence("bounce.nested", 1.0, "details from the delivery report it returns")
            ]
            return nested
    return report


def _lf(raw: bytes) -> bytes:
    """CR-only newlines (old Mac mail stores) as LF, so quoted-printable soft breaks
    and MIME boundaries parse; CRLF and LF input is left as it is."""
    if b"\n" not in raw and b"\r" in raw:
        return raw.replace(b"\r", b"\n")
    return raw


def former_evidence(report: BounceReport, email: str) -> list[Evidence]:
    """Evidence that ``email`` is no longer a working mailbox, for ``classify_address``.

    Only hard failures and "has left the company" auto-replies count; a full mailbox
    or a spam block says nothing about whether the person is still there.
    """
    email = email.lower().strip()
    out: list[Evidence] = []
    for r in report.recipients:
        if r.address == email and r.hard and report.kind in ("dsn", "bounce"):
            out.append(
                Evidence(
                    "former.hard_bounce",
                    1.0,
                    f"hard bounce: {r.reason} ({r.status or r.smtp_code or 'no code'})",
                )
            )
    if (
        report.kind == "autoreply"
        and report.autoreply_type == "left_company"
        and (report.autoreply_from or "").lower() == email
    ):
        out.append(Evidence("former.left_company", 0.9, report.diagnostic[:200]))
    return out


# --- RFC 3464 delivery status notifications -------------------------------------------


def _field(block: list[tuple[str, str]], name: str) -> str | None:
    for key, value in block:
        if key.lower() == name:
            return " ".join(value.split())
    return None


def _typed_address(value: str | None) -> str | None:
    """``rfc822; <a@b>`` -> ``a@b`` (RFC 3464 section 2.3.2 address-type; value)."""
    if not value:
        return None
    _, _, addr = value.rpartition(";")
    m = ADDRESS_RE.search(addr) or ADDRESS_RE.search(value)
    return m.group(0).lower().strip(".") if m else None


def _split_blocks(blocks: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Split blocks where a sender forgot the blank line between recipients."""
    out: list[list[tuple[str, str]]] = []
    for block in blocks:
        current: list[tuple[str, str]] = []
        for key, value in block:
            k = key.lower()
            if k in ("final-recipient", "original-recipient") and any(
                c[0].lower() == k for c in current
            ):
                out.append(current)
                current = []
            current.append((key, value))
        if current:
            out.append(current)
    return out


def _from_dsn(view: BounceView) -> BounceReport | None:
    blocks = [
        b
        for b in _split_blocks(view.status_blocks)
        if _field(b, "final-recipient") or _field(b, "original-recipient")
    ]
    if not blocks:
        return None
    structured = view.is_delivery_report
    report = BounceReport(kind="dsn" if structured else "bounce")
    report.evidence.append(
        Evidence(
            "bounce.dsn" if structured else "bounce.dsn_fields",
            2.0 if structured else 1.5,
            "multipart/report; report-type=delivery-status (RFC 3464)"
            if structured
            else "RFC 3464 delivery-status fields in the message text",
        )
    )
    for block in view.status_blocks:
        report.reporting_mta = report.reporting_mta or _typed_host(_field(block, "reporting-mta"))
    seen: set[str] = set()
    for block in blocks:
        # RFC 3464 2.3.1: Original-Recipient is the address as the sender wrote it - the
        # one our CRM knows; Final-Recipient may be after alias expansion or forwarding.
        address = _typed_address(_field(block, "original-recipient"))
        final = _typed_address(_field(block, "final-recipient"))
        if address is None or (_looks_internal(address) and final):
            address = final
        if not address or address in seen:
            continue
        action = (_field(block, "action") or "").lower().split()[0:1]
        action_s = action[0] if action else ""
        status = find_status(_field(block, "status") or "")
        diag = _field(block, "diagnostic-code") or ""
        diag_text = diag.partition(";")[2].strip() if ";" in diag[:20] else diag
        if action_s in ("delivered", "relayed", "expanded") or (status or "").startswith("2"):
            report.delivered.append(address)
            seen.add(address)
            continue
        if not diag_text:
            diag_text = diagnostic_for(view, address)
        smtp_code = find_smtp_code(diag_text)
        if status is None or status.endswith(".0.0"):
            status = find_status(diag_text) or status
        classified = classify_failure(
            status=status,
            smtp_code=smtp_code,
            action=action_s or "failed",
            diagnostic=diag_text,
            context=diagnostic_for(view, address) if len(blocks) > 1 else view.report_text,
            diagnostic_type=diag.partition(";")[0].strip() if ";" in diag[:20] else None,
        )
        if action_s and action_s not in _FAILED_ACTIONS and not status:
            continue
        seen.add(address)
        report.recipients.append(
            RecipientStatus(
                address=address,
                hard=classified.hard,
                permanent=classified.permanent,
                reason=classified.reason,
                action=action_s or None,
                status=status,
                smtp_code=smtp_code,
                diagnostic=diag_text[:1000],
                remote_mta=_typed_host(_field(block, "remote-mta")),
                evidence=classified.evidence,
            )
        )
    if not report.recipients and not report.delivered:
        return None
    report.diagnostic = "\n".join(r.diagnostic for r in report.recipients)[:2000]
    return report


def _typed_host(value: str | None) -> str | None:
    if not value:
        return None
    return value.rpartition(";")[2].strip() or None


def _looks_internal(address: str) -> bool:
    """Final-Recipient values like ``user@localhost`` or a bare local alias."""
    domain = address.rpartition("@")[2]
    return "." not in domain or domain.endswith((".local", ".localdomain", ".internal"))


# --- RFC 5965 abuse feedback reports --------------------------------------------------


def _from_arf(view: BounceView) -> BounceReport | None:
    if not view.feedback_fields and not view.jmrp_recipient:
        return None
    fields = view.feedback_fields
    report = BounceReport(kind="complaint")
    report.feedback_type = (_field(fields, "feedback-type") or "abuse").lower()
    report.evidence.append(
        Evidence(
            "bounce.arf",
            2.0,
            f"feedback report (RFC 5965), Feedback-Type: {report.feedback_type}"
            if fields
            else "Microsoft JMRP complaint (X-HmXmrOriginalRecipient)",
        )
    )
    addresses: list[str] = []
    for key, value in fields:
        if key.lower() in ("original-rcpt-to", "removal-recipient"):
            addr = _typed_address(value)
            if addr and addr not in addresses:
                addresses.append(addr)
    if not addresses and view.jmrp_recipient:
        addresses.append(view.jmrp_recipient)
    if not addresses:
        addresses = [a for a in view.original_recipients if a not in addresses][:1]
    for addr in addresses:
        report.recipients.append(
            RecipientStatus(
                address=addr,
                hard=False,
                permanent=False,
                reason="feedback",
                diagnostic=report.feedback_type or "",
                evidence=[Evidence("complaint.recipient", 0.8, f"{addr} reported the message")],
            )
        )
    report.diagnostic = view.report_text[:2000]
    return report


# --- Amazon SES notifications (JSON, mailed by SNS) ----------------------------------

_SES_TYPE = re.compile(r'"notificationType"\s*:\s*"(Bounce|Delivery)"')
_SES_RECIPIENTS = re.compile(r'"(?:bouncedRecipients|recipients)"\s*:\s*\[(.*?)\]', re.S)
_SES_ITEM = re.compile(r"\{[^{}]*\}|\"[^\"]+\"")
_SES_FIELD = r'"{}"\s*:\s*"((?:[^"\\]|\\.)*)"'


def _ses_field(text: str, name: str) -> str | None:
    m = re.search(_SES_FIELD.format(name), text)
    return m.group(1) if m else None


def _from_ses(view: BounceView) -> BounceReport | None:
    """An SES bounce or delivery notification: the JSON names each recipient, its
    status and the remote server's reply; ``bounceType`` Transient means soft."""
    text = re.sub(r"\r?\n ", "", view.report_text)  # undo line folding of the long JSON
    kind = _SES_TYPE.search(text)
    lists = _SES_RECIPIENTS.search(text, kind.end()) if kind else None
    if kind is None or lists is None:
        return None
    report = BounceReport(kind="dsn")
    report.evidence.append(Evidence("bounce.ses", 2.0, "Amazon SES notification (JSON)"))
    transient = _ses_field(text, "bounceType") == "Transient"
    for item in _SES_ITEM.findall(lists.group(1)):
        raw = _ses_field(item, "emailAddress") if item.startswith("{") else item.strip('"')
        m = ADDRESS_RE.search(raw or "")
        if not m:
            continue
        address = m.group(0).lower()
        if kind.group(1) == "Delivery":
            report.delivered.append(address)
            continue
        diag = (_ses_field(item, "diagnosticCode") or "").partition(";")
        diag_text = (diag[2] or diag[0]).strip()
        status = find_status(_ses_field(item, "status") or "") or find_status(diag_text)
        classified = classify_failure(
            status=status,
            smtp_code=find_smtp_code(diag_text),
            action="delayed" if transient else (_ses_field(item, "action") or "failed"),
            diagnostic=diag_text,
        )
        report.recipients.append(
            RecipientStatus(
                address=address,
                hard=classified.hard,
                permanent=classified.permanent,
                reason=classified.reason,
                action="delayed" if transient else "failed",
                status=status,
                smtp_code=find_smtp_code(diag_text),
                diagnostic=diag_text[:1000],
                evidence=classified.evidence,
            )
        )
    if not report.recipients and not report.delivered:
        return None
    report.diagnostic = "\n".join(r.diagnostic for r in report.recipients)[:2000]
    return report


# --- Non-standard bounces --------------------------------------------------------------


def _from_text(view: BounceView) -> BounceReport | None:
    score, signals = bounce_score(view)
    failed_header = view.x_failed_recipients
    flufl_temp, flufl_perm = view.flufl_failures()
    if flufl_temp or flufl_perm:
        score += 0.5
        signals.append(
            Evidence(
                "bounce.flufl",
                0.5,
                "flufl.bounce found " + ", ".join(sorted(flufl_perm | flufl_temp)),
            )
        )
    if score < BOUNCE_THRESHOLD:
        return None
    report = BounceReport(kind="bounce", evidence=signals)
    if failed_header:
        addresses = failed_header
        source = "X-Failed-Recipients header (Exim)"
    else:
        flufl = flufl_perm | flufl_temp
        addresses = candidate_addresses(view, frozenset(flufl))
        source = "addresses named in the error text"
        if flufl and (not addresses or (flufl < set(addresses) and FLUFL_NARROWS)):
            # flufl's per-MTA detectors are more precise than "every address in the text"
            addresses = [a for a in addresses if a in flufl] or sorted(flufl)
            source = "flufl.bounce"
        if not addresses and len(view.original_recipients) == 1:
            addresses = list(view.original_recipients)
            source = "the single recipient of the returned original message"
    for addr in addresses:
        diag = diagnostic_for(view, addr)
        status = find_status(diag)
        if status is None and len(addresses) == 1:
            # one recipient: a status quoted anywhere in the report is about it (Gmail
            # puts "550 5.1.1 ..." under "The error that the other server returned")
            status = find_status(view.report_text[:6000])
        code = find_smtp_code(diag)
        action = "delayed" if addr in flufl_temp and addr not in flufl_perm else None
        if action is None and view.is_warning:
            action = "delayed"
        classified = classify_failure(
            status=status,
            smtp_code=code,
            action=action,
            diagnostic=diag,
            context=view.report_text if len(addresses) == 1 else "",
        )
        report.recipients.append(
            RecipientStatus(
                address=addr,
                hard=classified.hard,
                permanent=classified.permanent,
                reason=classified.reason,
                action=action or "failed",
                status=status,
                smtp_code=code,
                diagnostic=diag[:1000],
                evidence=[Evidence("bounce.recipient", 0.8, f"{addr}: from {source}")]
                + classified.evidence,
            )
        )
    report.diagnostic = view.report_text[:2000]
    return report
