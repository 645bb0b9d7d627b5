"""``tradeinbox quote SHEET.json``: export prices per Incoterm, tiers, value packs, PDFs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "price a JSON cost sheet per Incoterm 2020 (--json) and write quotation/proforma PDFs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sheet", type=Path, help="cost sheet (format: docs/cost-sheet.md)")
    parser.add_argument("--json", action="store_true", help="print prices and breakdowns as JSON")
    parser.add_argument("--pdf", type=Path, metavar="OUT.pdf", help="write the document here")
    parser.add_argument("--lang", choices=("en", "zh", "es"), default="en")
    parser.add_argument("--kind", choices=("quotation", "proforma"), default="quotation")
    parser.add_argument("--incoterm", help="rule shown on the document (default: the sheet's)")
    parser.add_argument(
        "--incoterms-table", action="store_true", help="print which costs each rule includes"
    )


def _summary(data: dict) -> str:
    cur = data["currency"]
    rows = [f"Prices in {cur} ({data['rounding']})", ""]
    for rule, block in data["incoterms"].items():
        rows.append(f"{rule} {block['named_place']}: total {block['total']} {cur}")
        for ln in block["lines"]:
            so = ln["seller_only"]
            rows.append(f"  {ln['sku']:<14} {ln['quantity']:>8} x {ln['unit_price']:>10} = "
                        f"{ln['amount']:>12}   [seller only: margin {so['margin_pct']}%]")  # fmt: skip
    if data["value_packs"]:
        rows += ["", "Value packs (seller only):"]
        for pack in data["value_packs"]:
            so = pack["seller_only"]
            flag = "  BELOW FLOOR" if so["below_floor"] else ""
            rows.append(f"  {pack['offer']}: total {pack['total']}, margin {so['margin_pct']}%, "
                        f"profit change {so['profit_change']}{flag}")  # fmt: skip
    rows += [f"warning: {w}" for w in data["warnings"]]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    from tradeinbox.core import incoterms
    from tradeinbox.core.costsheet import SheetError, load_sheet
    from tradeinbox.core.quotation import quote

    if args.incoterms_table:
        print(incoterms.table_markdown())
        return 0
    try:
        sheet = load_sheet(args.sheet)
        data = quote(sheet)
        if args.pdf:
            from tradeinbox.core.documents import render_pdf

            pdf = render_pdf(sheet, kind=args.kind, lang=args.lang, rule=args.incoterm,
                             base_dir=args.sheet.resolve().parent, data=data)  # fmt: skip
            args.pdf.write_bytes(pdf)
    except (SheetError, ValueError, OSError) as exc:
        print(f"quote: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif not args.pdf:
        print(_summary(data))
    if args.pdf:
        print(f"wrote {args.pdf}", file=sys.stderr)
    return 0
