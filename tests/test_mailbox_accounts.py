"""Accounts: encryption at rest, the CLI, and the step-by-step connection test."""

from __future__ import annotations

import json
import os
import stat

import pytest
from django.db import connection

from tests.servers import mail as mail_servers
from tradeinbox.cli import main
from tradeinbox.mailbox import crypto
from tradeinbox.mailbox.connect import Endpoint, check_imap, check_smtp
from tradeinbox.mailbox.models import Account

# Session servers and per-test mailboxes (pytest fixtures from tests/servers/mail.py).
dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user
smtp_relay = mail_servers.smtp_relay

PASSWORD = "S3cret-Pässword-for-Exmail"


def test_key_file_is_created_0600_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("TRADEINBOX_ENCRYPTION_KEY", raising=False)
    key_file = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("TRADEINBOX_SECRET_KEY_FILE", str(key_file))
    key_file.parent.mkdir()
    monkeypatch.setenv("TRADEINBOX_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setattr(crypto, "_keys", crypto._keys)
    # An explicitly named file must exist: a typo must not silently create a new key.
    with pytest.raises(crypto.KeyUnavailable):
        crypto.encrypt("x")
    crypto._create_key_file(key_file)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    token = crypto.encrypt(PASSWORD)
    assert PASSWORD not in token and crypto.decrypt(token) == PASSWORD
    first = key_file.read_bytes()
    crypto._create_key_file(key_file)  # O_EXCL: a second start keeps the first key
    assert key_file.read_bytes() == first


def test_default_key_file_in_data_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("TRADEINBOX_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("TRADEINBOX_SECRET_KEY_FILE", raising=False)
    settings.TRADEINBOX = {**settings.TRADEINBOX, "DATA_DIR": tmp_path}
    assert crypto.decrypt(crypto.encrypt("pw")) == "pw"
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600


def test_key_from_environment_and_rotation(monkeypatch):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TRADEINBOX_ENCRYPTION_KEY", old)
    token = crypto.encrypt(PASSWORD)
    monkeypatch.setenv("TRADEINBOX_ENCRYPTION_KEY", f"{new},{old}")
    assert crypto.decrypt(token) == PASSWORD  # old tokens still readable after rotation
    monkeypatch.setenv("TRADEINBOX_ENCRYPTION_KEY", new)
    with pytest.raises(crypto.KeyUnavailable, match="enter the password again"):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_database_never_holds_the_plain_password():
    account = Account(
        email_address="li.wei@factory.example",
        sender_name="Li Wei",
        company="Ningbo Tools",
        imap_host="imap.exmail.qq.com",
        smtp_host="smtp.exmail.qq.com",
        username="li.wei@factory.example",
    )
    account.set_password(PASSWORD)
    account.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM mailbox_account")
        rows = cursor.fetchall()
    dumped = repr(rows)
    assert PASSWORD not in dumped and PASSWORD.encode() not in dumped.encode()
    assert Account.objects.get().get_password() == PASSWORD
    assert account.display_name == "Li Wei @ Ningbo Tools"
    assert account.from_header == '"Li Wei @ Ningbo Tools" <li.wei@factory.example>'


@pytest.mark.django_db
def test_unencrypted_connections_only_to_loopback():
    from django.core.exceptions import ValidationError

    account = Account(
        email_address="a@b.example",
        sender_name="A",
        imap_host="imap.b.example",
        imap_security="none",
        smtp_host="127.0.0.1",
        smtp_security="none",
        username="a",
        password_encrypted="x",
    )
    with pytest.raises(ValidationError) as caught:
        account.full_clean()
    assert "imap_security" in caught.value.message_dict
    assert "smtp_security" not in caught.value.message_dict


@pytest.mark.servers
@pytest.mark.django_db
def test_cli_add_list_test_remove(dovecot, mail_user, smtp_relay, capsys, monkeypatch):
    monkeypatch.setenv("MAILPW", mail_user.password)
    args = [
        "account",
        "add",
        mail_user.address,
        "--name",
        "Li Wei",
        "--company",
        "Ningbo Tools",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(dovecot.imap_port),
        "--imap-security",
        "none",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_relay.port),
        "--smtp-security",
        "none",
        "--password-env",
        "MAILPW",
        "--signature",
        "Li Wei | sales",
    ]
    assert main(args) == 0
    assert "Li Wei @ Ningbo Tools" in capsys.readouterr().out
    stored = Account.objects.get(email_address=mail_user.address)
    assert mail_user.password not in stored.password_encrypted
    assert main(args) == 1  # already there
    capsys.readouterr()

    assert main(["account", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["email"] for row in listed] == [mail_user.address]

    assert main(["account", "test", mail_user.address, "--json"]) == 0
    checks = json.loads(capsys.readouterr().out)
    assert [c["protocol"] for c in checks] == ["IMAP", "SMTP"] and all(c["ok"] for c in checks)
    assert [s["name"] for s in checks[0]["steps"]] == ["DNS", "TCP", "login", "capability"]

    stored.set_password("wrong")
    stored.save()
    assert main(["account", "test", mail_user.address]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] login: The server did not accept the user name or password" in out

    assert main(["account", "remove", mail_user.address]) == 0
    assert not Account.objects.exists()


@pytest.mark.servers
def test_each_failing_step_is_named(dovecot, mail_user, smtp_relay, monkeypatch):
    def endpoint(**kw):
        base = {
            "host": "127.0.0.1",
            "port": dovecot.imap_port,
            "security": "none",
            "username": mail_user.address,
            "password": mail_user.password,
        }
        return Endpoint(**{**base, **kw})

    def failed(result):
        return result.failed_step.name if result.failed_step else None

    assert failed(check_imap(endpoint(host="imap.does-not-exist.invalid"))) == "DNS"
    closed = dovecot.imap_port + 0
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert failed(check_imap(endpoint(port=closed))) == "TCP"
    assert failed(check_imap(endpoint(security="tls"))) == "TLS"  # TLS to a plain port
    result = check_imap(endpoint(port=dovecot.imaps_port, security="tls"))
    assert failed(result) == "TLS" and "certificate" in result.failed_step.message
    assert failed(check_imap(endpoint(password="nope"))) == "login"
    assert failed(check_smtp(endpoint(port=smtp_relay.port, password="nope"))) == "login"

    monkeypatch.setenv("TRADEINBOX_CA_FILE", str(dovecot.ca.ca_file))
    assert check_imap(endpoint(port=dovecot.imaps_port, security="tls")).ok
    assert check_imap(endpoint(security="starttls")).ok
    assert check_smtp(endpoint(port=smtp_relay.port, security="starttls")).ok
    assert check_smtp(endpoint(port=smtp_relay.tls_port, security="tls")).ok
    assert check_imap(endpoint(port=dovecot.imaps_port, security="tls", verify_tls=False)).ok


@pytest.mark.django_db
def test_a_sync_lease_of_a_dead_worker_is_taken_back_at_once():
    """kill -9 mid-sync: the restarted worker resumes now, not after the 5-minute lease;
    a live worker's lease is respected."""
    import socket
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta

    from tradeinbox.mailbox.sync import claim_due_account

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    account = Account(
        email_address="li.wei@factory.example",
        imap_host="imap.exmail.qq.com",
        smtp_host="smtp.exmail.qq.com",
        username="li.wei@factory.example",
        sync_locked_by=f"{socket.gethostname()}:{os.getppid()}",  # alive: pytest's parent
        sync_lease_until=datetime.now(UTC) + timedelta(minutes=5),
    )
    account.set_password(PASSWORD)
    account.save()
    assert claim_due_account("worker-b") is None
    Account.objects.filter(pk=account.pk).update(
        sync_locked_by=f"{socket.gethostname()}:{gone.pid}"
    )
    claimed = claim_due_account("worker-b")
    assert claimed is not None and claimed.pk == account.pk
    assert claimed.sync_locked_by == "worker-b"
