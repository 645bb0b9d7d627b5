"""A real authoritative DNS server (NSD) on a loopback port, serving deliverability test zones.

``NsdServer`` writes a config and zone files into a temp dir and runs ``nsd -d`` (foreground,
no root-owned paths, no privilege drop). The session fixture :func:`dns_server` serves the
zones built by :func:`build_test_zones`: good and broken SPF, DKIM, DMARC, MX, PTR records
and a DNS blocklist, all under the reserved ``.test`` TLD (RFC 2606) and TEST-NET-1
addresses 192.0.2.0/24 (RFC 5737), so nothing here can leak to the real DNS.

Use it with ``from tests.servers.dns import dns_server  # noqa: F401``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Sending IPs used by the zones.
IP_GOOD = "192.0.2.10"  # PTR mail.good.test, which resolves back: forward-confirmed
IP_MISMATCH = "192.0.2.20"  # PTR mismatch.good.test -> 192.0.2.21: not confirmed
IP_NO_PTR = "192.0.2.30"  # no PTR at all
IP_GENERIC = "192.0.2.40"  # PTR 192-0-2-40.dyn.isp.test (confirmed, but generic)
IP_LISTED = "192.0.2.66"  # listed on bl.test (127.0.0.2)
IP_REFUSED = "192.0.2.99"  # bl.test answers 127.255.255.254 ("query refused")
BL_ZONE = "bl.test"


def find_nsd() -> str | None:
    """Path of the nsd binary (Debian installs it in /usr/sbin, often not on PATH)."""
    return shutil.which("nsd") or next(
        (p for p in ("/usr/sbin/nsd", "/usr/local/sbin/nsd") if os.access(p, os.X_OK)), None
    )


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def txt(value: str) -> str:
    """A TXT rdata in master-file syntax, split into <=255-byte strings (RFC 1035 §3.3)."""
    chunks = [value[i : i + 250] for i in range(0, len(value), 250)] or [""]
    escaped = ['"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks]
    return "( " + " ".join(escaped) + " )" if len(escaped) > 1 else escaped[0]


def zone_text(origin: str, records: list[str]) -> str:
    head = [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        "@ IN SOA ns.test. hostmaster.test. ( 1 3600 600 86400 300 )",
        "@ IN NS ns.test.",
    ]
    return "\n".join(head + records) + "\n"


class NsdServer:
    """Run NSD on 127.0.0.1:<free port> with the given ``{origin: zone text}``."""

    def __init__(self, zones: dict[str, str], nsd: str | None = None):
        self.zones = zones
        self.nsd = nsd or find_nsd()
        self.host = "127.0.0.1"
        self.port = 0
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> NsdServer:
        if not self.nsd:
            raise RuntimeError("nsd is not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="tradeinbox-nsd-"))
        self.port = free_port()
        conf = [
            "server:",
            f"    ip-address: {self.host}@{self.port}",
            f"    port: {self.port}",
            '    username: ""',
            '    chroot: ""',
            f'    zonesdir: "{self.dir}"',
            f'    pidfile: "{self.dir}/nsd.pid"',
            '    database: ""',
            f'    xfrdfile: "{self.dir}/xfrd.state"',
            f'    zonelistfile: "{self.dir}/zone.list"',
            f'    xfrdir: "{self.dir}"',
            f'    logfile: "{self.dir}/nsd.log"',
            "    server-count: 1",
            "    verbosity: 1",
            "    hide-version: yes",
            "    do-ip6: no",
            "    refuse-any: yes",
            "remote-control:",
            "    control-enable: no",
        ]
        for origin, text in self.zones.items():
            fname = f"{origin}.zone"
            (self.dir / fname).write_text(text)
            conf += ["zone:", f"    name: {origin}", f'    zonefile: "{fname}"']
        conf_path = self.dir / "nsd.conf"
        conf_path.write_text("\n".join(conf) + "\n")
        self.proc = subprocess.Popen(
            [self.nsd, "-d", "-c", str(conf_path)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "stderr.log", "wb"),  # noqa: SIM115
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        import dns.message
        import dns.query

        first = next(iter(self.zones))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nsd exited {self.proc.returncode}: {self.log()}")
            try:
                query = dns.message.make_query(first, "SOA")
                reply = dns.query.udp(query, self.host, port=self.port, timeout=0.5)
                if reply.answer:
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nsd did not answer within {timeout}s: {self.log()}")

    def log(self) -> str:
        if not self.dir:
            return ""
        out = []
        for name in ("stderr.log", "nsd.log"):
            path = self.dir / name
            if path.exists():
                out.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(out)

    def resolver(self, timeout: float = 3.0):
        from tradeinbox.core.dnscheck import make_resolver

        return make_resolver(self.host, self.port, timeout)

    @property
    def nameserver(self) -> str:
        """``HOST:PORT`` as the CLI's --nameserver takes it."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class DnsTestServer:
    """What the fixture yields: the running server plus the DKIM keys it publishes."""

    server: NsdServer
    keys: dict[str, bytes] = field(default_factory=dict)  # selector -> private PEM

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def nameserver(self) -> str:
        return self.server.nameserver

    def resolver(self, timeout: float = 3.0):
        return self.server.resolver(timeout)


def _spf_lookup_chain(origin: str, total: int) -> list[str]:
    """SPF for ``origin`` needing exactly ``total`` lookups, spread over nested includes."""
    recs = []
    # top: a + mx + include:n1 + include:n2 = 4; n1: include:n3 + a = 2; n2: exists = 1;
    # n3: mx + a = 2 -> 9; then add more single a terms on n3 to reach ``total``.
    extra = " ".join(["a"] * (total - 9))
    recs.append(f"@ IN TXT {txt(f'v=spf1 a mx include:n1.{origin} include:n2.{origin} -all')}")
    recs.append(f"n1 IN TXT {txt(f'v=spf1 include:n3.{origin} a -all')}")
    recs.append(f"n2 IN TXT {txt(f'v=spf1 exists:%{{i}}.ex.{origin} -all')}")
    recs.append(f"n3 IN TXT {txt(f'v=spf1 mx a {extra} -all'.replace('  ', ' '))}")
    recs += ["@ IN A 198.51.100.1", "n1 IN A 198.51.100.2", "n3 IN A 198.51.100.3"]
    recs += [f"@ IN MX 10 mx.{origin}.", f"n3 IN MX 10 mx.{origin}.", "mx IN A 198.51.100.4"]
    return recs


def build_test_zones() -> tuple[dict[str, str], dict[str, bytes]]:
    """The test zones and the DKIM private keys (selector -> PEM) they publish."""
    from tradeinbox.core.dkimsign import dns_record, generate_key

    good_key, weak_key = generate_key(2048), generate_key(1024)
    keys = {"sel2048": good_key.private_pem, "weak1024": weak_key.private_pem}
    dmarc_good = "v=DMARC1; p=reject; adkim=s; aspf=r; rua=mailto:dmarc@good.test"
    good = [
        f"@ IN TXT {txt('v=spf1 ip4:192.0.2.0/28 include:_spf.provider.test mx -all')}",
        '@ IN TXT "google-site-verification=not-an-spf-record"',
        "@ IN MX 10 mail.good.test.",
        "@ IN MX 20 mail2.good.test.",
        "@ IN A 192.0.2.10",
        f"mail IN A {IP_GOOD}",
        "mail2 IN A 192.0.2.11",
        "mismatch IN A 192.0.2.21",
        f"_dmarc IN TXT {txt(dmarc_good)}",
        # RFC 7489 §7.1: good.test accepts aggregate reports for dmarcext.test
        f"dmarcext.test._report._dmarc IN TXT {txt('v=DMARC1')}",
        f"sel2048._domainkey IN TXT {txt(dns_record('x', 'y', good_key.public_b64).value)}",
        f"weak1024._domainkey IN TXT {txt(dns_record('x', 'y', weak_key.public_b64).value)}",
        f"revoked._domainkey IN TXT {txt('v=DKIM1; k=rsa; p=')}",
        f"garbage._domainkey IN TXT {txt('v=DKIM1; k=rsa; p=bm90IGEga2V5')}",
    ]
    zones = {
        "good.test": good,
        "provider.test": [f"_spf IN TXT {txt('v=spf1 ip4:198.51.100.0/24 ~all')}"],
        "spfmany.test": _spf_lookup_chain("spfmany.test", 12),
        "spften.test": _spf_lookup_chain("spften.test", 10),
        "spfsyntax.test": [f"@ IN TXT {txt('v=spf1 ip4:192.0.2.300 -all')}"],
        "spfplusall.test": [f"@ IN TXT {txt('v=spf1 mx +all')}", "@ IN MX 10 mail.good.test."],
        "spfnocover.test": [f"@ IN TXT {txt('v=spf1 ip4:203.0.113.0/24 -all')}"],
        "spftwo.test": [f"@ IN TXT {txt('v=spf1 -all')}", f"@ IN TXT {txt('v=spf1 mx -all')}"],
        "dmarcnone.test": [f"_dmarc IN TXT {txt('v=DMARC1; p=none; rua=mailto:d@dmarcnone.test')}"],
        "dmarcbad.test": [f"_dmarc IN TXT {txt('v=DMARC1; p=maybe; pct=100')}"],
        "dmarcpct.test": [
            f"_dmarc IN TXT {txt('v=DMARC1; p=quarantine; pct=20; rua=mailto:r@good.test')}"
        ],
        "dmarcext.test": [f"_dmarc IN TXT {txt('v=DMARC1; p=reject; rua=mailto:agg@good.test')}"],
        "nodmarc.test": ["@ IN A 192.0.2.50"],
        "nomx.test": ["@ IN A 192.0.2.50"],
        "nullmx.test": ["@ IN MX 0 ."],
        "mxbroken.test": ["@ IN MX 10 nowhere.mxbroken.test."],
        "isp.test": [f"192-0-2-40.dyn IN A {IP_GENERIC}"],
        "2.0.192.in-addr.arpa": [
            "10 IN PTR mail.good.test.",
            "20 IN PTR mismatch.good.test.",
            "40 IN PTR 192-0-2-40.dyn.isp.test.",
        ],
        BL_ZONE: [
            "66.2.0.192 IN A 127.0.0.2",
            f"66.2.0.192 IN TXT {txt('Listed for testing: spam trap hits')}",
            "99.2.0.192 IN A 127.255.255.254",
            "2.0.0.127 IN A 127.0.0.2",  # RFC 5782 §5 test point
        ],
        "bl2.test": [],
    }
    return {origin: zone_text(origin, recs) for origin, recs in zones.items()}, keys


@pytest.fixture(scope="session")
def dns_server():
    """Session-wide NSD serving :func:`build_test_zones`; skips if nsd is not installed."""
    if not find_nsd():
        pytest.skip("nsd is not installed (Debian package 'nsd')")
    zones, keys = build_test_zones()
    server = NsdServer(zones).start()
    try:
        yield DnsTestServer(server, keys)
    finally:
        server.stop()
