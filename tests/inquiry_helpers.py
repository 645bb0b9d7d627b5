"""Builds raw messages for the inquiry/grading tests (parsed with the real parser)."""

from __future__ import annotations

from email.message import EmailMessage

from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.parse import parse_message


def make(
    body: str,
    *,
    subject: str = "Inquiry",
    sender: str = "Buyer <buyer@example-buyer.com>",
    to: str = "Sales <sales@example-seller.com>",
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str], ...] = (),
) -> ParsedMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = "Tue, 03 Mar 2026 09:00:00 +0000"
    m["Message-ID"] = "<t1@example-buyer.com>"
    for key, value in (headers or {}).items():
        m[key] = value
    m.set_content(body)
    for name, ctype in attachments:
        main, sub = ctype.split("/")
        m.add_attachment(b"\x89PNG....", maintype=main, subtype=sub, filename=name)
    return parse_message(bytes(m))
