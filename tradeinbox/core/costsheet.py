"""Load and validate a JSON cost sheet (format documented in ``docs/cost-sheet.md``).

All amounts become :class:`decimal.Decimal` in the *quote* currency as soon as they are
read, using the user-entered exchange rates (each with the date it was taken). Numbers
may be JSON strings or numbers; strings are preferred because a JSON float such as 0.1 is
already inexact before we see it (we parse numbers via ``str`` to keep what was typed).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

from tradeinbox.core import incoterms

FORMAT = "tradeinbox-cost-sheet/1"
COST_LINES = ("materials", "labour", "overhead", "packaging")
ROUNDING_MODES = (
    "ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_HALF_DOWN", "ROUND_UP", "ROUND_DOWN",
    "ROUND_CEILING", "ROUND_FLOOR",
)  # fmt: skip
#: Typical loadable volume (m³) and payload (kg) of ISO containers; overridable per sheet.
CONTAINERS = {
    "20GP": (Decimal("28"), Decimal("21700")),
    "40GP": (Decimal("58"), Decimal("26500")),
    "40HQ": (Decimal("68"), Decimal("26300")),
    "45HQ": (Decimal("78"), Decimal("25500")),
}
CHARGE_BASES = ("shipment", "container", "cbm", "kg", "unit")
PRECISION = 40  # significant digits for intermediate results (rounding happens at the end)


class SheetError(ValueError):
    """The cost sheet is invalid; the message names the JSON path."""


def D(value: Any, path: str) -> Decimal:
    """A Decimal from a JSON string/number, rejecting NaN/Infinity and booleans."""
    if isinstance(value, bool) or value is None:
        raise SheetError(f"{path}: expected a number, got {value!r}")
    try:
        out = Decimal(str(value).strip().replace(",", "").replace("_", ""))
    except InvalidOperation as exc:
        raise SheetError(f"{path}: '{value}' is not a number") from exc
    if not out.is_finite():
        raise SheetError(f"{path}: must be a finite number")
    return out


def pct(value: Any, path: str, *, lo: str = "0", hi: str = "100") -> Decimal:
    """A percentage given as e.g. "13" (meaning 13 %) returned as the fraction 0.13."""
    out = D(value, path)
    if not Decimal(lo) <= out <= Decimal(hi):
        raise SheetError(f"{path}: {out}% is outside {lo}-{hi}%")
    return out / 100


@dataclass(frozen=True, slots=True)
class Rate:
    """1 ``base`` = ``rate`` ``quote``, as entered by the user on ``date``."""

    base: str
    quote: str
    rate: Decimal
    date: dt.date
    source: str = ""


@dataclass(slots=True)
class Currency:
    cost: str
    quote: str
    rates: list[Rate]

    def convert(self, amount: Decimal, frm: str, path: str = "") -> Decimal:
        """Convert ``amount`` from ``frm`` to the quote currency (direct, inverse or via cost)."""
        frm = frm.upper()
        with localcontext() as ctx:
            ctx.prec = PRECISION
            if frm == self.quote:
                return amount
            factor = self._factor(frm, self.quote)
            if factor is None and frm != self.cost:
                a, b = self._factor(frm, self.cost), self._factor(self.cost, self.quote)
                factor = a * b if a is not None and b is not None else None
            if factor is None:
                raise SheetError(f"{path}: no exchange rate from {frm} to {self.quote}")
            return amount * factor

    def _factor(self, frm: str, to: str) -> Decimal | None:
        for r in self.rates:
            if r.base == frm and r.quote == to:
                return r.rate
            if r.base == to and r.quote == frm:
                return 1 / r.rate
        return None


@dataclass(slots=True)
class Charge:
    """A cost charged per shipment / container / m³ / kg / unit, in the quote currency."""

    amount: Decimal
    per: str = "shipment"


@dataclass(slots=True)
class Tier:
    quantity: int
    costs: dict[str, Decimal] = field(default_factory=dict)
    margin: Decimal | None = None


@dataclass(slots=True)
class Product:
    sku: str
    description: Any  # str or {lang: str}
    unit: str
    quantity: int
    moq: int
    costs: dict[str, Decimal]  # quote currency per unit, VAT-inclusive if vat.costs_include_vat
    cbm_per_unit: Decimal
    kg_per_unit: Decimal
    units_per_carton: int = 1
    carton_cbm: Decimal | None = None
    carton_kg: Decimal | None = None
    hs_code: str = ""
    duty_rate: Decimal = Decimal(0)
    margin: Decimal | None = None
    target: tuple[str, Decimal] | None = None  # (Incoterm, unit price)
    tiers: list[Tier] = field(default_factory=list)

    def volume(self, qty: int) -> tuple[Decimal, Decimal, int]:
        """(m³, gross kg, cartons) for ``qty`` units; whole cartons when carton data exists."""
        if self.carton_cbm is not None:
            cartons = -(-qty // self.units_per_carton)
            return cartons * self.carton_cbm, cartons * (self.carton_kg or 0), cartons
        return qty * self.cbm_per_unit, qty * self.kg_per_unit, 0


@dataclass(slots=True)
class Sheet:
    """A validated cost sheet. ``raw`` keeps the JSON for the document renderer."""

    raw: dict
    currency: Currency
    rounding_mode: str
    places: int
    total_places: int
    pricing_basis: str  # "exw" (margin on goods) or "price" (margin on each Incoterm price)
    default_margin: Decimal | None
    markup: Decimal | None
    vat_rate: Decimal
    rebate_rate: Decimal
    vat_lines: tuple[str, ...]
    products: list[Product]
    rules: list[str]
    charges: dict[str, Charge]
    carriage: dict
    insurance_rate: Decimal
    cip_rate: Decimal
    insurance_markup: Decimal
    insure_d_terms: bool
    fca_at_terminal: bool
    handling_in_c_terms: bool
    customs_basis: str
    import_vat_rate: Decimal
    negotiation: dict


def money(sheet_cur: Currency, value: Any, path: str) -> Decimal:
    if isinstance(value, dict):
        cur = str(value.get("currency", sheet_cur.cost))
        return sheet_cur.convert(D(value.get("amount"), f"{path}.amount"), cur, path)
    return sheet_cur.convert(D(value, path), sheet_cur.cost, path)


def parse_charge(cur: Currency, value: Any, path: str) -> Charge:
    per = value.get("per", "shipment") if isinstance(value, dict) else "shipment"
    if per not in CHARGE_BASES:
        raise SheetError(f"{path}.per: '{per}' is not one of {', '.join(CHARGE_BASES)}")
    return Charge(money(cur, value, path), per)


def _rule(code: Any, path: str) -> str:
    try:
        return incoterms.normalise(str(code or ""))
    except ValueError as exc:
        raise SheetError(f"{path}: {exc}") from exc


def _date(value: Any, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise SheetError(f"{path}: '{value}' is not an ISO date (YYYY-MM-DD)") from exc


def _int(value: Any, path: str, minimum: int = 0) -> int:
    number = D(value, path)
    if number != number.to_integral_value() or number < minimum:
        raise SheetError(f"{path}: expected a whole number >= {minimum}")
    return int(number)


def _product(cur: Currency, p: dict, i: int, rules: list[str]) -> Product:
    path = f"products[{i}]"
    if not isinstance(p, dict) or not p.get("sku"):
        raise SheetError(f"{path}.sku is required")
    costs_in = p.get("costs") or {}
    unknown = set(costs_in) - set(COST_LINES)
    if unknown:
        raise SheetError(f"{path}.costs: unknown line(s) {sorted(unknown)}; use {COST_LINES}")
    costs = {k: money(cur, costs_in.get(k, "0"), f"{path}.costs.{k}") for k in COST_LINES}
    packing = p.get("packing") or {}
    carton_cbm = carton_kg = None
    upc = 1
    if "carton_cm" in packing:
        dims = packing["carton_cm"]
        if not (isinstance(dims, list) and len(dims) == 3):
            raise SheetError(f"{path}.packing.carton_cm must be [length, width, height]")
        with localcontext() as ctx:
            ctx.prec = PRECISION
            carton_cbm = D(dims[0], "l") * D(dims[1], "w") * D(dims[2], "h") / Decimal(1_000_000)
        carton_kg = D(packing.get("carton_kg", "0"), f"{path}.packing.carton_kg")
        upc = _int(packing.get("units_per_carton", 1), f"{path}.packing.units_per_carton", 1)
    target = None
    if "target_price" in p:
        t = p["target_price"]
        target = (
            _rule(t.get("incoterm"), f"{path}.target_price.incoterm"),
            money(cur, t, f"{path}.target"),
        )
    tiers = []
    for j, t in enumerate(p.get("tiers") or []):
        tpath = f"{path}.tiers[{j}]"
        tiers.append(
            Tier(
                _int(t.get("quantity"), f"{tpath}.quantity", 1),
                {k: money(cur, v, f"{tpath}.costs.{k}") for k, v in (t.get("costs") or {}).items()},
                pct(t["margin_pct"], f"{tpath}.margin_pct", hi="99.99") if "margin_pct" in t else None,
            )
        )  # fmt: skip
    return Product(
        sku=str(p["sku"]),
        description=p.get("description", ""),
        unit=str(p.get("unit", "pcs")),
        quantity=_int(p.get("quantity"), f"{path}.quantity", 1),
        moq=_int(p.get("moq", 0), f"{path}.moq"),
        costs=costs,
        cbm_per_unit=D(packing.get("cbm_per_unit", "0"), f"{path}.packing.cbm_per_unit"),
        kg_per_unit=D(packing.get("kg_per_unit", "0"), f"{path}.packing.kg_per_unit"),
        units_per_carton=upc,
        carton_cbm=carton_cbm,
        carton_kg=carton_kg,
        hs_code=str(p.get("hs_code", "")),
        duty_rate=pct(p.get("import_duty_pct", "0"), f"{path}.import_duty_pct"),
        margin=pct(p["margin_pct"], f"{path}.margin_pct", hi="99.99") if "margin_pct" in p else None,
        target=target,
        tiers=tiers,
    )  # fmt: skip


def load_sheet(data: dict | str | Path) -> Sheet:
    """Parse a cost sheet from a dict, a JSON string or a path; raise :class:`SheetError`."""
    if isinstance(data, Path) or (isinstance(data, str) and not data.lstrip().startswith("{")):
        data = json.loads(Path(data).read_text(encoding="utf-8"))
    elif isinstance(data, str):
        data = json.loads(data)
    if not isinstance(data, dict):
        raise SheetError("the cost sheet must be a JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise SheetError(f"format must be '{FORMAT}'")
    c = data.get("currency") or {}
    rates = [
        Rate(str(r["from"]).upper(), str(r["to"]).upper(), D(r["rate"], f"currency.rates[{i}]"),
             _date(r.get("date"), f"currency.rates[{i}].date"), str(r.get("source", "")))
        for i, r in enumerate(c.get("rates") or [])
    ]  # fmt: skip
    if any(r.rate <= 0 for r in rates):
        raise SheetError("currency.rates: rates must be positive")
    cur = Currency(str(c.get("cost", "USD")).upper(), str(c.get("quote", "USD")).upper(), rates)
    rnd = data.get("rounding") or {}
    mode = str(rnd.get("mode", "ROUND_HALF_UP")).upper()
    if mode not in ROUNDING_MODES:
        raise SheetError(f"rounding.mode must be one of {', '.join(ROUNDING_MODES)}")
    places = _int(rnd.get("places", 2), "rounding.places")
    pr = data.get("pricing") or {}
    basis = str(pr.get("margin_basis", "exw")).lower()
    if basis not in ("exw", "price"):
        raise SheetError("pricing.margin_basis must be 'exw' or 'price'")
    margin = pct(pr["margin_pct"], "pricing.margin_pct", hi="99.99") if "margin_pct" in pr else None
    markup = pct(pr["markup_pct"], "pricing.markup_pct", hi="1000") if "markup_pct" in pr else None
    vat = data.get("vat") or {}
    rules = [_rule(r, "incoterms") for r in data.get("incoterms") or incoterms.RULES]
    products = [_product(cur, p, i, rules) for i, p in enumerate(data.get("products") or [])]
    if not products:
        raise SheetError("products: at least one product is required")
    for prod in products:
        if prod.margin is None and margin is None and markup is None and prod.target is None:
            raise SheetError(
                f"product {prod.sku}: give pricing.margin_pct, markup_pct or a target_price"
            )
    log = data.get("logistics") or {}
    origin, dest = log.get("origin") or {}, log.get("destination") or {}
    charges: dict[str, Charge] = {}
    for key, src, name in (
        ("loading", origin, "loading"), ("export_clearance", origin, "export_clearance"),
        ("inland_freight", origin, "inland_freight"), ("origin_handling", origin, "terminal_handling"),
        ("destination_handling", dest, "terminal_handling"), ("on_carriage", dest, "on_carriage"),
        ("unloading", dest, "unloading"), ("import_clearance", dest, "import_clearance"),
    ):  # fmt: skip
        if name in src:
            charges[key] = parse_charge(
                cur, src[name], f"logistics.{'origin' if src is origin else 'destination'}.{name}"
            )
    carriage = dict(log.get("main_carriage") or {"mode": "none"})
    ins = log.get("insurance") or {}
    rate = pct(ins.get("rate_pct", "0"), "logistics.insurance.rate_pct", hi="50")
    basis_c = str(dest.get("customs_value_basis", "CIF")).upper()
    if basis_c not in ("CIF", "FOB"):
        raise SheetError("logistics.destination.customs_value_basis must be CIF or FOB")
    sheet = Sheet(
        raw=data, currency=cur, rounding_mode=mode, places=places,
        total_places=_int(rnd.get("total_places", places), "rounding.total_places"),
        pricing_basis=basis, default_margin=margin, markup=markup,
        vat_rate=pct(vat.get("rate_pct", "0"), "vat.rate_pct"),
        rebate_rate=pct(vat.get("rebate_pct", "0"), "vat.rebate_pct"),
        vat_lines=tuple(vat.get("applies_to") or COST_LINES) if vat.get("costs_include_vat", True) else (),
        products=products, rules=rules, charges=charges, carriage=carriage,
        insurance_rate=rate,
        cip_rate=pct(ins.get("cip_rate_pct", ins.get("rate_pct", "0")), "logistics.insurance.cip_rate_pct", hi="50"),
        insurance_markup=pct(ins.get("markup_pct", "10"), "logistics.insurance.markup_pct"),
        insure_d_terms=bool(ins.get("d_terms", False)),
        fca_at_terminal=str(origin.get("fca_place", "terminal")) == "terminal",
        handling_in_c_terms=bool(dest.get("handling_in_c_terms", False)),
        customs_basis=basis_c,
        import_vat_rate=pct(dest.get("import_vat_pct", "0"), "logistics.destination.import_vat_pct"),
        negotiation=data.get("negotiation") or {},
    )  # fmt: skip
    if sheet.rebate_rate > sheet.vat_rate:
        raise SheetError("vat.rebate_pct cannot exceed vat.rate_pct")
    bad = set(sheet.vat_lines) - set(COST_LINES)
    if bad:
        raise SheetError(f"vat.applies_to: unknown line(s) {sorted(bad)}")
    return sheet
