"""Follow-up cadences: rules by grade and stage, stop on reply, one a day, change channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tradeinbox.core.deals.business_hours import BusinessCalendar, is_business_time
from tradeinbox.core.deals.cadence import (
    DEFAULT_RULES,
    CadenceRule,
    CadenceSettings,
    CadenceState,
    CadenceStep,
    Touch,
    match_rule,
    next_action,
    plan_followups,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.standard("Asia/Shanghai", country="CN")
SETTINGS = CadenceSettings(calendar=CAL)
Q = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday


def state(grade="C", stage="quoted", touches=None, **kw):
    if touches is None:
        touches = [Touch(Q - timedelta(days=1), "in"), Touch(Q, "out")]
    return CadenceState("deal1", "anna", grade, stage, touches, **kw)


def test_rule_matching_by_stage_then_grade():
    assert match_rule("B", "quoted", DEFAULT_RULES).id == "after_quotation"
    assert match_rule("B", "inquiry", DEFAULT_RULES).id == "browsing"
    assert match_rule("D", "inquiry", DEFAULT_RULES).id == "targeted_inquiry"
    assert match_rule("A", "inquiry", DEFAULT_RULES) is None
    assert match_rule("C", "production", DEFAULT_RULES) is None


def test_after_quotation_three_days_then_a_week():
    plan = plan_followups(state(), Q, SETTINGS)
    assert [f.due_at for f in plan[:2]] == [
        datetime(2026, 3, 13, 10, 0, tzinfo=SH),
        datetime(2026, 3, 20, 10, 0, tzinfo=SH),
    ]
    assert [(f.template, f.step) for f in plan[:2]] == [
        ("quotation_followup", 1),
        ("quotation_followup", 2),
    ]
    # The quotation rule has two steps; after them the cadence suggests another channel.
    assert plan[-1].action == "suggest_channel"
    assert plan[-1].evidence[-1].rule == "cadence.stop.complete"


def test_browsing_two_days_week_then_monthly_until_three_unanswered():
    plan = plan_followups(state("B", "inquiry", person_channels=["whatsapp", "phone"]), Q, SETTINGS)
    actions = [f.action for f in plan]
    assert actions == ["draft", "draft", "draft", "suggest_channel"]
    due = [f.due_at.astimezone(SH) for f in plan]
    assert due[0] == datetime(2026, 3, 12, 10, 0, tzinfo=SH)
    assert due[1] == datetime(2026, 3, 19, 10, 0, tzinfo=SH)
    assert due[2].date().isoformat() == "2026-04-20"  # 19 April is a Sunday
    assert plan[-1].channel == "whatsapp"
    assert "whatsapp" in plan[-1].evidence[-1].detail
    assert all(is_business_time(f.due_at, CAL) for f in plan)


def test_monthly_repeat_respects_a_larger_limit():
    many = CadenceSettings(calendar=CAL, max_unanswered=6)
    plan = plan_followups(state("B", "inquiry"), Q, many)
    assert [f.step for f in plan if f.template == "browsing_followup"] == [1, 2, 3, 4, 5, 6]
    assert plan[-1].action == "suggest_channel" and plan[-1].channel == "phone"


def test_buyer_reply_on_any_channel_stops_it():
    touches = [
        Touch(Q, "out"),
        Touch(Q + timedelta(days=3), "out", followup=True),
        Touch(Q + timedelta(days=4), "in", channel="whatsapp"),
    ]
    d = next_action(state(touches=touches), Q + timedelta(days=5), SETTINGS)
    assert d.action == "stop" and d.followup is None
    assert d.evidence[-1].rule == "cadence.stop.buyer_replied"
    assert "whatsapp" in d.reason
    assert plan_followups(state(touches=touches), Q + timedelta(days=5), SETTINGS) == []


def test_our_next_message_restarts_the_sequence():
    touches = [
        Touch(Q, "out"),
        Touch(Q + timedelta(days=3), "out", followup=True),
        Touch(Q + timedelta(days=4), "in", channel="wechat"),
        Touch(Q + timedelta(days=5), "out"),  # a revised quotation
    ]
    d = next_action(state(touches=touches), Q + timedelta(days=5), SETTINGS)
    assert d.action == "wait"
    assert d.followup.step == 1
    assert d.followup.due_at == Q + timedelta(days=8)


def test_due_now_sends_and_tasks():
    d = next_action(state(), Q + timedelta(days=3, hours=1), SETTINGS)
    assert d.action == "send" and d.followup.template == "quotation_followup"
    task_rules = (
        CadenceRule("call_me", (CadenceStep(2, action="task"),), stages=frozenset({"quoted"})),
    )
    t = next_action(state(), Q + timedelta(days=2), CadenceSettings(rules=task_rules, calendar=CAL))
    assert t.action == "task"


def test_one_outbound_per_person_per_day():
    # Something else already went to Anna on the day the follow-up would be due.
    other = [datetime(2026, 3, 13, 15, 0, tzinfo=SH)]
    d = next_action(state(other_outbound=other), Q, SETTINGS)
    assert d.action == "wait"
    assert d.followup.due_at.astimezone(SH).date().isoformat() == "2026-03-16"  # Sat/Sun skipped
    assert any(e.rule == "cadence.one_per_day" for e in d.evidence)
    # Overdue follow-up, but we already wrote to her today: tomorrow.
    today = Q + timedelta(days=4)
    touches = [Touch(Q - timedelta(days=1), "in"), Touch(Q, "out"), Touch(today, "out")]
    d2 = next_action(state(touches=touches), today + timedelta(hours=2), SETTINGS)
    assert d2.action in ("wait", "send")
    assert d2.followup.due_at.astimezone(SH).date() > today.date()


def test_plan_never_puts_two_on_one_day():
    plan = plan_followups(state("D", "inquiry"), Q, SETTINGS)
    days = [f.due_at.astimezone(SH).date() for f in plan if f.action != "suggest_channel"]
    assert len(days) == len(set(days)) == 3


def test_three_unanswered_in_a_row_suggest_call():
    touches = [Touch(Q, "out")] + [
        Touch(Q + timedelta(days=d), "out", followup=True) for d in (2, 9, 40)
    ]
    d = next_action(state("B", "inquiry", touches=touches), Q + timedelta(days=41), SETTINGS)
    assert d.action == "suggest_channel"
    assert d.followup.channel == "phone"
    assert d.evidence[-1].rule == "cadence.stop.unanswered"
    assert "call" in d.reason


def test_paused_no_rule_nothing_sent():
    assert next_action(state(paused=True), Q, SETTINGS).evidence[0].rule == "cadence.paused"
    assert next_action(state("A", "inquiry"), Q, SETTINGS).evidence[0].rule == "cadence.no_rule"
    d = next_action(state(touches=[]), Q, SETTINGS)
    assert d.evidence[-1].rule == "cadence.stop.nothing_sent"


def test_month_step_clamps_to_month_end():
    rule = CadenceRule("m", (CadenceStep(months=1),), stages=frozenset({"quoted"}))
    jan31 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    d = next_action(state(touches=[Touch(jan31, "out")]), jan31, CadenceSettings(rules=(rule,)))
    assert d.followup.due_at == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)


def test_bad_steps_and_naive_now_are_refused():
    with pytest.raises(ValueError):
        CadenceStep(0)
    with pytest.raises(ValueError):
        CadenceStep(2, action="call")
    with pytest.raises(ValueError):
        next_action(state(), datetime(2026, 3, 10), SETTINGS)  # noqa: DTZ001
