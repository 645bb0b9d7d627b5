"""Decision-maker scores from reply speed, depth, To/Cc position and initiative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradeinbox.core.decision import ThreadMessage, business_topics, own_words, score_people

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
US = "li@factory.example"


def msg(key, sender, to, hours, text, cc=(), outbound=False):
    return ThreadMessage(
        key, sender, list(to), list(cc), T0 + timedelta(hours=hours), text, outbound
    )


def test_own_words_drop_quotes_and_signature():
    text = "Price is OK for 20 tons.\n\nBest regards,\nAnna Silva\nTel +55 11 3333 1111\n\nOn Mon, 2 Mar 2026 at 10:00, Li Wei <li@factory.example> wrote:\n> old price list"
    words = own_words(text)
    assert "20 tons" in words and "old price" not in words and "3333" not in words
    assert business_topics("FOB Shanghai, USD 820/ton, spec attached") == {"price", "terms", "spec"}


def test_boss_ranks_above_assistant():
    people = {"anna@b.com": "anna", "rui@b.com": "rui"}
    thread1 = [
        msg(
            "1",
            "anna@b.com",
            [US],
            0,
            "Please quote 20 tons, FOB, payment T/T 30%.",
            cc=["rui@b.com"],
        ),
        msg("2", US, ["anna@b.com"], 1, "USD 820/ton", cc=["rui@b.com"], outbound=True),
        msg(
            "3", "anna@b.com", [US], 1.5, "Can you do USD 800 with L/C 60 days and delivery in May?"
        ),
        msg("4", "rui@b.com", [US], 30, "Noted."),
    ]
    thread2 = [msg("5", "anna@b.com", [US], 50, "New inquiry: spec sheet attached, 5000 pcs.")]
    scores = score_people([thread1, thread2], people)
    assert [s.person for s in scores] == ["anna", "rui"]
    anna, rui = scores
    assert anna.score > rui.score + 20
    rules = {e.rule for e in anna.evidence}
    assert {"decision.speed", "decision.depth", "decision.position", "decision.initiative"} <= rules
    assert rui.components["position"] == 0.0  # always in Cc
    assert anna.components["speed"] > rui.components["speed"]


def test_no_mail_scores_zero():
    assert score_people([], {"x@b.com": "x"})[0].score == 0
