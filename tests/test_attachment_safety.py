"""Hostile attachments: names that escape folders or hide characters, archive bombs,
nested archives, labels that lie about the content, huge files, download headers.

Archive listing (:mod:`tradeinbox.core.archives`) is tested on archives built here
byte by byte, including an overlapping-entry zip bomb (Fifield 2019) and a
42.zip-style nest; the web part imports real RFC 5322 messages with the real
importer and downloads the attachments through the real views.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import tarfile
import time
import zipfile
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeinbox.core.archives import (
    ArchiveLimits,
    display_name,
    list_archive,
    name_flags,
    sniff_archive,
)
from tradeinbox.core.parse import parse_message

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
HOSTILE_NAMES = [
    "../../../../etc/passwd",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts",
    "/etc/shadow",
    "C:\\autoexec.bat",
    "report\x00.pdf.exe",
    "line\r\nX-Injected: 1.txt",
    "invoice\u202efdp.exe",
    "quote.pdf.exe",
    "normal/../../escape.txt",
]


def _zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def _overlapping_zip_bomb(copies: int = 200) -> bytes:
    """One deflated kernel referenced by ``copies`` central-directory entries."""
    single = _zip([("kernel.bin", b"\0" * 2_000_000)])
    eocd_at = single.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", single[eocd_at + 12 : eocd_at + 20])
    record = single[cd_offset : cd_offset + cd_size]
    name_len = struct.unpack("<H", record[28:30])[0]
    records = []
    for i in range(copies):
        # Same local header offset for every entry, different (same-length) names.
        name = f"k{i:08d}.bin"[:name_len].ljust(name_len, "x").encode()
        records.append(record[:46] + name + record[46 + name_len :])
    directory = b"".join(records)
    eocd = single[eocd_at:eocd_at + 22]  # fmt: skip
    eocd = eocd[:8] + struct.pack("<HHII", copies, copies, len(directory), cd_offset) + eocd[20:22]
    return single[:cd_offset] + directory + eocd


# -- member names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../../../etc/passwd", "path-traversal"),
        ("..\\..\\Windows\\win.ini", "path-traversal"),
        ("normal/../../escape.txt", "path-traversal"),
        ("/etc/shadow", "absolute-path"),
        ("C:\\autoexec.bat", "absolute-path"),
        ("report\x00.pdf", "control-characters"),
        ("invoice\u202efdp.exe", "bidi-override"),
        ("quote.pdf.exe", "double-extension"),
        ("setup.SCR", "executable"),
    ],
)
def test_name_flags(name, expected):
    assert expected in name_flags(name)


def test_ordinary_names_are_not_flagged():
    for name in ("报价单 2026.pdf", "photos/IMG_0001.jpg", "a..b.txt", "v1.2.3/readme.md"):
        assert name_flags(name) == (), name


def test_display_name_shows_hidden_characters():
    assert display_name("a\x00b\r\n") == "a\\x00b\\x0d\\x0a"
    assert "<U+202E>" in display_name("invoice\u202efdp.exe")


# -- archives ---------------------------------------------------------------------------


def test_zip_with_hostile_names_is_listed_and_flagged():
    data = _zip([(name, b"x") for name in HOSTILE_NAMES] + [("fine.txt", b"ok")])
    listing = list_archive(data, "evil.zip")
    assert listing.format == "zip"
    assert len(listing.entries) == len(HOSTILE_NAMES) + 1
    rules = {e.rule for e in listing.evidence}
    assert {"archive.traversal", "archive.absolute_path", "archive.bidi_name"} <= rules
    assert "archive.executable" in rules
    fine = [e for e in listing.entries if e.name == "fine.txt"]
    assert fine and fine[0].flags == ()
    for entry in listing.entries:
        assert not re.search(r"[\x00-\x1f\u202e]", entry.display_name)


def test_high_ratio_zip_is_a_bomb_and_never_unpacked():
    data = _zip([("zeros.bin", b"\0" * 30_000_000)])
    assert len(data) < 100_000
    started = time.perf_counter()
    listing = list_archive(data, "zeros.zip")
    assert time.perf_counter() - started < 0.5
    assert listing.is_bomb
    assert listing.entries[0].size == 30_000_000
    assert "high-ratio" in listing.entries[0].flags


def test_overlapping_entry_zip_bomb_is_detected():
    data = _overlapping_zip_bomb(200)
    started = time.perf_counter()
    listing = list_archive(data, "overlap.zip")
    assert time.perf_counter() - started < 0.5
    assert "archive.bomb.overlap" in {e.rule for e in listing.evidence}
    assert listing.declared_total == 200 * 2_000_000


def test_entry_count_is_bounded():
    data = _zip([(f"f{i}.txt", b"") for i in range(300)], zipfile.ZIP_STORED)
    listing = list_archive(data, limits=ArchiveLimits(max_entries=50))
    assert len(listing.entries) == 50 and listing.truncated


def _nest(levels: int, fanout: int) -> bytes:
    """42.zip in miniature: every level holds ``fanout`` copies of the level below."""
    data = _zip([("payload.bin", b"\0" * 1_000_000)])
    for level in range(levels):
        data = _zip([(f"l{level}-{i}.zip", data) for i in range(fanout)])
    return data


def test_nested_archives_stop_at_the_depth_bound():
    data = _nest(levels=6, fanout=4)
    started = time.perf_counter()
    listing = list_archive(data, "42.zip", ArchiveLimits(max_depth=2))
    assert time.perf_counter() - started < 1.0
    containers = {entry.container.count("/") for entry in listing.entries if entry.container}
    assert max(containers) == 1  # top (depth 0), then two levels below it
    assert "archive.nested_depth" in {e.rule for e in listing.evidence}
    # Without nesting allowed only the top level is listed.
    top = list_archive(data, "42.zip", ArchiveLimits(max_depth=0))
    assert len(top.entries) == 4 and all(e.container == "" for e in top.entries)


def test_nested_archive_read_is_bounded():
    inner = _zip([("big.bin", bytes(range(256)) * 20_000)], zipfile.ZIP_STORED)
    outer = _zip([("inner.zip", inner)])
    listing = list_archive(outer, limits=ArchiveLimits(max_nested_bytes=1_000_000))
    assert "archive.nested_large" in {e.rule for e in listing.evidence}
    assert [e.name for e in listing.entries] == ["inner.zip"]
    opened = list_archive(outer)
    assert [e.name for e in opened.entries] == ["inner.zip", "big.bin"]
    assert opened.entries[1].container == "inner.zip"


def test_tar_links_devices_and_traversal():
    link = tarfile.TarInfo("innocent")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    device = tarfile.TarInfo("dev/sda")
    device.type = tarfile.BLKTYPE
    data = _tar([link, device, ("../../.bashrc", b"rm -rf ~"), ("ok.txt", b"fine")])
    listing = list_archive(data, "x.tar")
    assert listing.format == "tar"
    by_name = {e.name: e for e in listing.entries}
    assert {"link", "absolute-path"} <= set(by_name["innocent"].flags)
    assert "-> /etc/passwd" in by_name["innocent"].display_name
    assert "device" in by_name["dev/sda"].flags
    assert "path-traversal" in by_name["../../.bashrc"].flags
    assert by_name["ok.txt"].flags == ()


def test_tar_gz_bomb_is_decompressed_only_up_to_the_bound():
    data = _tar([("zeros.bin", b"\0" * 20_000_000), ("after.txt", b"x")], mode="w:gz")
    started = time.perf_counter()
    listing = list_archive(data, "bomb.tar.gz", ArchiveLimits(max_stream_bytes=2_000_000))
    assert time.perf_counter() - started < 0.5
    assert listing.format == "tar+gzip"
    assert "archive.bomb.stream" in {e.rule for e in listing.evidence}
    assert listing.entries[0].name == "zeros.bin"
    full = list_archive(data, "bomb.tar.gz")
    assert [e.name for e in full.entries] == ["zeros.bin", "after.txt"]


def test_gzip_single_file_and_non_archives():
    import gzip

    listing = list_archive(gzip.compress(b"hello" * 10), "notes.txt.gz")
    assert [(e.name, e.size) for e in listing.entries] == [("notes.txt", 50)]
    assert list_archive(PNG).format is None
    assert sniff_archive(b"Rar!\x1a\x07\x00") == "rar"
    unlisted = list_archive(b"7z\xbc\xaf\x27\x1c" + b"\0" * 50)
    assert unlisted.entries == [] and unlisted.evidence[0].rule == "archive.unlisted"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"]),
    body=st.binary(max_size=2000),
)
def test_garbage_archives_never_raise(prefix, body):
    listing = list_archive(prefix + body, "junk")
    assert listing.format is not None


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_real_zip_never_raises(data):
    original = bytearray(_zip([("a.txt", b"hello world" * 20), ("b/c.zip", _zip([("d", b"e")]))]))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    started = time.perf_counter()
    list_archive(bytes(original), "m.zip")
    assert time.perf_counter() - started < 1.0


# -- attachments as parsed from mail --------------------------------------------------------


def _mail_with(attachments: list[tuple[str, str, bytes]], subject: str = "files") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Li Wei <li.wei@factory.example>"
    msg["To"] = "ana@buyer.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@test>"
    msg.set_content("see attached")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def _raw_name_mail(disposition_params: str) -> bytes:
    return (
        "From: a@b.example\r\nTo: c@d.example\r\nSubject: raw names\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        "body\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; {disposition_params}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"
    ).encode()


@pytest.mark.parametrize(
    "params",
    [
        'filename="../../../etc/passwd"',
        "filename*=UTF-8''..%2F..%2F.ssh%2Fauthorized_keys",
        "filename*=UTF-8''evil%00name%0D%0A.exe",
        'filename="=?UTF-8?B?Li4vLi4vZXRjL3Bhc3N3ZA==?="',  # "../../etc/passwd"
        'filename="C:\\\\Windows\\\\evil.dll"',
        'filename*0="../../"; filename*1="x.sh"',
    ],
)
def test_parsed_attachment_names_cannot_escape_or_hide(params):
    parsed = parse_message(_raw_name_mail(params))
    assert len(parsed.attachments) == 1
    name = parsed.attachments[0].filename
    assert name and "/" not in name and "\\" not in name
    assert not re.search(r"[\x00-\x1f\x7f]", name)
    assert not name.startswith(".")
    assert parsed.attachments[0].data == b"hello"


def test_declared_and_sniffed_types_are_both_kept():
    html = b"<html><body><script>alert(1)</script></body></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    parsed = parse_message(
        _mail_with(
            [
                ("photo.png", "image/png", html),
                ("logo.png", "image/png", svg),
                ("scan.pdf", "application/pdf", PNG),
                ("setup.pdf", "application/pdf", b"MZ\x90\x00" + b"\0" * 200),
            ]
        )
    )
    sniffed = [(a.declared_type, a.sniffed_type) for a in parsed.attachments]
    assert sniffed[0] == ("image/png", "text/html")
    assert sniffed[1] == ("image/png", "image/svg+xml")
    assert sniffed[2] == ("application/pdf", "image/png")
    assert sniffed[3][1] != "application/pdf"


# -- downloads through the web views --------------------------------------------------------


@pytest.fixture
def hostile_mail(db, tmp_path):
    from django.contrib.auth.models import User

    from tradeinbox.store.importer import Importer
    from tradeinbox.store.models import Message

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    big = hashlib.sha256(b"seed").digest() * (6 * 1024 * 1024 // 32)  # 6 MiB, incompressible
    files = [
        ("photo.png", "image/png", b"<html><script>alert(document.cookie)</script></html>"),
        ("logo.svg", "image/svg+xml", svg),
        ("page.xhtml", "application/xhtml+xml", b"<html xmlns='http://www.w3.org/1999/xhtml'/>"),
        ("real.png", "image/png", PNG),
        ("../../x\u202egnp.exe", "application/octet-stream", b"MZ" + b"\0" * 64),
        ("bomb.zip", "application/zip", _zip([("z", b"\0" * 5_000_000)])),
        ("big.bin", "application/octet-stream", big),
    ]
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(_mail_with(files, "hostile attachments"))
    Importer().import_paths([folder])
    user = User.objects.create_user("sales", password="correct horse battery")
    message = Message.objects.get(subject="hostile attachments")
    return message, user, {name: data for name, _mime, data in files}


def _download(client, message, position: int, inline: bool):
    from django.urls import reverse

    url = reverse("attachment_download", args=[message.pk, position])
    return client.get(url + ("?inline=1" if inline else ""))


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.django_db
@pytest.mark.parametrize("inline", [False, True])
def test_downloads_never_render_active_content(client, hostile_mail, inline):
    message, user, _files = hostile_mail
    client.force_login(user)
    attachments = list(message.attachments.order_by("position"))
    assert len(attachments) == 7
    for attachment in attachments:
        response = _download(client, message, attachment.position, inline)
        assert response.status_code == 200, attachment.filename
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        disposition = response["Content-Disposition"]
        assert not re.search(r"[\r\n\x00]", disposition)
        quoted = re.search(r'filename="([^"]*)"', disposition).group(1)
        assert "/" not in quoted and "\\" not in quoted and ".." not in quoted.strip(".")
        if inline and attachment.sniffed_type == "image/png":
            assert response["Content-Type"] == "image/png"
            assert disposition.startswith("inline;")
        else:
            # HTML labelled as PNG, SVG, XHTML and programs are downloads, never documents.
            assert disposition.startswith("attachment;"), attachment.filename
            assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.django_db
def test_huge_attachment_downloads_intact(client, hostile_mail):
    message, user, files = hostile_mail
    client.force_login(user)
    attachment = message.attachments.get(filename="big.bin")
    response = _download(client, message, attachment.position, False)
    body = _body(response)
    assert int(response["Content-Length"]) == len(files["big.bin"]) == len(body)
    assert hashlib.sha256(body).hexdigest() == attachment.sha256


@pytest.mark.django_db
def test_huge_attachment_is_streamed(client, hostile_mail):
    message, user, _files = hostile_mail
    client.force_login(user)
    attachment = message.attachments.get(filename="big.bin")
    assert _download(client, message, attachment.position, False).streaming


@pytest.mark.slow
def test_raw_mail_with_huge_attachment_parses_within_bounds():
    import base64

    big = hashlib.sha256(b"x").digest() * (32 * 1024 * 1024 // 32)  # 32 MiB
    raw = (
        b"From: a@b.example\r\nSubject: huge\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
        b'Content-Type: application/octet-stream; name="huge.iso"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(big).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )
    started = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - started < 20
    assert parsed.attachments[0].size == len(big)
    assert parsed.attachments[0].sha256 == hashlib.sha256(big).hexdigest()
