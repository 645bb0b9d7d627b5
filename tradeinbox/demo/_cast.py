"""The people of the demo mailbox and the helpers that write their mails.

Everyone here is fictional. Company domains are under ``.example`` (RFC 2606);
phone numbers use fictional ranges where a country has them (+1 NXX-555-01xx,
+44 1632 960xxx) and otherwise the 555 block that is rarely assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tradeinbox.demo._envelope import OWN_DOMAIN, Mail, Route, message_id, render
from tradeinbox.demo._mime import (
    NL,
    UPPER,
    Part,
    Person,
    alternative,
    attachment,
    clean,
    encode_words,
    local,
    multipart,
    text,
    token,
)

LILY = Person("Lily Chen", f"lily@{OWN_DOMAIN}")
DAVID = Person("David Wang", f"david.wang@{OWN_DOMAIN}")

LILY_SIGNATURE = """
Best regards,

Lily Chen
Sales Manager | Ningbo Brightway Lighting Co., Ltd.
Tel: +86 574 8765 4321 | Mob/WhatsApp: +86 138 5741 2268
Add: No. 88 Jinyuan Road, Yinzhou District, Ningbo 315100, Zhejiang, China
www.brightway-lighting.example
"""

FOXMAIL = "Foxmail 7.2.25.375[cn]"


@dataclass
class Entry:
    """One file of the demo mailbox."""

    slug: str
    when: datetime
    description: str
    data: bytes


@dataclass
class Thread:
    """What a reply needs from the message it answers."""

    mail: Mail
    own_text: str


def foxmail_headers(key: str, has_attach: bool) -> list[tuple[str, str]]:
    guid = token(UPPER, 8, key, "guid")
    return [
        ("X-Priority", "3"),
        (
            "X-GUID",
            f"{guid}-{token(UPPER, 4, key)}-{token(UPPER, 4, key, 1)}-"
            f"{token(UPPER, 4, key, 2)}-{token(UPPER, 12, key, 3)}",
        ),
        ("X-Has-Attach", "yes" if has_attach else "no"),
        ("X-Mailer", FOXMAIL),
    ]


def outlook_headers(key: str, topic: str, has_attach: bool) -> list[tuple[str, str]]:
    return [
        ("Thread-Topic", encode_words(topic, "utf-8", "Thread-Topic")),
        (
            "Thread-Index",
            "AQH"
            + token("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 29, key)
            + "==",
        ),
        ("Accept-Language", "en-US"),
        ("Content-Language", "en-US"),
        ("X-MS-Has-Attach", "yes" if has_attach else ""),
        ("X-Mailer", "Microsoft Outlook 16.0"),
    ]


def quote(previous: Thread | None, style: str, zone: str) -> str:
    """The quoted previous message the way the replying client writes it."""
    if previous is None:
        return ""
    prev = previous.mail
    moment = prev.date.astimezone(local(zone, "2026-10-01 00:00").tzinfo)
    sender = f"{prev.sender.name} <{prev.sender.email}>"
    if style == "gmail":
        when = moment.strftime("%a, %b %-d, %Y at %-I:%M %p")
        lines = [f"> {line}" if line else ">" for line in previous.own_text.strip(NL).split(NL)]
        return f"{NL}{NL}On {when} {sender} wrote:{NL}{NL.join(lines)}{NL}"
    if style == "foxmail":
        when = moment.strftime("%a, %b %-d, %Y %-I:%M %p")
        to = "; ".join(f'"{p.name}"<{p.email}>' for p in prev.to)
        return (
            f"{NL}{NL}------------------ Original ------------------{NL}"
            f'From:  "{prev.sender.name}"<{prev.sender.email}>;{NL}'
            f"Date:  {when}{NL}To:  {to};{NL}Subject:  {prev.subject}{NL}{NL}"
            f"{previous.own_text.strip(NL)}{NL}"
        )
    when = moment.strftime("%A, %B %-d, %Y %-I:%M %p")
    to = "; ".join(f"{p.name} <{p.email}>" if p.name else p.email for p in prev.to)
    return (
        f"{NL}{NL}________________________________{NL}From: {sender}{NL}Sent: {when}{NL}"
        f"To: {to}{NL}Subject: {prev.subject}{NL}{NL}{previous.own_text.strip(NL)}{NL}"
    )


def body_with(
    key: str,
    message: str,
    style: str,
    attachments: list[Part],
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    html: bool = True,
) -> Part:
    """Text (+HTML alternative) and attachments, nested as the client would nest them."""
    core = (
        alternative(message, key, style, charset, cte)
        if html
        else text(message, "plain", charset, cte)
    )
    if not attachments:
        return core
    return multipart("mixed", key, [core, *attachments], style)


def lily(
    key: str,
    to: list[Person],
    subject: str,
    stamp: str,
    message: str,
    previous: Thread | None = None,
    attachments: list[Part] | None = None,
    cc: list[Person] | None = None,
    signature: bool = True,
    charset: str = "utf-8",
) -> tuple[Mail, Thread]:
    """A mail Lily sent with Foxmail (saved copy from her Sent folder)."""
    own = clean(message + (LILY_SIGNATURE if signature else ""))
    full = own + quote(previous, "foxmail", "CN")
    when = local("CN", stamp)
    parts = attachments or []
    in_reply_to, references = previous.mail.reply() if previous else (None, [])
    mail = Mail(
        key=key,
        sender=LILY,
        to=to,
        cc=cc or [],
        subject=subject,
        date=when,
        body=body_with(key, full, "foxmail", parts, charset, "base64"),
        msgid=message_id("foxmail", key, OWN_DOMAIN, when),
        in_reply_to=in_reply_to,
        references=references,
        client=foxmail_headers(key, bool(parts)),
    )
    return mail, Thread(mail, own)


def incoming(
    key: str,
    sender: Person,
    zone: str,
    stamp: str,
    subject: str,
    message: str,
    route: Route,
    style: str = "outlook",
    previous: Thread | None = None,
    attachments: list[Part] | None = None,
    to: list[Person] | None = None,
    cc: list[Person] | None = None,
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    html: bool = True,
    client: list[tuple[str, str]] | None = None,
    msgid_style: str | None = None,
    in_reply_to_only: Thread | None = None,
    **options: object,
) -> tuple[Mail, Thread]:
    """A mail someone sent to Lily, as it arrived through ``route``."""
    own = clean(message)
    quote_style = "gmail" if style == "gmail" else "outlook"
    full = own + quote(previous, quote_style, zone)
    when = local(zone, stamp)
    parts = attachments or []
    in_reply_to, references = previous.mail.reply() if previous else (None, [])
    if in_reply_to_only is not None:  # auto-replies thread but do not quote
        in_reply_to, references = in_reply_to_only.mail.reply()
    if client is None:
        client = (
            outlook_headers(key, subject.split(": ", 1)[-1], bool(parts))
            if style == "outlook"
            else []
        )
    mail = Mail(
        key=key,
        sender=sender,
        to=to if to is not None else [LILY],
        cc=cc or [],
        subject=subject,
        date=when,
        body=body_with(key, full, style, parts, charset, cte, html),
        msgid=message_id(msgid_style or style, key, sender.domain, when),
        in_reply_to=in_reply_to,
        references=references,
        route=route,
        subject_charset=sender.charset if not subject.isascii() else "utf-8",
        client=client,
        **options,  # type: ignore[arg-type]
    )
    return mail, Thread(mail, own)


def entry(slug: str, mail: Mail, description: str) -> Entry:
    return Entry(slug, mail.date, description, render(mail))


def pdf_part(data: bytes, filename: str) -> Part:
    return attachment(data, filename, "application/pdf")
