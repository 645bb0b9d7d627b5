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

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
    password: str = field(repr=False)  # an endpoint in a log line must not carry it
    verify_tls: bool = True


# What each step is called on the page (the name itself is a stable key for scripts).
STEP_LABELS = {
    "DNS": gettext_lazy("Server name (DNS)"),
    "TCP": gettext_lazy("Network connection"),
    "TLS": gettext_lazy("Encryption (TLS)"),
    "login": gettext_lazy("Sign-in"),
    "capability": gettext_lazy("Mailbox features"),
}


@dataclass
class Step:
    """One step of a connection check. ``message`` is in the active language (the web
    page's; English on the command line); ``detail`` is the server's or library's words."""

    name: str  # "DNS", "TCP", "TLS", "login", "capability"
    ok: bool
    message: str
    detail: str = ""

    @property
    def label(self) -> str:
        return str(STEP_LABELS.get(self.name, self.name))


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
                _(
                    "Could not find the server \u201c%(host)s\u201d. Check the spelling of the "
                    "server name (your mail provider's help page lists it)."
                )
                % {"host": host},
                str(exc),
            ),
            [],
        )
    addresses = sorted({info[4][0] for info in infos})
    found = _("Found %(host)s at %(addresses)s.") % {
        "host": host,
        "addresses": ", ".join(addresses[:3]),
    }
    return Step("DNS", True, found), infos


def _tcp_step(host: str, port: int, timeout: float) -> tuple[Step, socket.socket | None]:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError as exc:
        return (
            Step(
                "TCP",
                False,
                _(
                    "The server %(host)s did not answer on port %(port)s. The port may be wrong, "
                    "or a firewall blocks it."
                )
                % {"host": host, "port": port},
                str(exc) or "timed out",
            ),
            None,
        )
    except OSError as exc:
        return (
            Step(
                "TCP",
                False,
                _(
                    "The server %(host)s refused the connection on port %(port)s. Check the port "
                    "number (IMAP: 993 or 143; SMTP: 465 or 587)."
                )
                % {"host": host, "port": port},
                str(exc),
            ),
            None,
        )
    return Step("TCP", True, _("Connected to port %(port)s.") % {"port": port}), sock


def _tls_failure(host: str, exc: Exception) -> Step:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = _(
            "The server's security certificate is not valid for \u201c%(host)s\u201d "
            "(%(reason)s). Check the server name, or ask your IT administrator."
        ) % {"host": host, "reason": exc.verify_message}
    else:
        message = _(
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
                _(
                    "The server answered, but not like an IMAP mail server. Check the port and "
                    "the encryption setting."
                ),
                f"{type(exc).__name__}: {exc}",
            )
        )
        return result
    if endpoint.security != "none":
        result.steps.append(Step("TLS", True, _("The connection is encrypted.")))
    try:
        try:
            client.login(endpoint.username, endpoint.password)
        except LoginError as exc:
            result.steps.append(
                Step(
                    "login",
                    False,
                    _(
                        "The server did not accept the user name or password. Some providers "
                        "(Gmail, Microsoft 365, QQ/Exmail, 163) need an app password or IMAP "
                        "switched on in the web mail settings."
                    ),
                    str(exc),
                )
            )
            return result
        signed_in = _("Signed in as %(user)s.") % {"user": endpoint.username}
        result.steps.append(Step("login", True, signed_in))
        capabilities = sorted(
            c.decode() if isinstance(c, bytes) else c for c in client.capabilities()
        )
        result.capabilities = capabilities
        if "IMAP4REV1" not in capabilities and "IMAP4REV2" not in capabilities:
            result.steps.append(
                Step(
                    "capability",
                    False,
                    _("This server does not speak standard IMAP."),
                    " ".join(capabilities),
                )
            )
            return result
        folders = client.list_folders()
        extras = [
            c for c in ("IDLE", "CONDSTORE", "QRESYNC", "SPECIAL-USE", "MOVE") if c in capabilities
        ]
        if "IDLE" in capabilities:
            ready = _("Mailbox ready: %(count)s folders.")
        else:
            ready = _(
                "Mailbox ready: %(count)s folders; no IDLE, so new mail is checked every few "
                "minutes."
            )
        result.steps.append(
            Step(
                "capability",
                True,
                ready % {"count": len(folders)},
                "extensions: " + " ".join(extras),
            )
        )
    except Exception as exc:  # noqa: BLE001
        result.steps.append(
            Step("capability", False, _("The server closed the connection unexpectedly."), str(exc))
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
                    Step("TLS", False, _("The server does not offer STARTTLS on this port."))
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
                _(
                    "The server answered, but not like an SMTP mail server. Check the port and "
                    "the encryption setting."
                ),
                f"{type(exc).__name__}: {exc}",
            )
        )
        return result
    if endpoint.security != "none":
        result.steps.append(Step("TLS", True, _("The connection is encrypted.")))
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
                        _("The sending server did not accept the user name or password."),
                        f"{exc.smtp_code} {words}",
                    )
                )
                return result
            signed_in = _("Signed in as %(user)s.") % {"user": endpoint.username}
            result.steps.append(Step("login", True, signed_in))
        else:
            result.steps.append(
                Step("login", True, _("The server does not ask for a password on this port."))
            )
        result.capabilities = sorted(smtp.esmtp_features)
        size = smtp.esmtp_features.get("size", "")
        if size.isdigit() and int(size):
            ready = _("Ready to send (largest message: %(mb)s MB).") % {
                "mb": int(size) // 1_000_000
            }
        else:
            ready = _("Ready to send.")
        result.steps.append(Step("capability", True, ready))
    except (smtplib.SMTPException, OSError) as exc:
        result.steps.append(
            Step("capability", False, _("The server closed the connection unexpectedly."), str(exc))
        )
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return result
