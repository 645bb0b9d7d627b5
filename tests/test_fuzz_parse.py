"""Property-based fuzzing of parse -> dedupe -> store on structured mutations of real mail.

Random bytes rarely get past the first header line; hostile mail is *almost*
valid. So the strategies below start from real messages (built-in samples, plus
the shared corpora when present) and apply the mutations attackers and broken
mailers produce: injected and folded headers with CR/LF/NUL, encoded words with
bad charsets or base64, wrong or missing MIME boundaries, bogus charset names and
transfer encodings, deep nesting, truncation and byte flips.

Properties, for every mutated message:
* ``parse_message`` returns or raises :class:`NotAnEmail`, nothing else;
* parse + dedupe take under a second (bench/fuzz_parser.py runs millions of these);
* the raw bytes survive: ``sha256``/``raw_size`` describe exactly the input, and
  the blob store gives the same bytes back;
* attachment metadata is consistent and file names are safe.

Crashes found by bench/fuzz_parser.py are kept under tests/fixtures/fuzz_regressions/
and replayed by :func:`test_fuzz_regressions`.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from tradeinbox.core.blobstore import BlobStore
from tradeinbox.core.dedupe import dedupe_key
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.parse import NotAnEmail, parse_message

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("TRADEINBOX_CORPORA", REPO.parent / "shared" / "corpora"))
REGRESSIONS = REPO / "tests" / "fixtures" / "fuzz_regressions"
TIME_BOUND = 1.0  # seconds per message, parse + dedupe (issue 11)
# Permissively licensed corpora only (see each SOURCE.md): seeds, never copied.
SEED_CORPORA = ("spamassassin_public", "sisimai_bounces", "flufl_bounce", "enron_maildir_sample")

BUILTIN_SEEDS = [
    b"From: Li Wei <li.wei@factory.example>\r\nTo: ana@buyer.example\r\n"
    b"Subject: =?UTF-8?B?5oql5Lu35Y2V?= quotation\r\nDate: Mon, 2 Mar 2026 09:30:00 +0800\r\n"
    b"Message-ID: <q1@factory.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'
    b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n--inner\r\n'
    b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"xOO6w6Osx+u3osvNsajfvLWl\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Dear Ana, price =E2=82=AC12</p>"
    b'<img src=3D"cid:logo@x">\r\n--inner--\r\n--outer\r\nContent-Type: application/pdf; '
    b'name="=?utf-8?q?quote_2026.pdf?="\r\nContent-Disposition: attachment; '
    b"filename*=UTF-8''%E6%8A%A5%E4%BB%B7.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERi0xLjQKJSVFT0YK\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: a@b.example\r\nSubject: inner\r\n\r\ninner body\r\n--outer--\r\n",
    b"Return-Path: <>\r\nReceived: from mx.example ([192.0.2.1]) by mail.example;"
    b" Mon, 2 Mar 2026 09:30:00 +0000\r\nFrom: MAILER-DAEMON@mail.example\r\n"
    b"To: sales@factory.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n\r\n"
    b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--b1\r\n"
    b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example\r\n\r\n"
    b"Final-Recipient: rfc822; x@buyer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"\r\n--b1--\r\n",
    b"From: =?iso-2022-jp?B?GyRCJTUlJCVIGyhC?= <jp@example.jp>\nTo: a@b.example\n"
    b"Subject: plain\nContent-Type: text/plain; charset=iso-2022-jp\n\n"
    b"\x1b$B$3$s$K$A$O\x1b(B\n",
]


def _load_corpus_seeds(limit_per_corpus: int = 25) -> list[bytes]:
    seeds: list[bytes] = []
    for name in SEED_CORPORA:
        folder = CORPORA / name
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SOURCE.md")
        step = max(1, len(files) // limit_per_corpus)
        for path in files[::step][:limit_per_corpus]:
            data = path.read_bytes()
            if 0 < len(data) <= 200_000:
                seeds.append(data)
    return seeds


CORPUS_SEEDS = _load_corpus_seeds()

# -- mutations ---------------------------------------------------------------------------------

CHARSETS = [
    "utf-8", "UTF-8", "gb2312", "gbk", "gb18030", "big5", "shift_jis", "iso-2022-jp",
    "euc-kr", "koi8-r", "windows-1251", "iso-8859-1", "utf-7", "utf-16", "utf-32",
    "x-unknown", "", "utf-8\x00", "cp65001", "unicode-1-1-utf-7", "x-mac-roman", "ascii",
    '"utf-8', "utf8'en'", "a" * 300, "hz-gb-2312", "iso-8859-8-i", "\u00e9", "rot13",
    "base64", "idna", "punycode", "zlib", "bz2", "hex", "uu", "quopri",
]  # fmt: skip
ENCODINGS = [
    "base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "uuencode",
    "BASE64", "bogus", "", "base64\x00", "quoted-printable, base64",
]  # fmt: skip
HEADER_NAMES = [
    "Subject", "From", "To", "Cc", "Reply-To", "Date", "Message-ID", "References",
    "In-Reply-To", "Content-Type", "Content-Disposition", "Content-Transfer-Encoding",
    "Received", "Authentication-Results", "DKIM-Signature", "Return-Path", "List-Unsubscribe",
    "X-Header",
]  # fmt: skip
HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "=?utf-8?B?!!!not-base64?=", "=?x-bogus?Q?caf=E9?=", "=?utf-8?Q?a=ZZb?=",
            "=?utf-7?B?K0FHRUFJQS0=?=", "=?gb2312?B?" + "A" * 5000 + "?=",
            "a\r\nBcc: victim@example.com", "x\nContent-Type: text/html\n\n<script>",
            "\x00\x01\x02", "<" * 500 + "@" + ">" * 500, '"' * 101 + "@example.com",
            "multipart/mixed; boundary=", "multipart/mixed; boundary=\"\"",
            "text/plain; charset*=utf-8''%FF%FE", "attachment; filename*0*=utf-8''%2e%2e%2f",
            "Mon, 99 Foo 99999 99:99:99 +9999", "1 Jan 0001 00:00:00 -2400",
            "undisclosed-recipients:;", "a@b@c, ,,, <@route:x@y>", "()" * 400,
            "from [IPv6:::1] by x; " + "Sun, 31 Dec 9999 23:59:59 +0000",
        ]
    ),
)  # fmt: skip

_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]*)"?', re.I)


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[:at], sep, raw[at + len(sep) :]
    return raw, b"", b""


@st.composite
def inject_header(draw, raw: bytes) -> bytes:
    head, sep, body = _split(raw)
    lines = head.split(b"\n")
    name = draw(st.sampled_from(HEADER_NAMES)).encode()
    value = draw(HEADER_VALUES).encode("utf-8", "surrogatepass")
    fold = draw(st.sampled_from([b"", b"\r\n ", b"\n\t", b"\r\n\r\n", b"\n"]))
    line = name + b": " + value[: len(value) // 2] + fold + value[len(value) // 2 :]
    lines.insert(draw(st.integers(0, len(lines))), line.rstrip(b"\n"))
    return b"\n".join(lines) + (sep or b"\n\n") + body


@st.composite
def break_boundaries(draw, raw: bytes) -> bytes:
    match = _BOUNDARY.search(raw)
    if not match or not match.group(1):
        return raw
    boundary = match.group(1)
    action = draw(st.sampled_from(["drop-close", "rename", "empty", "dup", "prefix", "long"]))
    if action == "drop-close":
        return raw.replace(b"--" + boundary + b"--", b"")
    if action == "rename":
        return raw[: match.start(1)] + b"other" + raw[match.end(1) :]
    if action == "empty":
        return raw[: match.start(1)] + raw[match.end(1) :]
    if action == "dup":
        return raw.replace(b"--" + boundary, b"--" + boundary + b"\n--" + boundary)
    if action == "prefix":
        return raw.replace(b"--" + boundary + b"\r\n", b"--" + boundary[:-1] + b"\r\n", 1)
    return raw[: match.start(1)] + b"x" * 5000 + raw[match.end(1) :]


@st.composite
def swap_charsets(draw, raw: bytes) -> bytes:
    charset = draw(st.sampled_from(CHARSETS)).encode("utf-8")
    replaced = re.sub(rb"charset=\"?[\w.:-]*\"?", b"charset=" + charset, raw, flags=re.I)
    if replaced == raw:
        head, sep, body = _split(raw)
        replaced = head + b"\nContent-Type: text/plain; charset=" + charset + (sep or b"\n\n")
        replaced += body
    return replaced


@st.composite
def swap_encodings(draw, raw: bytes) -> bytes:
    encoding = draw(st.sampled_from(ENCODINGS)).encode()
    replaced = re.sub(rb"Content-Transfer-Encoding:[^\r\n]*", b"Content-Transfer-Encoding: "
                      + encoding, raw, flags=re.I)  # fmt: skip
    if replaced == raw:
        head, sep, body = _split(raw)
        replaced = head + b"\nContent-Transfer-Encoding: " + encoding + (sep or b"\n\n") + body
    return replaced


@st.composite
def nest(draw, raw: bytes) -> bytes:
    depth = draw(st.integers(1, 400))
    _head, _sep, body = _split(raw)
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (i, i) for i in range(depth)
    )
    return b"From: a@b.example\nSubject: nested\nMIME-Version: 1.0\n" + opening + b"\n" + body


@st.composite
def flip_bytes(draw, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 16))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.sampled_from([0, 10, 13, 32, 45, 58, 59, 61, 63, 0x80, 0xFF]))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        data = data.replace(b"\r\n", b"\n") if b"\r\n" in data else data.replace(b"\n", b"\r\n")
    return bytes(data)


MUTATIONS = [inject_header, break_boundaries, swap_charsets, swap_encodings, nest, flip_bytes]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    raw = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        raw = draw(draw(st.sampled_from(MUTATIONS))(raw))
    return raw


# -- the properties ------------------------------------------------------------------------------


def check_message(raw: bytes, blobs: BlobStore | None = None) -> ParsedMessage | None:
    """Parse + dedupe + store one message and assert every property; None if not an email."""
    started = time.perf_counter()
    try:
        parsed = parse_message(raw)
    except NotAnEmail:
        return None
    key = dedupe_key(raw, parsed.message_id)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"{elapsed:.2f}s for {len(raw)} bytes"
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert parsed.sha256 == hashlib.sha256(raw).hexdigest() and parsed.raw_size == len(raw)
    assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
    assert all(isinstance(n, str) and isinstance(v, str) for n, v in parsed.headers)
    for attachment in parsed.attachments:
        assert attachment.size == len(attachment.data)
        assert attachment.sha256 == hashlib.sha256(attachment.data).hexdigest()
        assert attachment.filename and not re.search(r"[\x00-\x1f\x7f/\\]", attachment.filename)
    if blobs is not None:
        digest = blobs.put(raw, parsed.sha256)
        assert digest == parsed.sha256 and blobs.get(digest) == raw
    return parsed


@pytest.fixture(scope="module")
def blobs(tmp_path_factory) -> BlobStore:
    return BlobStore(tmp_path_factory.mktemp("fuzz-blobs"))


def test_builtin_seeds_parse():
    for raw in BUILTIN_SEEDS:
        assert check_message(raw) is not None


FUZZ = settings(
    max_examples=int(os.environ.get("TRADEINBOX_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(raw=mutated(BUILTIN_SEEDS))
def test_mutated_builtin_messages(raw, blobs):
    check_message(raw, blobs)


@pytest.mark.corpora
@FUZZ
@given(data=st.data())
def test_mutated_corpus_messages(data, blobs):
    if not CORPUS_SEEDS:
        pytest.skip(f"no seed corpora under {CORPORA}")
    check_message(data.draw(mutated(CORPUS_SEEDS)), blobs)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw):
    check_message(raw)


def test_not_an_email_is_the_only_refusal():
    for raw in (b"", b"\x00\x01", b"%PDF-1.4\n", b"just text, no headers\n", b"\n\n\n"):
        with pytest.raises(NotAnEmail):
            parse_message(raw)


def test_mutators_really_mutate():
    """The strategies must change what they touch, or the fuzzing above tests nothing."""
    seed = BUILTIN_SEEDS[0]
    for strategy in (inject_header, break_boundaries, swap_charsets, swap_encodings, nest):
        assert find(strategy(seed), lambda raw, seed=seed: raw != seed) != seed


def _regressions() -> list[Path]:
    if not REGRESSIONS.is_dir():
        return []
    return sorted(p for p in REGRESSIONS.iterdir() if p.suffix == ".eml")


@pytest.mark.parametrize("path", _regressions(), ids=lambda p: p.name)
def test_fuzz_regressions(path):
    """Inputs that once crashed or hung the parser (found by bench/fuzz_parser.py)."""
    check_message(path.read_bytes())
