"""Quotation calculator (issue 9): worked examples checked by hand for every Incoterm.

The base sheet is built so the hand calculation stays readable:

    unit cost c  = 8.00 + 1.00 + 1.30 + 1.00 = 11.30 (VAT-inclusive, VAT 13 %)
    VAT rebate   = 11.30 / 1.13 * 13 % = 10.00 * 0.13 = 1.30
    net cost n   = 11.30 - 1.30 = 10.00
    goods g      = n / (1 - 20 %) = 12.50                      (margin 20 % on EXW price)
    quantity 1000, 0.02 m³ and 5 kg per unit -> 20 m³, 5000 kg -> one 20GP container
    per unit: loading 100/1000 = 0.10, export clearance 0.20, inland freight 0.30,
              origin THC 400 per container = 0.40, ocean freight 2000/1000 = 2.00,
              destination THC 0.50, on-carriage 0.60, unloading 0.10, import clearance 0.20
    insurance 0.5 % (CIF), 1 % (CIP) on 110 % of value; duty 10 % (CIF basis); import VAT 20 %
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import SheetError, load_sheet
from tradeinbox.core.quotation import price_order, quote, shipment

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "format": "tradeinbox-cost-sheet/1",
    "currency": {"cost": "USD", "quote": "USD"},
    "pricing": {"margin_pct": "20"},
    "vat": {"rate_pct": "13", "rebate_pct": "13", "costs_include_vat": True},
    "products": [{
        "sku": "A", "quantity": 1000, "moq": 500,
        "costs": {"materials": "8.00", "labour": "1.00", "overhead": "1.30", "packaging": "1.00"},
        "packing": {"cbm_per_unit": "0.02", "kg_per_unit": "5"},
        "import_duty_pct": "10",
    }],
    "logistics": {
        "origin": {"place": "Factory", "port": "Ningbo", "loading": "100",
                   "export_clearance": "200", "inland_freight": "300",
                   "terminal_handling": {"amount": "400", "per": "container"}},
        "main_carriage": {"mode": "sea_fcl", "container": "20GP", "rate_per_container": "2000"},
        "insurance": {"rate_pct": "0.5", "cip_rate_pct": "1", "markup_pct": "10"},
        "destination": {"port": "Valencia", "place": "Madrid", "terminal_handling": "500",
                        "on_carriage": "600", "unloading": "100", "import_clearance": "200",
                        "customs_value_basis": "CIF", "import_vat_pct": "20"},
    },
    "negotiation": {"value_packs": []},
}  # fmt: skip


def make(**changes) -> dict:
    """A deep copy of BASE with dotted-path changes, e.g. make(**{"pricing.margin_pct": "25"})."""
    sheet = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = sheet
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return sheet


def unit(data: dict, rule: str, sku: str = "A") -> str:
    line = next(ln for ln in data["incoterms"][rule]["lines"] if ln["sku"] == sku)
    return line["unit_price"]


# (rule, expected unit price, hand calculation)
WORKED = [
    ("EXW", "12.50", "g = 10.00 / 0.80 = 12.50"),
    ("FCA", "13.10", "12.50 + loading 0.10 + export clearance 0.20 + inland freight 0.30"),
    ("FOB", "13.50", "FCA 13.10 + origin THC 0.40"),
    ("CFR", "15.50", "FOB 13.50 + ocean freight 2.00"),
    ("CIF", "15.59", "15.50 / (1 - 1.1 * 0.005) = 15.50 / 0.9945 = 15.58572... -> 15.59"),
    ("CPT", "15.50", "same components as CFR"),
    ("CIP", "15.67", "15.50 / (1 - 1.1 * 0.01) = 15.50 / 0.989 = 15.67239... -> 15.67"),
    ("DAP", "16.60", "CPT 15.50 + destination THC 0.50 + on-carriage 0.60"),
    ("DPU", "16.70", "DAP 16.60 + unloading 0.10"),
    # DDP: customs value = CIF 15.585721468... ; duty 10 % = 1.5585721468
    #      import VAT 20 % of (15.5857214681 + 1.5585721468 + 0.50 + 0.60) = 3.6488587230
    #      16.60 + clearance 0.20 + 1.5585721468 + 3.6488587230 = 22.0074308698 -> 22.01
    ("DDP", "22.01", "see comment"),
]


@pytest.mark.parametrize("rule, expected, how", WORKED, ids=[w[0] for w in WORKED])
def test_worked_example_per_incoterm(rule, expected, how):
    data = quote(load_sheet(make()))
    assert unit(data, rule) == expected, how
    line = data["incoterms"][rule]["lines"][0]
    assert line["amount"] == str(Decimal(expected) * 1000)  # rounded unit price x quantity
    assert set(line["breakdown"]) == {c for c in incoterms.INCLUDED[rule]
                                      if c not in ("import_vat", "import_duty", "insurance")
                                      or rule in ("DDP", "CIF", "CIP")}  # fmt: skip


def test_breakdown_shows_exact_insurance_and_duty():
    data = quote(load_sheet(make()))
    cif = data["incoterms"]["CIF"]["lines"][0]["breakdown"]
    # 15.58572146807441 - 15.50 = 0.0857214...  (shown to places + 2 = 4 decimals)
    assert cif["insurance"] == "0.0857"
    ddp = data["incoterms"]["DDP"]["lines"][0]["breakdown"]
    assert ddp["import_duty"] == "1.5586" and ddp["import_vat"] == "3.6489"


def test_vat_rebate_and_margin_are_seller_only_figures():
    data = quote(load_sheet(make()))
    so = data["incoterms"]["EXW"]["lines"][0]["seller_only"]
    assert so["vat_rebate"] == "1.3000" and so["net_cost"] == "10.0000"
    assert so["profit_per_unit"] == "2.5000" and so["margin_pct"] == "20.00"
    # profit is the same 2.50 under FOB but a smaller share of the bigger price: 2.5/13.5
    assert data["incoterms"]["FOB"]["lines"][0]["seller_only"]["margin_pct"] == "18.52"


def test_no_rebate_when_costs_exclude_vat():
    data = quote(load_sheet(make(**{"vat.costs_include_vat": False})))
    # n = 11.30, g = 11.30 / 0.8 = 14.125 -> 14.13 (ROUND_HALF_UP)
    assert unit(data, "EXW") == "14.13"


def test_rounding_only_at_the_end():
    # loading 4 and export clearance 4 over 1000 units: 0.004 each. Rounded per component
    # they would vanish (12.50); summed exactly first: 12.508 -> 12.51.
    sheet = make(**{"logistics.origin.loading": "4", "logistics.origin.export_clearance": "4",
                    "logistics.origin.inland_freight": "0"})  # fmt: skip
    assert unit(quote(load_sheet(sheet)), "FCA") == "12.51"


@pytest.mark.parametrize("mode, expected", [("ROUND_HALF_UP", "12.35"), ("ROUND_HALF_EVEN", "12.34"),
                                            ("ROUND_DOWN", "12.34")])  # fmt: skip
def test_rounding_modes(mode, expected):
    # markup 23.45 %: g = 10.00 * 1.2345 = 12.345 exactly, the tie decides
    sheet = make(**{"pricing": {"markup_pct": "23.45"}, "rounding": {"mode": mode, "places": 2}})
    data = quote(load_sheet(sheet))
    assert unit(data, "EXW") == expected and mode in data["rounding"]


def test_four_decimal_unit_prices():
    sheet = make(**{"rounding": {"places": 4, "total_places": 2}, "pricing.margin_pct": "21"})
    data = quote(load_sheet(sheet))
    # 10 / 0.79 = 12.658227848... -> 12.6582; amount 12658.20
    assert unit(data, "EXW") == "12.6582"
    assert data["incoterms"]["EXW"]["lines"][0]["amount"] == "12658.20"


def test_currency_conversion_with_dated_rates():
    sheet = make(**{"currency": {"cost": "CNY", "quote": "USD", "rates": [
        {"from": "USD", "to": "CNY", "rate": "7.2", "date": "2026-03-01"},
        {"from": "EUR", "to": "USD", "rate": "1.08", "date": "2026-03-01"}]}})  # fmt: skip
    sheet["products"][0]["costs"] = {"materials": "81.36"}  # 81.36 CNY / 7.2 = 11.30 USD
    sheet["logistics"]["main_carriage"]["rate_per_container"] = {
        "amount": "2000",
        "currency": "USD",
    }
    sheet["logistics"]["origin"].update(
        loading="720",
        export_clearance="1440",
        inland_freight="2160",
        terminal_handling={"amount": "2880", "per": "container"},
    )
    data = quote(load_sheet(sheet))
    assert unit(data, "EXW") == "12.50" and unit(data, "CFR") == "15.50"
    assert data["rates"][0] == {"from": "USD", "to": "CNY", "rate": "7.2", "date": "2026-03-01",
                                "source": ""}  # fmt: skip
    # EUR charge converted: 500 EUR * 1.08 = 540 USD -> 0.54 per unit; DAP = 15.50 + 0.54 + 0.60
    sheet["logistics"]["destination"]["terminal_handling"] = {"amount": "500", "currency": "EUR"}
    sheet["logistics"]["destination"]["on_carriage"] = {"amount": "600", "currency": "USD"}
    assert unit(quote(load_sheet(sheet)), "DAP") == "16.64"


def test_missing_rate_is_an_error():
    sheet = make(**{"currency": {"cost": "CNY", "quote": "USD", "rates": []}})
    with pytest.raises(SheetError, match="no exchange rate from CNY to USD"):
        load_sheet(sheet)


def test_target_price_backs_out_margin():
    sheet = make(**{"pricing": {}})
    sheet["products"][0]["target_price"] = {"incoterm": "FOB", "amount": "15.00"}
    data = quote(load_sheet(sheet))
    # FOB logistics 1.00 -> g = 14.00; margin on FOB = (14 - 10) / 15 = 26.67 %
    assert unit(data, "FOB") == "15.00" and unit(data, "EXW") == "14.00"
    assert data["incoterms"]["FOB"]["lines"][0]["seller_only"]["margin_pct"] == "26.67"
    assert unit(data, "CFR") == "17.00"


def test_margin_on_price_basis_matches_textbook_formula():
    data = quote(load_sheet(make(**{"pricing": {"margin_pct": "20", "margin_basis": "price"}})))
    # FOB = (n + L) / (1 - m) = (10 + 1.00) / 0.8 = 13.75
    assert unit(data, "FOB") == "13.75"
    # CIF = (n + L_cfr) / (1 - m - 1.1 r) = (10 + 3.00) / (1 - 0.2 - 0.0055) = 16.36249...
    assert unit(data, "CIF") == "16.36"
    assert data["incoterms"]["CIF"]["lines"][0]["seller_only"]["margin_pct"] == "20.00"


def test_fca_at_seller_premises_excludes_inland_freight():
    data = quote(load_sheet(make(**{"logistics.origin.fca_place": "seller_premises"})))
    assert unit(data, "FCA") == "12.80"  # 12.50 + 0.10 + 0.20


def test_ddp_on_fob_customs_basis():
    data = quote(load_sheet(make(**{"logistics.destination.customs_value_basis": "FOB"})))
    # duty 10 % of FOB 13.50 = 1.35; VAT 20 % of (13.50 + 1.35 + 1.10) = 3.19
    # 16.60 + 0.20 + 1.35 + 3.19 = 21.34
    assert unit(data, "DDP") == "21.34"


def test_d_terms_insured_on_request():
    data = quote(load_sheet(make(**{"logistics.insurance.d_terms": True})))
    # 16.60 / (1 - 1.1 * 0.01) = 16.7846... -> 16.78
    assert unit(data, "DAP") == "16.78"


def test_fcl_container_count_lcl_and_air_chargeable_weight():
    sheet = load_sheet(make(**{"products.0.packing": {"cbm_per_unit": "0.1", "kg_per_unit": "5"},
                               "logistics.main_carriage.container": "40HQ"}))  # fmt: skip
    ship = shipment(sheet, {"A": 1000})  # 100 m³ / 68 -> 2 containers
    assert ship.containers == 2 and ship.carriage_total == 4000
    lcl = load_sheet(make(**{"logistics.main_carriage": {"mode": "sea_lcl", "rate_per_cbm": "50"},
                             "products.0.packing": {"cbm_per_unit": "0.003", "kg_per_unit": "5"}}))  # fmt: skip
    # 3 m³ but 5000 kg = 5 revenue tons (W/M) -> 5 * 50 = 250
    assert shipment(lcl, {"A": 1000}).carriage_total == 250
    air = load_sheet(make(**{"logistics.main_carriage": {"mode": "air", "rate_per_kg": "4"},
                             "products.0.packing": {"cbm_per_unit": "0.002", "kg_per_unit": "0.2"}}))  # fmt: skip
    # gross 200 kg, volumetric 2 m³ * 167 = 334 kg -> chargeable 334 * 4 = 1336
    ship = shipment(air, {"A": 1000})
    assert ship.chargeable == 334 and ship.carriage_total == 1336
    assert any("sea/inland waterway only" in w for w in quote(air)["warnings"])


def test_cartons_round_up_and_shared_costs_split_by_volume():
    sheet = make()
    sheet["products"][0]["packing"] = {
        "units_per_carton": 6,
        "carton_cm": [50, 40, 30],
        "carton_kg": "30",
    }
    sheet["products"].append(
        {
            "sku": "B",
            "quantity": 100,
            "costs": {"materials": "5"},
            "packing": {"cbm_per_unit": "0.06", "kg_per_unit": "1"},
        }
    )
    s = load_sheet(sheet)
    ship = shipment(s, {"A": 1000, "B": 100})
    # A: ceil(1000/6) = 167 cartons * 0.06 m³ = 10.02 m³; B: 6 m³; total 16.02 m³
    assert ship.cbm == Decimal("16.02") and ship.kg == Decimal(167 * 30 + 100)
    # ocean 2000 split 10.02 : 6 -> A 1250.936.../1000 = 1.2509 per unit, B 749.06/100 = 7.4906
    assert round(ship.per_unit["A"]["main_carriage"], 4) == Decimal("1.2509")
    assert round(ship.per_unit["B"]["main_carriage"], 4) == Decimal("7.4906")


def test_tiers_moq_and_warnings():
    sheet = make(**{"products.0.quantity": 400})
    sheet["products"][0]["tiers"] = [{"quantity": 300}, {"quantity": 2000, "margin_pct": "15"}]
    data = quote(load_sheet(sheet))
    assert any("below the MOQ of 500" in w for w in data["warnings"])
    low, high = data["tiers"]["A"]
    assert low["below_moq"] and not high["below_moq"]
    # 2000 units: still one container -> ocean 1.00/unit; EXW 10 / 0.85 = 11.7647 -> 11.76
    assert high["unit_prices"]["EXW"] == "11.76"
    # fixed shipment costs spread over fewer units make the small tier dearer
    assert Decimal(low["unit_prices"]["CFR"]) > Decimal(unit(data, "CFR")) > Decimal(
        high["unit_prices"]["CFR"])  # fmt: skip


def test_value_packs_protect_margin():
    sheet = make(**{"negotiation": {"incoterm": "CIF", "min_margin_pct": "15.5", "value_packs": [
        {"kind": "volume", "extra_qty_pct": "10"},
        {"kind": "volume", "extra_qty_pct": "10", "discount_pct": "3"},
        {"kind": "warranty", "extra_months": 12, "claim_cost_pct_per_year": "2"},
        {"kind": "samples", "units": 10, "courier": "80"},
        {"kind": "payment_terms", "days": 30, "finance_rate_pct": "6"}]}})  # fmt: skip
    data = quote(load_sheet(sheet))
    auto, fixed, warranty, samples, payment = data["value_packs"]
    # auto discount: largest 0.5 % step whose total profit is still >= the base profit
    assert Decimal(auto["seller_only"]["profit_change"]) >= 0
    assert auto["quantities"] == {"A": 1100} and "% off" in auto["offer"]
    # 3 % off at +10 %: 15.59 * 0.97 = 15.1223 -> 15.12 for 1100 units = 16632.00
    # goods implied by 15.12 = 15.12 * 0.9945 - 3000/1100 = 12.309567...; profit/unit 2.309567
    # total profit 2540.524 vs base (15.59 * 0.9945 - 3.00 - 10) * 1000 = 2504.255 -> +36.27
    # margin 2540.524 / 16632 = 15.27 %, below the 15.5 % floor
    assert fixed["unit_prices"] == {"A": "15.12"}
    assert fixed["total"] == "16632.00"
    assert fixed["seller_only"]["profit_change"] == "36.27"
    assert fixed["seller_only"]["margin_pct"] == "15.27"
    # warranty costs 2 % of revenue 15590 = 311.80 -> profit change -311.80
    assert warranty["seller_only"]["profit_change"] == "-311.80"
    assert warranty["unit_prices"] == {"A": "15.59"}
    # 10 samples at net cost 10.00 + courier 80 = 180
    assert samples["seller_only"]["profit_change"] == "-180.00"
    # 15590 * 6 % * 30 / 365 = 76.88
    assert payment["seller_only"]["profit_change"] == "-76.88"
    assert all("seller_only" in p for p in data["value_packs"])
    # payment: (2504.255 - 76.88) / 15590 = 15.57 % stays above the floor
    assert fixed["seller_only"]["below_floor"] and not payment["seller_only"]["below_floor"]
    assert payment["seller_only"]["margin_pct"] == "15.57"


def test_default_value_packs_when_sheet_has_none():
    sheet = make()
    del sheet["negotiation"]
    kinds = [p["kind"] for p in quote(load_sheet(sheet))["value_packs"]]
    assert kinds == ["volume", "warranty", "samples"]


@pytest.mark.parametrize("change, message", [
    ({"rounding": {"mode": "ROUND_SOMETIMES"}}, "rounding.mode"),
    ({"vat.rebate_pct": "16"}, "rebate_pct cannot exceed"),
    ({"pricing": {}}, "margin_pct, markup_pct or a target_price"),
    ({"products.0.quantity": "ten"}, "products[0].quantity"),
    ({"products.0.costs": {"steel": "1"}}, "unknown line"),
    ({"incoterms": ["FOB", "FAS"]}, "unknown Incoterm 'FAS'"),
    ({"logistics.main_carriage.mode": "teleport"}, "teleport"),
    ({"pricing.margin_pct": "100"}, "outside"),
])  # fmt: skip
def test_sheet_errors(change, message):
    with pytest.raises(SheetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        quote(load_sheet(make(**change)))


def test_incoterms_table():
    assert incoterms.INCLUDED["EXW"] == {"goods"}
    assert (
        "import_duty" in incoterms.INCLUDED["DDP"]
        and "import_duty" not in incoterms.INCLUDED["DAP"]
    )
    assert "unloading" in incoterms.INCLUDED["DPU"] and "unloading" not in incoterms.INCLUDED["DAP"]
    assert incoterms.INCLUDED["CFR"] == incoterms.INCLUDED["CPT"]
    assert (
        "origin_handling" in incoterms.INCLUDED["FOB"]
        and "origin_handling" not in incoterms.INCLUDED["FCA"]
    )
    table = incoterms.table_markdown()
    assert table.count("\n") == len(incoterms.COMPONENTS) + 1


def test_price_order_exact_values_not_rounded():
    order = price_order(load_sheet(make()))
    cif = order.prices["CIF"]["A"].price
    with localcontext() as ctx:
        ctx.prec = 40
        assert cif == Decimal("15.50") / Decimal("0.9945")  # 40 significant digits, unrounded
    assert order.prices["CIF"]["A"].goods_for(cif) == Decimal("12.5")


def test_example_sheet_and_cli_json():
    out = subprocess.run([sys.executable, "-m", "tradeinbox", "quote", "examples/cost-sheet.json",
                          "--json"], capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data["incoterms"]) == list(incoterms.RULES)
    assert "bank" not in out.stdout.lower() or "BKCHCNBJ92A" not in out.stdout  # PDF only
    assert "BKCHCNBJ92A" not in out.stdout
    # example: 90 CNY / 7.2 = 12.50 USD; rebate 12.50/1.13*0.13; EXW = n / 0.85
    exw = data["incoterms"]["EXW"]["lines"][0]
    n = Decimal("12.5") - Decimal("12.5") / Decimal("1.13") * Decimal("0.13")
    assert exw["unit_price"] == str((n / Decimal("0.85")).quantize(Decimal("0.01")))


def test_cli_errors_are_clean(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(make(**{"vat.rebate_pct": "99"})))
    out = subprocess.run([sys.executable, "-m", "tradeinbox", "quote", str(bad)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert out.returncode == 2 and "rebate_pct" in out.stderr and "Traceback" not in out.stderr
