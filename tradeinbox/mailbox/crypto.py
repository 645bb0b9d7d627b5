"""Mailbox passwords encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

Where the key comes from, first match wins:

1. ``TRADEINBOX_ENCRYPTION_KEY``: one Fernet key, or several separated by commas (the first
   encrypts, all decrypt: rotate by putting the new key first, then re-save accounts).
2. ``TRADEINBOX_SECRET_KEY_FILE``: a file holding such keys, one per line.
3. ``DATA_DIR/secret.key``, created on first use with mode 0600 (``O_EXCL``, so two
   processes starting together agree on one key).

The database holds only tokens; a stolen database without the key reveals no password.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyUnavailable(RuntimeError):
    """The stored password cannot be decrypted with the configured key(s)."""


def key_file_path() -> Path:
    explicit = os.environ.get("TRADEINBOX_SECRET_KEY_FILE")
    if explicit:
        return Path(explicit).expanduser()
    from django.conf import settings

    return Path(settings.TRADEINBOX["DATA_DIR"]) / "secret.key"


def _create_key_file(path: Path) -> None:
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def _keys() -> list[bytes]:
    from_env = os.environ.get("TRADEINBOX_ENCRYPTION_KEY", "").strip()
    if from_env:
        return [k.strip().encode() for k in from_env.split(",") if k.strip()]
    path = key_file_path()
    if not path.exists():
        if os.environ.get("TRADEINBOX_SECRET_KEY_FILE"):
            raise KeyUnavailable(
                f"the key file {path} named by TRADEINBOX_SECRET_KEY_FILE is missing"
            )
        _create_key_file(path)
    lines = path.read_bytes().split()
    if not lines:
        raise KeyUnavailable(f"the key file {path} is empty")
    return lines


@lru_cache(maxsize=4)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise KeyUnavailable(f"the encryption key is not a valid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(_keys()))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise KeyUnavailable(
            "the saved password cannot be read with this installation's key "
            "(was secret.key replaced?); enter the password again"
        ) from None
