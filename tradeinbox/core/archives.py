"""Listing what is inside an attached archive, without ever unpacking it blindly.

Archives are a favourite carrier of hostile mail: a ``.zip`` with an ``.exe``
behind a ``.pdf`` name, names with ``../`` that escape a folder when someone
extracts them (the "Zip Slip" class), a right-to-left override that turns
``invoice\u202efdp.exe`` into "invoiceexe.pdf" on screen, symlinks in a tar,
and decompression bombs (42.zip: nested layers; Fifield's overlapping-entry
zip, 2019: one compressed stream referenced by thousands of entries).

:func:`list_archive` reads only metadata: the zip central directory
(APPNOTE.TXT section 4.3.12) or tar headers (POSIX.1-2001 ustar/pax). Nothing is
decompressed except (a) a compressed tar stream, read through a bounded
decompressor, and (b) a nested archive, read only up to
``ArchiveLimits.max_nested_bytes`` and only to ``max_depth`` levels. Every
finding is an :class:`~tradeinbox.core.evidence.Evidence` so the UI can say why.
Pure Python, no Django.
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field

from tradeinbox.core.evidence import Evidence

# Extensions that run code when double-clicked on a common desktop.
EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe", "scr", "com", "pif", "bat", "cmd", "msi", "msp", "dll", "cpl", "js", "jse",
        "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "lnk", "jar", "reg", "iso", "img",
        "vhd", "vhdx", "application", "appref-ms", "scf", "url", "chm", "xll", "sh", "app",
        "apk", "docm", "xlsm", "pptm", "one",
    }
)  # fmt: skip
ARCHIVE_EXTENSIONS = ("zip", "tar", "tgz", "tar.gz", "gz", "tbz2", "tar.bz2", "txz", "tar.xz")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Bidirectional overrides and isolates (Unicode TR #9): they reorder how a name
# is displayed, the classic "right-to-left override" extension spoof.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ArchiveLimits:
    """How far listing may go. The defaults keep one listing well under a second."""

    max_entries: int = 1000  # entries reported per archive level
    max_depth: int = 2  # nested archives opened below the top one (0: none)
    max_nested_bytes: int = 8 * 1024 * 1024  # bytes read from one nested archive
    max_stream_bytes: int = 64 * 1024 * 1024  # bytes decompressed from a .tar.gz/.bz2/.xz
    max_ratio: float = 100.0  # declared size / compressed size above this is a bomb sign
    max_total_bytes: int = 1024 * 1024 * 1024  # declared unpacked total above this: bomb


@dataclass(frozen=True)
class ArchiveEntry:
    """One member. ``name`` is as stored; ``display_name`` is safe to show."""

    name: str
    display_name: str
    size: int | None  # declared uncompressed size (zip/tar headers can lie)
    compressed_size: int | None
    is_dir: bool
    container: str  # "" for the top archive, else "inner.zip" or "a.zip/b.tar"
    flags: tuple[str, ...] = ()


@dataclass
class ArchiveListing:
    """What :func:`list_archive` found. ``format`` is None when the bytes are no archive."""

    format: str | None
    entries: list[ArchiveEntry] = field(default_factory=list)
    truncated: bool = False
    declared_total: int = 0
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def flagged(self) -> list[ArchiveEntry]:
        return [entry for entry in self.entries if entry.flags]

    @property
    def is_bomb(self) -> bool:
        return any(e.rule.startswith("archive.bomb") for e in self.evidence)


def sniff_archive(data: bytes) -> str | None:
    """The archive format by magic number (not by the sender's file name)."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh":
        return "bzip2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if len(data) >= 262 and data[257:262] == b"ustar":
        return "tar"
    if data[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if data[:4] == b"Rar!":
        return "rar"
    return None


def display_name(name: str) -> str:
    """``name`` with control and bidi characters made visible, so nothing hides on screen."""
    name = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", name)[:500]


def name_flags(name: str) -> tuple[str, ...]:
    """Why a member name is dangerous: traversal, absolute path, hidden characters, code."""
    flags: list[str] = []
    parts = re.split(r"[\\/]+", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        flags.append("absolute-path")
    if ".." in parts:
        flags.append("path-traversal")
    if _CONTROL.search(name):
        flags.append("control-characters")
    if _BIDI.search(name):
        flags.append("bidi-override")
    base = parts[-1].lower().rstrip(". ")
    pieces = base.split(".")
    if len(pieces) > 1 and pieces[-1] in EXECUTABLE_EXTENSIONS:
        flags.append("executable")
        if len(pieces) > 2 and len(pieces[-2]) <= 4 and pieces[-2].isalnum():
            flags.append("double-extension")  # "invoice.pdf.exe"
    return tuple(flags)


def list_archive(
    data: bytes, filename: str = "", limits: ArchiveLimits | None = None
) -> ArchiveListing:
    """List an archive's members with safety flags; never raises on hostile bytes."""
    limits = limits or ArchiveLimits()
    fmt = sniff_archive(data)
    listing = ArchiveListing(format=fmt)
    if fmt is None:
        return listing
    _list_into(listing, data, fmt, filename, "", 0, limits)
    if listing.declared_total > limits.max_total_bytes:
        listing.evidence.append(
            Evidence(
                "archive.bomb.total",
                0.9,
                f"declares {listing.declared_total} bytes unpacked, above the "
                f"{limits.max_total_bytes} byte bound",
            )
        )
    if any("executable" in e.flags for e in listing.entries):
        listing.evidence.append(
            Evidence("archive.executable", 0.6, "contains a program or script file")
        )
    for flag, rule, weight in (
        ("path-traversal", "archive.traversal", 0.8),
        ("absolute-path", "archive.absolute_path", 0.6),
        ("bidi-override", "archive.bidi_name", 0.8),
        ("control-characters", "archive.control_name", 0.5),
        ("link", "archive.link", 0.5),
    ):
        hits = [e.display_name for e in listing.entries if flag in e.flags]
        if hits:
            listing.evidence.append(
                Evidence(rule, weight, f"{len(hits)} member(s) flagged {flag}: {hits[0]}")
            )
    return listing


def _list_into(
    listing: ArchiveListing,
    data: bytes,
    fmt: str,
    name: str,
    container: str,
    depth: int,
    limits: ArchiveLimits,
) -> None:
    try:
        if fmt == "zip":
            _list_zip(listing, data, container, depth, limits)
        elif fmt == "tar":
            _list_tar(listing, data, container, depth, limits)
        elif fmt in ("gzip", "bzip2", "xz"):
            _list_compressed(listing, data, fmt, name, container, depth, limits)
        else:
            listing.evidence.append(
                Evidence("archive.unlisted", 0.2, f"{fmt} archives cannot be listed here")
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, struct.error,
            zlib.error, lzma.LZMAError, NotImplementedError, KeyError, IndexError,
            UnicodeDecodeError, OverflowError) as exc:  # fmt: skip
        # Whatever a hostile archive does to the stdlib readers ends as a finding.
        listing.evidence.append(
            Evidence(
                "archive.damaged",
                0.3,
                f"{container or name or 'archive'}: unreadable ({type(exc).__name__})",
            )
        )


def _add(listing: ArchiveListing, entry: ArchiveEntry, limits: ArchiveLimits) -> bool:
    """Append ``entry`` unless the bound is reached; False means stop listing."""
    if len(listing.entries) >= limits.max_entries:
        listing.truncated = True
        return False
    listing.entries.append(entry)
    return True


def _list_zip(
    listing: ArchiveListing, data: bytes, container: str, depth: int, limits: ArchiveLimits
) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        _check_overlap(listing, infos, container)
        for info in infos:
            flags = list(name_flags(info.filename))
            if info.flag_bits & 0x1:
                flags.append("encrypted")
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
                flags.append("high-ratio")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                flags.append("link")  # a Unix symlink stored in a zip
            listing.declared_total += info.file_size
            entry = ArchiveEntry(
                name=info.filename,
                display_name=display_name(info.filename),
                size=info.file_size,
                compressed_size=info.compress_size,
                is_dir=info.is_dir(),
                container=container,
                flags=tuple(flags),
            )
            if not _add(listing, entry, limits):
                return
            if "high-ratio" in flags and not any(
                e.rule == "archive.bomb.ratio" for e in listing.evidence
            ):
                listing.evidence.append(
                    Evidence(
                        "archive.bomb.ratio",
                        0.9,
                        f"{entry.display_name} expands {ratio:.0f}x "
                        f"({info.compress_size} -> {info.file_size} bytes)",
                    )
                )
            if not info.is_dir() and "encrypted" not in flags and _looks_nested(info.filename):
                _descend(
                    listing,
                    lambda info=info: _bounded_zip_read(archive, info, limits),
                    info.filename,
                    container,
                    depth,
                    limits,
                )


def _check_overlap(listing: ArchiveListing, infos: list[zipfile.ZipInfo], container: str) -> None:
    """Entries whose data regions share bytes: the signature of an overlapping zip bomb."""
    offsets = sorted((info.header_offset, info.compress_size) for info in infos)
    overlaps = 0
    for (offset, size), (next_offset, _next_size) in zip(offsets, offsets[1:], strict=False):
        # 30 bytes is the fixed part of a local file header (APPNOTE 4.3.7).
        if next_offset < offset + 30 or (size and next_offset < offset + 30 + size):
            overlaps += 1
    if overlaps:
        listing.evidence.append(
            Evidence(
                "archive.bomb.overlap",
                0.95,
                f"{container or 'zip'}: {overlaps} member(s) share compressed data "
                "(overlapping-entry zip bomb)",
            )
        )


def _bounded_zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits):
    with archive.open(info) as member:
        # zipfile decompresses as it reads, so asking for n+1 bytes costs at most that.
        return member.read(limits.max_nested_bytes + 1)


def _looks_nested(name: str) -> bool:
    return name.lower().endswith(tuple("." + ext for ext in ARCHIVE_EXTENSIONS))


def _descend(listing, read, name: str, container: str, depth: int, limits: ArchiveLimits) -> None:
    path = f"{container}/{name}" if container else name
    if depth >= limits.max_depth:
        listing.evidence.append(
            Evidence(
                "archive.nested_depth",
                0.4,
                f"{display_name(path)}: nested deeper than {limits.max_depth} levels; not opened",
            )  # fmt: skip
        )
        return
    inner = read()
    if len(inner) > limits.max_nested_bytes:
        listing.evidence.append(
            Evidence(
                "archive.nested_large",
                0.3,
                f"{display_name(path)}: nested archive above {limits.max_nested_bytes} bytes; "
                "not opened",
            )
        )
        return
    fmt = sniff_archive(inner)
    if fmt is not None:
        _list_into(listing, inner, fmt, name, path, depth + 1, limits)


def _bounded_decompress(data: bytes, fmt: str, limit: int) -> tuple[bytes, bool]:
    """Decompress at most ``limit`` bytes; the flag says the output was cut there."""
    if fmt == "gzip":
        decomp = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header
        out = decomp.decompress(data, limit + 1)
    elif fmt == "bzip2":
        decomp = bz2.BZ2Decompressor()
        out = decomp.decompress(data, max_length=limit + 1)
    else:
        decomp = lzma.LZMADecompressor()
        out = decomp.decompress(data, max_length=limit + 1)
    return out[:limit], len(out) > limit


def _list_compressed(
    listing: ArchiveListing,
    data: bytes,
    fmt: str,
    name: str,
    container: str,
    depth: int,
    limits: ArchiveLimits,
) -> None:
    inner, cut = _bounded_decompress(data, fmt, limits.max_stream_bytes)
    if cut:
        listing.evidence.append(
            Evidence(
                "archive.bomb.stream",
                0.9,
                f"{display_name(name or fmt)} decompresses past {limits.max_stream_bytes} bytes "
                f"from {len(data)}; listing stopped there",
            )
        )
    if len(inner) >= 262 and inner[257:262] == b"ustar":
        listing.format = listing.format if container else f"tar+{fmt}"
        _list_tar(listing, inner, container, depth, limits, partial=cut)
        return
    # A single compressed file: its member name is the outer name minus the suffix.
    member = re.sub(r"\.(gz|bz2|xz|tgz)$", "", name, flags=re.I) or "content"
    declared = len(inner)
    if fmt == "gzip" and len(data) >= 4:
        declared = max(declared, struct.unpack("<I", data[-4:])[0])  # ISIZE, RFC 1952
    listing.declared_total += declared
    flags = list(name_flags(member))
    if cut or declared / max(1, len(data)) > limits.max_ratio and declared > 1024 * 1024:
        flags.append("high-ratio")
    _add(
        listing,
        ArchiveEntry(
            member, display_name(member), declared, len(data), False, container, tuple(flags)
        ),  # fmt: skip
        limits,
    )
    nested = sniff_archive(inner)
    if nested in ("zip", "tar") and not cut:
        _descend(listing, lambda: inner, member, container, depth, limits)


def _list_tar(
    listing: ArchiveListing,
    data: bytes,
    container: str,
    depth: int,
    limits: ArchiveLimits,
    partial: bool = False,
) -> None:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        while True:
            info = archive.next()
            if info is None:
                break
            flags = list(name_flags(info.name))
            if info.issym() or info.islnk():
                flags.append("link")
                flags.extend(f for f in name_flags(info.linkname) if f not in flags)
            if info.isdev():
                flags.append("device")
            listing.declared_total += info.size
            entry = ArchiveEntry(
                name=info.name,
                display_name=display_name(info.name)
                + (f" -> {display_name(info.linkname)}" if "link" in flags else ""),
                size=info.size,
                compressed_size=None,
                is_dir=info.isdir(),
                container=container,
                flags=tuple(flags),
            )
            if not _add(listing, entry, limits):
                return
            if info.isfile() and _looks_nested(info.name):
                start = info.offset_data
                _descend(
                    listing,
                    lambda s=start, n=info.size: data[s : s + min(n, limits.max_nested_bytes + 1)],
                    info.name,
                    container,
                    depth,
                    limits,
                )
    except tarfile.ReadError:
        if not partial:  # a cut stream ends mid-member; that is expected, not damage
            raise
