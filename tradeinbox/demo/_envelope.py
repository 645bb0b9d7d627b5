"""Whole messages: header order, Received chains, Authentication-Results, DKIM.

An inbound message is laid out as Postfix + OpenDKIM/OpenDMARC + Dovecot leave it
in the mailbox, newest header first::

    Return-Path / Delivered-To                 (Dovecot LMTP delivery)
    Received: ... by mail.brightway-lighting.example with LMTP      (internal hop)
    Authentication-Results: mx.brightway-lighting.example; ...   (RFC 8601)
    Received: from <sender relay> ... by mx.brightway-lighting.example  (boundary)
    Received: ... the sender side's own hops, oldest last
    DKIM-Signature: ...                        (added by the sender's relay)
    From / To / Subject / Date / Message-ID / ...  (written by the sender's client)

Outbound mail is the copy Lily's client (Foxmail) saved in "Sent": no Received,
no DKIM (the server signs on the way out).

All public IP addresses are from the documentation ranges of RFC 5737 / RFC 3849
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32); LAN addresses are
RFC 1918. Host names are under reserved ``.example`` domains except the relays of
the free-mail services that fictional people use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tradeinbox.demo import _dkim
from tradeinbox.demo._mime import (
    ALNUM,
    DIGITS,
    HEX,
    NL,
    UPPER,
    Part,
    Person,
    address_list,
    encode_words,
    header_block,
    later,
    queue_id,
    received,
    rfc_date,
    token,
)

OWN_DOMAIN = "brightway-lighting.example"
MX = f"mx.{OWN_DOMAIN}"
STORE = f"mail.{OWN_DOMAIN}"
TLS = (
    "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
    + NL
    + "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)"
    + NL
    + "\t(No client certificate requested)"
)

# A route returns the sender side's Received stamps (newest first), the host and IP
# that connect to our MX, and any extra trace headers the provider adds.
Stamps = tuple[list[str], str, str, list[tuple[str, str]]]
Route = Callable[["Mail", str, datetime], Stamps]


def corporate(host: str, ip: str, office_ip: str, lan_ip: str, scanner: bool = False) -> Route:
    """A company's own Postfix: the client submits from the office NAT address."""

    def stamps(mail: Mail, rcpt: str, sent: datetime) -> Stamps:
        hops = []
        if scanner:  # amavisd hands the message back to Postfix on localhost
            hops.append(
                received(
                    "localhost (localhost [127.0.0.1])",
                    f"{host} (Postfix)",
                    "ESMTP",
                    queue_id(mail.key, "scan"),
                    rcpt,
                    later(sent, 2),
                )
            )
        hops.append(
            received(
                f"[{lan_ip}] (unknown [{office_ip}])",
                f"{host} (Postfix)",
                "ESMTPSA",
                queue_id(mail.key, "submit"),
                rcpt,
                later(sent, 1),
            )
        )
        return hops, host, ip, []

    return stamps


def gmail(relay_number: int, relay_ip: str) -> Route:
    def stamps(mail: Mail, rcpt: str, sent: datetime) -> Stamps:
        host = f"mail-sor-f{relay_number}.google.com"
        smtp_id = f"a640c23a62f3a-{token(HEX, 12, mail.key, 'g')}so{token(DIGITS, 7, mail.key)}.3"
        hop = received("", host, "SMTP", smtp_id, rcpt, later(sent, 1))
        ipv6 = f"2002:a17:907:{token(HEX, 4, mail.key, 'v')}:b0:{token(HEX, 3, mail.key, 'w')}::"
        extra = [
            ("X-Google-Smtp-Source", token(ALNUM, 60, mail.key, "gs") + "=="),
            (
                "X-Received",
                f"by {ipv6}{token(HEX, 4, mail.key, 'x')} with SMTP id "
                f"{token(ALNUM, 20, mail.key, 'xr')}.{token(DIGITS, 3, mail.key)}.{NL}\t"
                f"{rfc_date(later(sent, 1))}",
            ),
        ]
        return [hop], host, relay_ip, extra

    return stamps


def yahoo(client_ip: str) -> Route:
    def stamps(mail: Mail, rcpt: str, sent: datetime) -> Stamps:
        host = f"sonic{token(DIGITS, 3, mail.key)}-{token(DIGITS, 2, mail.key)}.consmr.mail.ne1.yahoo.com"
        hop = received(
            "",
            f"hermes--production-ne1-{token(HEX, 9, mail.key)}-{token(ALNUM, 5, mail.key).lower()}"
            " (Yahoo Inc. Hermes SMTP Server)",
            "ESMTPA",
            token(HEX, 32, mail.key, "y"),
            rcpt,
            later(sent, 2),
        )
        return [hop], host, "198.51.100.187", [("X-Originating-Ip", f"[{client_ip}]")]

    return stamps


def outlook_com(client_ip: str) -> Route:
    """Outlook.com / Hotmail consumer mail: client IP kept in X-Originating-IP."""

    def stamps(mail: Mail, rcpt: str, sent: datetime) -> Stamps:
        host = f"mail-am0eur02olkn20{token(DIGITS, 2, mail.key)}.outbound.protection.outlook.com"
        inner = f"PAXP193MB{token(DIGITS, 4, mail.key)}.EURP193.PROD.OUTLOOK.COM"
        hop = received(
            f"{inner}{NL}\t(2603:10a6:102:{token(HEX, 3, mail.key)}::{token(HEX, 2, mail.key)})",
            f"{inner}",
            "mapi",
            f"15.20.{token(DIGITS, 4, mail.key)}.{token(DIGITS, 3, mail.key, 'o')}",
            None,
            sent,
        )
        return [hop], host, "203.0.113.212", [("X-Originating-IP", f"[{client_ip}]")]

    return stamps


@dataclass
class Mail:
    """One demo message. ``key`` seeds every pseudo-random token in it."""

    key: str
    sender: Person
    to: list[Person]
    subject: str
    date: datetime
    body: Part
    msgid: str
    cc: list[Person] = field(default_factory=list)
    reply_to: list[Person] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    route: Route | None = None  # None: outbound (Lily's Sent copy) or internal
    auth: tuple[str, str, str] = ("pass", "pass", "pass")  # spf, dkim, dmarc
    dkim_selector: str | None = "s2026"
    envelope_from: str | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)
    top_extra: list[tuple[str, str]] = field(default_factory=list)
    subject_charset: str = "utf-8"
    client: list[tuple[str, str]] = field(default_factory=list)
    rcpt: str = f"lily@{OWN_DOMAIN}"
    tamper: Callable[[bytes], bytes] | None = None  # change the body after signing

    def reply(self) -> tuple[str, list[str]]:
        """(In-Reply-To, References) for an answer to this message (RFC 5322 s. 3.6.4)."""
        return self.msgid, [*self.references, self.msgid]


def message_id(style: str, key: str, domain: str, when: datetime) -> str:
    """A Message-ID in the shape the named client generates."""
    if style == "gmail":
        return f"<CA{token(ALNUM, 46, key)}@mail.gmail.com>"
    if style == "foxmail":
        stamp = when.strftime("%Y%m%d%H%M%S")
        return f"<{stamp}{token(DIGITS, 7, key)}@{domain}>"
    if style == "outlook":
        return f"<{token(UPPER, 16, key)}{token(UPPER, 8, key, 'x')}@{domain}>"
    if style == "yahoo":
        return f"<{token(DIGITS, 10, key)}.{token(DIGITS, 7, key, 'y')}@mail.yahoo.com>"
    if style == "apple":
        return f"<{token(UPPER, 8, key)}-{token(UPPER, 4, key, 'a')}-{token(UPPER, 12, key, 'b')}@{domain}>"
    uuid = token(HEX, 32, key)
    return f"<{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}@{domain}>"


def _message_headers(mail: Mail) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = [("From", mail.sender.header())]
    if mail.to:
        headers.append(("To", address_list(mail.to)))
    if mail.cc:
        headers.append(("Cc", address_list(mail.cc)))
    if mail.reply_to:
        headers.append(("Reply-To", address_list(mail.reply_to)))
    headers.append(("Subject", encode_words(mail.subject, mail.subject_charset)))
    headers.append(("Date", rfc_date(mail.date)))
    headers.append(("Message-ID", mail.msgid))
    if mail.in_reply_to:
        headers.append(("In-Reply-To", mail.in_reply_to))
    if mail.references:
        headers.append(("References", (NL + " ").join(mail.references)))
    headers.extend(mail.client)
    headers.extend(mail.extra)
    headers.append(("MIME-Version", "1.0"))
    headers.extend(mail.body.headers)
    return headers


def auth_results(mail: Mail, relay_host: str, relay_ip: str, signature: str | None) -> str:
    """Authentication-Results as OpenDKIM + OpenDMARC + policyd-spf write them (RFC 8601)."""
    spf, dkim_result, dmarc = mail.auth
    domain = mail.sender.domain
    mailfrom = mail.envelope_from or mail.sender.email
    parts = [MX]
    if signature:
        b_tag = signature.split("b=")[-1].replace(NL, "").replace(" ", "")[:8]
        note = "(1024-bit key; unprotected key)" if dkim_result == "pass" else "(bad signature)"
        selector = mail.dkim_selector
        parts.append(
            f"dkim={dkim_result} {note}{NL}\theader.d={domain} header.i=@{domain} "
            f"header.a=rsa-sha256 header.s={selector} header.b={b_tag}"
        )
    else:
        parts.append("dkim=none (message not signed)")
    permitted = "designates" if spf == "pass" else "does not designate"
    parts.append(
        f"spf={spf} ({MX}: domain of {mailfrom} {permitted} {relay_ip} as permitted sender)"
        f"{NL}\tsmtp.mailfrom={mailfrom}"
    )
    policy = "p=QUARANTINE sp=QUARANTINE dis=QUARANTINE" if dmarc == "fail" else "p=NONE dis=NONE"
    parts.append(f"dmarc={dmarc} ({policy}) header.from={domain}")
    return (";" + NL + "\t").join(parts)


def render(mail: Mail) -> bytes:
    """The complete message as it sits in the mailbox."""
    headers = _message_headers(mail)
    body = mail.body.serialize()
    if mail.route is None:
        return header_block(mail.top_extra + headers) + NL.encode() + body

    hops, relay_host, relay_ip, trace = mail.route(mail, mail.rcpt, mail.date)
    signed_part = header_block(headers) + NL.encode() + body
    signature = None
    if mail.dkim_selector:
        signature = _dkim.sign(
            signed_part, mail.sender.domain, mail.dkim_selector, int(mail.date.timestamp()) + 1
        )
    if mail.tamper is not None:
        body = mail.tamper(body)
    arrival = later(mail.date, 4 + len(hops) * 2)
    boundary_hop = received(
        f"{relay_host} ({relay_host} [{relay_ip}]){NL}\t{TLS}",
        f"{MX} (Postfix)",
        "ESMTPS",
        queue_id(mail.key, "mx"),
        mail.rcpt,
        arrival,
    )
    lmtp = received(
        f"{MX} ([10.20.0.5])",
        STORE,
        "LMTP",
        f"{token(ALNUM, 22, mail.key, 'lmtp')}{NL}\t(envelope-from <{mail.envelope_from or mail.sender.email}>)",
        mail.rcpt,
        later(arrival, 1),
    )
    top = [
        ("Return-Path", f"<{mail.envelope_from or mail.sender.email}>"),
        ("Delivered-To", mail.rcpt),
        ("Received", lmtp),
        ("Authentication-Results", auth_results(mail, relay_host, relay_ip, signature)),
        ("Received", boundary_hop),
        *[("Received", hop) for hop in hops],
        *trace,
    ]
    if signature:
        top.append(("DKIM-Signature", signature))
    return header_block(mail.top_extra + top + headers) + NL.encode() + body


def internal(mail: Mail, lan_ip: str) -> bytes:
    """A colleague's mail: submitted and delivered inside the company's own server."""
    headers = _message_headers(mail)
    submit = received(
        f"[{lan_ip}] (unknown [{lan_ip}])",
        f"{MX} (Postfix)",
        "ESMTPSA",
        queue_id(mail.key, "int"),
        mail.rcpt,
        later(mail.date, 1),
    )
    lmtp = received(
        f"{MX} ([10.20.0.5])",
        STORE,
        "LMTP",
        f"{token(ALNUM, 22, mail.key, 'lmtp')}{NL}\t(envelope-from <{mail.sender.email}>)",
        mail.rcpt,
        later(mail.date, 2),
    )
    top = [
        ("Return-Path", f"<{mail.sender.email}>"),
        ("Delivered-To", mail.rcpt),
        ("Received", lmtp),
        ("Received", submit),
    ]
    return header_block(top + headers) + NL.encode() + mail.body.serialize()
