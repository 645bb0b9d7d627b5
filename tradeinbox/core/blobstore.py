"""A content-addressed store on disk: one file per distinct content, named by SHA-256.

Identical attachments (the same catalogue PDF sent to 500 buyers) are stored once.
Writes go to a temporary file and are renamed into place, so a crash never leaves
a half-written blob under a valid name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._made_dirs: set[str] = set()

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        # One level of 256 folders: a directory per blob prefix pair would mean a
        # mkdir for almost every new blob, and ext4 copes well with large folders.
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, sha256: str | None = None) -> str:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        parent = str(target.parent)
        if parent not in self._made_dirs:
            os.makedirs(parent, exist_ok=True)
            self._made_dirs.add(parent)
        # The temporary name is unique per process; the rename is atomic (POSIX).
        temp = f"{parent}/.tmp-{os.getpid()}-{digest}"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()
