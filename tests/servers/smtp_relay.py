"""An SMTP relay on loopback that hands every accepted message to Dovecot's LMTP.

:class:`SmtpRelay` is an aiosmtpd server (plain + STARTTLS port, implicit-TLS port) that
authenticates against the Dovecot users, so a sent message lands in the recipient's real
mailbox. Faults can be injected per command: ``relay.fail("RCPT", 451, "4.3.0 try later")``,
or a pause before the reply to MAIL, RCPT or the end of DATA (for kill -9 tests).

Tests use it through the fixtures in :mod:`tests.servers.mail`.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass, field

from tests.servers.dovecot import DovecotServer, free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter


@dataclass
class Fault:
    command: str  # "MAIL", "RCPT", "DATA" (reply to the end of data)
    code: int
    text: str
    times: int = 1


@dataclass
class RelayState:
    faults: list[Fault] = field(default_factory=list)
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    # When set, the reply to the end of DATA waits until ``release`` is set (after delivery
    # when ``deliver_before_pause``), so a test can kill the client at that moment.
    pause_data: threading.Event | None = None
    release: threading.Event = field(default_factory=threading.Event)
    deliver_before_pause: bool = False
    data_started: threading.Event = field(default_factory=threading.Event)
    # When set to "MAIL" or "RCPT", that reply waits for ``release`` (``pause_data`` is set
    # when the wait begins).
    pause_at: str = ""


class _RelayHandler:
    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    def _fault(self, command: str) -> str | None:
        for fault in list(self.relay.state.faults):
            if fault.command == command:
                fault.times -= 1
                if fault.times <= 0:
                    self.relay.state.faults.remove(fault)
                return f"{fault.code} {fault.text}"
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._maybe_pause("MAIL")
        reply = self._fault("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def _maybe_pause(self, command: str) -> None:
        import asyncio

        state = self.relay.state
        if state.pause_at == command and state.pause_data is not None:
            state.pause_data.set()
            await asyncio.get_running_loop().run_in_executor(None, state.release.wait, 60)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._maybe_pause("RCPT")
        reply = self._fault("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        state = self.relay.state
        state.data_started.set()
        reply = self._fault("DATA")
        if reply:
            return reply
        if state.pause_data is not None and not state.pause_at and not state.deliver_before_pause:
            state.pause_data.set()
            await asyncio.get_running_loop().run_in_executor(None, state.release.wait, 60)
            if session.peer is None:
                return "451 4.3.0 client went away"
        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.relay.to_lmtp, envelope, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return f"{code} {text.decode(errors='replace')}"
        except (smtplib.SMTPException, OSError) as exc:
            return f"451 4.4.0 local delivery failed: {exc}"
        state.received.append((envelope.mail_from, list(envelope.rcpt_tos), raw))
        if state.pause_data is not None and not state.pause_at and state.deliver_before_pause:
            state.pause_data.set()
            await loop.run_in_executor(None, state.release.wait, 60)
        return "250 2.0.0 OK queued"


class SmtpRelay:
    """aiosmtpd on two loopback ports: plain/STARTTLS and implicit TLS, AUTH PLAIN/LOGIN."""

    def __init__(self, dovecot: DovecotServer) -> None:
        self.dovecot = dovecot
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port()
        self.state = RelayState()
        self.controllers = []

    def to_lmtp(self, envelope, raw: bytes) -> None:
        # One LMTP transaction per recipient: LMTP answers DATA once per recipient, and
        # smtplib reads only the first answer, so a message with Cc would fail.
        with smtplib.LMTP(self.dovecot.host, self.dovecot.lmtp_port, timeout=30) as lmtp:
            for rcpt in envelope.rcpt_tos:
                lmtp.sendmail(envelope.mail_from, [rcpt], raw)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            if self.dovecot.users.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpRelay:
        from aiosmtpd.controller import Controller

        common = {
            "authenticator": self._authenticate,
            "auth_require_tls": False,
        }
        plain = Controller(
            _RelayHandler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="relay.example.test",
            tls_context=self.dovecot.ca.server_context(),
            **common,
        )
        implicit = Controller(
            _RelayHandler(self),
            hostname=self.host,
            port=self.tls_port,
            ssl_context=self.dovecot.ca.server_context(),
            server_hostname="relay.example.test",
            **common,
        )
        plain.start()
        implicit.start()
        self.controllers = [plain, implicit]
        return self

    def stop(self) -> None:
        for controller in self.controllers:
            controller.stop()
        self.controllers = []

    def fail(self, command: str, code: int, text: str, times: int = 1) -> None:
        self.state.faults.append(Fault(command.upper(), code, text, times))

    def reset(self) -> None:
        self.state = RelayState()
