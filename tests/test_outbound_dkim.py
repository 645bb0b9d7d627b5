"""DKIM keys kept encrypted, the record shown to publish, and outbox mail signed at send time.

Signatures are verified with dkimpy against a real NSD serving exactly the record the app
tells the user to publish; the mail goes through the loopback SMTP relay into Dovecot.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.outbound_helpers import add_users, drain_outbox
from tests.servers import mail as mail_servers
from tests.servers.dns import NsdServer, dns_server, find_nsd, zone_text  # noqa: F401
from tests.servers.mail import DOMAIN, MailUser, make_account
from tradeinbox.core.dkimsign import verify_message
from tradeinbox.mailbox import outbox
from tradeinbox.outbound import dkim
from tradeinbox.outbound.models import DkimKey

dovecot = mail_servers.dovecot
relay = mail_servers.relay
smtp_relay = mail_servers.smtp_relay

pytestmark = [pytest.mark.servers, pytest.mark.django_db]
PID = os.getpid()


def _raw_inbox(dovecot, address: str) -> list[bytes]:
    base = Path(dovecot.maildir(address))
    return [p.read_bytes() for sub in ("new", "cur") if (base / sub).is_dir()
            for p in sorted((base / sub).iterdir())]  # fmt: skip


def _send_one(dovecot, relay, sender: str, tag: str) -> bytes:
    """Send one message from ``sender`` through the outbox; the bytes the buyer received."""
    user = MailUser(sender, "sender-pw")
    buyer = f"dkim-buyer-{tag}-{PID}@{DOMAIN}"
    add_users(dovecot, [buyer])
    add_users(dovecot, [sender], password=user.password)
    account = make_account(dovecot, user, relay)
    outbox.compose(account, to=buyer, subject="Quotation QT-7", body="Dear Ana,\nUSD 0.42/pc.\n")
    drain_outbox()
    found = _raw_inbox(dovecot, buyer)
    assert len(found) == 1, list(outbox.OutboxMessage.objects.values_list("status", "last_error"))
    return found[0]


@pytest.fixture
def own_zone():
    """Start NSD for one zone built from the app's own "publish this" line."""
    if not find_nsd():
        pytest.skip("nsd is not installed")
    servers = []

    def serve(origin: str, lines: list[str]) -> NsdServer:
        server = NsdServer({origin: zone_text(origin, lines)}).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


def test_generated_key_is_encrypted_and_its_record_verifies_sent_mail(dovecot, relay, own_zone):
    key = dkim.create_key("Signed-Example.test.", "ti202603")
    assert (key.domain, key.selector, key.bits) == ("signed-example.test", "ti202603", 2048)
    assert "PRIVATE KEY" not in key.private_key_encrypted  # only the Fernet token is stored
    assert key.private_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    record = dkim.record_for(key)
    assert record.name == "ti202603._domainkey.signed-example.test"
    nsd = own_zone("signed-example.test", [record.zone_line()])  # exactly what the page shows

    unsigned = _send_one(dovecot, relay, f"li-{PID}@signed-example.test", "off")
    assert b"DKIM-Signature" not in unsigned  # inactive key: nothing signs
    dkim.activate(key)
    raw = _send_one(dovecot, relay, f"wei-{PID}@signed-example.test", "on")
    result = verify_message(raw, nameserver=nsd.host, port=nsd.port)
    assert result.ok, result.detail
    assert result.signatures[0]["domain"] == "signed-example.test"
    assert result.signatures[0]["keysize"] == "2048"
    key.refresh_from_db()
    assert key.last_signed_at is not None and key.last_error == ""
    # The check can fail: a changed body no longer verifies.
    tampered = raw.replace(b"USD 0.42/pc", b"USD 0.24/pc")
    assert not verify_message(tampered, nameserver=nsd.host, port=nsd.port).ok


def test_imported_key_signs_for_the_published_test_zone(dovecot, relay, dns_server):  # noqa: F811
    pem = dns_server.keys["sel2048"].decode()
    key = dkim.import_key("good.test", "sel2048", pem)
    assert key.origin == DkimKey.Origin.IMPORTED and key.bits == 2048
    dkim.activate(key)
    raw = _send_one(dovecot, relay, f"sales-{PID}@good.test", "imported")
    result = verify_message(raw, nameserver=dns_server.host, port=dns_server.port)
    assert result.ok and result.signatures[0]["selector"] == "sel2048", result.detail


def test_unusable_key_sends_unsigned_and_says_why(dovecot, relay):
    key = dkim.create_key("broken-key.test", "s1")
    dkim.activate(key)
    DkimKey.objects.filter(pk=key.pk).update(private_key_encrypted="gAAAAA-not-a-token")
    raw = _send_one(dovecot, relay, f"li-{PID}@broken-key.test", "broken")
    assert b"DKIM-Signature" not in raw
    key.refresh_from_db()
    assert "KeyUnavailable" in key.last_error


def test_one_active_key_per_domain_and_parent_domain_signing():
    first = dkim.create_key("seller.test", "a", bits=1024)
    second = dkim.create_key("seller.test", "b", bits=1024)
    dkim.activate(first)
    dkim.activate(second)
    assert list(DkimKey.objects.filter(active=True).values_list("selector", flat=True)) == ["b"]
    assert dkim.key_for_domain("mail.seller.test").selector == "b"  # DMARC relaxed alignment
    assert dkim.key_for_domain("other.test") is None


def test_import_refuses_bad_keys_and_names():
    with pytest.raises(dkim.KeyProblem, match="PEM"):
        dkim.import_key("seller.test", "s1", "-----BEGIN PRIVATE KEY-----\nnot base64\n")
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    with pytest.raises(dkim.KeyProblem, match="RSA"):
        dkim.import_key("seller.test", "s1", ec_pem)
    with pytest.raises(dkim.KeyProblem, match="domain"):
        dkim.create_key("not a domain", "s1")
    with pytest.raises(dkim.KeyProblem, match="selector"):
        dkim.create_key("seller.test", "bad_selector!")
    dkim.create_key("seller.test", "s1", bits=1024)
    with pytest.raises(dkim.KeyProblem, match="already"):
        dkim.create_key("seller.test", "s1", bits=1024)
    assert DkimKey.objects.count() == 1
