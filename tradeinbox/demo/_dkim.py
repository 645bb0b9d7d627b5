"""Demo DKIM keys (RFC 6376) that are the same on every run.

Real senders sign with secret keys; the demo needs signatures that verify and are
byte-stable, so each signing domain gets an RSA key whose primes are drawn from a
PRNG seeded with the domain name. **These keys are public by construction** and
only good for the demo: :func:`dns_txt` answers what the demo domains "publish",
so a test can check every signature with dkimpy and no network.
"""

from __future__ import annotations

import base64
import random
from functools import lru_cache

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]
_BITS = 1024  # RFC 8301 allows 1024 for verification; small keeps the build quick


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):  # Miller-Rabin; error below 4**-24 per number
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _is_probable_prime(candidate, rng):
            return candidate


@lru_cache(maxsize=64)
def private_pem(domain: str) -> bytes:
    """PKCS#1 PEM of the demo key for ``domain`` (deterministic)."""
    rng = random.Random(f"tradeinbox-demo-dkim:{domain}")
    e = 65537
    while True:
        p, q = _prime(rng, _BITS // 2), _prime(rng, _BITS // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    d = pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    )
    key = numbers.private_key()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_b64(domain: str) -> str:
    key = serialization.load_pem_private_key(private_pem(domain), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def dns_txt(name: bytes, timeout: float = 5.0) -> bytes | None:
    """A dkimpy ``dnsfunc`` answering ``<selector>._domainkey.<domain>`` for demo keys."""
    text = name.decode("ascii").rstrip(".")
    if "._domainkey." not in text:
        return None
    domain = text.split("._domainkey.", 1)[1]
    return f"v=DKIM1; k=rsa; p={public_b64(domain)}".encode()


SIGNED = (
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"mime-version",
    b"content-type",
    b"reply-to",
)


class _FixedClock:
    """Stands in for the ``time`` module inside dkimpy while signing."""

    def __init__(self, moment: float) -> None:
        self.moment = moment

    def time(self) -> float:
        return self.moment


def sign(message: bytes, domain: str, selector: str, timestamp: int) -> str:
    """The ``DKIM-Signature`` header value (folded, without the name) for ``message``.

    relaxed/relaxed canonicalization; the ``t=`` timestamp is given (the Date
    header's moment) so output is stable (dkimpy would otherwise use the clock).
    """
    present = {
        line.split(b":", 1)[0].strip().lower()
        for line in message.split(b"\n\n", 1)[0].split(b"\n")
        if line and not line[:1].isspace()
    }
    headers = [h for h in SIGNED if h in present]
    signer = dkim.DKIM(message, linesep=b"\n")
    saved, dkim.time = dkim.time, _FixedClock(timestamp)
    try:
        signature = signer.sign(
            selector.encode(),
            domain.encode(),
            private_pem(domain),
            include_headers=headers,
            canonicalize=(b"relaxed", b"relaxed"),
        )
    finally:
        dkim.time = saved
    value = signature.decode().split(":", 1)[1].lstrip(" ")
    return value.rstrip("\n")
