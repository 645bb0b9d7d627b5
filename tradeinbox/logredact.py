"""A logging filter that masks email addresses, so logs can be shared for support."""

from __future__ import annotations

import logging
import re

# Unicode word characters too (EAI addresses: 李伟@例子.中国), and "%40" for an "@" in a URL:
# a search for from:john@buyer.com is logged as from%3Ajohn%40buyer.com, and the sign-in
# redirect's ?next= encodes it once more (%2540).
_ADDRESS = re.compile(r"([\w.%+\-]{1,64})(@|%(?:25)*40)([\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,})")


def redact_addresses(text: str) -> str:
    """``john.smith@buyer.com`` -> ``j***@b***.com``: enough to tell lines apart, not to mail."""

    def mask(match: re.Match[str]) -> str:
        local, at, domain = match.group(1), match.group(2), match.group(3)
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***{at}{host[:1]}***.{tld}"

    return _ADDRESS.sub(mask, text)


class RedactAddressesFilter(logging.Filter):
    """Masks addresses in the message, and in the traceback and stack of a record.

    Exception text is where addresses hide most (``SMTPRecipientsRefused({'ana@...': ...})``,
    a parser error quoting a header), and formatters append it after the filters ran: so
    it is formatted here, once, and stored redacted in ``exc_text``, which they reuse.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_addresses(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_addresses(record.stack_info)
        return True
