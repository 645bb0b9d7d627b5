"""Plain data that flows between the parts of tradeinbox.

A :class:`ParsedMessage` is what :func:`tradeinbox.core.parse.parse_message` makes of
raw RFC 5322 bytes. Every later stage (threading, search, customers, triage, lint)
reads this, never the raw MIME tree, so parsing happens once per message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox from an address header. ``email`` is lower-cased; ``name`` decoded."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.email.rpartition("@")[0]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(slots=True)
class Attachment:
    """An attachment's metadata. ``data`` is the decoded content (not kept after storing)."""

    filename: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    disposition: str = "attachment"  # "attachment" or "inline"
    content_id: str | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass(slots=True)
class ParsedMessage:
    """Everything a later stage needs from one message.

    ``received`` is in header order: index 0 is the newest hop (added by our own
    server), the last is closest to the sender (RFC 5321 section 4.4).
    ``headers`` keeps every header (decoded, in order) for rules that need others.
    ``defects`` lists what was wrong with the input and how it was worked around.
    """

    raw_size: int
    sha256: str
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    date: datetime | None
    date_header: str
    utc_offset_minutes: int | None
    from_: list[Address]
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    reply_to: list[Address]
    return_path: str | None
    received: list[str]
    authentication_results: list[str]
    list_headers: dict[str, str]
    headers: list[tuple[str, str]]
    text: str
    html: str | None
    attachments: list[Attachment]
    defects: list[str] = field(default_factory=list)

    @property
    def from_address(self) -> Address | None:
        return self.from_[0] if self.from_ else None

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), decoded, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]
