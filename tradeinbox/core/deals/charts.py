"""Dashboard charts as server-rendered SVG: no JavaScript, readable at a glance, accessible.

Four charts a sales manager reads on the dashboard:

* :func:`inquiries_by_week` - stacked bars of inquiries per week by grade (A/B/C/D);
* :func:`response_vs_deadline` - per salesperson, median real response time (business
  hours) against the deadline, over-deadline bars marked in a second colour *and* a text mark;
* :func:`deal_funnel` - deals by stage as a funnel with counts and step conversion;
* :func:`followups_done_vs_due` - follow-ups done against due, per week or per person.

Every chart is an ``<svg role="img">`` with ``<title>`` and ``<desc>`` referenced by
``aria-labelledby``; the description states the data in words, each bar carries its own
``<title>`` (a tooltip and an accessible name), and values are printed as text labels, so
nothing relies on colour alone. Colours are the Okabe-Ito palette (safe for colour
blindness). All text is XML-escaped; ``chart_id`` keeps ids unique when several charts share
a page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

__all__ = [
    "ResponseRow",
    "inquiries_by_week",
    "response_vs_deadline",
    "deal_funnel",
    "followups_done_vs_due",
    "nice_max",
    "week_label",
    "count_by_week",
    "funnel_counts",
]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GRADE_COLOURS = {"A": "#999999", "B": "#56B4E9", "C": "#E69F00", "D": "#0072B2"}
LATE = "#D55E00"
OK = "#009E73"
# A presentation attribute, not a style="" attribute: pages forbid inline styles (CSP
# style-src 'self'), and the chart is inlined into them.
FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC',sans-serif"


def _e(text: object) -> str:
    return escape(str(text))


def _id(chart_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", chart_id) or "chart"


def week_label(moment: datetime, tz: str = "UTC") -> str:
    """ISO 8601 week of ``moment`` in zone ``tz``, e.g. ``"2026-W07"``."""
    year, week, _ = moment.astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def count_by_week(
    rows: Iterable[tuple[datetime, str | None]],
    *,
    tz: str = "UTC",
    end: datetime | None = None,
    weeks: int = 12,
) -> dict[str, dict[str, int]]:
    """``(received_at, grade)`` rows -> the ``weeks`` ISO weeks up to ``end`` (default: the
    latest row), each with its counts per grade; empty weeks are kept so gaps show."""
    rows = list(rows)
    if not rows and end is None:
        return {}
    last = end or max(at for at, _ in rows)
    labels = [week_label(last - timedelta(weeks=i), tz) for i in range(weeks - 1, -1, -1)]
    out: dict[str, dict[str, int]] = {label: {} for label in labels}
    for at, grade in rows:
        label = week_label(at, tz)
        if label in out:
            key = grade or "-"
            out[label][key] = out[label].get(key, 0) + 1
    return out


def funnel_counts(stages: Iterable[str], order: Sequence[str]) -> list[tuple[str, int]]:
    """Deals per stage in pipeline ``order``. A funnel counts every deal that *reached* a
    stage, so a deal at "order" also counts under inquiry, quoted ...; closed-lost deals
    count only where they are (their furthest stage is not known here)."""
    reached = [0] * len(order)
    index = {s: i for i, s in enumerate(order)}
    for stage in stages:
        i = index.get(stage)
        if i is None:
            continue
        for j in range(i + 1):
            reached[j] += 1
    return list(zip(order, reached, strict=True))


def nice_max(value: float) -> float:
    """The smallest 1/2/5 x 10^k at or above ``value`` (axis top); 1 for empty data."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        top = m * 10**exp
        if top >= value - 1e-9:
            return float(top)
    return float(10 ** (exp + 1))


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    cid = _id(chart_id)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" class="ti-chart" font-family="{FONT}">'
    )
    parts = [
        head,
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="22" font-size="15" font-weight="600" fill="#111">{_e(title)}</text>',
        *body,
        "</svg>",
    ]
    return "\n".join(parts)


def _empty(chart_id: str, title: str, width: int, height: int) -> str:
    body = [
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" font-size="13" '
        f'fill="#555">No data yet</text>'
    ]
    return _svg(chart_id, width, height, title, f"{title}: no data yet.", body)


def _y_axis(x0: float, y0: float, h: float, w: float, top: float, ticks: int = 4) -> list[str]:
    out = []
    for i in range(ticks + 1):
        v = top * i / ticks
        y = y0 - h * i / ticks
        out.append(
            f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + w:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e5e5" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{_fmt(v)}</text>'
        )
    return out


def _legend(x: float, y: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    out = []
    for label, colour in entries:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 16:.1f}" y="{y:.1f}" font-size="12" fill="#222">{_e(label)}</text>'
        )
        x += 28 + 7 * len(label)
    return out


def inquiries_by_week(
    weeks: Mapping[str, Mapping[str, int]],
    *,
    grades: Sequence[str] = ("D", "C", "B", "A"),
    title: str = "Inquiries per week by grade",
    chart_id: str = "inquiries",
    width: int = 640,
    height: int = 300,
) -> str:
    """Stacked bars: ``weeks`` maps a week label ("2026-W07") to counts per grade, in order.

    Grades stack bottom-up in ``grades`` order (key accounts at the base, where the eye
    compares best); each segment has a tooltip, each bar its total above it."""
    if not weeks:
        return _empty(chart_id, title, width, height)
    labels = list(weeks)
    totals = [sum(int(weeks[w].get(g, 0)) for g in grades) for w in labels]
    top = nice_max(max(totals))
    x0, y0, ch = 48.0, height - 48.0, height - 100.0
    cw = width - x0 - 16
    slot = cw / len(labels)
    bw = max(4.0, min(48.0, slot * 0.7))
    body = _y_axis(x0, y0, ch, cw, top)
    for i, week in enumerate(labels):
        x = x0 + slot * i + (slot - bw) / 2
        y = y0
        for g in grades:
            n = int(weeks[week].get(g, 0))
            if n <= 0:
                continue
            h = ch * n / top
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                f'fill="{GRADE_COLOURS.get(g, PALETTE[0])}" stroke="#fff" stroke-width="0.5">'
                f"<title>{_e(f'{week}: {n} grade {g}')}</title></rect>"
            )
        if totals[i] or len(labels) <= 16:  # a row of zeros over a year says nothing
            body.append(
                f'<text x="{x + bw / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" '
                f'fill="#222">{totals[i]}</text>'
            )
        # A week label is ~55 px wide at 11 px: thin them out so they never overlap.
        room = max(1, int(cw // 60))
        if len(labels) <= room or i % math.ceil(len(labels) / room) == 0:
            body.append(
                f'<text x="{x + bw / 2:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" '
                f'font-size="11" fill="#555">{_e(week)}</text>'
            )
    body += _legend(x0, height - 10, [(f"Grade {g}", GRADE_COLOURS.get(g, "#000")) for g in grades])
    desc = f"{title}. " + "; ".join(
        f"{w}: {t} (" + ", ".join(f"{g} {int(weeks[w].get(g, 0))}" for g in grades) + ")"
        for w, t in zip(labels, totals, strict=True)
    )
    return _svg(chart_id, width, height, title, desc, body)


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """One salesperson: median response (business hours), deadline hours, on-time share."""

    name: str
    median_hours: float | None
    deadline_hours: float | None
    on_time_rate: float | None = None

    @classmethod
    def from_stats(cls, stats: object) -> ResponseRow:
        """From a :class:`tradeinbox.core.deals.deadlines.ResponseStats`."""
        return cls(
            getattr(stats, "salesperson", "") or "-",
            getattr(stats, "median_hours", None),
            getattr(stats, "median_deadline_hours", None),
            getattr(stats, "on_time_rate", None),
        )


def response_vs_deadline(
    rows: Sequence[ResponseRow],
    *,
    title: str = "Response time against deadline (business hours)",
    chart_id: str = "response",
    width: int = 640,
    bar_height: int = 22,
) -> str:
    """Horizontal bars of median response time with a deadline tick per person; bars over
    the deadline are orange-red and labelled "late", the rest green and "on time"."""
    rows = [r for r in rows if r.median_hours is not None]
    height = 70 + (bar_height + 12) * max(1, len(rows))
    if not rows:
        return _empty(chart_id, title, width, height)
    top = nice_max(max(max(r.median_hours or 0, r.deadline_hours or 0) for r in rows))
    x0, cw = 150.0, width - 150.0 - 90
    body: list[str] = []
    for i in range(5):
        x = x0 + cw * i / 4
        body.append(
            f'<line x1="{x:.1f}" y1="36" x2="{x:.1f}" y2="{height - 24}" stroke="#e5e5e5"/>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
            f'fill="#555">{_fmt(top * i / 4)} h</text>'
        )
    parts_desc = []
    for i, r in enumerate(rows):
        y = 44 + i * (bar_height + 12)
        med = float(r.median_hours or 0)
        late = r.deadline_hours is not None and med > r.deadline_hours
        colour = LATE if late else OK
        w = cw * med / top
        status = "late" if late else "on time"
        rate = f", {r.on_time_rate:.0%} answered on time" if r.on_time_rate is not None else ""
        tip = f"{r.name}: median {_fmt(med)} h, deadline {_fmt(r.deadline_hours or 0)} h{rate}"
        body.append(
            f'<text x="{x0 - 8:.1f}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
            f'font-size="12" fill="#222">{_e(r.name)}</text>'
        )
        body.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(1.0, w):.1f}" height="{bar_height}" '
            f'fill="{colour}"><title>{_e(tip)}</title></rect>'
        )
        body.append(
            f'<text x="{x0 + max(1.0, w) + 6:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="11" '
            f'fill="#222">{_fmt(med)} h ({status})</text>'
        )
        if r.deadline_hours is not None:
            dx = x0 + cw * r.deadline_hours / top
            body.append(
                f'<line x1="{dx:.1f}" y1="{y - 3:.1f}" x2="{dx:.1f}" y2="{y + bar_height + 3:.1f}" '
                f'stroke="#111" stroke-width="2" stroke-dasharray="3 2">'
                f"<title>{_e(f'deadline {_fmt(r.deadline_hours)} h')}</title></line>"
            )
        parts_desc.append(tip + f" ({status})")
    desc = f"{title}. Dashed line: deadline. " + "; ".join(parts_desc)
    return _svg(chart_id, width, height, title, desc, body)


def deal_funnel(
    counts: Sequence[tuple[str, int]],
    *,
    title: str = "Deals by stage",
    chart_id: str = "funnel",
    width: int = 640,
    row_height: int = 26,
) -> str:
    """A funnel: one centred bar per stage (in pipeline order) with its count and the share
    of the previous stage it represents."""
    height = 50 + (row_height + 6) * max(1, len(counts))
    if not counts or not any(n for _, n in counts):
        return _empty(chart_id, title, width, height)
    top = max(n for _, n in counts) or 1
    # Stage names left of x=110, bars centred in the middle, "n (xx% of previous)" after
    # them: about 125 px of text that must stay inside the drawing.
    maxw = width - 290.0
    cx = 120 + maxw / 2
    body: list[str] = []
    desc_parts = []
    prev: int | None = None
    for i, (stage, n) in enumerate(counts):
        y = 38 + i * (row_height + 6)
        w = max(2.0, maxw * n / top) if n else 0.0
        conv = f" ({n / prev:.0%} of previous)" if prev else ""
        colour = PALETTE[i % len(PALETTE)] if PALETTE[i % len(PALETTE)] != "#F0E442" else "#999999"
        body.append(
            f'<text x="110" y="{y + row_height * 0.68:.1f}" text-anchor="end" font-size="12" '
            f'fill="#222">{_e(stage)}</text>'
        )
        if w:
            body.append(
                f'<rect x="{cx - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row_height}" '
                f'rx="3" fill="{colour}"><title>{_e(f"{stage}: {n}{conv}")}</title></rect>'
            )
        body.append(
            f'<text x="{cx + maxw / 2 + 8:.1f}" y="{y + row_height * 0.68:.1f}" font-size="12" '
            f'fill="#222">{n}{_e(conv)}</text>'
        )
        desc_parts.append(f"{stage}: {n}{conv}")
        prev = n if n else prev
    return _svg(chart_id, width, height, title, f"{title}. " + "; ".join(desc_parts), body)


def followups_done_vs_due(
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str = "Follow-ups done vs due",
    chart_id: str = "followups",
    width: int = 640,
    height: int = 280,
) -> str:
    """Grouped bars per label (week or salesperson): ``(label, done, due)``; the completion
    share is printed under each group."""
    if not rows:
        return _empty(chart_id, title, width, height)
    top = nice_max(max(max(d, u) for _, d, u in rows))
    x0, y0, ch = 48.0, height - 62.0, height - 110.0
    cw = width - x0 - 16
    slot = cw / len(rows)
    bw = max(3.0, min(28.0, slot * 0.35))
    body = _y_axis(x0, y0, ch, cw, top)
    desc_parts = []
    for i, (label, done, due) in enumerate(rows):
        gx = x0 + slot * i + slot / 2
        share = f"{done / due:.0%}" if due else "-"
        for j, (name, v, colour) in enumerate((("done", done, OK), ("due", due, "#999999"))):
            h = ch * v / top
            x = gx - bw + j * bw
            body.append(
                f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{_e(f"{label}: {v} {name}")}</title></rect>'
            )
            body.append(
                f'<text x="{x + bw / 2:.1f}" y="{y0 - h - 4:.1f}" text-anchor="middle" '
                f'font-size="10" fill="#222">{v}</text>'
            )
        body.append(
            f'<text x="{gx:.1f}" y="{y0 + 15:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#555">{_e(label)}</text>'
        )
        body.append(
            f'<text x="{gx:.1f}" y="{y0 + 29:.1f}" text-anchor="middle" font-size="10" '
            f'fill="#555">{_e(share)}</text>'
        )
        desc_parts.append(f"{label}: {done} done of {due} due ({share})")
    body += _legend(x0, height - 8, [("done", OK), ("due", "#999999")])
    return _svg(chart_id, width, height, title, f"{title}. " + "; ".join(desc_parts), body)
