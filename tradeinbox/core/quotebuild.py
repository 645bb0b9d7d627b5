"""Build a JSON cost sheet from what a seller types in a quotation form, and chart prices.

The web app's quotation form collects plain values (:class:`QuoteInput`, one
:class:`LineInput` per product); :func:`build_sheet` turns them into a
``tradeinbox-cost-sheet/1`` document (``docs/cost-sheet.md``), so the web app, the
command line and the tests all price through the same :mod:`tradeinbox.core.quotation`.
Amounts are written as strings, never floats, so what was typed is what is priced.

:func:`price_chart_svg` draws a product's quoted unit prices over time as a small,
accessible SVG line chart (no JavaScript).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import COST_LINES, FORMAT

CARRIAGE_MODES = ("none", "sea_fcl", "sea_lcl", "air", "road", "courier")
DEFAULT_PACKS = (
    {"kind": "volume", "extra_qty_pct": "10"},
    {"kind": "warranty", "extra_months": 12, "claim_cost_pct_per_year": "1.5"},
    {"kind": "samples", "units": 10, "courier": "0"},
    {"kind": "payment_terms", "days": 30, "finance_rate_pct": "6"},
)


@dataclass(slots=True)
class LineInput:
    """One product line: costs per unit in the quote's cost currency."""

    sku: str
    description: dict[str, str] | str
    quantity: int
    costs: dict[str, Decimal]
    unit: str = "pcs"
    moq: int = 0
    units_per_carton: int = 1
    carton_cm: tuple[Decimal, Decimal, Decimal] | None = None
    carton_kg: Decimal | None = None
    cbm_per_unit: Decimal = Decimal(0)
    kg_per_unit: Decimal = Decimal(0)
    hs_code: str = ""
    import_duty_pct: Decimal = Decimal(0)
    margin_pct: Decimal | None = None
    tiers: list[int] = field(default_factory=list)


@dataclass(slots=True)
class QuoteInput:
    """Everything a quotation form asks for. Money: origin charges in the cost currency,
    freight and destination charges in the quote currency (how forwarders quote them)."""

    lines: list[LineInput]
    cost_currency: str = "CNY"
    quote_currency: str = "USD"
    rate: Decimal | None = None  # 1 quote_currency = rate cost_currency
    rate_date: dt.date | None = None
    rate_source: str = ""
    margin_pct: Decimal = Decimal(15)
    vat_pct: Decimal = Decimal(0)
    rebate_pct: Decimal = Decimal(0)
    incoterm: str = "FOB"
    incoterms: list[str] = field(default_factory=lambda: list(incoterms.RULES))
    origin_place: str = ""
    origin_port: str = ""
    destination_port: str = ""
    destination_place: str = ""
    carriage_mode: str = "none"
    container: str = "40HQ"
    freight_rate: Decimal | None = None  # per container / m³ / kg, or per shipment
    loading: Decimal | None = None
    export_clearance: Decimal | None = None
    inland_freight: Decimal | None = None
    origin_handling: Decimal | None = None  # per container for FCL, else per shipment
    insurance_pct: Decimal = Decimal(0)
    cip_insurance_pct: Decimal | None = None
    destination_handling: Decimal | None = None
    on_carriage: Decimal | None = None
    unloading: Decimal | None = None
    import_clearance: Decimal | None = None
    import_vat_pct: Decimal = Decimal(0)
    customs_basis: str = "CIF"
    issued_on: dt.date | None = None
    valid_days: int = 30
    payment_terms: str = ""
    lead_time: str = ""
    notes: str = ""
    language: str = "en"
    min_margin_pct: Decimal = Decimal(0)


def parse_tiers(text: str) -> list[int]:
    """``"500, 5000"`` -> ``[500, 5000]``; raises ValueError naming the bad part."""
    out: list[int] = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise ValueError(f"'{part}' is not a whole quantity")
        out.append(int(part))
    return sorted(set(out))


def _s(value: Decimal | int) -> str:
    return str(value)


def _charge(value: Decimal | None, currency: str, per: str = "shipment") -> dict | None:
    if value is None or value == 0:
        return None
    return {"amount": _s(value), "currency": currency, "per": per}


def _line(line: LineInput) -> dict:
    out: dict = {
        "sku": line.sku,
        "description": line.description,
        "unit": line.unit or "pcs",
        "quantity": line.quantity,
        "moq": line.moq,
        "costs": {k: _s(line.costs.get(k, Decimal(0))) for k in COST_LINES},
        "hs_code": line.hs_code,
        "import_duty_pct": _s(line.import_duty_pct),
    }
    if line.carton_cm is not None:
        out["packing"] = {
            "units_per_carton": line.units_per_carton,
            "carton_cm": [_s(x) for x in line.carton_cm],
            "carton_kg": _s(line.carton_kg or Decimal(0)),
        }
    else:
        out["packing"] = {
            "cbm_per_unit": _s(line.cbm_per_unit),
            "kg_per_unit": _s(line.kg_per_unit),
        }
    if line.margin_pct is not None:
        out["margin_pct"] = _s(line.margin_pct)
    if line.tiers:
        out["tiers"] = [{"quantity": q} for q in line.tiers]
    return out


def _carriage(inp: QuoteInput) -> dict:
    mode, rate, cur = inp.carriage_mode, inp.freight_rate, inp.quote_currency
    if mode == "none" or rate is None:
        return {"mode": "none"}
    money = {"amount": _s(rate), "currency": cur}
    if mode == "sea_fcl":
        return {"mode": "sea_fcl", "container": inp.container, "rate_per_container": money}
    if mode == "sea_lcl":
        return {"mode": "sea_lcl", "rate_per_cbm": money}
    if mode == "air":
        return {"mode": "air", "rate_per_kg": money}
    return {"mode": mode, "amount": money}


def build_sheet(inp: QuoteInput) -> dict:
    """The cost sheet (``docs/cost-sheet.md``) for a quotation form's values."""
    if inp.carriage_mode not in CARRIAGE_MODES:
        raise ValueError(f"carriage mode must be one of {', '.join(CARRIAGE_MODES)}")
    cost, quote_cur = inp.cost_currency.upper(), inp.quote_currency.upper()
    rates = []
    if inp.rate is not None and cost != quote_cur:
        rate_date = inp.rate_date or inp.issued_on or dt.datetime.now(dt.UTC).date()
        rates.append({"from": quote_cur, "to": cost, "rate": _s(inp.rate),
                      "date": rate_date.isoformat(), "source": inp.rate_source})  # fmt: skip
    rules = [incoterms.normalise(r) for r in inp.incoterms] or list(incoterms.RULES)
    rule = incoterms.normalise(inp.incoterm)
    if rule not in rules:
        rules.append(rule)
    rules = [r for r in incoterms.RULES if r in rules]  # the ICC order
    fcl = inp.carriage_mode == "sea_fcl"
    origin: dict = {"place": inp.origin_place, "port": inp.origin_port}
    for key, value, per in (
        ("loading", inp.loading, "shipment"),
        ("export_clearance", inp.export_clearance, "shipment"),
        ("inland_freight", inp.inland_freight, "shipment"),
        ("terminal_handling", inp.origin_handling, "container" if fcl else "shipment"),
    ):
        charge = _charge(value, cost, per)
        if charge is not None:
            origin[key] = charge
    destination: dict = {
        "port": inp.destination_port,
        "place": inp.destination_place or inp.destination_port,
        "customs_value_basis": inp.customs_basis,
        "import_vat_pct": _s(inp.import_vat_pct),
    }
    for key, value, per in (
        ("terminal_handling", inp.destination_handling, "container" if fcl else "shipment"),
        ("on_carriage", inp.on_carriage, "shipment"),
        ("unloading", inp.unloading, "shipment"),
        ("import_clearance", inp.import_clearance, "shipment"),
    ):
        charge = _charge(value, quote_cur, per)
        if charge is not None:
            destination[key] = charge
    cip = inp.cip_insurance_pct if inp.cip_insurance_pct is not None else inp.insurance_pct
    return {
        "format": FORMAT,
        "document": {
            "date": (inp.issued_on or dt.datetime.now(dt.UTC).date()).isoformat(),
            "valid_days": inp.valid_days,
            "incoterm": rule,
            "payment_terms": inp.payment_terms,
            "lead_time": inp.lead_time,
            "notes": inp.notes,
        },
        "currency": {"cost": cost, "quote": quote_cur, "rates": rates},
        "rounding": {"mode": "ROUND_HALF_UP", "places": 2},
        "pricing": {"margin_pct": _s(inp.margin_pct), "margin_basis": "exw"},
        "vat": {
            "rate_pct": _s(inp.vat_pct),
            "rebate_pct": _s(inp.rebate_pct),
            "costs_include_vat": True,
        },  # fmt: skip
        "incoterms": rules,
        "products": [_line(line) for line in inp.lines],
        "logistics": {
            "origin": origin,
            "main_carriage": _carriage(inp),
            "insurance": {
                "rate_pct": _s(inp.insurance_pct),
                "cip_rate_pct": _s(cip),
                "markup_pct": "10",
            },  # fmt: skip
            "destination": destination,
        },
        "negotiation": {
            "incoterm": rule,
            "min_margin_pct": _s(inp.min_margin_pct),
            "value_packs": [dict(p) for p in DEFAULT_PACKS],
        },
    }


# -- price history chart ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricePoint:
    when: dt.date
    price: Decimal
    label: str  # e.g. the quotation number, shown as the point's tooltip


def price_chart_svg(points: list[PricePoint], *, title: str, currency: str,
                    width: int = 560, height: int = 180) -> str:  # fmt: skip
    """A line chart of unit prices over time; every point carries its value as text."""
    if not points:
        return ""
    pts = sorted(points, key=lambda p: (p.when, p.label))
    lo, hi = min(p.price for p in pts), max(p.price for p in pts)
    if lo == hi:
        lo, hi = lo * Decimal("0.9"), hi * Decimal("1.1") if hi else Decimal(1)
    pad = (hi - lo) * Decimal("0.1")
    lo, hi = max(lo - pad, Decimal(0)), hi + pad
    left, right, top, bottom = 64, 16, 24, 28
    w, h = width - left - right, height - top - bottom
    first, last = pts[0].when, pts[-1].when
    span = max((last - first).days, 1)

    def xy(p: PricePoint, i: int) -> tuple[float, float]:
        if first == last:
            x = left + (w * (i + 1) / (len(pts) + 1))
        else:
            x = left + w * (p.when - first).days / span
        y = top + h * float((hi - p.price) / (hi - lo))
        return round(x, 1), round(y, 1)

    coords = [xy(p, i) for i, p in enumerate(pts)]
    desc = "; ".join(f"{p.when.isoformat()} {p.label}: {currency} {p.price}" for p in pts)
    tid, did = "price-chart-title", "price-chart-desc"
    out = [
        f'<svg class="price-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{tid} {did}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>',
    ]
    for frac in (0, 0.5, 1):
        y = round(top + h * frac, 1)
        value = hi - (hi - lo) * Decimal(str(frac))
        out.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{left + w}" y2="{y}"/>')
        out.append(f'<text class="axis" x="{left - 6}" y="{y + 4}" text-anchor="end">'
                   f"{value.quantize(Decimal('0.01'))}</text>")  # fmt: skip
    out.append(f'<text class="axis" x="{left}" y="{height - 8}">{first.isoformat()}</text>')
    if last != first:
        out.append(f'<text class="axis" x="{left + w}" y="{height - 8}" text-anchor="end">'
                   f"{last.isoformat()}</text>")  # fmt: skip
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        out.append(f'<polyline class="line" fill="none" points="{path}"/>')
    for (x, y), p in zip(coords, pts, strict=True):
        tip = escape(f"{p.label} · {p.when.isoformat()} · {currency} {p.price}")
        out.append(f'<circle class="point" cx="{x}" cy="{y}" r="3.5"><title>{tip}</title></circle>')
    out.append("</svg>")
    return "".join(out)
