"""DKIM keys kept encrypted, the record to publish, and signing at send time.

The outbox calls :func:`sign_outgoing` (through ``outbox.dkim_sign_hook``) just before a
message goes to the SMTP server: signing then, not at compose time, means a key
activated later still covers mail waiting in the outbox, and a rescheduled message (its
Date header rewritten) is signed as it is really sent.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction

from tradeinbox.core.dkimsign import DnsTxtRecord, dns_record, generate_key, public_key_b64
from tradeinbox.core.dkimsign import sign_message as dkim_sign
from tradeinbox.mailbox.crypto import encrypt
from tradeinbox.outbound.models import DkimKey

log = logging.getLogger(__name__)
_SELECTOR = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$"
)


class KeyProblem(ValueError):
    """A key cannot be saved: bad domain/selector, unreadable or weak PEM."""


def _check_names(domain: str, selector: str) -> tuple[str, str]:
    domain = domain.strip().rstrip(".").lower()
    selector = selector.strip().lower()
    if not _DOMAIN.match(domain):
        raise KeyProblem(f"“{domain}” is not a domain name")
    if not _SELECTOR.match(selector):
        raise KeyProblem(f"“{selector}” is not a valid selector (letters, digits, hyphens, dots)")
    if DkimKey.objects.filter(domain=domain, selector=selector).exists():
        raise KeyProblem(f"{selector}._domainkey.{domain} already has a key here")
    return domain, selector


def create_key(domain: str, selector: str, *, bits: int = 2048, user=None) -> DkimKey:
    """Generate an RSA key (2048 bits by default) and store it encrypted, inactive."""
    domain, selector = _check_names(domain, selector)
    if bits not in (1024, 2048, 3072, 4096):
        raise KeyProblem("choose 2048 bits (or 1024/3072/4096)")
    key = generate_key(bits)
    return DkimKey.objects.create(
        domain=domain,
        selector=selector,
        private_key_encrypted=encrypt(key.private_pem.decode("ascii")),
        public_key=key.public_b64,
        bits=key.bits,
        origin=DkimKey.Origin.GENERATED,
        created_by=user,
    )


def import_key(domain: str, selector: str, pem: str, *, user=None) -> DkimKey:
    """Store an existing RSA private key (PEM, unencrypted PKCS#1 or PKCS#8)."""
    domain, selector = _check_names(domain, selector)
    data = pem.strip().encode("ascii", "replace")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyProblem(
            "the text is not an unencrypted PEM private key "
            "(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem("only RSA keys are supported for DKIM signing here")
    if key.key_size < 1024:
        raise KeyProblem(f"{key.key_size}-bit keys are refused by receivers (RFC 8301)")
    normalised = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DkimKey.objects.create(
        domain=domain,
        selector=selector,
        private_key_encrypted=encrypt(normalised.decode("ascii")),
        public_key=public_key_b64(normalised),
        bits=key.key_size,
        origin=DkimKey.Origin.IMPORTED,
        created_by=user,
    )


def record_for(key: DkimKey) -> DnsTxtRecord:
    """The TXT record to publish for ``key``."""
    return dns_record(key.selector, key.domain, key.public_key)


@transaction.atomic
def activate(key: DkimKey) -> None:
    """Sign the domain's mail with ``key`` from now on (the previous key stops signing)."""
    DkimKey.objects.filter(domain=key.domain, active=True).exclude(pk=key.pk).update(active=False)
    DkimKey.objects.filter(pk=key.pk).update(active=True, last_error="")


def deactivate(key: DkimKey) -> None:
    DkimKey.objects.filter(pk=key.pk).update(active=False)


def _from_domain(raw: bytes) -> str:
    head = BytesHeaderParser(policy=compat32).parsebytes(raw)
    found = getaddresses([str(v) for v in head.get_all("From") or []])
    address = next((a for _n, a in found if "@" in a), "")
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def key_for_domain(domain: str) -> DkimKey | None:
    """The active key of ``domain``, or of a parent domain (DMARC relaxed alignment)."""
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    keys = {k.domain: k for k in DkimKey.objects.filter(domain__in=candidates, active=True)}
    return next((keys[c] for c in candidates if c in keys), None)


def sign_outgoing(raw: bytes) -> bytes:
    """``raw`` with a DKIM-Signature when its From domain has an active key, else unchanged.

    A key that cannot be used (encryption key replaced, corrupt row) must not stop mail:
    the message goes unsigned and the key row shows the error on the DKIM page.
    """
    domain = _from_domain(raw)
    if not domain:
        return raw
    key = key_for_domain(domain)
    if key is None:
        return raw
    try:
        signed = dkim_sign(
            raw, selector=key.selector, domain=key.domain, private_pem=key.private_pem()
        )
    except Exception as exc:  # noqa: BLE001 - KeyUnavailable, a corrupt key ...: see docstring
        log.warning("DKIM signing with %s failed: %s", key, exc)
        DkimKey.objects.filter(pk=key.pk).update(last_error=f"{type(exc).__name__}: {exc}"[:500])
        return raw
    DkimKey.objects.filter(pk=key.pk).update(last_signed_at=datetime.now(UTC), last_error="")
    return signed
