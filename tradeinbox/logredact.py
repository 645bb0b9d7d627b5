"""A logging filter that masks email addresses, so logs can be shared for support."""

from __future__ import annotations

import logging
import re

_ADDRESS = re.compile(r"([A-Za-z0-9._%+\-]{1,64})@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


def redact_addresses(text: str) -> str:
    """``john.smith@buyer.com`` -> ``j***@b***.com``: enough to tell lines apart, not to mail."""

    def mask(match: re.Match[str]) -> str:
        local, domain = match.group(1), match.group(2)
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}"

    return _ADDRESS.sub(mask, text)


class RedactAddressesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_addresses(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
