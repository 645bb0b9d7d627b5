"""Tests for tradeinbox.core.quotes (reply / quoted history separation)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeinbox.core.quotes import html_to_text, split_reply, split_reply_html

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
REPLY = "Please send the PI for 500 pcs.\n\nBest regards,\nAna"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Jan 6, 2025 at 10:00 AM John Smith <john@example.com> wrote:",
        "在 2025年1月6日 10:00，王伟 <wang@example.cn> 写道：",
        "El lun, 6 ene 2025 a las 10:00, Juan <juan@example.es> escribió:",
        "Le lun. 6 janv. 2025 à 10:00, Jean <jean@example.fr> a écrit :",
        "Am 06.01.2025 um 10:00 schrieb Hans <hans@example.de>:",
        "Em seg., 6 de jan. de 2025 às 10:00, João <joao@example.br> escreveu:",
        "Il giorno lun 6 gen 2025 alle ore 10:00 Luca <luca@example.it> ha scritto:",
        "6 янв. 2025 г., в 10:00, Иван <ivan@example.ru> написал(а):",
        "-----Original Message-----",
        "-----Ursprüngliche Nachricht-----",
        "-----Mensaje original-----",
        "------------------ 原始邮件 ------------------",
        "---------- Forwarded message ---------",
    ],
)
def test_headers_in_many_languages(header: str) -> None:
    text = f"{REPLY}\n\n{header}\nOld question about prices?\n"
    parts = split_reply(text)
    assert parts.new_text == REPLY
    assert parts.quoted_text.startswith(header.strip())
    assert "Old question" in parts.quoted_text
    assert parts.evidence


@pytest.mark.parametrize(
    "block",
    [
        "From: John <j@x.com>\nSent: Monday, January 6, 2025 10:00\nTo: Ana\nSubject: RE: PI",
        "发件人: 王伟 <wang@x.cn>\n发送时间: 2025年1月6日 10:00\n收件人: Ana\n主题: 报价",
        "De: Juan <j@x.es>\nEnviado el: lunes, 6 de enero de 2025 10:00\nPara: Ana\nAsunto: PI",
        "Von: Hans <h@x.de>\nGesendet: Montag, 6. Januar 2025 10:00\nAn: Ana\nBetreff: PI",
        "*From:* John <j@x.com>\n*Sent:* Monday, January 6, 2025\n*To:* Ana\n*Subject:* PI",
    ],
)
def test_outlook_header_blocks(block: str) -> None:
    text = f"{REPLY}\n\n________________________________\n{block}\n\nOld body\n"
    parts = split_reply(text)
    assert parts.new_text == REPLY
    assert "Old body" in parts.quoted_text
    assert parts.evidence[0].rule == "quote.outlook_block"


def test_gmail_wrapped_attribution_and_angle_quotes() -> None:
    text = (
        "Thanks, confirmed.\n\nOn Mon, Aug 26, 2019 at 4:37 PM The Hiring Engine <\n"
        "a-really-long-address@example.com> wrote:\n\n> Test\n> Respond\n"
    )
    parts = split_reply(text)
    assert parts.new_text == "Thanks, confirmed."
    assert parts.quoted_text.startswith("On Mon, Aug 26")


def test_false_positives_stay_in_the_reply() -> None:
    text = (
        "On the surface, this looks fine.\nOn average we ship in 20 days.\n"
        "The data comes From: our ERP, not From: the quote.\n"
        "The notification was sent from my iPhone app to all users.\n"
    )
    parts = split_reply(text)
    assert parts.new_text == text.rstrip()
    assert parts.quoted_text == ""


def test_inline_reply_keeps_the_answers() -> None:
    text = (
        "On Dec 15, 2024, at 2:00 PM, Jane <jane@example.com> wrote:\n> Price for A?\n\n"
        "USD 5.\n\n> Lead time?\n\n30 days.\n\n> Old footer\n"
    )
    parts = split_reply(text)
    assert "USD 5." in parts.new_text and "30 days." in parts.new_text
    assert parts.quoted_text == "> Old footer"
    assert any(e.rule == "quote.inline_reply" for e in parts.evidence)


def test_bottom_posted_answer() -> None:
    text = "On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello back\n"
    parts = split_reply(text)
    assert parts.new_text == "Hello back"
    assert "Megan wrote" in parts.quoted_text


def test_mobile_footer_followed_by_history() -> None:
    text = "Agreed.\n\nSent from my iPhone\n\nOld message pasted without header.\n"
    parts = split_reply(text)
    assert parts.new_text == "Agreed.\n\nSent from my iPhone"
    assert parts.quoted_text == "Old message pasted without header."


def test_html_blockquote_and_containers() -> None:
    html = (
        "<div>Hi. I am fine.</div><div>Thanks,</div><div>Alex</div>"
        '<div class="gmail_quote">On Thu, Jun 26, 2014 at 2:14 PM, Sasha &lt;a@x.com&gt; wrote:'
        "<blockquote>Hello! How are you?</blockquote></div>"
    )
    assert "> Hello! How are you?" in html_to_text(html)
    parts = split_reply_html(html)
    assert parts.new_text == "Hi. I am fine.\nThanks,\nAlex"
    assert "Hello!" in parts.quoted_text


_LINE = st.sampled_from(
    ["Hello", "> quoted", "On Mon, Jan 6, 2025 John <j@x.com> wrote:", "", "From: a@b.c",
     "Sent: Monday", "To: Ana", "Subject: PI", "-----Original Message-----", "Thanks,", "-- ",
     "Sent from my iPhone", "price 5 USD"]
)  # fmt: skip


@given(st.lists(_LINE, max_size=25))
def test_split_never_loses_or_invents_lines(lines: list[str]) -> None:
    """Whatever the layout, new + quoted hold exactly the original non-blank lines."""
    text = "\n".join(lines)
    parts = split_reply(text)

    def bag(t: str) -> list[str]:
        return sorted(line.strip() for line in t.split("\n") if line.strip())

    assert bag(parts.new_text + "\n" + parts.quoted_text) == bag(text)


@pytest.mark.corpora
def test_reply_fixture_annotations() -> None:
    root = CORPORA / "reply_quote_fixtures"
    if not root.is_dir():
        pytest.skip("reply_quote_fixtures corpus absent")
    expected = Path(__file__).resolve().parents[1] / "bench" / "data" / "reply_quote_expected.json"
    spec = json.loads(expected.read_text())
    checked = 0
    for rel, want in spec.items():
        path = root / rel
        if rel.startswith("_") or path.suffix != ".txt" or not path.is_file():
            continue
        got = " ".join(split_reply(path.read_text(errors="replace")).new_text.split())
        for keep in want["keep"]:
            assert " ".join(keep.split()) in got, (rel, keep)
        checked += 1
    assert checked > 50
