"""Opening IMAP and SMTP connections, and explaining in plain words why one fails.

``check_imap`` / ``check_smtp`` walk the steps a connection takes (DNS, TCP, TLS, login,
capabilities) and stop at the first that fails, with a sentence a salesperson can act on
("The password was not accepted") and the technical detail beside it.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

CONNECT_TIMEOUT = float(os.environ.get("TRADEINBOX_MAIL_TIMEOUT", "30"))


@dataclass(frozen=True)
class Endpoint:
    """One server to talk to, with the credentials for it."""

    host: str
    port: int
    security: str  # "tls", "starttls", "none"
    username: str
    password: str
    verify_tls: bool = True


@dataclass
class Step:
    name: str  # "DNS", "TCP", "TLS", "login", "capability"
    ok: bool
    message: str
    detail: str = ""


@dataclass
class CheckResult:
    protocol: str  # "IMAP" or "SMTP"
    steps: list[Step] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if not s.ok), None)


def imap_endpoint(account) -> Endpoint:
    return Endpoint(
        account.imap_host,
        account.imap_port,
        account.imap_security,
        account.username,
        account.get_password(),
        account.verify_tls,
    )


def smtp_endpoint(account) -> Endpoint:
    return Endpoint(
        account.smtp_host,
        account.smtp_port,
        account.smtp_security,
        account.smtp_login,
        account.get_password(),
        account.verify_tls,
    )


def ssl_context(verify: bool = True) -> ssl.SSLContext:
    """The system's trust store, plus ``TRADEINBOX_CA_FILE`` (a private CA) when set."""
    context = ssl.create_default_context()
    extra = os.environ.get("TRADEINBOX_CA_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


# -- opening connections -----------------------------------------------------------------


def open_imap(endpoint: Endpoint, timeout: float = CONNECT_TIMEOUT) -> IMAPClient:
    """A logged-in IMAPClient (RFC 3501; STARTTLS per RFC 2595 when asked)."""
    context = ssl_context(endpoint.verify_tls)
    client = IMAPClient(
        endpoint.host,
        endpoint.port,
        ssl=endpoint.security == "tls",
        ssl_context=context if endpoint.security == "tls" else None,
        timeout=timeout,
    )
    try:
        if endpoint.security == "starttls":
            client.starttls(context)
        client.login(endpoint.username, endpoint.password)
    except BaseException:
        _close_quietly(client)
        raise
    return client


def open_smtp(endpoint: Endpoint, timeout: float = CONNECT_TIMEOUT) -> smtplib.SMTP:
    """A logged-in SMTP session (RFC 5321; implicit TLS per RFC 8314 or STARTTLS RFC 3207)."""
    context = ssl_context(endpoint.verify_tls)
    if endpoint.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            endpoint.host, endpoint.port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=timeout)
    try:
        smtp.ehlo()
        if endpoint.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if endpoint.username and smtp.has_extn("auth"):
            smtp.login(endpoint.username, endpoint.password)
    except BaseException:
        try:
            smtp.close()
        except OSError:
            pass
        raise
    return smtp


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001 - already broken
        pass


# -- plain-words diagnosis ------------------------------------------------------------------


def _dns_step(host: str, port: int) -> tuple[Step, list]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return (
            Step(
                "DNS",
                False,
                f"Could not find the server \u201c{host}\u201d. Check the spelling of the "
                "server name (your mail provider's help page lists it).",
                str(exc),
            ),
            [],
        )
    addresses = sorted({info[4][0] for info in infos})
    return Step("DNS", True, f"Found {host} at {', '.join(addresses[:3])}."), infos


def _tcp_step(host: str, port: int, timeout: float) -> tuple[Step, socket.socket | None]:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError as exc:
        return (
            Step(
                "TCP",
                False,
                f"The server {host} did not answer on port {port}. The port may be wrong, or a "
                "firewall blocks it.",
                str(exc) or "timed out",
            ),
            None,
        )
    except OSError as exc:
        return (
            Step(
                "TCP",
                False,
                f"The server {host} refused the connection on port {port}. Check the port "
                "number (IMAP: 993 or 143; SMTP: 465 or 587).",
                str(exc),
            ),
            None,
        )
    return Step("TCP", True, f"Connected to port {port}."), sock


def _tls_failure(host: str, exc: Exception) -> Step:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = (
            f"The server's security certificate is not valid for \u201c{host}\u201d "
            f"({exc.verify_message}). Check the server name, or ask your IT administrator."
        )
    else:
        message = (
            "The encrypted connection could not be set up. The encryption setting may not match "
            "the port (TLS is usually 993/465, STARTTLS 143/587)."
        )
    return Step("TLS", False, message, f"{type(exc).__name__}: {exc}")


def _reachable(endpoint: Endpoint, result: CheckResult, timeout: float) -> bool:
    """The DNS and TCP steps every check starts with, recorded on ``result``."""
    step, _infos = _dns_step(endpoint.host, endpoint.port)
    result.steps.append(step)
    if not step.ok:
        return False
    step, sock = _tcp_step(endpoint.host, endpoint.port, timeout)
    result.steps.append(step)
    if sock is None:
        return False
    sock.close()
    return True


def check_imap(endpoint: Endpoint, timeout: float = 15.0) -> CheckResult:
    result = CheckResult("IMAP")
    if not _reachable(endpoint, result, timeout):
        return result
    context = ssl_context(endpoint.verify_tls)
    try:
        client = IMAPClient(
            endpoint.host,
            endpoint.port,
            ssl=endpoint.security == "tls",
            ssl_context=context if endpoint.security == "tls" else None,
            timeout=timeout,
        )
        if endpoint.security == "starttls":
            client.starttls(context)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        result.steps.append(_tls_failure(endpoint.host, exc))
        return result
    except Exception as exc:  # noqa: BLE001 - report any failure in words
        result.steps.append(
            Step(
                "TLS" if endpoint.security != "none" else "TCP",
                False,
                "The server answered, but not like an IMAP mail server. Check the port and the "
                "encryption setting.",
                f"{type(exc).__name__}: {exc}",
            )
        )
        return result
    if endpoint.security != "none":
        result.steps.append(Step("TLS", True, "The connection is encrypted."))
    try:
        try:
            client.login(endpoint.username, endpoint.password)
        except LoginError as exc:
            result.steps.append(
                Step(
                    "login",
                    False,
                    "The server did not accept the user name or password. Some providers "
                    "(Gmail, Microsoft 365, QQ/Exmail, 163) need an app password or IMAP "
                    "switched on in the web mail settings.",
                    str(exc),
                )
            )
            return result
        result.steps.append(Step("login", True, f"Signed in as {endpoint.username}."))
        capabilities = sorted(
            c.decode() if isinstance(c, bytes) else c for c in client.capabilities()
        )
        result.capabilities = capabilities
        if "IMAP4REV1" not in capabilities and "IMAP4REV2" not in capabilities:
            result.steps.append(
                Step(
                    "capability",
                    False,
                    "This server does not speak standard IMAP.",
                    " ".join(capabilities),
                )
            )
            return result
        folders = client.list_folders()
        extras = [
            c for c in ("IDLE", "CONDSTORE", "QRESYNC", "SPECIAL-USE", "MOVE") if c in capabilities
        ]
        note = f"{len(folders)} folders"
        if "IDLE" not in capabilities:
            note += "; no IDLE, so new mail is checked every few minutes"
        result.steps.append(
            Step("capability", True, f"Mailbox ready: {note}.", "extensions: " + " ".join(extras))
        )
    except Exception as exc:  # noqa: BLE001
        result.steps.append(
            Step("capability", False, "The server closed the connection unexpectedly.", str(exc))
        )
    finally:
        _close_quietly(client)
    return result


def check_smtp(endpoint: Endpoint, timeout: float = 15.0) -> CheckResult:
    result = CheckResult("SMTP")
    if not _reachable(endpoint, result, timeout):
        return result
    context = ssl_context(endpoint.verify_tls)
    try:
        if endpoint.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=timeout)
        smtp.ehlo()
        if endpoint.security == "starttls":
            if not smtp.has_extn("starttls"):
                result.steps.append(
                    Step("TLS", False, "The server does not offer STARTTLS on this port.")
                )
                smtp.close()
                return result
            smtp.starttls(context=context)
            smtp.ehlo()
    except (ssl.SSLError, ssl.CertificateError) as exc:
        result.steps.append(_tls_failure(endpoint.host, exc))
        return result
    except (smtplib.SMTPException, OSError) as exc:
        result.steps.append(
            Step(
                "TLS" if endpoint.security != "none" else "TCP",
                False,
                "The server answered, but not like an SMTP mail server. Check the port and the "
                "encryption setting.",
                f"{type(exc).__name__}: {exc}",
            )
        )
        return result
    if endpoint.security != "none":
        result.steps.append(Step("TLS", True, "The connection is encrypted."))
    try:
        if smtp.has_extn("auth"):
            try:
                smtp.login(endpoint.username, endpoint.password)
            except smtplib.SMTPAuthenticationError as exc:
                words = (
                    exc.smtp_error.decode(errors="replace")
                    if isinstance(exc.smtp_error, bytes)
                    else str(exc.smtp_error)
                )
                result.steps.append(
                    Step(
                        "login",
                        False,
                        "The sending server did not accept the user name or password.",
                        f"{exc.smtp_code} {words}",
                    )
                )
                return result
            result.steps.append(Step("login", True, f"Signed in as {endpoint.username}."))
        else:
            result.steps.append(
                Step("login", True, "The server does not ask for a password on this port.")
            )
        result.capabilities = sorted(smtp.esmtp_features)
        size = smtp.esmtp_features.get("size", "")
        note = (
            f" (largest message: {int(size) // 1_000_000} MB)"
            if size.isdigit() and int(size)
            else ""
        )
        result.steps.append(Step("capability", True, f"Ready to send{note}."))
    except (smtplib.SMTPException, OSError) as exc:
        result.steps.append(
            Step("capability", False, "The server closed the connection unexpectedly.", str(exc))
        )
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return result
