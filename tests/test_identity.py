"""Evidence-based person merges (pure core) and the Enron name-derived evaluation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tradeinbox.core.channels import normalise_channel
from tradeinbox.core.identity import (
    AddressProfile,
    IdentityCollector,
    MailFacts,
    address_statements,
    candidate_pairs,
    cluster,
    score_pair,
)
from tradeinbox.core.message import Address
from tradeinbox.core.names import compare_names, local_part_name, parse_display_name

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
OWN = "sales@factory.example"


def facts(key, sender, to, text="", cc=(), reply=None):
    def addr(value):
        name, _, email = value.rpartition(" <")
        return Address(name, email.rstrip(">")) if name else Address("", value)

    return MailFacts(key, addr(sender), [addr(t) for t in to], [addr(c) for c in cc], text, reply)


def run(messages):
    col = IdentityCollector(own_addresses=[OWN])
    for m in messages:
        col.add(m)
    pairs = candidate_pairs(col.profiles, col.links, own_addresses=[OWN])
    return col, pairs, cluster(col.profiles, pairs, col.profiles)


def together(result, a, b):
    return any(a in p and b in p for p in result.people)


def test_names_from_display_and_local_part():
    assert parse_display_name("Silva, Anna M.").key == "anna silva"
    assert parse_display_name("Sales Team") is None
    assert parse_display_name("王伟").last == "王伟"
    assert local_part_name("sales@x.com") is None
    assert local_part_name("anna.silva@x.com").tokens == ("anna", "silva")
    smiths = compare_names(
        parse_display_name("John Smith"), None, parse_display_name("Jane Smith"), None
    )
    assert smiths.level == "conflict"
    assert (
        compare_names(
            None, local_part_name("j.smith@x"), None, local_part_name("john.smith@x")
        ).level
        == "initial"
    )


def test_statement_of_personal_address_is_strong():
    assert address_statements("My personal email is anna77@gmail.com, thanks", "a@b.com") == [
        ("anna77@gmail.com", "My personal email is anna77@gmail.com")
    ]
    assert address_statements("Her email is x@y.com", "a@b.com") == []
    _col, _pairs, result = run([
        facts("1", "Anna <anna@buyer.com>", [OWN], "Please note my personal email is nightowl@gmail.com\n"),
        facts("2", "nightowl@gmail.com", [OWN], "ok"),
    ])  # fmt: skip
    assert together(result, "anna@buyer.com", "nightowl@gmail.com")
    assert result.applied[0].evidence[0].rule == "identity.statement"


def test_same_name_and_phone_merges_but_colleagues_with_one_office_phone_do_not():
    sig_a = "Thanks\n\nAnna Silva\nMobile: +55 11 98765-4321\n"
    sig_j = "Regards\n\nJohn Smith\nTel: +55 11 3333-1111\n"
    sig_k = "Regards\n\nJane Smith\nTel: +55 11 3333-1111\n"
    _col, _pairs, result = run([
        facts("1", "Anna Silva <anna@buyer.com.br>", [OWN], "Quote please.\n\n" + sig_a),
        facts("2", "Anna Silva <anna.s@gmail.com>", [OWN], "From home.\n\n" + sig_a),
        facts("3", "John Smith <john.smith@buyer.com.br>", [OWN], "Specs attached.\n\n" + sig_j),
        facts("4", "Jane Smith <jane.smith@buyer.com.br>", [OWN], "Invoice.\n\n" + sig_k),
    ])  # fmt: skip
    assert together(result, "anna@buyer.com.br", "anna.s@gmail.com")
    assert not together(result, "john.smith@buyer.com.br", "jane.smith@buyer.com.br")
    assert not any(
        {p.a, p.b} == {"jane.smith@buyer.com.br", "john.smith@buyer.com.br"}
        for p in result.proposals
    )


def test_weak_same_name_is_proposed_not_applied():
    _col, pairs, result = run([
        facts("1", "Pedro Gomes <pedro@buyer.com>", [OWN], "hi"),
        facts("2", "Pedro Gomes <pg1980@hotmail.com>", [OWN], "hi"),
    ])  # fmt: skip
    assert not together(result, "pedro@buyer.com", "pg1980@hotmail.com")
    assert [(p.a, p.b) for p in result.proposals] == [("pedro@buyer.com", "pg1980@hotmail.com")]
    assert result.proposals[0].evidence


def test_reply_from_another_address_and_copied_on_both_add_up():
    msgs = [
        facts("1", OWN, ["Anna Silva <anna.silva@buyer.com>"], "Offer attached"),
        facts("2", "Anna Silva <anna.silva@gmail.com>", [OWN], "Got it", reply="1"),
        facts("3", OWN, ["anna.silva@buyer.com", "anna.silva@gmail.com"], "PI attached"),
    ]
    _col, pairs, result = run(msgs)
    assert together(result, "anna.silva@buyer.com", "anna.silva@gmail.com")
    rules = {e.rule for e in result.applied[0].evidence}
    assert {"identity.reply_from_other", "identity.copied_on_both"} <= rules
    # A colleague answering for Anna (different name) is not Anna.
    _col, _pairs, other = run([
        facts("1", OWN, ["Anna Silva <anna.silva@buyer.com>"], "Offer"),
        facts("2", "Rui Costa <rui.costa@buyer.com>", [OWN], "Anna is away", reply="1"),
    ])  # fmt: skip
    assert not together(other, "anna.silva@buyer.com", "rui.costa@buyer.com")


def test_a_lookalike_domain_answering_in_the_thread_is_never_merged():
    """The payment-fraud set-up: same display name, same thread, imitation domain."""
    msgs = [
        facts("1", OWN, ["Michael Torres <m.torres@sunrise-home.com>"], "PI attached"),
        facts("2", "Michael Torres <m.torres@sunrise-home.com>", [OWN], "Thanks", reply="1"),
        facts("3", "Michael Torres <m.torres@sunrise-h0me.com>", [OWN], "New bank", reply="1"),
    ]
    _col, _pairs, result = run(msgs)
    assert not together(result, "m.torres@sunrise-home.com", "m.torres@sunrise-h0me.com")
    score = score_pair(
        AddressProfile("m.torres@sunrise-home.com"), AddressProfile("m.torres@sunrise-h0me.com")
    )
    assert score.weight == 0.0
    assert [e.rule for e in score.evidence] == ["identity.lookalike_domain"]


def test_strong_pair_score_and_subdomain_mailbox():
    a = AddressProfile("mwhitt@ect.acme.com")
    b = AddressProfile("mwhitt@acme.com")
    assert score_pair(a, b).strength == "strong"
    assert (
        score_pair(AddressProfile("info@ect.acme.com"), AddressProfile("info@acme.com")).weight
        < 0.5
    )


def test_channels_normalised():
    assert normalise_channel("whatsapp", "wa.me/8613800138000") == ("whatsapp", "+8613800138000")
    assert normalise_channel("phone", "0086 138-0013-8000") == ("phone", "+8613800138000")
    assert normalise_channel("mobile", "(11) 98765-4321", "BR") == ("mobile", "+5511987654321")
    assert normalise_channel("telegram", "https://t.me/Anna_Buyer") == ("telegram", "@anna_buyer")
    assert normalise_channel("linkedin", "linkedin.com/in/Anna-Silva/") == (
        "linkedin", "https://www.linkedin.com/in/anna-silva")  # fmt: skip
    with pytest.raises(ValueError):
        normalise_channel("phone", "call me")


@pytest.mark.corpora
@pytest.mark.slow
def test_enron_merges_precise_and_no_surname_false_merges():
    if not (CORPORA / "enron_maildir_sample").is_dir():
        pytest.skip("enron_maildir_sample not available")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import identity_eval

    figures = identity_eval.evaluate(CORPORA)
    assert figures["reference_pairs"] > 50
    assert figures["surname_false_merges"] == 0
    assert figures["precision"] >= 0.95
    assert figures["recall"] >= 0.15
