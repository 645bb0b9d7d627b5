"""Turn a quote's computed prices into rows for the pages, with translated labels.

The core's result is language-neutral JSON; the words a seller reads on the page (cost
components, value packs) are translated here. Seller-only figures are kept apart under
``seller`` so templates show them in the seller-only panels and nowhere else.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tradeinbox.core import incoterms

COMPONENTS = {
    "goods": gettext_lazy("Goods (cost + profit)"),
    "loading": gettext_lazy("Loading at origin"),
    "export_clearance": gettext_lazy("Export clearance"),
    "inland_freight": gettext_lazy("Inland freight to port"),
    "origin_handling": gettext_lazy("Origin terminal handling"),
    "main_carriage": gettext_lazy("Main carriage"),
    "insurance": gettext_lazy("Insurance (110 %)"),
    "destination_handling": gettext_lazy("Destination handling"),
    "on_carriage": gettext_lazy("On-carriage"),
    "unloading": gettext_lazy("Unloading"),
    "import_clearance": gettext_lazy("Import clearance"),
    "import_duty": gettext_lazy("Import duty"),
    "import_vat": gettext_lazy("Import VAT"),
}


def pack_offer(pack: dict) -> str:
    """The buyer-facing sentence of a value pack, in the page's language."""
    p = pack.get("params") or {}
    kind = pack.get("kind")
    if kind == "volume":
        return _("Order %(extra)s%% more and get %(discount)s%% off the unit price") % {
            "extra": p.get("extra_qty_pct", "?"), "discount": p.get("discount_pct", "?"),
        }  # fmt: skip
    if kind == "warranty":
        return _("Same price, warranty extended by %(months)s months") % {
            "months": p.get("extra_months", "?")
        }
    if kind == "samples":
        return _("Same price, %(units)s free samples of %(sku)s") % {
            "units": p.get("units", "?"), "sku": p.get("sku", ""),
        }  # fmt: skip
    if kind == "payment_terms":
        return _("Same price, balance payable %(days)s days after the B/L date") % {
            "days": p.get("days", "?")
        }
    return str(pack.get("offer", ""))


def rules(result: dict, document_rule: str) -> list[dict]:
    """One row per Incoterm: total, named place, lines with breakdown and seller figures."""
    out = []
    for rule, block in result["incoterms"].items():
        lines = []
        for line in block["lines"]:
            lines.append({
                "sku": line["sku"], "quantity": line["quantity"], "unit": line["unit"],
                "unit_price": line["unit_price"], "amount": line["amount"],
                "breakdown": [(COMPONENTS.get(k, k), v) for k, v in line["breakdown"].items()],
                "seller": line["seller_only"],
            })  # fmt: skip
        out.append({
            "rule": rule, "name": block["name"], "place": block["named_place"],
            "total": block["total"], "lines": lines, "current": rule == document_rule,
            "risk": block.get("risk_passes", ""),
        })  # fmt: skip
    return out


def packs(result: dict) -> list[dict]:
    return [
        {
            "offer": pack_offer(p),
            "kind": p["kind"],
            "incoterm": p["incoterm"],
            "quantities": p["quantities"],
            "unit_prices": p["unit_prices"],
            "total": p["total"],
            "seller": p["seller_only"],
        }  # fmt: skip
        for p in result.get("value_packs", [])
    ]


def tiers(result: dict, rule: str) -> list[dict]:
    rows = []
    for sku, items in result.get("tiers", {}).items():
        for t in items:
            rows.append({
                "sku": sku, "quantity": t["quantity"], "below_moq": t["below_moq"],
                "price": t["unit_prices"].get(rule, ""),
                "margin": t["seller_only"]["margin_pct"].get(rule, ""),
            })  # fmt: skip
    return rows


def form_initial(sheet: dict) -> tuple[dict, list[dict]]:
    """Form values that re-create a saved quote's sheet (for "Revise")."""
    doc = sheet.get("document") or {}
    cur = sheet.get("currency") or {}
    log = sheet.get("logistics") or {}
    origin, dest = log.get("origin") or {}, log.get("destination") or {}
    carriage = log.get("main_carriage") or {}
    rate = (cur.get("rates") or [{}])[0]

    def amount(charge) -> str | None:
        return charge.get("amount") if isinstance(charge, dict) else charge

    freight = next(
        (amount(carriage[k]) for k in ("rate_per_container", "rate_per_cbm", "rate_per_kg",
                                        "amount") if k in carriage),
        None,
    )  # fmt: skip
    ins = log.get("insurance") or {}
    initial = {
        "language": doc.get("language", "en"), "incoterm": doc.get("incoterm", "FOB"),
        "incoterms": sheet.get("incoterms") or list(incoterms.RULES),
        "origin_port": origin.get("port", ""), "origin_place": origin.get("place", ""),
        "destination_port": dest.get("port", ""), "destination_place": dest.get("place", ""),
        "cost_currency": cur.get("cost", ""), "quote_currency": cur.get("quote", ""),
        "rate": rate.get("rate"), "rate_date": rate.get("date"), "rate_source": rate.get("source", ""),
        "margin_pct": (sheet.get("pricing") or {}).get("margin_pct"),
        "vat_pct": (sheet.get("vat") or {}).get("rate_pct"),
        "rebate_pct": (sheet.get("vat") or {}).get("rebate_pct"),
        "carriage_mode": carriage.get("mode", "none"), "container": carriage.get("container", "40HQ"),
        "freight_rate": freight,
        "inland_freight": amount(origin.get("inland_freight")),
        "export_clearance": amount(origin.get("export_clearance")),
        "origin_handling": amount(origin.get("terminal_handling")),
        "insurance_pct": ins.get("rate_pct"), "cip_insurance_pct": ins.get("cip_rate_pct"),
        "destination_handling": amount(dest.get("terminal_handling")),
        "on_carriage": amount(dest.get("on_carriage")),
        "import_clearance": amount(dest.get("import_clearance")),
        "import_vat_pct": dest.get("import_vat_pct"),
        "issued_on": timezone.localdate(), "valid_days": doc.get("valid_days", 30),
        "payment_terms": doc.get("payment_terms", ""), "lead_time": doc.get("lead_time", ""),
        "notes": doc.get("notes", ""),
    }  # fmt: skip
    lines = []
    for p in sheet.get("products", []):
        desc = p.get("description")
        packing = p.get("packing") or {}
        lines.append({
            "sku": p["sku"], "description": desc.get("en", "") if isinstance(desc, dict) else desc,
            "quantity": p.get("quantity"), "unit": p.get("unit", "pcs"),
            **{k: v for k, v in (p.get("costs") or {}).items()},
            "cbm_per_unit": packing.get("cbm_per_unit"), "kg_per_unit": packing.get("kg_per_unit"),
            "margin_pct": p.get("margin_pct"),
            "tiers": ", ".join(str(t["quantity"]) for t in p.get("tiers") or []),
        })  # fmt: skip
    return initial, lines
