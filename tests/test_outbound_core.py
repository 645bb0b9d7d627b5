"""Outbound rules in the pure core: signed links, consent eligibility, RFC 8058, pacing, feedback."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core import consent, feedback
from tradeinbox.core.bounces import detect_bounce
from tradeinbox.core.pacing import Candidate, Caps, PastSend, plan_batch

SECRET = b"k" * 32
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# --- signed links ----------------------------------------------------------------------


def test_token_round_trip_and_purpose_separation():
    token = consent.sign_token(SECRET, "unsubscribe", "12.34", issued=T0)
    assert consent.read_token(SECRET, "unsubscribe", token) == "12.34"
    with pytest.raises(consent.BadToken, match="not valid"):
        consent.read_token(SECRET, "confirm", token)  # an unsubscribe link never confirms
    with pytest.raises(consent.BadToken, match="not valid"):
        consent.read_token(b"other" * 8, "unsubscribe", token)


@pytest.mark.parametrize("damage", [lambda t: t[:-2], lambda t: "x" + t[1:], lambda t: t + "A",
                                    lambda t: t.replace(".", ""), lambda t: ""])  # fmt: skip
def test_damaged_tokens_are_refused(damage):
    token = consent.sign_token(SECRET, "confirm", "7", issued=T0)
    with pytest.raises(consent.BadToken):
        consent.read_token(SECRET, "confirm", damage(token))


def test_token_expiry():
    token = consent.sign_token(SECRET, "confirm", "7", issued=T0)
    week = timedelta(days=7)
    assert consent.read_token(SECRET, "confirm", token, max_age=week, now=T0 + week) == "7"
    with pytest.raises(consent.BadToken, match="expired"):
        consent.read_token(SECRET, "confirm", token, max_age=week, now=T0 + week + timedelta(1))


@given(st.text(st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), max_size=60))
@settings(max_examples=150, deadline=None)
def test_token_carries_any_payload(payload):
    token = consent.sign_token(SECRET, "p", payload, issued=T0)
    assert consent.read_token(SECRET, "p", token) == payload
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe as it is


# --- eligibility ----------------------------------------------------------------------------


def test_eligibility_needs_confirmed_consent_and_no_suppression():
    ok = consent.ConsentFacts(consent.CONFIRMED, "fair booth", T0)
    verdict = consent.eligibility("a@b.example", list_key=1, consent=ok)
    assert verdict.send and verdict.reason == "ok" and "fair booth" in verdict.evidence[0].detail
    assert consent.eligibility("a@b.example", list_key=1, consent=None).reason == "no_consent"
    pending = consent.ConsentFacts(consent.PENDING)
    assert consent.eligibility("a@b.example", list_key=1, consent=pending).reason == (
        "consent_pending"
    )
    gone = consent.ConsentFacts(consent.WITHDRAWN, withdrawn_at=T0)
    assert not consent.eligibility("a@b.example", list_key=1, consent=gone).send


@pytest.mark.parametrize(
    "suppression, blocked",
    [
        (consent.SuppressionFacts(consent.HARD_BOUNCE, None), True),  # every list
        (consent.SuppressionFacts(consent.COMPLAINT, None), True),
        (consent.SuppressionFacts(consent.UNSUBSCRIBED, 1), True),  # this list
        (consent.SuppressionFacts(consent.UNSUBSCRIBED, 2), False),  # another list only
    ],
)
def test_suppression_beats_consent(suppression, blocked):
    ok = consent.ConsentFacts(consent.CONFIRMED, confirmed_at=T0)
    verdict = consent.eligibility("a@b.example", list_key=1, consent=ok, suppressions=[suppression])
    assert verdict.send is not blocked
    if blocked:
        assert verdict.reason == suppression.reason
        assert verdict.evidence[0].rule == f"suppressed.{suppression.reason}"


def test_normalise_and_mask_address():
    assert consent.normalise_address("  <Ana.Lopez@Buyer.Example> ") == "ana.lopez@buyer.example"
    for bad in ("", "ana", "ana@", "a b@c.example", "a@b.example, c@d.example", "a@b"):
        with pytest.raises(ValueError):
            consent.normalise_address(bad)
    assert consent.mask_address("ana.lopez@buyer.example") == "a***z@buyer.example"


# --- RFC 8058 ---------------------------------------------------------------------------


def test_unsubscribe_headers_are_rfc8058_pair():
    headers = dict(consent.unsubscribe_headers("https://crm.example.com/outbound/unsubscribe/t/"))
    assert headers["List-Unsubscribe"] == "<https://crm.example.com/outbound/unsubscribe/t/>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with pytest.raises(ValueError):
        consent.unsubscribe_headers("javascript:alert(1)")


@pytest.mark.parametrize(
    "ctype, body, expected",
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        ("application/x-www-form-urlencoded; charset=utf-8", b"List-Unsubscribe=One-Click", True),
        (
            "multipart/form-data",
            b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"'
            b"\r\n\r\nOne-Click\r\n--b--\r\n",
            True,
        ),  # fmt: skip
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=Maybe", False),
        ("application/x-www-form-urlencoded", b"language=es&username=x", False),
        ("application/json", b'{"List-Unsubscribe": "One-Click"}', False),
        (
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=One-Click" + b"&x=" + b"a" * 5000,
            False,
        ),  # fmt: skip
    ],
)
def test_one_click_body(ctype, body, expected):
    assert consent.is_one_click(ctype, body) is expected


# --- pacing ---------------------------------------------------------------------------------


def _cands(domains: list[str]) -> list[Candidate]:
    return [Candidate(i, f"user{i}@{d}") for i, d in enumerate(domains)]


def test_hour_cap_and_next_run():
    caps = Caps(per_hour=30, per_day=120, per_domain_per_hour=100)
    plan = plan_batch(_cands(["a.example"] * 50), [], caps, T0)
    assert len(plan.chosen) == 30 and plan.waiting == 20
    assert plan.next_run_at == T0 + timedelta(hours=1)
    # Half an hour later nothing may go; the earliest send frees its place at T0 + 1 h.
    history = [PastSend(T0, "a.example")] * 30
    later = plan_batch(_cands(["a.example"] * 20), history, caps, T0 + timedelta(minutes=30))
    assert later.chosen == [] and later.next_run_at == T0 + timedelta(hours=1)


def test_day_cap_binds_over_hours():
    caps = Caps(per_hour=30, per_day=120, per_domain_per_hour=100)
    history = [PastSend(T0 + timedelta(hours=h), "a.example") for h in range(4) for _ in range(30)]
    now = T0 + timedelta(hours=4, minutes=1)
    plan = plan_batch(_cands(["a.example"] * 10), history, caps, now)
    assert plan.chosen == [] and plan.next_run_at == T0 + timedelta(days=1)
    assert any(e.rule == "pacing.cap.day" for e in plan.evidence)


def test_domain_pacing_round_robin_and_gap():
    caps = Caps(per_hour=30, per_day=120, per_domain_per_hour=3, domain_gap_seconds=0)
    domains = ["big.example"] * 20 + ["a.example", "b.example", "c.example"]
    plan = plan_batch(_cands(domains), [], caps, T0)
    picked = Counter(domains[k] for k in plan.chosen)
    assert picked == {"big.example": 3, "a.example": 1, "b.example": 1, "c.example": 1}
    assert plan.chosen[:4] == [0, 20, 21, 22] or set(plan.chosen[:4]) == {0, 20, 21, 22}
    gap = Caps(per_hour=30, per_day=120, per_domain_per_hour=30, domain_gap_seconds=120)
    plan = plan_batch(_cands(["big.example"] * 5), [PastSend(T0, "big.example")], gap, T0)
    assert plan.chosen == [] and plan.next_run_at == T0 + timedelta(seconds=120)


def test_caps_refuse_nonsense():
    with pytest.raises(ValueError):
        Caps(per_hour=0)
    with pytest.raises(ValueError):
        plan_batch([], [], Caps(), datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


@given(
    domains=st.lists(st.sampled_from(["a.ex", "b.ex", "c.ex", "d.ex"]), max_size=80),
    hours=st.lists(st.integers(min_value=0, max_value=47), max_size=150),
    per_hour=st.integers(1, 40),
    per_day=st.integers(1, 150),
    per_domain=st.integers(1, 20),
)
@settings(max_examples=200, deadline=None)
def test_plan_never_exceeds_any_cap(domains, hours, per_hour, per_day, per_domain):
    caps = Caps(per_hour=per_hour, per_day=per_day, per_domain_per_hour=per_domain)
    now = T0 + timedelta(hours=48)
    history = [PastSend(now - timedelta(minutes=30 * h + 1), "a.ex") for h in hours]
    plan = plan_batch(_cands(domains), history, caps, now)
    in_hour = [s for s in history if s.at > now - timedelta(hours=1)]
    in_day = [s for s in history if s.at > now - timedelta(days=1)]
    assert len(plan.chosen) <= max(0, per_hour - len(in_hour))
    assert len(plan.chosen) <= max(0, per_day - len(in_day))
    before = Counter(s.domain for s in in_hour)
    for domain, n in Counter(domains[k] for k in plan.chosen).items():
        assert before[domain] + n <= per_domain
    # Nothing is held back without a reason: room left means every domain is at its cap.
    room = min(per_hour - len(in_hour), per_day - len(in_day)) - len(plan.chosen)
    if room > 0 and plan.waiting:
        after = before + Counter(domains[k] for k in plan.chosen)
        left = Counter(domains) - Counter(domains[k] for k in plan.chosen)
        assert all(after[d] >= per_domain for d in left)
    assert len(set(plan.chosen)) == len(plan.chosen)
    assert plan.waiting == len(domains) - len(plan.chosen)
    if plan.waiting:
        assert plan.next_run_at is not None and plan.next_run_at >= now


# --- feedback ----------------------------------------------------------------------------

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.seller.example>
To: anna@seller.example
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.seller.example.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.seller.example

Final-Recipient: rfc822; gone@buyer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@buyer.example>: Recipient address rejected: User unknown

Final-Recipient: rfc822; full@buyer.example
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B
Content-Type: text/rfc822-headers

From: anna@seller.example
Message-ID: <news-1@seller.example>

--B--
"""

ARF = b"""From: staff@hotmail.example
To: abuse@seller.example
Subject: complaint about message from 192.0.2.10
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <angry@buyer.example>

--F
Content-Type: text/rfc822-headers

From: anna@seller.example
Message-ID: <news-2@seller.example>

--F--
"""


def test_dsn_becomes_hard_suppress_and_soft_retry():
    actions = {a.address: a for a in feedback.actions_from_report(detect_bounce(DSN))}
    assert actions["gone@buyer.example"].kind == feedback.HARD
    assert actions["gone@buyer.example"].suppress
    assert actions["full@buyer.example"].kind == feedback.SOFT
    assert not actions["full@buyer.example"].suppress
    assert actions["gone@buyer.example"].evidence[-1].rule == "feedback.hard"


def test_arf_complaint_suppresses():
    (action,) = feedback.actions_from_report(detect_bounce(ARF))
    assert action.address == "angry@buyer.example" and action.kind == feedback.COMPLAINT
    assert action.suppress and action.reason == "abuse"


def test_ordinary_mail_gives_no_action():
    plain = b"From: a@b.example\r\nSubject: hello\r\n\r\nhi\r\n"
    assert feedback.actions_from_report(detect_bounce(plain)) == []


@pytest.mark.parametrize(
    "words, hard",
    [
        (
            "The server refused the message (message): 550 5.1.1 <x@y.example> User doesn't exist",
            True,
        ),
        ("The server refused every recipient: x@y.example: 550 5.1.1 user unknown", True),
        ("The server asked to try later (recipient x@y.example): 452 4.2.2 Mailbox full", False),
        ("The server refused the message (message): 552 5.2.2 mailbox full", False),
        ("The server refused the message (message): 554 5.7.1 blocked by policy", False),
    ],
)
def test_smtp_refusal_classification(words, hard):
    action = feedback.action_from_refusal("X@y.example", words)
    assert action.suppress is hard and action.address == "x@y.example"


def test_soft_bounce_retry_and_escalation():
    assert feedback.soft_retry_after(T0, 1) == T0 + timedelta(hours=4)
    assert feedback.soft_retry_after(T0, 3) == T0 + timedelta(hours=16)
    assert feedback.soft_retry_after(T0, 20) == T0 + timedelta(days=7)
    assert feedback.soft_bounces_exhausted(2) is None
    assert feedback.soft_bounces_exhausted(3).rule == "feedback.soft_repeated"
