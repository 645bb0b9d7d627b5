"""Real mail servers on loopback for the mailbox tests: Dovecot, an SMTP relay, a TCP proxy.

* :class:`DovecotServer` writes a config into a temp dir (``base_dir``, passwd-file users,
  Maildir homes) and runs ``dovecot -F -c CONF`` with IMAP (plain + STARTTLS), IMAPS and
  LMTP listeners on free 127.0.0.1 ports. Nothing root-owned is touched. Run as root, the
  mail user is Debian's ``dovecot`` account (Dovecot refuses UID 0 for mail); otherwise the
  current user runs everything.
* :class:`SmtpRelay` is an aiosmtpd server (plain + STARTTLS port, implicit-TLS port) that
  authenticates against the same users and hands every accepted message to Dovecot's LMTP,
  so a sent message lands in the recipient's real mailbox. Faults can be injected per
  command: ``relay.fail("RCPT", 451, "4.3.0 try later")``, or a pause before the reply to
  the end of DATA (for kill -9 tests).
* :class:`TcpProxy` forwards a port and can cut every connection, now or after a number of
  bytes, to test reconnects.

Use with ``from tests.servers.mail import dovecot, smtp_relay, mail_user  # noqa: F401``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import pwd
import random
import select
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOMAIN = "example.test"  # RFC 2606: never a real domain
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# -- a throwaway certificate authority ------------------------------------------------


@dataclass
class TestCA:
    """A CA and a server certificate for ``localhost`` / 127.0.0.1, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_test_ca(directory: Path) -> TestCA:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tradeinbox test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    ca = TestCA(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.ca_file.write_bytes(ca_cert.public_bytes(pem))
    ca.cert_file.write_bytes(cert.public_bytes(pem))
    ca.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(ca.key_file, 0o600)
    return ca


# -- Dovecot ---------------------------------------------------------------------------

_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = tradeinbox-test-{imap_port}
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
shutdown_clients = yes
maildir_very_dirty_syncs = yes
postmaster_address = postmaster@{domain}
default_internal_user = {internal_user}
default_login_user = {login_user}
{extra_users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 200
  imap_idle_notify_interval = 1 secs
}}
"""


class DovecotServer:
    """One Dovecot instance with its own config, users and Maildirs under a temp dir."""

    def __init__(self, ca: TestCA | None = None) -> None:
        self.binary = find_dovecot()
        self.root = Path(tempfile.mkdtemp(prefix="tradeinbox-dovecot-"))
        # Login processes run as another user and must reach base_dir.
        os.chmod(self.root, 0o755)
        self.ca = ca or make_test_ca(self.root / "tls")
        self.host = "127.0.0.1"
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.lmtp_port = free_port()
        self.users: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
            internal, login, extra = "dovecot", "dovenull", ""
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self.uid).pw_name
            internal = login = me
            extra = "\n".join(
                f"service {s} {{\n  user = {me}\n}}"
                for s in ("auth", "auth-worker", "dict", "stats", "imap-login", "lmtp")
            )
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        (self.root / "users").write_text("")
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(
            _CONF.format(
                root=self.root,
                cert=self.ca.cert_file,
                key=self.ca.key_file,
                domain=DOMAIN,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                lmtp_port=self.lmtp_port,
                internal_user=internal,
                login_user=login,
                extra_users=extra,
            )
        )

    # -- lifecycle ---------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> DovecotServer:
        if not self.binary:
            raise RuntimeError(
                "dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
            )
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "ab"),  # noqa: SIM115
        )
        for port in (self.imap_port, self.imaps_port, self.lmtp_port):
            wait_port(port, timeout, self.proc)
        return self

    def _children(self) -> list[int]:
        """PIDs of the processes this Dovecot's master started (imap, lmtp, auth ...)."""
        if not self.proc:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The field after the parenthesised command name: state, then the parent PID.
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and fields[1] == str(self.proc.pid):
                found.append(int(entry.name))
        return found

    def stop(self) -> None:
        children = self._children()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        # Client processes (an imap session) may outlive the master: a real restart or
        # crash drops their connections, so end them too.
        for pid in children:
            try:
                os.kill(pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None
        # The master pid file outlives a killed master; a stale one blocks the restart.
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        parts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    # -- users and mailboxes --------------------------------------------------------

    def home(self, user: str) -> Path:
        return self.root / "mail" / user

    def add_user(self, user: str, password: str) -> None:
        """Add a passwd-file user; Dovecot re-reads the file when it changes."""
        self.users[user] = password
        home = self.home(user)
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, self.uid, self.gid)
        lines = [
            f"{name}:{{PLAIN}}{secret}:{self.uid}:{self.gid}::{self.home(name)}::"
            for name, secret in self.users.items()
        ]
        path = self.root / "users"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, path)
        # passwd-file re-reads the file when its mtime changes; a second change within the
        # same second can go unseen, so wait until Dovecot itself knows the new user.
        self._mtime = max(getattr(self, "_mtime", 0) + 1, int(time.time()))
        os.utime(path, (self._mtime, self._mtime))
        if self.proc is not None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    self.doveadm("user", "-u", user)
                    return
                except RuntimeError:
                    self._mtime += 1
                    os.utime(path, (self._mtime, self._mtime))
                    time.sleep(0.1)
            raise RuntimeError(f"Dovecot does not see the new user {user}")

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.home(user) / "Maildir"
        return base if folder == "INBOX" else base / f".{folder}"

    def doveadm(self, *args: str) -> str:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        result = subprocess.run(
            [doveadm, "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def imap(self, user: str):
        """A logged-in IMAPClient for checks made by the test itself."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, self.imap_port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def deliver(self, recipient: str, raw: bytes, sender: str = f"buyer@{DOMAIN}") -> None:
        """Deliver through LMTP, as a real MTA would."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as lmtp:
            lmtp.sendmail(sender, [recipient], raw)

    def message_ids(self, user: str, folder: str = "INBOX") -> list[str]:
        """The Message-ID header of every message in a folder (duplicates kept)."""
        with self.imap(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
        out = []
        for data in found.values():
            value = data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode("ascii", "replace")
            out.append(value.partition(":")[2].strip())
        return out


# -- SMTP relay into LMTP -------------------------------------------------------------


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


# -- a TCP proxy that can cut connections ----------------------------------------------


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target; cut connections on demand or after N bytes.

    ``cut_after`` (a ``(low, high)`` byte range) makes each new connection die after a
    random number of server-to-client bytes in that range, for ``cut_connections`` new
    connections; after those the proxy forwards faithfully. Everything is bounded so a
    test can never hang on it.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", seed: int = 7) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.random = random.Random(seed)
        self.cut_after: tuple[int, int] | None = None
        self.cut_connections = 0
        self.cuts = 0
        self.connections = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            limit = None
            with self._lock:
                self.connections += 1
                if self.cut_after and self.cut_connections > 0:
                    self.cut_connections -= 1
                    limit = self.random.randint(*self.cut_after)
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, limit), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket, limit: int | None) -> None:
        sent_down = 0
        sockets = [client, upstream]
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(sockets, [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is upstream:
                        if limit is not None and sent_down + len(data) >= limit:
                            client.sendall(data[: max(0, limit - sent_down)])
                            with self._lock:
                                self.cuts += 1
                            return
                        sent_down += len(data)
                        client.sendall(data)
                    else:
                        upstream.sendall(data)
        except OSError:
            return
        finally:
            self._close_pair(client, upstream)

    def _close_pair(self, client: socket.socket, upstream: socket.socket) -> None:
        for sock in (client, upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        with self._lock:
            if (client, upstream) in self._pairs:
                self._pairs.remove((client, upstream))

    def cut_all(self) -> int:
        """Cut every open connection now; returns how many were cut."""
        with self._lock:
            pairs = list(self._pairs)
            self.cuts += len(pairs)
        for client, upstream in pairs:
            self._close_pair(client, upstream)
        return len(pairs)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self.cut_all()


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
