"""Documents of the Sunrise Home Depot deal: quotation, PO, PI, invoice (PDF) and pictures (PNG).

All numbers are fictional; the PDFs are real, small PDF 1.4 files (see ``_files.pdf``).
"""

from __future__ import annotations

from tradeinbox.demo._files import container_number, pdf, table_page

PO = "4500012345"
QUOTE = "QT-2026-0187"
PI = "PI-BW261024-01"
BL = "PCLUNGB26110457"
CONTAINERS = (container_number("PCLU", "452187"), container_number("PCLU", "452188"))
COLUMNS = (50, 68, 138, 365, 425, 485)
HEADING = ("No.", "Model", "Description", "Qty (pcs)", "Unit (USD)", "Amount (USD)")
ITEMS = (
    ("BW-PL22-40D", "2x2 ft LED flat panel 40W 5000K 0-10V, UL/DLC", 3000),
    ("BW-PL24-50D", "2x4 ft LED flat panel 50W 5000K 0-10V, UL/DLC", 2000),
    ("BW-DL6-12CCT", "6in LED downlight 12W 5CCT TRIAC, UL/ES", 20000),
)


def _rows(prices: tuple[float, ...]) -> tuple[list[tuple[str, ...]], float]:
    rows, total = [], 0.0
    for number, ((model, description, qty), price) in enumerate(zip(ITEMS, prices, strict=True), 1):
        amount = qty * price
        total += amount
        rows.append((str(number), model, description, f"{qty:,}", f"{price:.2f}", f"{amount:,.2f}"))
    rows.append(
        ("", "", "TOTAL FOB NINGBO", f"{sum(q for _, _, q in ITEMS):,}", "", f"{total:,.2f}")
    )
    return rows, total


def quotation_pdf() -> bytes:
    rows, _ = _rows((14.80, 21.50, 3.95))
    lines, rules = table_page(
        HEADING,
        rows,
        COLUMNS,
        [
            "No. 88 Jinyuan Road, Yinzhou District, Ningbo 315100, China   Tel: +86 574 8765 4321",
            "QUOTATION",
            f"Quotation No.: {QUOTE}      Date: Oct. 15, 2026      Valid until: Nov. 14, 2026",
            "To: Sunrise Home Depot Inc., Attn. Mr. Michael Torres",
            "1450 Peachtree Industrial Blvd, Suite 300, Norcross, GA 30071, USA",
        ],
        [
            "Terms:",
            "Price term: FOB Ningbo, China. Prices in US dollars.",
            "Payment: 30% T/T deposit, 70% balance against copy of B/L.",
            "Lead time: 25-30 days after receipt of deposit.",
            "Certificates: UL/cUL (file E512345), DLC Premium, Energy Star, FCC Part 15, CE, RoHS.",
            "Warranty: 5 years. Packing: panels 4 pcs/carton, downlights 20 pcs/carton.",
            "",
            "Ningbo Brightway Lighting Co., Ltd. - Lily Chen, Sales Manager",
        ],
        "Ningbo Brightway Lighting Co., Ltd.",
    )
    return pdf([lines], f"Quotation {QUOTE}", "Lily Chen", "D:20261015092500+08'00'", [rules])


def po_pdf() -> bytes:
    rows, _ = _rows((14.05, 20.40, 3.72))
    lines, rules = table_page(
        HEADING,
        rows,
        COLUMNS,
        [
            "1450 Peachtree Industrial Blvd, Suite 300, Norcross, GA 30071, USA",
            f"PURCHASE ORDER   PO# {PO}",
            "PO date: 10/23/2026     Vendor no.: 100482     Buyer: Michael Torres",
            "Vendor: Ningbo Brightway Lighting Co., Ltd., Ningbo, China",
            "Ship to: Sunrise Home Depot DC-04, 200 Gateway Logistics Pkwy, Savannah, GA 31407",
            f"Vendor quotation: {QUOTE} (revised Oct. 20, 2026)",
        ],
        [
            "Conditions:",
            "Incoterms 2020: FOB Ningbo. Ship window: 11/10/2026 - 11/20/2026. 2 x 40HQ.",
            "Payment: 30% T/T in advance, 70% against copy of B/L.",
            "UPC labels and Prop 65 warning labels per Sunrise vendor manual rev. 7.",
            "1% free spare parts (drivers) to be packed separately.",
            f"Quote PO# {PO} on all invoices, packing lists and cartons.",
        ],
        "Sunrise Home Depot Inc.",
    )
    return pdf(
        [lines],
        f"Purchase Order {PO}",
        "Sunrise Home Depot Purchasing",
        "D:20261023091000-04'00'",
        [rules],
    )


def pi_pdf() -> bytes:
    rows, _ = _rows((14.05, 20.40, 3.72))
    lines, rules = table_page(
        HEADING,
        rows,
        COLUMNS,
        [
            "No. 88 Jinyuan Road, Yinzhou District, Ningbo 315100, China   Tel: +86 574 8765 4321",
            "PROFORMA INVOICE",
            f"PI No.: {PI}      Date: Oct. 24, 2026      Your ref.: PO# {PO}",
            "Buyer: Sunrise Home Depot Inc., Norcross, GA 30071, USA",
        ],
        [
            "Payment:",
            "30% deposit USD 47,205.00 by T/T now; 70% balance USD 110,145.00 against copy of B/L.",
            "Beneficiary: Ningbo Brightway Lighting Co., Ltd.",
            "Bank: Zhejiang Eastport Commercial Bank, Ningbo Branch   SWIFT: ZEPBCNN0XXX",
            "USD account no.: 3301 0200 0918 7765 (demo data, not a real account)",
            "Delivery: ship by Nov. 20, 2026, FOB Ningbo, 2 x 40HQ.",
        ],
        "Ningbo Brightway Lighting Co., Ltd.",
    )
    return pdf([lines], f"Proforma Invoice {PI}", "Lily Chen", "D:20261024083000+08'00'", [rules])


def shipping_pdf() -> bytes:
    rows, _ = _rows((14.05, 20.40, 3.72))
    lines, rules = table_page(
        HEADING,
        rows,
        COLUMNS,
        [
            "COMMERCIAL INVOICE & PACKING LIST (copy)",
            f"Invoice No.: CI-BW261115-01   Date: Nov. 15, 2026   PO# {PO}   PI: {PI}",
            f"B/L No.: {BL}   Vessel: PACIFIC CREST VIRTUE V.046E",
            f"Containers: {CONTAINERS[0]}, {CONTAINERS[1]} (2 x 40HQ)",
        ],
        [
            "Packing:",
            "2,250 cartons, G.W. 16,760.0 kgs, N.W. 14,980.0 kgs, 131.6 CBM.",
            "Port of loading: Ningbo, China. Port of discharge: Savannah, GA, USA.",
        ],
        "Ningbo Brightway Lighting Co., Ltd.",
    )
    return pdf(
        [lines],
        "Commercial invoice and packing list",
        "Lily Chen",
        "D:20261116140000+08'00'",
        [rules],
    )


def _scan(x: int, y: int) -> tuple[int, int, int]:
    """A grey "scanned slip": white paper with rows of darker text-like strokes."""
    ink = (y % 8 in (3, 4)) and 8 < x < 88 - (y * 7 % 23)
    return (70, 70, 78) if ink else (236, 236, 232)


def _photo(seed: int):
    def pixel(x: int, y: int) -> tuple[int, int, int]:
        panel = 12 < x < 52 and 8 < y < 40
        if panel:
            return (245, 245, 240 - seed * 10)
        return (90 + x * 2, 95 + y * 2, 110 + seed * 20)

    return pixel
