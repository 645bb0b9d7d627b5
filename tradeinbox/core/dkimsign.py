"""DKIM signing for outgoing mail (RFC 6376, RFC 8301, RFC 8463).

Small, explicit helpers around dkimpy:

* :func:`generate_key` makes an RSA-2048 key pair (RFC 8301 §3.2 requires at least 1024
  bits and recommends 2048; receivers such as Gmail treat 1024 as weak).
* :func:`dns_record` gives the exact TXT record to publish at ``SELECTOR._domainkey.DOMAIN``,
  split into <=255-byte character strings as RFC 1035 §3.3.14 requires.
* :func:`sign_message` signs raw RFC 5322 bytes with relaxed/relaxed canonicalization
  (RFC 6376 §3.4.2/§3.4.4: survives the header folding and trailing-whitespace changes
  that relays commonly make) and a header list that covers what a reader sees.
* :func:`verify_message` checks every DKIM-Signature; the DNS lookup goes through a
  dnspython resolver that can point at any nameserver/port (tests use a local nsd).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import dkim
import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tradeinbox.core.dnscheck import make_resolver

#: Headers signed by default. ``from`` is listed twice ("oversigning", RFC 6376 §8.15) so
#: nobody can add a second From: after signing; subject/date/to/cc/reply-to are what
#: the recipient reads, message-id/in-reply-to/references keep threading honest, and
#: the MIME and List-Unsubscribe headers stop body/unsubscribe tampering (RFC 8058 §4
#: requires List-Unsubscribe(-Post) to be signed for one-click unsubscribe).
DEFAULT_SIGNED_HEADERS: tuple[str, ...] = (
    "from",
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
)


@dataclass(frozen=True, slots=True)
class DkimKey:
    """A key pair: PKCS#8 PEM private key and base64 DER SubjectPublicKeyInfo (the p= tag)."""

    private_pem: bytes = field(repr=False)  # never in a log line or a traceback's repr
    public_b64: str
    bits: int


@dataclass(frozen=True, slots=True)
class DnsTxtRecord:
    """A TXT record ready to publish: owner ``name`` and the character ``strings``."""

    name: str
    strings: tuple[str, ...]

    @property
    def value(self) -> str:
        """The record value as one string (what a DNS web console usually wants)."""
        return "".join(self.strings)

    def zone_line(self, ttl: int = 3600) -> str:
        """The record in RFC 1035 master-file syntax, long values split in quoted chunks."""
        quoted = " ".join(f'"{s}"' for s in self.strings)
        if len(self.strings) > 1:
            quoted = f"( {quoted} )"
        return f"{self.name}. {ttl} IN TXT {quoted}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify_message`: one entry per DKIM-Signature, newest first."""

    ok: bool
    signatures: list[dict[str, str]] = field(default_factory=list)
    detail: str = ""


def generate_key(bits: int = 2048) -> DkimKey:
    """Generate an RSA key for DKIM. ``bits`` below 1024 is refused (RFC 8301 §3.2)."""
    if bits < 1024:
        raise ValueError("RFC 8301 forbids DKIM RSA keys shorter than 1024 bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKey(private_pem, base64.b64encode(public_der).decode("ascii"), bits)


def public_key_b64(private_pem: bytes) -> str:
    """The p= value for an existing PEM private key."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def _split_txt(value: str, size: int = 255) -> tuple[str, ...]:
    """Split a TXT value into character-strings of at most ``size`` bytes (RFC 1035 §3.3)."""
    return tuple(value[i : i + size] for i in range(0, len(value), size)) or ("",)


def dns_record(
    selector: str, domain: str, public_b64: str, *, testing: bool = False
) -> DnsTxtRecord:
    """The DKIM key record (RFC 6376 §3.6.1) to publish for ``selector`` and ``domain``.

    ``testing`` adds ``t=y`` (verifiers must not treat failures differently from unsigned
    mail, useful while rolling out).
    """
    tags = ["v=DKIM1", "k=rsa"]
    if testing:
        tags.append("t=y")
    tags.append(f"p={public_b64}")
    name = f"{selector}._domainkey.{domain.rstrip('.')}"
    return DnsTxtRecord(name, _split_txt("; ".join(tags)))


def sign_message(
    raw: bytes,
    *,
    selector: str,
    domain: str,
    private_pem: bytes,
    headers: tuple[str, ...] | list[str] = DEFAULT_SIGNED_HEADERS,
    identity: str | None = None,
) -> bytes:
    """Return ``raw`` with a DKIM-Signature header prepended (rsa-sha256, relaxed/relaxed).

    Headers in ``headers`` that the message lacks are still listed in h=, which per
    RFC 6376 §5.4 makes adding them later break the signature - intended for From and
    the List-Unsubscribe pair, harmless for the rest.
    """
    message = raw if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
    signature = dkim.sign(
        message,
        selector.encode("ascii"),
        domain.rstrip(".").encode("ascii"),
        private_pem,
        identity=identity.encode("utf-8") if identity else None,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h.encode("ascii") for h in headers],
    )
    return signature + message


def make_dnsfunc(nameserver: str | None = None, port: int = 53, timeout: float = 5.0):
    """A dkimpy ``dnsfunc``: TXT lookup through a configurable dnspython resolver."""
    resolver = make_resolver(nameserver, port, timeout)

    def get_txt(name: bytes | str, timeout: float = timeout) -> bytes | None:
        qname = name.decode("ascii") if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(qname, "TXT", lifetime=timeout, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return None
        except dns.exception.Timeout as exc:
            raise dkim.DnsTimeoutError(str(exc)) from exc
        for rrset in answer.response.answer:
            for item in rrset:
                if hasattr(item, "strings"):
                    return b"".join(item.strings)
        return None

    return get_txt


def verify_message(
    raw: bytes, *, nameserver: str | None = None, port: int = 53, timeout: float = 5.0
) -> VerifyResult:
    """Verify every DKIM-Signature in ``raw``; ``ok`` only if all verify (and one exists)."""
    message = raw if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
    dnsfunc = make_dnsfunc(nameserver, port, timeout)
    checker = dkim.DKIM(message, timeout=int(timeout) or 1)
    count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    if not count:
        return VerifyResult(False, [], "message has no DKIM-Signature header")
    results: list[dict[str, str]] = []
    for idx in range(count):
        try:
            good = checker.verify(idx=idx, dnsfunc=dnsfunc)
            error = ""
        except dkim.DKIMException as exc:
            good, error = False, str(exc)
        fields = {
            k.decode(): v.decode(errors="replace") for k, v in checker.signature_fields.items()
        }
        results.append(
            {
                "domain": fields.get("d", ""),
                "selector": fields.get("s", ""),
                "result": "pass" if good else "fail",
                "keysize": str(checker.keysize or ""),
                "error": error,
            }
        )
    ok = all(r["result"] == "pass" for r in results)
    detail = "; ".join(f"d={r['domain']} s={r['selector']}: {r['result']}" for r in results)
    return VerifyResult(ok, results, detail)
