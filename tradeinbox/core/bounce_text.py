"""The parts of a possible bounce that the rules in :mod:`tradeinbox.core.bounces` read.

:func:`view_of` walks the MIME tree once (RFC 2046, RFC 3462/6522 multipart/report)
and separates:

* the *report text*: what the reporting MTA wrote for humans (text parts outside the
  returned message, cut before an inline copy of the original);
* the machine-readable blocks: ``message/delivery-status`` (RFC 3464) and
  ``message/feedback-report`` (RFC 5965), or the same fields written into a text part;
* the *original*: the returned message (``message/rfc822``, ``text/rfc822-headers``
  or headers copied inline), for its Message-ID and its recipients.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser, HeaderParser, Parser
from email.policy import compat32

from flufl.bounce import all_failures

from tradeinbox.core.bounce_reasons import find_status, reason_from_text
from tradeinbox.core.charsets import decode_bytes
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.headers import decode_header_text, parse_addresses, parse_message_ids
from tradeinbox.core.htmltext import html_to_text
from tradeinbox.core.message import ParsedMessage

ADDRESS_RE = re.compile(
    # dot-atom or quoted local part (RFC 5321 4.1.2: "neko....nyaan"@example.org)
    r"(?:\"[^\"\s@<>\\]{1,64}\"|[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_DSN_FIELD = re.compile(
    r"^(?:final-recipient|original-recipient|action|status|diagnostic-code|remote-mta|"
    r"reporting-mta|x-actual-recipient|last-attempt-date)\s*:",
    re.I | re.M,
)
_HEADERISH = re.compile(
    r"^(?:received|return-path|message-id|dkim-signature|mime-version|x-mailer|from|date|"
    r"subject|to|cc|content-type|delivered-to|reply-to|x-[\w-]+)\s*:",
    re.I,
)
# Lines announcing the returned original (qmail, Exim, Postfix, Sendmail, Exchange ...).
_ORIGINAL_MARK = re.compile(
    r"^[\s>|*=-]*(?:below this line is a copy of the message|"
    r"(?:the )?original message (?:follows|headers? follows?|is attached)|"
    r"this is a copy of the (?:original )?message|a copy of the original message|"
    r"(?:unsent|undelivered|returned|rejected) message (?:follows|below|headers?)|"
    r"message headers follow|original message header|----- ?original message ?-----|"
    r"-+ ?(?:original|returned) (?:message|mail)|header of (?:the )?original message|"
    r"below is a copy of the (?:original )?message|"
    r"以下、?元のメール|元のメッセージ|原始邮件|原邮件|原信件)",
    re.I,
)
_DAEMON_LOCAL = re.compile(
    r"^(?:mailer-?daemon|post_?master|mail-?daemon|mdaemon|maildelivery|mail\.?delivery|"
    r"double-?bounce|bounces?|mailerdaemon|daemon|mailadmin|system)\b",
    re.I,
)
_DAEMON_NAME = re.compile(
    r"mail delivery|mailer[- ]daemon|postmaster|delivery (?:sub)?system|mail (?:system|"
    r"administrator|router)|microsoft outlook|系统退信|系統退信|メール配信|postmeister|"
    r"mail delivery subsystem",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|delivery status notification|delivery (?:has )?fail|"
    r"failure notice|failed mail|returned mail|mail delivery (?:failed|failure|problem)|"
    r"delivery (?:failure|problem|report|notification)|non-?deliver|could not (?:be )?deliver|"
    r"not delivered|nondeliverable|mail system error|warning: could not send|delayed mail|"
    r"delivery delayed|mail error|message (?:not delivered|delivery failed)|"
    r"\brejected\b|returned to sender|delivery incomplete|message status|"
    r"unzustellbar|nicht zustellbar|zustellungsfehler|non remis|non recapitabile|"
    r"no se (?:puede|pudo) entregar|no entregado|n[aã]o entregue|недостав|не доставлен|"
    r"退信|投递失败|投遞失敗|无法投递|無法投遞|未送达|发送失败|配信エラー|配信不能|"
    r"エラー|返送|送信できません|メールエラー|不達",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|delivery (?:has )?failed|"
    r"undeliverable|permanent (?:fatal )?error|fatal errors?|wasn't able to deliver|"
    r"unable to deliver|delivery to the following recipients? (?:failed|was unsuccessful)|"
    r"message could not be sent|the following addresses? had|failed (?:permanently|recipient)|"
    r"delivery (?:problem|error|failure)|returned to (?:the )?sender|error (?:occurred|during)|"
    r"not (?:be )?delivered|error delivering|there was an error|delivery is delayed|has not yet been delivered|retry|"
    r"smtp error|rejected your message|message was rejected|mail(?:box)? (?:is )?unavailable|"
    r"user unknown|no such user|mailbox (?:is )?full|quota|"
    r"nicht zugestellt|nicht zustellbar|n'a pas pu [êe]tre (?:remis|distribu|d[ée]livr)|"
    r"no (?:se )?(?:pudo|puede) (?:ser )?entregar|n[aã]o (?:p[ôo]de|foi poss[ií]vel) (?:ser )?entreg|"
    r"non (?:è stato|può essere) (?:recapitat|consegnat)|не (?:может быть |удалось )?достав|"
    r"送信できませんでした|配信できませんでした|届きませんでした|宛先不明|エラー|"
    r"退信|无法(?:投递|送达)|無法(?:投遞|送達)|投递失败|发送失败|未能(?:投递|送达)",
    re.I,
)
_WARNING = re.compile(
    r"delivery (?:status notification \()?delay|warning: could not send|delayed mail|"
    r"will (?:continue to )?retry|still trying|has not yet been delivered|not yet been delivered|"
    r"\(delay\)",
    re.I,
)
_SKIP_LINE = re.compile(
    r"^\s*[>|]?\s*(?:message-id|in-reply-to|references|from|return-path|sender|reply-to|"
    r"envelope-from|x-[\w-]*sender|x-original-sender|mail from|received|date|subject|by|id|"
    r"reporting-mta|arrival-date|dkim|x-postfix-sender|list-)\b",
    re.I,
)
_HELP_LINE = re.compile(
    r"contact|please (?:send|write|e-?mail)|for (?:more )?(?:help|information|assistance)|"
    r"report (?:this|abuse)|mailto:",
    re.I,
)
_NON_RECIPIENT_LOCAL = re.compile(
    r"^(?:mailer-?daemon|postmaster|mail-?daemon|double-?bounce|abuse|hostmaster|"
    r"no-?reply|bounces?(?:[+-].*)?|root|nobody)$",
    re.I,
)
_LINE_START_ADDRESS = re.compile(r"^\s*[<\"']?(" + ADDRESS_RE.pattern + ")")
# flufl.bounce logs a traceback before re-raising a detector crash; we catch and move on.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
_PARSER = BytesParser(policy=compat32)
_HEADER_PARSER = HeaderParser(policy=compat32)
_TEXT_PARSER = Parser(policy=compat32)


@dataclass(slots=True)
class BounceView:
    headers: list[tuple[str, str]]
    subject: str = ""
    from_address: str | None = None
    from_name: str = ""
    envelope_recipients: set[str] = field(default_factory=set)  # who got the bounce
    return_path: str | None = None
    content_type: str = ""
    report_type: str = ""
    has_status_part: bool = False
    status_blocks: list[list[tuple[str, str]]] = field(default_factory=list)
    feedback_fields: list[tuple[str, str]] = field(default_factory=list)
    jmrp_recipient: str | None = None
    report_text: str = ""
    original_headers: list[tuple[str, str]] = field(default_factory=list)
    original_recipients: list[str] = field(default_factory=list)
    original_senders: set[str] = field(default_factory=set)
    original_message_id: str | None = None
    x_failed_recipients: list[str] = field(default_factory=list)
    stdlib: Message | None = None
    _flufl: tuple[set[str], set[str]] | None = None

    @property
    def is_delivery_report(self) -> bool:
        return self.has_status_part or (
            self.content_type == "multipart/report" and self.report_type == "delivery-status"
        )

    @property
    def is_warning(self) -> bool:
        return bool(_WARNING.search(self.subject) or _WARNING.search(self.report_text[:3000]))

    def flufl_failures(self) -> tuple[set[str], set[str]]:
        """``(temporary, permanent)`` from flufl.bounce, lower-cased strings."""
        if self._flufl is None:
            temp: set[str] = set()
            perm: set[str] = set()
            if self.stdlib is not None:
                try:
                    t, p = all_failures(self.stdlib)
                except Exception:  # noqa: BLE001 - a third-party heuristic must not break us
                    t, p = set(), set()
                temp = {_b2s(x) for x in t} - {""}
                perm = {_b2s(x) for x in p} - {""}
            self._flufl = (temp, perm)
        return self._flufl


_PREFIX = re.compile(r"^(?:smtp|rfc822|x400|sip|mailto)[=:;]|^['\"`]+", re.I)


def clean_address(value: str) -> str:
    """Lower-case an address found in text, dropping ``smtp=``/quote prefixes and dots."""
    value = value.strip().strip(".").lower()
    if re.match(r'^"[^"]+"@', value):
        return value  # a quoted local part keeps its quotes
    while _PREFIX.search(value):
        value = _PREFIX.sub("", value, count=1)
    return value.strip("'\"`")


def _b2s(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    m = ADDRESS_RE.search(text)
    return m.group(0).lower().strip(".") if m else ""


def _headers_of(msg: Message) -> list[tuple[str, str]]:
    return [(k, decode_header_text(str(v))) for k, v in msg.raw_items()]


def _blocks_from_text(text: str) -> list[list[tuple[str, str]]]:
    blocks = []
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text):
        if not chunk.strip():
            continue
        parsed = _HEADER_PARSER.parsestr(chunk.strip("\r\n") + "\n", headersonly=True)
        items = [(k, " ".join(str(v).split())) for k, v in parsed.items()]
        if items:
            blocks.append(items)
    return blocks


def _part_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except (UnicodeError, ValueError):  # an already-decoded str payload with non-ASCII text
        data = None
    if isinstance(data, bytes):
        text, _ = decode_bytes(data, part.get_content_charset())
    else:
        payload = part.get_payload()
        text = payload if isinstance(payload, str) else ""
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


def _set_original(view: BounceView, headers: list[tuple[str, str]]) -> None:
    if view.original_headers or not headers:
        return
    view.original_headers = headers
    by: dict[str, list[str]] = {}
    for k, v in headers:
        by.setdefault(k.lower(), []).append(v)
    ids = parse_message_ids(" ".join(by.get("message-id", [])))
    view.original_message_id = ids[0] if ids else None
    for name in ("to", "cc", "bcc"):
        for a in parse_addresses(by.get(name, [])):
            if a.email and a.email not in view.original_recipients:
                view.original_recipients.append(a.email)
    for name in ("from", "sender", "return-path", "reply-to"):
        view.original_senders.update(a.email for a in parse_addresses(by.get(name, [])))
    for v in by.get("x-hmxmroriginalrecipient", []):
        m = ADDRESS_RE.search(v)
        view.jmrp_recipient = m.group(0).lower() if m else None


def _walk(view: BounceView, part: Message, texts: list[str]) -> None:
    ctype = part.get_content_type()
    payload = part.get_payload()
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        view.has_status_part = True
        if isinstance(payload, list):
            view.status_blocks.extend(_headers_of(m) for m in payload if isinstance(m, Message))
        else:
            view.status_blocks.extend(_blocks_from_text(_part_text(part)))
        return
    if ctype == "message/feedback-report":
        if isinstance(payload, list):
            for m in payload:
                view.feedback_fields.extend(_headers_of(m))
        else:
            for block in _blocks_from_text(_part_text(part)):
                view.feedback_fields.extend(block)
        return
    if part.get_content_maintype() == "message" and isinstance(payload, list) and payload:
        inner = payload[0]
        if isinstance(inner, Message):
            _set_original(view, _headers_of(inner))
        return
    if part.is_multipart() and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                _walk(view, sub, texts)
        return
    if part.get_content_maintype() == "multipart" and isinstance(payload, str):
        _walk_unsplit(view, ctype, payload, texts)
        return
    if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers") or (
        part.get_content_maintype() == "message"
    ):
        _set_original(view, _headers_from_text(_part_text(part)))
        return
    if part.get_content_maintype() == "text":
        text = _part_text(part)
        is_attachment = (part.get("Content-Disposition") or "").lower().startswith("attachment")
        if is_attachment and _starts_with_headers(text):
            _set_original(view, _headers_from_text(text))
        elif ctype == "text/html" and texts:
            return  # the alternative to a text part already read
        else:
            texts.append(text)


def _walk_unsplit(view: BounceView, ctype: str, payload: str, texts: list[str]) -> None:
    """A multipart part the parser could not split, mostly for a boundary parameter on
    an unfolded line (Verizon's gateway). The first ``--token`` line is the boundary."""
    m = re.search(r"^--(\S{1,70}?)\s*$", payload, re.M)
    if m:
        rebuilt = _TEXT_PARSER.parsestr(
            f'Content-Type: {ctype}; boundary="{m.group(1)}"\n\n{payload}'
        )
        if rebuilt.is_multipart():
            _walk(view, rebuilt, texts)
            return
    texts.append(payload)


def _starts_with_headers(text: str) -> bool:
    lines = [ln for ln in text.lstrip().splitlines()[:6] if ln.strip()]
    return sum(1 for ln in lines if _HEADERISH.match(ln)) >= 3


def _headers_from_text(text: str) -> list[tuple[str, str]]:
    text = text.lstrip()
    parsed = _HEADER_PARSER.parsestr(text, headersonly=True)
    return [(k, decode_header_text(str(v))) for k, v in parsed.items()]


def _cut_original(view: BounceView, text: str) -> str:
    """Split off an inline copy of the original message; record its headers."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _ORIGINAL_MARK.search(line) and any(ln.strip() for ln in lines[:i]):
            rest = "\n".join(lines[i + 1 :])
            if _starts_with_headers(rest):
                _set_original(view, _headers_from_text(rest))
            return "\n".join(lines[:i])
        window = lines[i : i + 6]
        if (
            _HEADERISH.match(line)
            and not _DSN_FIELD.match(line)
            and sum(1 for ln in window if _HEADERISH.match(ln)) >= 4
            and i > 0
        ):
            _set_original(view, _headers_from_text("\n".join(lines[i:])))
            return "\n".join(lines[:i])
    return text


def view_of(msg: ParsedMessage | Message) -> BounceView:
    """Build the :class:`BounceView` of a stdlib message or a :class:`ParsedMessage`."""
    texts: list[str] = []
    if isinstance(msg, Message):
        view = BounceView(headers=_headers_of(msg), stdlib=msg)
        view.content_type = msg.get_content_type()
        view.report_type = (msg.get_param("report-type") or "").__str__().lower()
        _walk(view, msg, texts)
    else:
        view = BounceView(headers=list(msg.headers))
        ctype = msg.header("content-type") or ""
        view.content_type = ctype.split(";", 1)[0].strip().lower()
        m = re.search(r"report-type\s*=\s*\"?([\w-]+)", ctype, re.I)
        view.report_type = m.group(1).lower() if m else ""
        texts.append(msg.text)
        for att in msg.attachments:
            _walk(view, _attachment_part(att.declared_type, att.data), texts)
        view.stdlib = _stdlib_from_parsed(msg)
    _fill_headers(view)
    report = "\n".join(t for t in texts if t)
    # one newline convention, so ^/$ anchors and blank-line splits work on CR-only mail
    report = report.replace("\r\n", "\n").replace("\r", "\n")
    report = _cut_original(view, report)
    view.report_text = report
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", report):
        if len(_DSN_FIELD.findall(chunk)) >= 2:
            view.status_blocks.extend(_blocks_from_text(chunk))
    return view


def _attachment_part(declared_type: str, data: bytes) -> Message:
    if declared_type in ("message/rfc822", "message/global") and data:
        outer = Message()
        outer["Content-Type"] = declared_type
        outer.set_payload([_PARSER.parsebytes(data)])
        return outer
    part = Message()
    part["Content-Type"] = declared_type
    text, _ = decode_bytes(data, None)
    part.set_payload(text)
    return part


def _stdlib_from_parsed(msg: ParsedMessage) -> Message:
    out = Message()
    for k, v in msg.headers:
        if k.lower() not in ("content-type", "content-transfer-encoding"):
            out[k] = v
    out["Content-Type"] = "text/plain; charset=utf-8"
    out.set_payload(msg.text)
    return out


def _fill_headers(view: BounceView) -> None:
    by: dict[str, list[str]] = {}
    for k, v in view.headers:
        by.setdefault(k.lower(), []).append(v)
    view.subject = " ".join((by.get("subject") or [""])[0].split())
    froms = parse_addresses(by.get("from", []))
    if froms:
        view.from_address, view.from_name = froms[0].email or None, froms[0].name
    if not view.from_name:  # "MAILER-DAEMON <>" or a bare "MAILER-DAEMON" parse to nothing
        view.from_name = " ".join((by.get("from") or [""])[0].split())
    # Not X-Original-To: some agents (DragonFly) write the failed recipient there.
    for name in ("to", "cc", "delivered-to"):
        view.envelope_recipients.update(a.email for a in parse_addresses(by.get(name, [])))
    rp = (by.get("return-path") or [None])[0]
    view.return_path = rp.strip().strip("<>").strip().lower() if rp is not None else None
    for value in by.get("x-failed-recipients", []):
        for m in ADDRESS_RE.finditer(value):
            addr = m.group(0).lower()
            if addr not in view.x_failed_recipients:
                view.x_failed_recipients.append(addr)


def bounce_score(view: BounceView) -> tuple[float, list[Evidence]]:
    """Independent signals that a message is a non-delivery report (not DSN-structured)."""
    ev: list[Evidence] = []
    local = (view.from_address or "").partition("@")[0]
    if _DAEMON_LOCAL.match(local) or _DAEMON_NAME.search(view.from_name):
        ev.append(Evidence("bounce.sender", 1.0, f"sent by {view.from_address or view.from_name}"))
    elif re.match(r"^(?:no-?reply|notify|notification|mail-?error|errors?)\b", local, re.I):
        ev.append(Evidence("bounce.sender_weak", 0.5, f"sent by {view.from_address}"))
    if _BOUNCE_SUBJECT.search(view.subject):
        ev.append(Evidence("bounce.subject", 1.0, f"subject {view.subject[:80]!r}"))
    m = _BOUNCE_BODY.search(view.report_text[:6000])
    if m:
        ev.append(Evidence("bounce.body", 1.0, f"text says {m.group(0)!r}"))
    if view.x_failed_recipients:
        ev.append(Evidence("bounce.x_failed_recipients", 2.0, "X-Failed-Recipients header"))
    if view.return_path == "":
        ev.append(Evidence("bounce.null_sender", 0.5, "null reverse-path (RFC 5321 4.5.5)"))
    if view.original_headers:
        ev.append(Evidence("bounce.original_attached", 0.5, "the original message is returned"))
    if find_status(view.report_text[:6000]):
        ev.append(Evidence("bounce.status_code", 0.5, "an enhanced status code is quoted"))
    if view.content_type == "multipart/report":
        ev.append(Evidence("bounce.report", 1.0, f"multipart/report; {view.report_type}"))
    return sum(e.weight for e in ev), ev


def candidate_addresses(view: BounceView, confirmed: frozenset[str] = frozenset()) -> list[str]:
    """Addresses the error text names as failed, most likely first.

    ``confirmed``: addresses another detector (flufl.bounce's per-MTA parsers) reports
    as failed; kept when the text names them even if the returned original does not
    list them (Bcc, list or alias expansion).
    """
    excluded = set(view.envelope_recipients) | set(view.original_senders)
    if view.from_address:
        excluded.add(view.from_address)
    if view.return_path:
        excluded.add(view.return_path)
    found: list[str] = []
    for line in view.report_text.splitlines():
        if _SKIP_LINE.match(line) or "message-id" in line.lower():
            continue
        help_line = bool(_HELP_LINE.search(line))
        for m in ADDRESS_RE.finditer(line):
            addr = clean_address(m.group(0))
            local = addr.partition("@")[0]
            if re.search(r"(?:\bfrom|sender|sent by)[:\s<\"']*$", line[: m.start()], re.I):
                continue  # "not accepting mail from list@x": the sender, not the recipient
            if addr in excluded or addr in found or _NON_RECIPIENT_LOCAL.match(local):
                continue
            before = line[max(0, m.start() - 12) : m.start()].lower()
            if help_line and "<" not in before and ":" not in before:
                continue
            found.append(addr)
    if view.original_recipients:
        both = [a for a in found if a in view.original_recipients or a in confirmed]
        if both:
            return both
    return found


def diagnostic_for(view: BounceView, address: str) -> str:
    """The error text that concerns ``address`` (its paragraph), else the whole report."""
    lines = view.report_text.splitlines()
    low = address.lower()
    for i, line in enumerate(lines):
        if low in line.lower():
            block = [line]
            for nxt in lines[i + 1 : i + 10]:
                if not nxt.strip() and len(block) > 1:
                    break
                start = _LINE_START_ADDRESS.match(nxt)
                if start and start.group(1).lower() != low:
                    break  # the next recipient's line ("b@x: 552 5.2.2 ...")
                if ADDRESS_RE.search(nxt) and low not in nxt.lower() and len(block) > 1:
                    break
                block.append(nxt)
            text = "\n".join(block).strip()
            if reason_from_text(text) or find_status(text):
                return text
            break
    whole = view.report_text.strip()
    return whole[:3000] if whole else view.subject
