"""Incoterms® 2020: which cost components the seller's price includes under each rule.

The table below is the single source of truth for :mod:`tradeinbox.core.quotation` and for
``docs/cost-sheet.md``. It follows the A4 (carriage), A5 (insurance), A7 (export/import
clearance) and A9 (allocation of costs) articles of the ICC Incoterms® 2020 rules. Where
practice varies the choice made here is stated in ``NOTES`` and can be changed per sheet.

========================  ===  ===  ===  ===  ===  ===  ===  ===  ===  ===
component                 EXW  FCA  FOB  CFR  CIF  CPT  CIP  DAP  DPU  DDP
========================  ===  ===  ===  ===  ===  ===  ===  ===  ===  ===
goods (cost + profit)      x    x    x    x    x    x    x    x    x    x
loading at origin               x    x    x    x    x    x    x    x    x
export clearance                x    x    x    x    x    x    x    x    x
inland freight to port         (x)   x    x    x    x    x    x    x    x
origin terminal handling             x    x    x    x    x    x    x    x
main carriage                             x    x    x    x    x    x    x
insurance (110 %)                              x         x   (o)  (o)  (o)
destination handling                                          x    x    x
on-carriage to place                                          x    x    x
unloading at place                                                 x
import clearance                                                        x
import duty                                                             x
import VAT / taxes                                                      x
========================  ===  ===  ===  ===  ===  ===  ===  ===  ===  ===

(x) FCA includes inland freight only when the named place is the carrier's terminal
(``origin.fca_place = "terminal"``, the default); at the seller's premises it does not.
(o) D-rules do not oblige the seller to insure, but the seller bears the risk until
delivery; set ``insurance.d_terms = true`` to price that cover in.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPONENTS: tuple[str, ...] = (
    "goods",
    "loading",
    "export_clearance",
    "inland_freight",
    "origin_handling",
    "main_carriage",
    "insurance",
    "destination_handling",
    "on_carriage",
    "unloading",
    "import_clearance",
    "import_duty",
    "import_vat",
)

_EXPORT = {"goods", "loading", "export_clearance", "inland_freight"}
_FOB = _EXPORT | {"origin_handling"}
_CFR = _FOB | {"main_carriage"}
_DAP = _CFR | {"destination_handling", "on_carriage"}

INCLUDED: dict[str, frozenset[str]] = {
    "EXW": frozenset({"goods"}),
    "FCA": frozenset(_EXPORT),
    "FOB": frozenset(_FOB),
    "CFR": frozenset(_CFR),
    "CIF": frozenset(_CFR | {"insurance"}),
    "CPT": frozenset(_CFR),
    "CIP": frozenset(_CFR | {"insurance"}),
    "DAP": frozenset(_DAP),
    "DPU": frozenset(_DAP | {"unloading"}),
    "DDP": frozenset(_DAP | {"import_clearance", "import_duty", "import_vat"}),
}
RULES: tuple[str, ...] = tuple(INCLUDED)

#: Rules for sea and inland waterway transport only (Incoterms 2020 introduction §6).
SEA_ONLY = frozenset({"FOB", "CFR", "CIF"})
#: Minimum cover the seller must buy: ICC (C) for CIF, ICC (A) for CIP (2020 change).
INSURANCE_CLAUSES = {"CIF": "Institute Cargo Clauses (C)", "CIP": "Institute Cargo Clauses (A)"}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    place: str  # which named place the rule takes: origin / port_origin / port_dest / dest
    risk: str  # where risk passes, in plain words


DESCRIPTIONS: dict[str, Rule] = {
    "EXW": Rule("EXW", "Ex Works", "origin", "goods made available at the seller's premises"),
    "FCA": Rule("FCA", "Free Carrier", "fca", "goods handed to the buyer's carrier"),
    "FOB": Rule("FOB", "Free On Board", "port_origin", "goods on board the vessel"),
    "CFR": Rule("CFR", "Cost and Freight", "port_dest", "goods on board the vessel"),
    "CIF": Rule("CIF", "Cost, Insurance and Freight", "port_dest", "goods on board the vessel"),
    "CPT": Rule("CPT", "Carriage Paid To", "port_dest", "goods handed to the first carrier"),
    "CIP": Rule(
        "CIP", "Carriage and Insurance Paid To", "port_dest", "goods handed to the first carrier"
    ),
    "DAP": Rule("DAP", "Delivered at Place", "dest", "goods ready for unloading at the place"),
    "DPU": Rule("DPU", "Delivered at Place Unloaded", "dest", "goods unloaded at the place"),
    "DDP": Rule("DDP", "Delivered Duty Paid", "dest", "goods cleared for import at the place"),
}

NOTES: tuple[str, ...] = (
    "FCA excludes origin terminal handling (paid by the buyer's carrier); FOB includes "
    "loading on board, so it carries the origin terminal handling charge.",
    "C-rules carry the goods to the destination port/terminal; destination handling is "
    "the buyer's unless the sheet sets destination.handling_in_c_terms.",
    "DDP includes import duty on the customs value (CIF or FOB basis, per destination "
    "country) and import VAT on customs value + duty + destination charges.",
)


def normalise(code: str) -> str:
    """Upper-case and validate an Incoterm code; raises ValueError for unknown ones."""
    rule = code.strip().upper()
    if rule not in INCLUDED:
        raise ValueError(f"unknown Incoterm '{code}' (use one of {', '.join(RULES)})")
    return rule


def includes(rule: str, component: str) -> bool:
    """True when the seller's price under ``rule`` includes ``component``."""
    return component in INCLUDED[rule]


def table_markdown() -> str:
    """The inclusion table as Markdown (used in docs and ``quote --incoterms-table``)."""
    head = "| component | " + " | ".join(RULES) + " |"
    sep = "|---|" + "|".join(":-:" for _ in RULES) + "|"
    rows = [
        f"| {c.replace('_', ' ')} | "
        + " | ".join("x" if includes(r, c) else "" for r in RULES)
        + " |"
        for c in COMPONENTS
    ]
    return "\n".join([head, sep, *rows])
