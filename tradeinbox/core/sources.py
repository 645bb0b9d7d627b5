"""Walking mail on disk: single .eml files, folders of them, Maildir and mbox.

Everything streams: an mbox of several gigabytes is split message by message
while reading, so memory stays bounded by the largest single message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Files in a mail folder that are clearly not mail (notes, labels, archives).
NOT_MAIL_SUFFIXES = frozenset(
    {
        ".md",
        ".csv",
        ".tsv",
        ".json",
        ".py",
        ".sh",
        ".gz",
        ".zip",
        ".tar",
        ".bz2",
        ".xz",
        ".7z",
        ".rar",
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".db",
        ".sqlite3",
        ".lock",
    }
)
MAILDIR_PARTS = ("cur", "new")


@dataclass(frozen=True)
class RawMessage:
    source: str  # "path" or "path#N" for the N-th message of an mbox
    data: bytes


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / part).is_dir() for part in ("cur", "new"))


def is_mbox(path: Path) -> bool:
    """An mbox starts with a ``From `` envelope line (RFC 4155)."""
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def iter_mbox(path: Path) -> Iterator[RawMessage]:
    """Messages of an mbox file, split on ``From `` lines that follow a blank line.

    The bytes of each message are kept exactly as stored, including its own
    envelope line, so a re-import produces the same hashes.
    """
    index = 0
    current: list[bytes] = []
    previous_blank = True
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(b"From ") and previous_blank and current:
                yield RawMessage(f"{path}#{index}", _strip_separator(b"".join(current)))
                index += 1
                current = []
            current.append(line)
            previous_blank = line in (b"\n", b"\r\n")
    if current:
        yield RawMessage(f"{path}#{index}", _strip_separator(b"".join(current)))


def _strip_separator(data: bytes) -> bytes:
    # The blank line before the next "From " belongs to the mbox format, not the message.
    if data.endswith(b"\r\n\r\n"):
        return data[:-2]
    if data.endswith(b"\n\n"):
        return data[:-1]
    return data


def _read_file(path: Path) -> Iterator[RawMessage | SkippedFile]:
    try:
        if is_mbox(path):
            yield from iter_mbox(path)
        else:
            yield RawMessage(str(path), path.read_bytes())
    except OSError as exc:
        yield SkippedFile(str(path), f"cannot read: {exc.strerror or exc}")


def iter_path(path: Path | str) -> Iterator[RawMessage | SkippedFile]:
    """Every message under ``path`` (a file, a Maildir, or a folder tree), in a stable order."""
    path = Path(path)
    if path.is_file():
        yield from _read_file(path)
        return
    if not path.is_dir():
        yield SkippedFile(str(path), "no such file or folder")
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "tmp")
        folder = Path(dirpath)
        in_maildir_part = folder.name in MAILDIR_PARTS and is_maildir(folder.parent)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file_path = folder / name
            if not in_maildir_part and file_path.suffix.lower() in NOT_MAIL_SUFFIXES:
                yield SkippedFile(str(file_path), f"not a mail file ({file_path.suffix})")
                continue
            if not file_path.is_file():
                continue
            yield from _read_file(file_path)
