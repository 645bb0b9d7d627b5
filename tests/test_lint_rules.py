"""Pre-send check rules: each rule fires on a real problem and stays silent on look-alikes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.message import Address
from tradeinbox.core.writing.lint import (
    Draft,
    DraftAttachment,
    LintContext,
    RecentSend,
    draft_from_parsed,
    lint,
)
from tradeinbox.core.writing.rules.banking import card_brand, iban_valid, luhn_valid
from tradeinbox.core.writing.sendtime import RecipientFacts

GOOD_BODY = """Dear Ms. Okafor,

Thank you for your inquiry about our cordless drills. The FOB Ningbo price for the
XR-200 model is USD 18.40 per piece, MOQ 500 PCS, and the lead time is 35 days.

Could you confirm the quantity you need so that I can send the formal PI?

Best regards,
Lily Chen
Sales Manager, Ningbo Sunrise Tools Co., Ltd.
Tel: +86 574 8765 4321
"""
BUYER = Address("Ada Okafor", "ada@buyer-co.com")
SENDER = Address("Lily Chen", "lily@sunrise-tools.cn")


def draft(**kw) -> Draft:
    base = dict(subject="Cordless drills quotation - Sunrise - RFQ# 4471", body_text=GOOD_BODY,
                to=[BUYER], sender=SENDER)  # fmt: skip
    base.update(kw)
    return Draft(**base)


def rules(d: Draft, ctx: LintContext | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in lint(d, ctx or LintContext(check_addresses=False)):
        out.setdefault(f.rule, []).append(f)
    return out


def with_sentence(sentence: str) -> str:
    return GOOD_BODY.replace("Could you confirm", sentence + "\n\nCould you confirm")


def test_clean_draft_has_no_warning_or_error():
    found = lint(draft(), LintContext(check_addresses=False))
    assert [f for f in found if f.severity != "info"] == []


# --- attachments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    ["Please find attached our price list.", "Attached is the catalogue.", "I have attached the drawing.",
     "Adjunto le envío la cotización.", "附件是我们的报价单，请查收。", "Vous trouverez en pièce jointe le devis.",
     "Im Anhang finden Sie das Angebot."],
)  # fmt: skip
def test_attachment_mentioned_but_missing(sentence):
    d = draft(body_text=with_sentence(sentence))
    found = rules(d)["attachment.missing"]
    assert found[0].severity == "error"
    span = d.body_text[found[0].start : found[0].end]
    assert span and span.lower() in sentence.lower()


def test_attachment_present_is_fine():
    d = draft(body_text=with_sentence("Please find attached our price list."),
              attachments=[DraftAttachment("prices.pdf", 200_000, "application/pdf")])  # fmt: skip
    assert "attachment.missing" not in rules(d)


def test_attached_in_quoted_earlier_message_does_not_count():
    body = GOOD_BODY + (
        "\nOn Mon, 3 Mar 2025 at 10:00, Ada Okafor <ada@buyer-co.com> wrote:\n"
        "> Please find attached our RFQ with the drawings.\n> Regards, Ada\n"
    )
    assert "attachment.missing" not in rules(draft(body_text=body))
    # The same text kept apart by the compose page.
    d = draft(quoted_text="Please find attached our RFQ with the drawings.")
    assert "attachment.missing" not in rules(d)


def test_attached_in_a_notes_forward_or_pasted_header_does_not_count():
    notes = GOOD_BODY + (
        "---------------------- Forwarded by Ann Lee/HOU/ECT on 04/16/2001 09:13 AM"
        " ---------------------------\n\n\nTushar Dhruv\n04/05/2001 10:57 AM\n"
        "To:\tPaul Ybarbo/NA/Enron@Enron\n\nSubject:\tPrior report\n\n"
        "Paul:\n\nFor your reference are the attached two files.\n"
    )
    assert "attachment.missing" not in rules(draft(body_text=notes))
    pasted = with_sentence(
        "Delete this mail if you get it:\n\nFrom:    Raf Alam\n \nSubject:    HI\n \n"
        "Attached file:    GONE.SCR"
    )
    assert "attachment.missing" not in rules(draft(body_text=pasted))


FORWARDED = (
    "\n-----Original Message-----\nFrom: Ada Okafor\nSent: Monday, October 01, 2001 3:22 PM\n"
    "To: Lily Chen\nSubject: RFQ 4471\n\nWe need 500 pieces by June.\n"
)


@pytest.mark.parametrize(
    "sentence",
    ["Please see the attached email below.", "As per attached below, the buyer needs 500 pcs.",
     "See the attached message from the forwarder."],
)  # fmt: skip
def test_attached_meaning_the_mail_below(sentence):
    # "attached" points at the mail pasted underneath: silent when one follows ...
    assert "attachment.missing" not in rules(draft(body_text=with_sentence(sentence) + FORWARDED))
    # ... but a real missing attachment when nothing follows.
    assert "attachment.missing" in rules(draft(body_text=with_sentence(sentence)))


def test_attached_file_in_a_reply_with_history_still_counts():
    body = with_sentence("Attached are the notes from the meeting.") + FORWARDED
    assert "attachment.missing" in rules(draft(body_text=body))


@pytest.mark.parametrize(
    "sentence",
    ["The label is attached to each carton.", "We are attached to quality.",
     "The e-mail had no attachment.", "Our terms are in the attachment of the contract."],
)  # fmt: skip
def test_attachment_look_alikes_are_silent(sentence):
    assert "attachment.missing" not in rules(draft(body_text=with_sentence(sentence)))


def test_archive_and_size():
    d = draft(attachments=[DraftAttachment("docs.zip", 11 * 1024 * 1024)])
    found = rules(d)
    assert found["attachment.archive"][0].severity == "warning"
    assert found["attachment.size"][0].severity == "warning"
    big = rules(draft(attachments=[DraftAttachment("a.pdf", 19 * 1024 * 1024)]))
    assert big["attachment.size"][0].severity == "error"
    assert "attachment.archive" not in big
    assert "attachment.size" not in rules(
        draft(attachments=[DraftAttachment("a.pdf", 9 * 1024 * 1024)])
    )


# --- capitals --------------------------------------------------------------------------------


def test_shouting_line_and_words():
    found = rules(
        draft(body_text=with_sentence("PLEASE SEND THE PAYMENT TODAY OR WE CANCEL THE ORDER."))
    )
    assert "caps.line" in found
    found = rules(draft(body_text=with_sentence("Please CONFIRM TODAY so we can book the vessel.")))
    assert found["caps.words"][0].severity == "warning"


def test_acronyms_and_model_codes_are_not_shouting():
    sentence = "Price FOB SHANGHAI or CIF USD per PCS, MOQ 500, model XR-200B and AB12 in PDF."
    found = rules(draft(body_text=with_sentence(sentence)))
    assert not {"caps.line", "caps.words", "caps.message"} & set(found)


def test_chinese_without_spaces_has_no_caps_or_spelling_findings():
    body = ("王经理，您好！\n\n我们的MOQ是500PCS，FOB宁波价格为USD18.40，交货期35天。型号XR200B已有现货，"
            "可以安排SGS验货。\n\n请问您需要的数量是多少？\n\n顺祝商祺！\n陈丽\n电话：+86 574 8765 4321\n")  # fmt: skip
    found = rules(draft(body_text=body))
    assert not {"caps.line", "caps.words", "caps.word", "spelling", "caps.message"} & set(found)
    assert "structure.no_salutation" not in found and "structure.no_signature" not in found


# --- tone ------------------------------------------------------------------------------------


def test_emotional_wording():
    found = rules(
        draft(body_text=with_sentence("This delay is unacceptable, as I told you before!!!"))
    )
    assert len(found["tone.emotional"]) >= 2
    assert "tone.emotional" in rules(draft(body_text=with_sentence("Esto es inaceptable.")))
    assert "tone.emotional" not in rules(draft())


def test_urgency_overuse():
    d = draft(subject="URGENT: drills order", priority="high",
              body_text=with_sentence("Please reply urgently."))  # fmt: skip
    assert "tone.urgency" in rules(d)
    one_signal = draft(
        subject="Drills order - deposit by Friday",
        body_text=with_sentence("Please reply urgently."),
    )
    assert "tone.urgency" not in rules(one_signal)


def test_unconditional_promises_and_look_alikes():
    found = rules(
        draft(body_text=with_sentence("We guarantee 100% quality, our drills never fail."))
    )
    assert len(found["legal.promise"]) == 3
    calm = with_sentence(
        "Payment: 100% T/T before shipment. Material: 100% cotton. A bank guarantee is fine."
    )
    assert "legal.promise" not in rules(draft(body_text=calm))


# --- bank details ----------------------------------------------------------------------------


def test_iban_swift_account_and_card_numbers():
    text = with_sentence(
        "Bank: Deutsche Bank, IBAN DE89 3704 0044 0532 0130 00, SWIFT: DEUTDEFF, "
        "account no. 1234567890."
    )
    found = rules(draft(body_text=text))
    assert len(found["banking.details"]) == 3
    assert all(f.severity == "error" for f in found["banking.details"])
    card = rules(draft(body_text=with_sentence("My card is 4111 1111 1111 1111.")))
    assert card["banking.card_number"][0].severity == "error"


def test_product_code_that_looks_like_a_bank_number_does_not_trigger():
    sentence = (
        "Item No. 4111111111111111 and model 5500000000000004 are in stock; "
        "part DE89370400440532013001 (not an IBAN: bad checksum), the swift delivery, "
        "container MSKU1234565, PO 2024-000123456 and account manager Tom."
    )
    found = rules(draft(body_text=with_sentence(sentence)))
    assert not {"banking.details", "banking.card_number"} & set(found)


def test_checksums():
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert card_brand("378282246310005") == "American Express"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789", min_size=15, max_size=16))
def test_luhn_detects_every_single_digit_change(digits):
    check = next(d for d in "0123456789" if luhn_valid(digits + d))
    for wrong in "0123456789":
        if wrong != check:
            assert not luhn_valid(digits + wrong)


# --- structure -------------------------------------------------------------------------------


def test_missing_salutation_signature_and_call_to_action():
    body = (
        "Our drills are CE certified and we ship from Ningbo every week. " * 3
        + "\n\nThe price list is on our website and the catalogue shows all models in stock.\n"
    )
    found = rules(draft(body_text=body))
    assert found["structure.no_salutation"][0].severity == "warning"
    assert found["structure.no_signature"][0].severity == "warning"
    assert found["structure.no_call_to_action"][0].severity == "info"
    reply = rules(draft(body_text=body, in_reply_to="<x@y>"))
    assert reply["structure.no_salutation"][0].severity == "info"


def test_long_paragraph():
    long = "We make drills in our own factory and test every unit before it ships. " * 12
    found = rules(draft(body_text=with_sentence(long)))
    assert "structure.long_paragraph" in found
    assert "structure.long_paragraph" not in rules(draft())


# --- spelling --------------------------------------------------------------------------------


def test_spelling_flags_typos_not_codes_names_urls():
    sentence = ("We recieve the mesage. See www.sunrise-tools.cn, ask kowalczyk@buyer-co.com, "
                "model xr200b, Mr. Wojciechowski and Ningbo.")  # fmt: skip
    found = rules(draft(body_text=with_sentence(sentence)))
    words = {
        draft(body_text=with_sentence(sentence)).body_text[f.start : f.end]
        for f in found["spelling"]
    }
    assert words == {"recieve", "mesage"}
    assert "receive" in found["spelling"][0].fix


def test_spelling_accepts_british_prefixed_and_inflected_forms():
    # Real Enron false positives: British spellings, "re-" words, regular inflections.
    sentence = ("The organisation's privatisation and the renegotiations were analysed; "
                "costs are expensed. We recieve colour samples at the centre.")  # fmt: skip
    d = draft(body_text=with_sentence(sentence))
    words = {d.body_text[f.start : f.end] for f in rules(d).get("spelling", [])}
    assert words == {"recieve"}


def test_segments_cut_text_at_finding_spans():
    from tradeinbox.core.writing.lint import Finding, segments

    found = [Finding("a", "warning", 2, 6, "", ""), Finding("b", "error", 4, 8, "", ""),
             Finding("c", "info", None, None, "", ""), Finding("d", "info", 9, 99, "", "")]  # fmt: skip
    pieces = segments("0123456789", found)
    assert "".join(p.text for p in pieces) == "0123456789"
    assert [(p.text, p.findings, p.severity) for p in pieces] == [
        ("01", (), ""), ("23", (0,), "warning"), ("45", (0, 1), "error"),
        ("67", (1,), "error"), ("8", (), ""), ("9", (3,), "info"),
    ]  # fmt: skip


def test_spelling_spanish():
    body = "Estimado Sr. García:\n\nLe envío la ofreta con el precio del pedido y el plazo de entrega de las máquinas.\n\n¿Podría confirmarlo?\n\nSaludos cordiales,\nLily\n"
    found = rules(draft(body_text=body))
    assert [f.fix for f in found["spelling"]] == ["Did you mean 'oferta'?"]


# --- HTML ------------------------------------------------------------------------------------


def test_html_font_sizes_and_alignment():
    html = ('<p style="font-size:12px">Hello</p><p style="font-size:18px">Big offer text here</p>'
            '<p style="font-size:8px;text-align:center">Tiny centred small print</p><p>more text left</p>')  # fmt: skip
    found = rules(draft(body_html=html))
    assert {"html.font_sizes", "html.font_small", "html.font_large", "html.mixed_alignment"} <= set(
        found
    )
    calm = '<div style="font-size:11pt">Dear Ada, plain body text.</div><div style="font-size:11pt">More text.</div>'
    assert not any(r.startswith("html.") for r in rules(draft(body_html=calm)))


# --- recipients ------------------------------------------------------------------------------


def test_reply_all_to_many_and_outside_domains():
    many = [Address("", f"p{i}@buyer-co.com") for i in range(7)]
    assert "recipients.reply_all" in rules(draft(to=many, in_reply_to="<a@b>"))
    mixed = [BUYER, Address("", "x@forwarder.com"), Address("", "y@competitor.com")]
    assert "recipients.reply_all" in rules(draft(to=mixed, in_reply_to="<a@b>"))
    colleagues = [BUYER, Address("", "boss@sunrise-tools.cn")]
    assert "recipients.reply_all" not in rules(draft(to=colleagues, in_reply_to="<a@b>"))
    assert "recipients.reply_all" not in rules(draft(to=mixed))  # a new mail, not a reply
    # The buyer's personal gmail in Cc (as the recipient recommendation does) is no company.
    personal = draft(to=[BUYER], cc=[Address("Ada", "ada.okafor77@gmail.com")], in_reply_to="<a@b>")
    assert "recipients.reply_all" not in rules(personal)


def test_second_mail_to_same_person_today():
    now = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
    ctx = LintContext(check_addresses=False,
                      recent_sends=[RecentSend("ada@buyer-co.com", now - timedelta(hours=3))])  # fmt: skip
    assert "recipients.second_today" in rules(draft(send_at=now), ctx)
    ctx.recent_sends = [RecentSend("ada@buyer-co.com", now - timedelta(days=1))]
    assert "recipients.second_today" not in rules(draft(send_at=now), ctx)
    # A zone known only from past Date offsets ("UTC+05:30") is a fixed offset, not IANA.
    ctx.recent_sends = [RecentSend("ada@buyer-co.com", now - timedelta(hours=3))]
    ctx.recipient_facts = {"ada@buyer-co.com": RecipientFacts(past_utc_offsets=[330, 330])}
    assert "recipients.second_today" in rules(draft(send_at=now), ctx)


def test_former_bounced_and_disposable_addresses():
    ctx = LintContext(address_kinds={"ada@buyer-co.com": "bounced"}, check_addresses=False)
    assert rules(draft(), ctx)["recipients.bad_address"][0].severity == "error"
    throwaway = draft(to=[Address("", "buyer@mailinator.com")])
    found = rules(throwaway, LintContext(check_addresses=True))
    assert found["recipients.bad_address"][0].severity == "warning"
    assert "recipients.bad_address" not in rules(draft(), LintContext(check_addresses=True))


# --- subject and send time -------------------------------------------------------------------


def test_vague_subject_and_stale_thread():
    assert "subject.vague" in rules(draft(subject="Price"))
    assert "subject.empty" in rules(draft(subject=""))
    assert "subject.vague" not in rules(draft())
    ctx = LintContext(check_addresses=False, unanswered_followups=2)
    assert "subject.stale" in rules(draft(), ctx)


def test_send_time_in_recipients_night_or_weekend():
    facts = {"ada@buyer-co.com": RecipientFacts(email="ada@buyer-co.com", country="SA")}
    ctx = LintContext(check_addresses=False, recipient_facts=facts)
    friday_noon = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh, a Friday
    found = rules(draft(send_at=friday_noon), ctx)["sendtime.off_hours"]
    assert "weekend" in found[0].message and "Sun" in found[0].fix
    sunday_morning = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 10:00 Sunday, a working day in SA
    assert "sendtime.off_hours" not in rules(draft(send_at=sunday_morning), ctx)


# --- adapter and CLI -------------------------------------------------------------------------

EML = b"""From: Lily Chen <lily@sunrise-tools.cn>
To: Ada Okafor <ada@buyer-co.com>
Subject: Quotation - Sunrise - RFQ# 4471
Date: Tue, 04 Mar 2025 09:30:00 +0800
X-Priority: 1
Message-ID: <q1@sunrise-tools.cn>
Content-Type: text/plain; charset=utf-8

Dear Ada,

Please find attached our quotation. Could you confirm the quantity?

Best regards,
Lily Chen
"""


def test_draft_from_parsed_and_cli_json(tmp_path, capsys):
    from tradeinbox.commands import lint as lint_command
    from tradeinbox.core.parse import parse_message

    d = draft_from_parsed(parse_message(EML))
    assert d.priority == "high" and d.to[0].email == "ada@buyer-co.com"
    path = tmp_path / "draft.eml"
    path.write_bytes(EML)

    class Args:
        file = path
        json = True
        context = None

    assert lint_command.run(Args) == 1
    data = json.loads(capsys.readouterr().out)
    missing = [f for f in data["findings"] if f["rule"] == "attachment.missing"]
    assert missing and set(missing[0]) >= {"rule", "severity", "start", "end", "message", "fix"}
    assert d.body_text[missing[0]["start"] : missing[0]["end"]] == "Please find attached"


def test_signature_is_the_senders_name_over_short_lines():
    from tradeinbox.core.writing.signature import find_signature

    text = "Dear Teb,\n\nThe file is updated.\n\nHave a great day!!\n\nZakiyyah\nxt 58146\n"
    span = find_signature(text, ["zakiyyah"])
    assert span is not None and text[span[0] :].startswith("Zakiyyah")
    # Longer lines under the name are text, not a signature block.
    long_tail = (
        "Dear Teb,\n\nZakiyyah\nwill send the revised spreadsheet with the new numbers.\nOk?\n"
    )
    span = find_signature(long_tail, ["zakiyyah"])
    assert span is None or not long_tail[span[0] :].startswith("Zakiyyah")
