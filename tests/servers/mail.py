"""Real mail servers on loopback for the mailbox tests: the pytest fixtures and helpers.

The servers live in their own modules and are re-exported here, so tests import everything
from one place:

* :class:`~tests.servers.dovecot.DovecotServer`: IMAP, IMAPS and LMTP from a real Dovecot.
* :class:`~tests.servers.smtp_relay.SmtpRelay`: an aiosmtpd relay into Dovecot's LMTP,
  with injectable faults and pauses.
* :class:`~tests.servers.tcp_proxy.TcpProxy`: forwards a port and can cut every connection,
  now or after a number of bytes.

Use with ``from tests.servers.mail import dovecot, smtp_relay, mail_user  # noqa: F401``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import smtplib
from dataclasses import dataclass

import pytest

from tests.servers.dovecot import (
    DOMAIN,
    DovecotServer,
    TestCA,
    find_dovecot,
    free_port,
    make_test_ca,
    wait_port,
)
from tests.servers.smtp_relay import Fault, RelayState, SmtpRelay
from tests.servers.tcp_proxy import TcpProxy

__all__ = [
    "DOMAIN",
    "DovecotServer",
    "Fault",
    "MailUser",
    "RelayState",
    "SmtpRelay",
    "TcpProxy",
    "TestCA",
    "deliver_many",
    "dovecot",
    "find_dovecot",
    "free_port",
    "mail_user",
    "make_account",
    "make_message",
    "make_test_ca",
    "relay",
    "smtp_relay",
    "wait_port",
]


# -- fixtures -------------------------------------------------------------------------

_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot():
    if not find_dovecot():
        pytest.skip("dovecot is not installed (scripts/setup.sh --test installs it)")
    server = DovecotServer()
    try:
        server.start()
    except RuntimeError as exc:
        log = server.log()
        server.cleanup()
        pytest.fail(f"Dovecot did not start: {exc}\n{log}")
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def smtp_relay(dovecot):
    relay = SmtpRelay(dovecot).start()
    yield relay
    relay.stop()


@dataclass
class MailUser:
    address: str
    password: str


@pytest.fixture
def mail_user(dovecot) -> MailUser:
    """A fresh mailbox for one test, so tests never see each other's mail."""
    number = next(_user_numbers)
    user = MailUser(f"sales{number}-{os.getpid()}@{DOMAIN}", f"pw-{number}-secret")
    dovecot.add_user(user.address, user.password)
    return user


@pytest.fixture
def relay(smtp_relay):
    """The session relay with its faults and pauses reset around the test."""
    smtp_relay.reset()
    yield smtp_relay
    smtp_relay.state.release.set()
    smtp_relay.reset()


# -- helpers for tests that use the Django app --------------------------------------------


def make_message(
    subject: str,
    body: str = "Dear buyer,\nplease find our offer.\n",
    *,
    sender: str = f"Ana Buyer <ana@buyer.{DOMAIN}>",
    to: str = f"sales@{DOMAIN}",
    message_id: str | None = None,
    date: dt.datetime | None = None,
) -> bytes:
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id or make_msgid(domain=f"buyer.{DOMAIN}")
    message.set_content(body)
    return message.as_bytes()


def deliver_many(server: DovecotServer, recipient: str, messages: list[bytes]) -> None:
    """Deliver through one LMTP session (as an MTA with a queue would)."""
    with smtplib.LMTP(server.host, server.lmtp_port, timeout=60) as lmtp:
        for raw in messages:
            lmtp.sendmail(f"buyer@{DOMAIN}", [recipient], raw)


def make_account(
    server: DovecotServer, user: MailUser, relay: SmtpRelay | None = None, **overrides
):
    """A saved Account pointing at the loopback servers (plain connections: loopback only)."""
    from tradeinbox.mailbox.models import Account

    fields = {
        "email_address": user.address,
        "sender_name": "Li Wei",
        "company": "Ningbo Tools",
        "imap_host": server.host,
        "imap_port": server.imap_port,
        "imap_security": "none",
        "smtp_host": server.host,
        "smtp_port": relay.port if relay else 25,
        "smtp_security": "none",
        "username": user.address,
        "sync_interval_seconds": 3600,
    }
    fields.update(overrides)
    account = Account(**fields)
    account.set_password(user.password)
    account.full_clean()
    account.save()
    return account
