"""Connection errors in words a salesperson can act on (the technical part kept after a dash)."""

from __future__ import annotations

import smtplib
import socket
import ssl

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from tradeinbox.mailbox.crypto import KeyUnavailable


def smtp_words(code: int, message: bytes | str) -> str:
    """The server's own reply, as it said it: ``550 5.1.1 <x@y>: user unknown``."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def describe(exc: BaseException) -> str:
    """One line for the account page: what went wrong, then the detail."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, KeyUnavailable):
        return f"The saved password cannot be read: {exc}"
    if isinstance(exc, LoginError):
        return f"The mail server did not accept the user name or password. — {exc}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "The sending server did not accept the user name or password. — " + smtp_words(
            exc.smtp_code, exc.smtp_error
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return "The sending server refused: " + smtp_words(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, socket.gaierror):
        return f"The mail server's name could not be found (no internet, or a typo). — {detail}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The mail server's certificate is not valid. — {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"The encrypted connection failed. — {detail}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"The mail server did not answer in time; trying again shortly. — {detail}"
    if isinstance(exc, ConnectionRefusedError):
        return f"The mail server refused the connection (down, or wrong port). — {detail}"
    if isinstance(exc, ConnectionError | EOFError | smtplib.SMTPServerDisconnected):
        return f"The connection to the mail server was lost; trying again shortly. — {detail}"
    if isinstance(exc, OSError):
        return f"The mail server could not be reached. — {detail}"
    if isinstance(exc, IMAPClientAbortError):
        return f"The connection to the mail server was lost; trying again shortly. — {exc}"
    if isinstance(exc, IMAPClientError):
        return f"The mail server answered with an error. — {exc}"
    return f"Unexpected error while talking to the mail server. — {detail}"
