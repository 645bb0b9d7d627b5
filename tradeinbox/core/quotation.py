"""Export quotation calculator: cost model -> price per Incoterm, tiers and value packs.

Method (all in :class:`decimal.Decimal`, 40 significant digits, rounded once at the end):

1. Unit cost ``c`` = materials + labour + overhead + packaging (VAT-inclusive purchase
   costs, as Chinese suppliers invoice them).
2. Export VAT rebate (China, 出口退税): ``rebate = c_vat_lines / (1 + VAT) * rebate_rate``;
   the VAT-exclusive base times the rebate rate is refunded after export, so it lowers the
   net cost: ``n = c - rebate``.
3. Goods value ``g`` (the EXW price): ``n / (1 - margin)`` (margin on the selling price),
   ``n * (1 + markup)``, or solved from a target price. With ``margin_basis = "price"``
   the margin is on each Incoterm's full price instead (textbook 外贸报价核算).
4. Shipment costs (inland freight, handling, main carriage ...) are totalled for the whole
   order and allocated to products by volume share (chargeable-weight share for air),
   then divided by quantity. Which ones a rule includes: :mod:`tradeinbox.core.incoterms`.
5. Insurance for CIF/CIP covers 110 % of the CIF value, so the premium depends on the
   price it is part of: ``CIF = CFR + 1.1 * r * CIF``, solved exactly as
   ``CIF = CFR / (1 - 1.1 * r)``.
6. DDP adds import duty on the customs value (CIF or FOB basis) and import VAT on
   customs value + duty + destination charges.

Every Incoterm price is linear in ``g`` (``p = a*g + b``), which is how margins on price,
target prices and the seller's profit for a counter-offer are solved exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext

from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import (
    CONTAINERS,
    COST_LINES,
    PRECISION,
    Charge,
    D,
    Product,
    Sheet,
    SheetError,
    money,
    parse_charge,
    pct,
)

ZERO, ONE = Decimal(0), Decimal(1)
_SHIP_COMPONENTS = ("loading", "export_clearance", "inland_freight", "origin_handling",
                    "main_carriage", "destination_handling", "on_carriage", "unloading",
                    "import_clearance")  # fmt: skip


def _ceil(x: Decimal) -> int:
    return int(-((-x).to_integral_value(rounding=ROUND_FLOOR)))


def rnd(sheet: Sheet, value: Decimal, places: int | None = None) -> Decimal:
    """Round with the sheet's mode (ROUND_HALF_UP by default) to ``places`` decimals."""
    places = sheet.places if places is None else places
    return value.quantize(Decimal(1).scaleb(-places), rounding=sheet.rounding_mode)


def rounding_statement(sheet: Sheet) -> str:
    return (
        f"Computed exactly with decimal arithmetic; rounded once at the end, "
        f"{sheet.rounding_mode} to {sheet.places} decimal places for unit prices and "
        f"{sheet.total_places} for totals. Line amount = rounded unit price x quantity."
    )


@dataclass(slots=True)
class Shipment:
    """Physical totals of an order and the per-unit logistics cost of each product."""

    cbm: Decimal
    kg: Decimal
    containers: int
    chargeable: Decimal  # kg for air, revenue tons for LCL, containers for FCL
    carriage_total: Decimal
    totals: dict[str, Decimal]  # component -> whole-shipment amount
    per_unit: dict[str, dict[str, Decimal]]  # sku -> component -> per unit
    notes: list[str] = field(default_factory=list)


def _carriage(sheet: Sheet, cbm: Decimal, kg: Decimal) -> tuple[Decimal, int, Decimal, str]:
    """(total, containers, chargeable quantity, explanation) for the main carriage."""
    c = sheet.carriage
    mode = str(c.get("mode", "none")).lower()
    cur = sheet.currency
    if mode == "none":
        return ZERO, 0, ZERO, "no main carriage priced"
    if mode == "sea_fcl":
        ctype = str(c.get("container", "40HQ")).upper()
        cap, payload = CONTAINERS.get(ctype, (None, None))
        cap = D(c.get("capacity_cbm", cap), "main_carriage.capacity_cbm")
        payload = D(c.get("max_payload_kg", payload), "main_carriage.max_payload_kg")
        n = (
            int(c["containers"])
            if "containers" in c
            else max(_ceil(cbm / cap), _ceil(kg / payload), 1)
        )
        rate = money(cur, c.get("rate_per_container"), "main_carriage.rate_per_container")
        return n * rate, n, Decimal(n), f"{n} x {ctype} (capacity {cap} m³ / {payload} kg each)"
    if mode == "sea_lcl":
        rate = money(cur, c.get("rate_per_cbm"), "main_carriage.rate_per_cbm")
        minimum = D(c.get("min_cbm", "1"), "main_carriage.min_cbm")
        rt = max(cbm, kg / 1000, minimum)  # W/M: 1 revenue ton = 1 m³ or 1000 kg
        return rt * rate, 0, rt, f"LCL {rt} revenue tons (W/M, min {minimum})"
    if mode == "air":
        rate = money(cur, c.get("rate_per_kg"), "main_carriage.rate_per_kg")
        factor = D(c.get("volumetric_kg_per_cbm", "167"), "main_carriage.volumetric_kg_per_cbm")
        minimum = D(c.get("min_kg", "0"), "main_carriage.min_kg")
        chargeable = max(kg, cbm * factor, minimum)
        return chargeable * rate, 0, chargeable, (
            f"air chargeable {chargeable} kg = max(gross {kg}, {cbm} m³ x {factor})"
        )  # fmt: skip
    if mode in ("road", "rail", "courier", "flat"):
        return money(cur, c.get("amount"), "main_carriage.amount"), 0, ONE, f"{mode}, flat"
    raise SheetError(f"main_carriage.mode '{mode}' unknown (sea_fcl, sea_lcl, air, road, rail)")


def _charge_total(ch: Charge, cbm: Decimal, kg: Decimal, containers: int) -> Decimal:
    return {
        "shipment": ch.amount,
        "container": ch.amount * max(containers, 1),
        "cbm": ch.amount * cbm,
        "kg": ch.amount * kg,
    }[ch.per]


def shipment(sheet: Sheet, qty: dict[str, int]) -> Shipment:
    """Total the order's physical size and logistics, allocate per product unit."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        vols = {p.sku: p.volume(qty[p.sku]) for p in sheet.products}
        cbm = sum((v[0] for v in vols.values()), ZERO)
        kg = sum((v[1] for v in vols.values()), ZERO)
        carriage, containers, chargeable, why = _carriage(sheet, cbm, kg)
        for i, s in enumerate(sheet.carriage.get("surcharges") or []):
            carriage += _charge_total(
                parse_charge(sheet.currency, s, f"main_carriage.surcharges[{i}]"),
                cbm,
                kg,
                containers,
            )
        totals = {"main_carriage": carriage}
        for comp, ch in sheet.charges.items():
            totals[comp] = ZERO if ch.per == "unit" else _charge_total(ch, cbm, kg, containers)
        air = str(sheet.carriage.get("mode", "")).lower() == "air"
        factor = D(sheet.carriage.get("volumetric_kg_per_cbm", "167"), "volumetric")
        weights = {
            sku: (max(v[1], v[0] * factor) if air else v[0]) for sku, v in vols.items()
        }  # fmt: skip
        total_w = sum(weights.values(), ZERO)
        total_q = sum(qty.values())
        per_unit: dict[str, dict[str, Decimal]] = {}
        for p in sheet.products:
            q = qty[p.sku]
            share = weights[p.sku] / total_w if total_w else Decimal(q) / total_q
            comps = {}
            for comp in _SHIP_COMPONENTS:
                ch = sheet.charges.get(comp)
                if ch is not None and ch.per == "unit":
                    comps[comp] = ch.amount
                else:
                    comps[comp] = totals.get(comp, ZERO) * share / q
            per_unit[p.sku] = comps
        return Shipment(cbm, kg, containers, chargeable, carriage, totals, per_unit, [why])


@dataclass(slots=True)
class UnitPrice:
    """One product under one rule: exact parts, exact price, and the seller-only figures."""

    rule: str
    parts: dict[str, Decimal]
    price: Decimal
    net_cost: Decimal
    rebate: Decimal
    goods: Decimal
    a: Decimal  # price = a * goods + b
    b: Decimal

    @property
    def profit(self) -> Decimal:
        return self.goods - self.net_cost

    def goods_for(self, price: Decimal) -> Decimal:
        """The goods value implied by an offered unit price (exact inverse)."""
        return (price - self.b) / self.a


def _parts(sheet: Sheet, rule: str, g: Decimal, L: dict[str, Decimal], p: Product) -> dict:
    """Price components of ``rule`` for goods value ``g`` and per-unit logistics ``L``."""
    inc = incoterms.INCLUDED[rule]
    parts: dict[str, Decimal] = {"goods": g}
    for comp in ("loading", "export_clearance", "inland_freight", "origin_handling",
                 "main_carriage", "destination_handling", "on_carriage", "unloading"):  # fmt: skip
        if comp in inc and not (
            rule == "FCA" and comp == "inland_freight" and not sheet.fca_at_terminal
        ):
            parts[comp] = L[comp]
    if sheet.handling_in_c_terms and rule in ("CFR", "CIF", "CPT", "CIP"):
        parts["destination_handling"] = L["destination_handling"]
    base = sum(parts.values(), ZERO)
    k = ONE + sheet.insurance_markup
    if rule in ("CIF", "CIP"):
        r = sheet.insurance_rate if rule == "CIF" else sheet.cip_rate
        parts["insurance"] = base / (ONE - k * r) - base  # CIF = CFR / (1 - 1.1 r)
    elif rule in ("DAP", "DPU", "DDP") and sheet.insure_d_terms:
        parts["insurance"] = base / (ONE - k * sheet.cip_rate) - base
    if rule == "DDP":
        fob = g + sum((L[c] for c in ("loading", "export_clearance", "inland_freight",
                                       "origin_handling")), ZERO)  # fmt: skip
        cfr = fob + L["main_carriage"]
        cif = cfr / (ONE - k * sheet.insurance_rate)
        customs = cif if sheet.customs_basis == "CIF" else fob
        duty = customs * p.duty_rate
        parts["import_clearance"] = L["import_clearance"]
        parts["import_duty"] = duty
        parts["import_vat"] = sheet.import_vat_rate * (
            customs + duty + L["destination_handling"] + L["on_carriage"]
        )
    return parts


def price_rule(sheet: Sheet, p: Product, rule: str, L: dict[str, Decimal],
               costs: dict[str, Decimal], margin: Decimal | None) -> UnitPrice:  # fmt: skip
    """Exact unit price of product ``p`` under ``rule``."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        cost = sum((costs[k] for k in COST_LINES), ZERO)
        vat_base = sum((costs[k] for k in sheet.vat_lines), ZERO)
        rebate = vat_base / (ONE + sheet.vat_rate) * sheet.rebate_rate
        n = cost - rebate

        def total(g: Decimal) -> Decimal:
            return sum(_parts(sheet, rule, g, L, p).values(), ZERO)

        b = total(ZERO)
        a = total(ONE) - b
        if p.target is not None and margin is None:
            t_rule, t_price = p.target
            tb = sum(_parts(sheet, t_rule, ZERO, L, p).values(), ZERO)
            ta = sum(_parts(sheet, t_rule, ONE, L, p).values(), ZERO) - tb
            g = (t_price - tb) / ta
        elif margin is None and sheet.markup is not None:
            g = n * (ONE + sheet.markup)
        else:
            m = margin if margin is not None else sheet.default_margin
            if sheet.pricing_basis == "price":  # profit = m * price  ->  g - n = m (a g + b)
                g = (n + m * b) / (ONE - m * a)
            else:
                g = n / (ONE - m)
        parts = _parts(sheet, rule, g, L, p)
        return UnitPrice(rule, parts, sum(parts.values(), ZERO), n, rebate, g, a, b)


@dataclass(slots=True)
class OrderPrices:
    quantities: dict[str, int]
    ship: Shipment
    prices: dict[str, dict[str, UnitPrice]]  # rule -> sku -> price


def price_order(sheet: Sheet, qty: dict[str, int] | None = None,
                overrides: dict[str, tuple[dict, Decimal | None]] | None = None) -> OrderPrices:  # fmt: skip
    """Price every product under every rule for the given quantities."""
    qty = qty or {p.sku: p.quantity for p in sheet.products}
    overrides = overrides or {}
    ship = shipment(sheet, qty)
    prices: dict[str, dict[str, UnitPrice]] = {}
    for rule in sheet.rules:
        prices[rule] = {}
        for p in sheet.products:
            costs, margin = overrides.get(p.sku, ({}, None))
            prices[rule][p.sku] = price_rule(
                sheet, p, rule, ship.per_unit[p.sku], {**p.costs, **costs},
                margin if margin is not None else p.margin,
            )  # fmt: skip
    return OrderPrices(qty, ship, prices)


def _money_str(sheet: Sheet, x: Decimal, places: int | None = None) -> str:
    return str(rnd(sheet, x, places))


def _pct_str(x: Decimal) -> str:
    return str((x * 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


def negotiation_rule(sheet: Sheet) -> str:
    rule = sheet.negotiation.get("incoterm") or sheet.raw.get("document", {}).get("incoterm")
    return incoterms.normalise(rule) if rule else sheet.rules[0]


def _order_profit(sheet: Sheet, order: OrderPrices, rule: str, unit: dict[str, Decimal]) -> tuple:
    """(revenue, profit) of an order at offered rounded unit prices ``unit``."""
    revenue = profit = ZERO
    for p in sheet.products:
        up = order.prices[rule][p.sku]
        q = order.quantities[p.sku]
        revenue += unit[p.sku] * q
        profit += (up.goods_for(unit[p.sku]) - up.net_cost) * q
    return revenue, profit


DEFAULT_PACKS = (
    {"kind": "volume", "extra_qty_pct": "10"},
    {"kind": "warranty", "extra_months": 12, "claim_cost_pct_per_year": "1.5"},
    {"kind": "samples", "units": 10, "courier": "0"},
)


def value_packs(sheet: Sheet, base: OrderPrices) -> list[dict]:
    """Margin-protecting alternatives to a plain discount, each with its seller-only margin."""
    rule = negotiation_rule(sheet)
    if rule not in base.prices:
        return []
    floor = pct(sheet.negotiation.get("min_margin_pct", "0"), "negotiation.min_margin_pct")
    unit0 = {sku: rnd(sheet, up.price) for sku, up in base.prices[rule].items()}
    rev0, prof0 = _order_profit(sheet, base, rule, unit0)
    out = []
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for spec in sheet.negotiation.get("value_packs") or DEFAULT_PACKS:
            kind = spec.get("kind")
            qty, unit, extra_cost, order = base.quantities, unit0, ZERO, base
            if kind == "volume":
                x = pct(spec.get("extra_qty_pct", "10"), "value_packs.extra_qty_pct", hi="1000")
                qty = {s: _ceil(q * (ONE + x)) for s, q in base.quantities.items()}
                order = price_order(sheet, qty)
                if "discount_pct" in spec:
                    d = pct(spec["discount_pct"], "value_packs.discount_pct")
                else:  # largest 0.5 % step that keeps total profit at least the base profit
                    d = ZERO
                    for step in range(1, 61):
                        trial = Decimal(step) / 200
                        u = {s: rnd(sheet, v * (ONE - trial)) for s, v in unit0.items()}
                        if _order_profit(sheet, order, rule, u)[1] < prof0:
                            break
                        d = trial
                unit = {s: rnd(sheet, v * (ONE - d)) for s, v in unit0.items()}
                offer = f"Order {_pct_str(x)}% more and get {_pct_str(d)}% off the unit price"
                params = {"extra_qty_pct": _pct_str(x), "discount_pct": _pct_str(d)}
            elif kind == "warranty":
                months = int(spec.get("extra_months", 12))
                yearly = pct(spec.get("claim_cost_pct_per_year", "1.5"), "claim_cost_pct_per_year")
                extra_cost = rev0 * yearly * months / 12
                offer = f"Same price, warranty extended by {months} months"
                params = {"extra_months": months}
            elif kind == "samples":
                units = int(spec.get("units", 10))
                sku = spec.get("sku", sheet.products[0].sku)
                courier = money(sheet.currency, spec.get("courier", "0"), "value_packs.courier")
                extra_cost = units * base.prices[rule][sku].net_cost + courier
                offer = f"Same price, {units} free samples of {sku} for your market tests"
                params = {"units": units, "sku": sku}
            elif kind == "payment_terms":
                days = int(spec.get("days", 30))
                rate = pct(spec.get("finance_rate_pct", "6"), "finance_rate_pct")
                extra_cost = rev0 * rate * days / 365
                offer = f"Same price, balance payable {days} days after B/L date"
                params = {"days": days}
            else:
                raise SheetError(f"negotiation.value_packs: unknown kind '{kind}'")
            revenue, profit = _order_profit(sheet, order, rule, unit)
            profit -= extra_cost
            margin = profit / revenue if revenue else ZERO
            out.append({
                "kind": kind, "incoterm": rule, "offer": offer, "params": params,
                "quantities": dict(qty),
                "unit_prices": {s: str(v) for s, v in unit.items()},
                "total": _money_str(sheet, revenue, sheet.total_places),
                "seller_only": {
                    "profit": _money_str(sheet, profit, sheet.total_places),
                    "margin_pct": _pct_str(margin),
                    "profit_change": _money_str(sheet, profit - prof0, sheet.total_places),
                    "below_floor": margin < floor,
                },
            })  # fmt: skip
    return out


def _tiers(sheet: Sheet) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in sheet.products:
        rows = []
        for t in p.tiers:
            qty = {s.sku: s.quantity for s in sheet.products} | {p.sku: t.quantity}
            order = price_order(sheet, qty, {p.sku: (t.costs, t.margin)})
            rows.append({
                "quantity": t.quantity, "below_moq": t.quantity < p.moq,
                "unit_prices": {r: _money_str(sheet, order.prices[r][p.sku].price) for r in sheet.rules},
                "seller_only": {"margin_pct": {r: _pct_str(order.prices[r][p.sku].profit / order.prices[r][p.sku].price) for r in sheet.rules}},
            })  # fmt: skip
        if rows:
            out[p.sku] = rows
    return out


def quote(sheet: Sheet) -> dict:
    """The full quotation as JSON-ready data: prices per Incoterm with breakdowns."""
    base = price_order(sheet)
    warnings = []
    mode = str(sheet.carriage.get("mode", "none")).lower()
    for p in sheet.products:
        if p.quantity < p.moq:
            warnings.append(f"{p.sku}: quantity {p.quantity} is below the MOQ of {p.moq}")
    for rule in sheet.rules:
        if rule in incoterms.SEA_ONLY and mode not in ("sea_fcl", "sea_lcl", "none"):
            alt = {"FOB": "FCA", "CFR": "CPT", "CIF": "CIP"}[rule]
            warnings.append(f"{rule} is for sea/inland waterway only; use {alt} for {mode}")
        if rule in ("CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP") and mode == "none":
            warnings.append(f"{rule} includes main carriage but the sheet prices none")
    rules_out = {}
    for rule in sheet.rules:
        lines, total = [], ZERO
        for p in sheet.products:
            up = base.prices[rule][p.sku]
            unit = rnd(sheet, up.price)
            amount = rnd(sheet, unit * base.quantities[p.sku], sheet.total_places)
            total += amount
            lines.append({
                "sku": p.sku, "quantity": base.quantities[p.sku], "unit": p.unit,
                "unit_price": str(unit), "amount": str(amount),
                "breakdown": {k: _money_str(sheet, v, sheet.places + 2) for k, v in up.parts.items()},
                "seller_only": {
                    "unit_cost": _money_str(sheet, sum(p.costs.values(), ZERO), sheet.places + 2),
                    "vat_rebate": _money_str(sheet, up.rebate, sheet.places + 2),
                    "net_cost": _money_str(sheet, up.net_cost, sheet.places + 2),
                    "profit_per_unit": _money_str(sheet, up.profit, sheet.places + 2),
                    "margin_pct": _pct_str(up.profit / up.price),
                },
            })  # fmt: skip
        rule_info = incoterms.DESCRIPTIONS[rule]
        rules_out[rule] = {
            "name": rule_info.name, "named_place": named_place(sheet, rule),
            "risk_passes": rule_info.risk, "lines": lines,
            "total": str(rnd(sheet, total, sheet.total_places)),
        }  # fmt: skip
        if rule in incoterms.INSURANCE_CLAUSES:
            rules_out[rule]["insurance_cover"] = incoterms.INSURANCE_CLAUSES[rule]
    ship = base.ship
    return {
        "currency": sheet.currency.quote,
        "rates": [
            {
                "from": r.base,
                "to": r.quote,
                "rate": str(r.rate),
                "date": r.date.isoformat(),
                "source": r.source,
            }
            for r in sheet.currency.rates
        ],  # fmt: skip
        "rounding": rounding_statement(sheet),
        "shipment": {
            "cbm": str(rnd(sheet, ship.cbm, 3)),
            "gross_kg": str(rnd(sheet, ship.kg, 2)),
            "containers": ship.containers,
            "main_carriage": ship.notes[0],
            "main_carriage_total": _money_str(sheet, ship.carriage_total),
        },  # fmt: skip
        "incoterms": rules_out,
        "tiers": _tiers(sheet),
        "value_packs": value_packs(sheet, base),
        "warnings": warnings,
    }


def named_place(sheet: Sheet, rule: str) -> str:
    """The named place that goes after the rule, e.g. 'FOB Ningbo'."""
    log = sheet.raw.get("logistics") or {}
    origin, dest = log.get("origin") or {}, log.get("destination") or {}
    where = incoterms.DESCRIPTIONS[rule].place
    if where == "origin":
        return str(origin.get("place", ""))
    if where == "fca":
        key = "port" if sheet.fca_at_terminal else "place"
        return str(origin.get("fca_named_place", origin.get(key, "")))
    if where == "port_origin":
        return str(origin.get("port", ""))
    if where == "port_dest":
        return str(dest.get("port", ""))
    return str(dest.get("place", dest.get("port", "")))
