"""Dashboard SVG charts: valid XML, accessible, values present and escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tradeinbox.core.deals.charts import (
    ResponseRow,
    deal_funnel,
    followups_done_vs_due,
    inquiries_by_week,
    nice_max,
    response_vs_deadline,
)

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "script" not in svg.lower()
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def bar_titles(root: ET.Element) -> list[str]:
    return [
        t.text or ""
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        for t in r.findall("s:title", NS)
    ]


def test_inquiries_by_week_stacks_and_labels():
    weeks = {"2026-W07": {"A": 3, "B": 10, "C": 4, "D": 1}, "2026-W08": {"B": 7, "C": 6}}
    root = parse(inquiries_by_week(weeks))
    labels = texts(root)
    assert "18" in labels and "13" in labels  # totals above the bars
    assert "2026-W07" in labels and "Grade D" in labels
    tips = bar_titles(root)
    assert "2026-W07: 10 grade B" in tips and "2026-W08: 6 grade C" in tips
    assert not any("grade A" in t for t in tips if t.startswith("2026-W08"))
    desc = root.find("s:desc", NS).text
    assert "2026-W07: 18 (D 1, C 4, B 10, A 3)" in desc
    # Stacked: within a week the segments touch and their heights add up.
    rects = [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("s:title", NS) is not None
    ]
    w07 = [r for r in rects if r.find("s:title", NS).text.startswith("2026-W07")]
    heights = sum(float(r.get("height")) for r in w07)
    w08 = [r for r in rects if r.find("s:title", NS).text.startswith("2026-W08")]
    assert heights / sum(float(r.get("height")) for r in w08) == pytest.approx(18 / 13, rel=1e-2)


def test_response_vs_deadline_marks_late():
    rows = [
        ResponseRow("Anna <sales>", 1.5, 2.0, 0.9),
        ResponseRow("Li & Co", 3.25, 2.0, 0.4),
        ResponseRow("Nobody", None, 2.0),
    ]
    svg = response_vs_deadline(rows)
    assert "Anna &lt;sales&gt;" in svg and "Li &amp; Co" in svg
    root = parse(svg)
    labels = texts(root)
    assert "Anna <sales>" in labels and "Li & Co" in labels and "Nobody" not in labels
    assert "1.5 h (on time)" in labels and "3.2 h (late)" in labels
    desc = root.find("s:desc", NS).text
    assert "40% answered on time" in desc and "(late)" in desc


def test_funnel_counts_and_conversion():
    counts = [("Inquiry", 120), ("Quoted", 60), ("Sample", 15), ("Order", 6), ("Shipped", 0)]
    root = parse(deal_funnel(counts))
    labels = texts(root)
    assert "120" in labels and "60 (50% of previous)" in labels and "6 (40% of previous)" in labels
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")][1:]
    assert widths == sorted(widths, reverse=True)  # a funnel narrows
    assert len(widths) == 4  # no bar for an empty stage, but its label is there
    assert "Shipped" in labels


def test_followups_done_vs_due():
    root = parse(followups_done_vs_due([("W07", 8, 10), ("W08", 0, 0), ("<W09>", 5, 4)]))
    labels = texts(root)
    assert "80%" in labels and "-" in labels and "125%" in labels
    assert "<W09>" in labels
    assert "W07: 8 done" in bar_titles(root)


@pytest.mark.parametrize(
    "svg",
    [
        inquiries_by_week({}),
        response_vs_deadline([]),
        deal_funnel([("Inquiry", 0)]),
        followups_done_vs_due([]),
    ],
)
def test_empty_charts_say_so(svg):
    root = parse(svg)
    assert "No data yet" in texts(root)


def test_unique_ids_and_escaped_titles():
    a = inquiries_by_week({"w": {"B": 1}}, chart_id="dash 1", title='Inq "all" <b>')
    b = inquiries_by_week({"w": {"B": 1}}, chart_id="dash-2")
    ra, rb = parse(a), parse(b)
    assert ra.find("s:title", NS).get("id") != rb.find("s:title", NS).get("id")
    assert ra.find("s:title", NS).text == 'Inq "all" <b>'


def test_nice_max():
    assert [nice_max(v) for v in (0, 0.3, 1, 3, 7, 18, 51, 1000)] == [
        1, 0.5, 1, 5, 10, 20, 100, 1000,
    ]  # fmt: skip


def test_week_and_funnel_helpers():
    from datetime import UTC, datetime

    from tradeinbox.core.deals.charts import count_by_week, funnel_counts, week_label

    # Sunday 23:30 UTC is already Monday (next ISO week) in Shanghai.
    sunday = datetime(2026, 2, 15, 23, 30, tzinfo=UTC)
    assert week_label(sunday) == "2026-W07"
    assert week_label(sunday, "Asia/Shanghai") == "2026-W08"
    rows = [(sunday, "B"), (sunday, "C"), (datetime(2026, 2, 2, tzinfo=UTC), "B")]
    weeks = count_by_week(rows, weeks=3)
    assert list(weeks) == ["2026-W05", "2026-W06", "2026-W07"]
    assert weeks["2026-W07"] == {"B": 1, "C": 1} and weeks["2026-W06"] == {"B": 1}
    assert weeks["2026-W05"] == {}
    order = ["inquiry", "quoted", "order"]
    assert funnel_counts(["inquiry", "order", "quoted", "closed_lost"], order) == [
        ("inquiry", 3),
        ("quoted", 2),
        ("order", 1),
    ]


def test_response_rows_from_stats():
    from datetime import UTC, datetime, timedelta

    from tradeinbox.core.deals.business_hours import BusinessCalendar
    from tradeinbox.core.deals.deadlines import (
        DeadlineSettings,
        MessageFacts,
        reply_deadline,
        response_stats,
    )

    cal = BusinessCalendar("UTC")
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    d = reply_deadline(
        MessageFacts("m", at, salesperson="Ana", answered_at=at + timedelta(hours=3), text="?"),
        "C",
        DeadlineSettings(calendar=cal),
    )
    rows = [ResponseRow.from_stats(s) for s in response_stats([d], cal, at)]
    assert rows == [ResponseRow("Ana", 3.0, 2.0, 0.0)]
    assert "3 h (late)" in texts(parse(response_vs_deadline(rows)))
