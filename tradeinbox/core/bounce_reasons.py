"""Why a delivery failed, and whether the failure is *hard* (the address is dead).

Input is what a bounce says about one recipient: the enhanced status code (RFC 3463,
``5.1.1``), the SMTP reply code (RFC 5321 section 4.2, ``550``), the DSN ``Action``
(RFC 3464 section 2.3.3) and the human diagnostic text.

*Hard* here means "this address does not reach anyone": unknown user (x.1.1), unknown or
mail-less domain (x.1.2, x.4.4 with a DNS failure, RFC 7505 null MX), mailbox moved
(x.1.6). Everything else is *soft*: the address exists but the message was not accepted
this time (mailbox full, quota, policy or spam blocks, timeouts, size limits ...). The
CRM only marks an address ``former`` on hard failures, so a spam block at a customer's
gateway never retires a real contact. This is the taxonomy of the sisimai project's
"hardbounce" flag (userunknown, hostunknown, hasmoved, notaccept) restated in our words.

A *temporary* failure (4.x.x status, 4xx reply, Action: delayed) is never hard.

"User unknown" is hard only with a source that can know it: an x.1.x status, a refusal
at RCPT TO (the SMTP stage is read from Postfix, Exim, Sendmail, qmail ... wording), or
the recipient's own directory or local delivery agent. The same words after DATA or with
no stage at all are often a content or carrier filter ("filtered", soft), and a refusal
at MAIL FROM, HELO or connect is about the sender, never the recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradeinbox.core.evidence import Evidence

HARD_REASONS = frozenset({"user_unknown", "host_unknown", "has_moved", "not_accept"})

STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_CODE_RE = re.compile(r"(?<![\d.#-])([245][0-5]\d)(?=[ \-]|$)(?![\-]\d)", re.M)


def _rx(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in phrases), re.I)


# Ordered: the first reason whose pattern matches the diagnostic wins. Specific soft
# reasons come before "user unknown" because e.g. "5.1.1 ... mailbox full" is full, not
# unknown; generic words ("rejected", "denied") come last.
REASON_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        # The recipient's own rules refused the message: the mailbox exists (sisimai's
        # "filtered" phrases). Before user_unknown: Facebook answers "5.1.1 ... Refused due
        # to recipient preferences" for a live account.
        "filtered",
        _rx(
            r"recipient preferences|refuses? to (?:receive|accept) (?:this |your )?mail",
            r"user rejects?|rejected due to user rules|blocked by the recipient",
            r"only accepting mail from specific|has restricted sms e-?mail",
            r"account is protected by|message filtered",
        ),
    ),
    (
        "sender_rejected",
        _rx(
            r"domain of sender address|sender address (?:rejected|unknown|invalid)",
            r"sender (?:domain|address) (?:does not exist|must exist|must resolve|unknown)",
            r"sender (?:verify|verification) failed|address not verified|is not verified",
            r"\bsender (?:was )?rejected\b|envelope from (?:was )?rejected",
        ),
    ),
    (
        "mailbox_full",
        _rx(
            r"mail ?box (?:is )?(?:full|over ?quota|size limit|exceeded)",
            r"(?:disk|storage|mailbox|mail) ?quota",
            r"over ?quota",
            r"quota (?:exceeded|full|exceed)",
            r"exceed(?:ed|s)? (?:the |his |her |its )?(?:storage|mailbox|quota|disk)",
            r"insufficient (?:disk |storage )?space",
            r"(?:mailbox|mail folder|inbox|account) (?:is |has )?(?:full|filled up)",
            r"full mailbox|mailfolder is full|user is over|too much mail",
            r"has exceeded (?:its|the|his|her) ",
            r"bo[iî]te (?:aux lettres )?pleine|postfach (?:ist )?voll|buz[oó]n (?:est[aá] )?llen",
            r"caixa (?:postal )?(?:est[aá] )?(?:cheia|lotada)|casella (?:piena|full)",
            r"переполнен|一杯|容量(?:を)?(?:超|オーバー)|邮箱已满|信箱已满|空间不足|容量不足|满了",
        ),
    ),
    (
        "suspended",
        _rx(
            r"(?:account|mailbox|user|address) (?:has been |is )?(?:disabled|suspended|"
            r"deactivated|inactive|frozen|locked|blocked|closed|expired|not active)",
            r"(?:disabled|suspended|inactive|deactivated|frozen) (?:account|mailbox|user)",
            r"mailbox (?:is )?temporarily (?:disabled|unavailable)",
            r"receiving mail (?:is )?disabled|mail receiving disabled|receipt disabled",
            r"account (?:has been )?(?:temporarily )?(?:suspended|disabled)",
            r"停止|冻结|凍結|停用|已注销",
        ),
    ),
    (
        "has_moved",
        _rx(
            r"has moved|address (?:has )?changed|no longer (?:at|uses) this address",
            r"(?:new|changed) (?:e-?mail )?address is|user has moved",
        ),
    ),
    (
        "not_accept",
        _rx(
            r"does not accept (?:any )?mail|accepts? no mail|null mx|no mail is accepted",
            r"not accept(?:ing)? (?:any )?(?:e-?)?mail",
            r"domain (?:does not|doesn't) (?:receive|accept) (?:e-?)?mail",
            r"(?:could not|couldn't|can't|cannot) find (?:a |any )?mail exchanger",
            r"no mail exchanger|name service error for \S+ type=mx",
            r"indicated no smtp service|null mx",
        ),
    ),
    (
        "host_unknown",
        _rx(
            r"host (?:or domain name )?(?:is )?unknown|unknown (?:host|domain)",
            r"host or domain name not found|domain (?:name )?not found|no such domain",
            r"domain is not reachable|recipient domain (?:is )?unreachable",
            r"domain (?:does not|doesn't) exist|domain (?:must|should) exist",
            r"name or service not known|nxdomain|unrout(?:e)?able (?:address|domain)",
            r"no (?:valid )?mx (?:record|host)|mx (?:record )?(?:lookup|not found)",
            r"invalid domain|domain (?:is )?invalid|illegal host|域名不存在|ドメイン(?:が)?(?:存在しない|不明)",
        ),
    ),
    (
        "user_unknown",
        _rx(
            # Microsoft 365 directory-based edge blocking: the recipient is not in the
            # tenant's directory (answered at RCPT TO with a 5.4.1 status).
            r"recipient address rejected: access denied",
            r"recipient name is not recognized",
            r"(?:user|recipient|mailbox|address|account|addressee|alias|person|name)"
            r" (?:is )?(?:unknown|not (?:known|found|exist|listed)|invalid|inexistent|"
            r"does ?n[o']t exist|not present|unavailable|not valid|nonexist)",
            r"unknown (?:user|recipient|mailbox|address|account|local|e-?mail address|alias)",
            r"no such (?:user|recipient|mailbox|address|person|account|local user)",
            r"invalid (?:recipient|mailbox|address|user|account|e-?mail)",
            r"(?:not a|no) valid (?:recipient|mailbox|user|account)",
            r"(?:user|recipient|mailbox|account|address)(?: \S+)? does(?: not|n't) exist",
            r"no (?:mailbox|account|user) (?:here )?(?:by that name|found)",
            # not "may not exist" (Google Groups: "may not exist, or you may not have
            # permission to post"): a guess is no proof
            r"(?:does(?: not|n't| ?nt)|(?<!may )(?<!might )not) (?:exist|have an? (?:\S+ )?account)",
            r"(?:account|address|mailbox|user)\b[^.\n]{0,40}\bdoes(?: not|n't) exist",
            r"no one (?:at|by) this address|is not a (?:known|valid) user",
            r"recipient ?not ?found|recipnotfound|resolver\.adr|badrcptto|validrcptto",
            r"no such (?:address|mailbox) here|user (?:\S+ )?not found|not our customer",
            r"(?:user|mailbox) unavailable|mailbox not available|unknown or illegal alias",
            r"not listed in (?:domino|public name)|in (?:my|the) badrecipientto",
            r"utilisateur inconnu|adresse (?:inconnue|invalide|introuvable)",
            r"usuario (?:desconocido|inexistente|no existe)|no existe",
            r"usu[aá]rio (?:desconhecido|inexistente|n[aã]o existe)|n[aã]o existe",
            r"utente (?:sconosciuto|inesistente)|inesistente",
            r"unbekannt|existiert nicht|nicht gefunden",
            r"пользовател\w* не (?:найден|существует)|нет такого|не существует",
            r"存在しない(?!か)|存在しません|宛先不明|宛先が見つかりません|ユーザ(?:ー)?(?:が)?(?:い|存在)",
            r"用户不存在|收件人不存在|地址不存在|邮箱不存在|帐号不存在|账号不存在|查无此人|无此用户",
            r"用戶不存在|帳號不存在",
        ),
    ),
    ("virus", _rx(r"virus|malware|infected")),
    (
        "spam",
        _rx(
            r"spam|junk mail|bulk mail|unsolicited|listed (?:in|on|at) |blacklist|blocklist",
            r"spamhaus|spamcop|barracuda|rbl|dnsbl|reputation",
        ),
    ),
    (
        "auth_failure",
        _rx(r"dmarc|spf|dkim|authenticat|not authori[sz]ed to send|unauthenticated"),
    ),
    ("require_ptr", _rx(r"reverse dns|ptr record|no ptr|rdns|reverse (?:lookup|hostname)")),
    ("too_big", _rx(r"message (?:is )?too (?:big|large)|size (?:limit|exceed)|exceeds size")),
    (
        "rate_limited",
        _rx(r"too many (?:connections|messages|recipients)|rate limit|try again later"),
    ),
    (
        "no_relaying",
        _rx(r"relay(?:ing)? (?:denied|not permitted|access denied)|not permitted to relay"),
    ),
    (
        "expired",
        _rx(
            r"retry time|retry timeout|delivery time expired|too long in (?:the )?queue",
            r"been in the queue|could not be delivered for|gave up|giving up",
            r"expired|delivery (?:has been )?delayed|will (?:continue to )?retry|still trying",
        ),
    ),
    (
        "network",
        _rx(
            r"connection (?:refused|timed out|reset|lost)|timed? ?out|no route to host",
            r"could not connect|unable to connect|network (?:is )?unreachable|dns",
        ),
    ),
    ("blocked", _rx(r"blocked|block list|banned|denied|refused|access denied")),
    ("policy", _rx(r"policy|not allowed|prohibited|content")),
    ("filtered", _rx(r"filter")),
    ("rejected", _rx(r"reject")),
]

# Enhanced status codes (RFC 3463 section 3) that name a reason on their own.
STATUS_REASONS = {
    "1.1": "user_unknown",
    "1.0": "user_unknown",
    "1.3": "user_unknown",
    "1.2": "host_unknown",
    "1.6": "has_moved",
    "1.7": "sender_rejected",
    "1.8": "sender_rejected",
    "1.10": "not_accept",
    "2.1": "suspended",
    "2.2": "mailbox_full",
    "2.3": "too_big",
    "3.4": "too_big",
    "4.1": "network",
    "4.4": "network",
    "4.7": "expired",
    "7.1": "blocked",
    "7.23": "auth_failure",
    "7.26": "auth_failure",
    "7.25": "require_ptr",
}


# Patterns from "expired" on are too vague to override an explicit status code.
_GENERIC_FROM = [reason for reason, _ in REASON_PATTERNS].index("expired")
# RFC 7504: 521 "host does not accept mail", 556 "domain does not accept mail".
_NOT_ACCEPT_REPLIES = frozenset({"521", "556"})
# Which SMTP command a refusal answered (RFC 5321 section 3.3). A recipient refused at
# RCPT TO is an address verdict; one refused after DATA was accepted as an address and
# then turned away for its content; one refused at MAIL FROM / HELO / connect says
# nothing about the recipient at all. MTAs word this differently:
_CMD = r"(?:RCPT(?:\s+TO)?|MAIL(?:\s+FROM)?|DATA|HELO|EHLO|STARTTLS)\b"
_COMMAND_RE = re.compile(
    rf"in\s+reply\s+to\s+(?:the\s+)?(?:end\s+of\s+)?(?P<a>{_CMD})"  # Postfix
    rf"|after\s+(?:pipelined\s+|the\s+)?(?:end\s+of\s+)?(?P<b>{_CMD}|initial\s+connection)"  # Exim
    rf"|did\s+not\s+like\s+our\s+(?P<c>{_CMD})"  # OpenSMTPD, DragonFly
    rf"|^[ \t]*>>>\s+(?P<d>{_CMD})"  # Sendmail, Courier transcripts
    r"|said:?\s+\d{3}\s+for\s+(?P<e>RCPT|MAIL|DATA)"  # qmail
    r"|\[(?P<f>RCPT|MAIL|DATA)_?(?:TO|FROM)?\]|\bSMTP:(?P<g>RCPT|MAIL|DATA)\b"  # Yahoo, others
    r"|(?P<rcpt>does\s+not\s+like\s+recipient|most\s+progress\s+was\s+RCPT)"  # qmail
    r"|(?P<mail>does\s+not\s+like\s+sender|but\s+sender\s+was\s+rejected)"  # qmail
    r"|(?P<data>failed\s+after\s+I\s+sent\s+the\s+message)"  # qmail
    r"|(?P<helo>but\s+my\s+name\s+was\s+rejected|but\s+greeting\s+failed)",  # qmail
    re.I | re.M,
)
# Statements that come from the recipient's own directory, not a relay's guess: the
# mailbox is not there, whatever SMTP stage the message reached.
_DIRECTORY_SAYS = re.compile(
    r"not listed in (?:the )?(?:domino directory|public name (?:&|and) address book)"
    r"|recipient name is not recognized"
    # the local delivery agent on the recipient's own mailbox host (sendmail's mail.local,
    # Postfix local(8): 'unknown user: "name"')
    r"|\bmail\.local: unknown user|\bunknown user: \"",
    re.I,
)
# Stages before RCPT TO: a refusal there is about the sender or the connection.
_SESSION_STAGES = frozenset({"MAIL", "HELO", "EHLO", "STARTTLS", "CONN"})


def find_smtp_command(text: str) -> str | None:
    """The SMTP command the last quoted refusal in ``text`` answered, or None.

    ``RCPT``, ``DATA``, ``MAIL``, ``HELO``/``EHLO``, ``STARTTLS`` or ``CONN`` (refused
    at connect). The last one wins: a transcript lists the commands in order.
    """
    found: str | None = None
    for m in _COMMAND_RE.finditer(text):
        if m.group("rcpt"):
            found = "RCPT"
        elif m.group("mail"):
            found = "MAIL"
        elif m.group("data"):
            found = "DATA"
        elif m.group("helo"):
            found = "HELO"
        else:
            word = next(g for g in m.group("a", "b", "c", "d", "e", "f", "g") if g).upper()
            found = "CONN" if word.startswith("INITIAL") else word.split()[0]
    return found


@dataclass(frozen=True, slots=True)
class Classified:
    reason: str
    hard: bool
    permanent: bool
    evidence: list[Evidence]


def reason_from_text(text: str) -> tuple[str, str] | None:
    """``(reason, matched text)`` for the first reason pattern found in ``text``."""
    hit = _text_reason(text)
    return (hit[0], hit[1]) if hit else None


def _text_reason(text: str) -> tuple[str, str, bool] | None:
    """``(reason, matched text, generic)``; generic words never beat a status code."""
    for i, (reason, pattern) in enumerate(REASON_PATTERNS):
        m = pattern.search(text)
        if m:
            return reason, m.group(0), i >= _GENERIC_FROM
    return None


def find_status(text: str) -> str | None:
    """The first enhanced status code (RFC 3463) in ``text``."""
    m = STATUS_RE.search(text)
    return ".".join(m.groups()) if m else None


def find_smtp_code(text: str) -> str | None:
    """The first SMTP reply code (RFC 5321) in ``text``: ``550`` in ``said: 550 5.1.1``."""
    m = SMTP_CODE_RE.search(text)
    return m.group(1) if m else None


def classify_failure(
    *,
    status: str | None,
    smtp_code: str | None,
    action: str | None,
    diagnostic: str,
    context: str = "",
    command: str | None = None,
    diagnostic_type: str | None = None,
) -> Classified:
    """Decide the reason and hard/soft for one failed recipient, with evidence.

    ``diagnostic`` is the text about this recipient; ``context`` the whole human-readable
    report, read when the diagnostic is vague and for the SMTP stage of the refusal.
    ``command`` is the SMTP command the refusal answered when the caller knows it (else
    it is looked for in the texts); ``diagnostic_type`` the RFC 3464 Diagnostic-Code type
    (``smtp``, ``x-unix`` ...).
    """
    evidence: list[Evidence] = []
    action = (action or "").lower()
    temporary = action == "delayed" or (status or "").startswith("4")
    if not status and smtp_code:
        temporary = temporary or smtp_code.startswith("4")
    if temporary:
        evidence.append(
            Evidence(
                "bounce.temporary",
                0.0,
                f"temporary failure (action={action or '-'}, status={status or '-'}, "
                f"reply={smtp_code or '-'})",
            )
        )
    text_hit = _text_reason(diagnostic)
    if context and (text_hit is None or text_hit[2]):
        wider = _text_reason(context)
        if wider and not wider[2]:
            text_hit = wider
    status_reason = None
    if status and status[0] in "45":
        status_reason = STATUS_REASONS.get(status.split(".", 1)[1])
    if status_reason is None and smtp_code in _NOT_ACCEPT_REPLIES and not temporary:
        status_reason = "not_accept"
    if (
        text_hit
        and not text_hit[2]
        and not (status_reason in HARD_REASONS and text_hit[0] in HARD_REASONS)
    ):
        # Explicit words ("mailbox full", "user unknown") beat a status code that many
        # servers set carelessly (5.1.1 "mailbox full", 5.1.1 "recipient preferences").
        reason = text_hit[0]
        evidence.append(
            Evidence("bounce.reason.text", 0.7, f"diagnostic says {text_hit[1]!r} -> {reason}")
        )
    elif status_reason:
        reason = status_reason
        code = status if status and status[0] in "45" else smtp_code
        evidence.append(Evidence("bounce.reason.status", 0.8, f"status {code} -> {reason}"))
    elif text_hit:
        reason = text_hit[0]
        evidence.append(
            Evidence("bounce.reason.text", 0.5, f"diagnostic says {text_hit[1]!r} -> {reason}")
        )
    else:
        reason = "undefined"
    if reason == "host_unknown" and status and status.startswith("5.4.") and text_hit is None:
        reason = "network"
    reason = _stage_rules(
        reason,
        status_reason=status_reason,
        command=command
        or find_smtp_command(diagnostic)
        or (find_smtp_command(context) if context else None),
        diagnostic_type=(diagnostic_type or "").lower(),
        texts=(diagnostic, context),
        evidence=evidence,
    )
    hard = reason in HARD_REASONS and not temporary
    permanent = not temporary
    evidence.append(
        Evidence(
            "bounce.hard" if hard else "bounce.soft",
            1.0 if hard else 0.2,
            f"{reason}: "
            + ("the address does not exist" if hard else "the address may still work later"),
        )
    )
    return Classified(reason=reason, hard=hard, permanent=permanent, evidence=evidence)


def _stage_rules(
    reason: str,
    *,
    status_reason: str | None,
    command: str | None,
    diagnostic_type: str,
    texts: tuple[str, str],
    evidence: list[Evidence],
) -> str:
    """Demote an address verdict that the SMTP stage or the reporter does not support.

    A hard bounce retires a customer's address, so "the address does not exist" needs a
    source that can know it: an x.1.x status, a refusal at RCPT TO, or the recipient's
    own directory. Japanese mobile carriers, several gateways and filters answer "550
    User unknown" after DATA for mail the recipient's own settings refused; the words
    alone are not that proof (sisimai classifies the same way: "filtered").
    """
    if command:
        evidence.append(Evidence("bounce.smtp_stage", 0.3, f"refused in reply to {command}"))
    if diagnostic_type.startswith("x-unix") and reason != "mailbox_full":
        # A local delivery program (procmail, a pipe) failed after the MTA had accepted
        # and resolved the address: the program's error, not the address's.
        evidence.append(
            Evidence("bounce.reason.mailer", 0.6, "local delivery program error (X-Unix)")
        )
        return "mailer_error"
    if reason not in HARD_REASONS:
        return reason
    if command in _SESSION_STAGES:
        evidence.append(
            Evidence(
                "bounce.reason.session",
                0.6,
                f"refused at {command}, before any recipient: not about this address",
            )
        )
        return "sender_rejected" if command == "MAIL" else "blocked"
    if reason != "user_unknown" or status_reason == "user_unknown" or command == "RCPT":
        return reason
    if any(t and _DIRECTORY_SAYS.search(t) for t in texts):
        return reason
    evidence.append(
        Evidence(
            "bounce.reason.after_data" if command == "DATA" else "bounce.reason.unproven",
            0.6,
            "refused after DATA, not at RCPT TO: a content filter speaking"
            if command == "DATA"
            else "'user unknown' without an x.1.x status or a refusal at RCPT TO",
        )
    )
    return "filtered"
