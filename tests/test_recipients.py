"""Compose recommendations: formal To, personal Cc from the thread, warnings."""

from __future__ import annotations

from tradeinbox.core.recipients import RecipientAddress, recommend


def addr(email, person="anna", kind="official", **kw):
    return RecipientAddress(email=email, person=person, kind=kind, **kw)


ANNA = [
    addr("anna@buyer.com", is_formal=True, messages_from=5),
    addr("purchase@buyer.com", kind="role", messages_from=9),
    addr("anna77@gmail.com", kind="freemail", messages_from=2),
    addr("anna.old@buyer.com", kind="former", former_detail="has left the company"),
]


def test_formal_to_personal_cc():
    rec = recommend(ANNA, {"anna77@gmail.com"})
    assert rec.to == ["anna@buyer.com"]
    assert rec.cc == ["anna77@gmail.com"]
    assert rec.evidence and not rec.warnings


def test_personal_not_used_in_thread_is_not_copied():
    rec = recommend(ANNA, {"anna@buyer.com"})
    assert rec.to == ["anna@buyer.com"] and rec.cc == []


def test_warnings_for_former_bounced_disposable():
    rec = recommend(ANNA, {"anna.old@buyer.com"}, chosen=["anna.old@buyer.com"])
    assert rec.to == ["anna@buyer.com"]
    assert [w.rule for w in rec.warnings] == ["recipients.former"]
    bounced = [
        addr("bo@x.com", person="bo", bounced=True),
        addr("bo@mailinator.com", person="bo", kind="disposable"),
    ]
    rec = recommend(bounced, {"bo@x.com", "bo@mailinator.com"})
    assert rec.to == [] and {w.rule for w in rec.warnings} == {
        "recipients.bounced",
        "recipients.disposable",
    }


def test_only_personal_address_left():
    rec = recommend(
        [addr("a@gmail.com", kind="freemail"), addr("a@old.com", kind="former")], {"a@gmail.com"}
    )
    assert rec.to == ["a@gmail.com"]
