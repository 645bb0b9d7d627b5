"""Secrets never reach a log, and logs mask addresses everywhere they are written.

Mailbox passwords and DKIM private keys: not in any repr, not in any output of the real
commands run with DEBUG logging against the loopback Dovecot and relay, not echoed by the
account form, and masked in Django's error reports. Addresses: masked in message text,
in tracebacks, in Django's own loggers and in gunicorn's access log of ``tradeinbox run``.
"""

from __future__ import annotations

import base64
import logging
import logging.config
import os
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import mail as mail_servers
from tests.servers.mail import DOMAIN, free_port, wait_port

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "tradeinbox"]


def secret_forms(user: str, secret: str) -> list[str]:
    """The password as written, and as SMTP AUTH LOGIN and AUTH PLAIN carry it."""
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"\0{user}\0{secret}".encode()).decode(),
    ]


# -- reprs -----------------------------------------------------------------------------------


def test_endpoint_and_dkim_key_reprs_hide_the_secret():
    from tradeinbox.core.dkimsign import generate_key
    from tradeinbox.mailbox.connect import Endpoint

    endpoint = Endpoint("imap.example.com", 993, "tls", "li.wei", "Hunter2-Mailbox")
    assert "Hunter2" not in repr(endpoint) and "Hunter2" not in str(endpoint)
    key = generate_key(1024)
    assert b"PRIVATE KEY" in key.private_pem
    assert "PRIVATE" not in repr(key) and key.public_b64[:40] in repr(key)


@pytest.mark.django_db
def test_account_str_carries_no_password_or_token():
    from tradeinbox.mailbox.models import Account

    account = Account(email_address=f"li.wei@{DOMAIN}", imap_host="imap.example.com")
    account.set_password("Hunter2-Mailbox")
    for text in (str(account), repr(account)):
        assert "Hunter2" not in text and account.password_encrypted not in text


# -- the redacting filter -------------------------------------------------------------------


def _configured_logging(capsys) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    capsys.readouterr()


def test_tracebacks_are_redacted_too(capsys):
    _configured_logging(capsys)
    try:
        raise smtplib.SMTPRecipientsRefused({"ana.buyer@buyer-corp.com": (550, b"no such user")})
    except smtplib.SMTPRecipientsRefused:
        logging.getLogger("tradeinbox.mailbox.outbox").exception("send failed")
    err = capsys.readouterr().err
    assert "SMTPRecipientsRefused" in err and "Traceback" in err
    assert "ana.buyer@buyer-corp.com" not in err and "a***@b***.com" in err


def test_djangos_own_loggers_are_redacted(capsys):
    _configured_logging(capsys)
    logging.getLogger("django.server").info('"GET /search/?q=from%3Aana%40buyer.example" 200')
    logging.getLogger("django.request").warning("Not Found: /customers/ana@buyer.example/")
    logging.getLogger("tradeinbox.x").warning("from 李伟@例子.中国")
    err = capsys.readouterr().err
    assert err.count("\n") >= 3, err
    for original in ("ana%40buyer.example", "ana@buyer.example", "李伟", "例子"):
        assert original not in err, err
    assert "f***%40b***.example" in err and "a***@b***.example" in err


# -- the account form -------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_form_never_echoes_the_password_and_masks_it_in_reports(client):
    from django.contrib.auth.models import User
    from django.views.debug import SafeExceptionReporterFilter

    client.force_login(User.objects.create_user("sales", password="x-long-enough-pw"))
    secret = "Hunter2-Mailbox-Form"
    response = client.post(
        "/mailbox/accounts/add/",
        {"email_address": "not an address", "password": secret, "sender_name": "Li"},
    )
    assert response.status_code == 200  # the form comes back with its errors
    assert secret not in response.content.decode()
    request = response.wsgi_request
    assert request.sensitive_post_parameters == ("password",)
    masked = SafeExceptionReporterFilter().get_post_parameters(request)
    assert masked["password"] != secret and "*" in masked["password"]


# -- the real commands, at DEBUG ---------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        TRADEINBOX_DATA=str(tmp_path / "data"), TRADEINBOX_LOG_LEVEL="DEBUG", PYTHONPATH=str(REPO)
    )
    return env


def _account_args(dovecot, relay, address: str) -> list[str]:
    return [
        *CLI, "account", "add", address, "--name", "Li Wei",
        "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.imap_port),
        "--imap-security", "none", "--smtp-host", "127.0.0.1",
        "--smtp-port", str(relay.port), "--smtp-security", "none", "--password-env", "MAILPW",
    ]  # fmt: skip


@pytest.mark.servers
@pytest.mark.slow
def test_commands_never_print_or_log_the_mailbox_password(tmp_path, dovecot, mail_user, smtp_relay):
    env = _env(tmp_path)
    outputs = []

    def tradeinbox(*args: str, password: str | None = None, ok: bool = True) -> None:
        extra = {"MAILPW": password} if password else {}
        result = subprocess.run(
            list(args), env=env | extra, capture_output=True, text=True, timeout=300
        )
        outputs.append(result.stdout + result.stderr)
        assert (result.returncode == 0) == ok, result.stdout + result.stderr

    add = _account_args(dovecot, smtp_relay, mail_user.address)
    tradeinbox(*add, password=mail_user.password + "-wrong", ok=False)  # refused by the server
    tradeinbox(*add, password=mail_user.password)
    tradeinbox(*CLI, "account", "test", mail_user.address)
    tradeinbox(*CLI, "account", "sync", mail_user.address)
    code = (
        "import tradeinbox; tradeinbox.setup_django()\n"
        "from tradeinbox.mailbox import outbox\n"
        "from tradeinbox.mailbox.models import Account\n"
        f"outbox.compose(Account.objects.get(), to='{mail_user.address}', subject='PI', body='x')\n"
    )
    tradeinbox(sys.executable, "-c", code)
    tradeinbox(*CLI, "worker", "--exit-when-idle")  # sends it: SMTP AUTH, APPEND to Sent
    everything = "\n".join(outputs)
    assert "DEBUG" in everything  # the logs were on, at their most talkative
    for password in (mail_user.password, mail_user.password + "-wrong"):
        for form in secret_forms(mail_user.address, password):
            assert form not in everything


@pytest.mark.slow
def test_access_log_of_tradeinbox_run_masks_addresses(tmp_path):
    env = _env(tmp_path) | {"TRADEINBOX_LOG_LEVEL": "INFO"}
    port = free_port()
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [*CLI, "run", "--port", str(port), "--web-workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_port(port, 60, server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/search?q=from%3Aana.buyer%40buyer-corp.com",
            headers={"Referer": f"http://127.0.0.1:{port}/?to=li.wei@factory.example"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            assert response.status == 200  # the sign-in page, after the redirect
        time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert "/search?q=" in text, text[-2000:]  # the request was logged
    assert "ana.buyer" not in text and "li.wei@" not in text, text[-2000:]
    assert "%40b***.com" in text and "l***@f***.example" in text, text[-2000:]
