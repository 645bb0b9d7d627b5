"""A real Dovecot on loopback for the mailbox tests, plus the loopback helpers it needs.

:class:`DovecotServer` writes a config into a temp dir (``base_dir``, passwd-file users,
Maildir homes) and runs ``dovecot -F -c CONF`` with IMAP (plain + STARTTLS), IMAPS and
LMTP listeners on free 127.0.0.1 ports. Nothing root-owned is touched. Run as root, the
mail user is Debian's ``dovecot`` account (Dovecot refuses UID 0 for mail); otherwise the
current user runs everything. :func:`make_test_ca` makes the throwaway certificates it
(and the SMTP relay) serve.

Tests use it through the fixtures in :mod:`tests.servers.mail`.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOMAIN = "example.test"  # RFC 2606: never a real domain


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
