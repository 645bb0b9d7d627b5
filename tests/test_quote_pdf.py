"""Quotation / proforma PDFs (issue 9): text via pdftotext, Chinese glyphs via pdftoppm.

The CJK test compares the rendered title "报价单" on page 1 with two references made by
the same WeasyPrint: one in "Noto Sans CJK SC" and one rendered with a fontconfig that
only knows DejaVu (which has no CJK glyphs, so it draws tofu boxes). The document must
look like the first and not like the second, and the two references must differ - so the
test fails when the CJK font is missing rather than comparing tofu with tofu.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tradeinbox.core.costsheet import SheetError, load_sheet
from tradeinbox.core.documents import document_number, render_pdf
from tradeinbox.core.quotation import quote

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cost-sheet.json"
TITLE_ZH = "报价单"

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "doc") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def sheet():
    return load_sheet(EXAMPLE)


def test_english_quotation_matches_quote_figures(sheet, tmp_path):
    data = quote(sheet)
    text = pdf_text(render_pdf(sheet, lang="en", base_dir=EXAMPLE.parent, data=data), tmp_path)
    assert "QUOTATION" in text and "Q-2026-0001" in text
    assert "March 2, 2026" in text and "April 1, 2026" in text  # valid_days 30
    assert "CIF Valencia" in text and "Incoterms® 2020" in text
    for line in data["incoterms"]["CIF"]["lines"]:
        row = next(r for r in text.splitlines() if line["sku"] in r and "9405.11" in r)
        amount = f"{float(line['amount']):,.2f}"
        assert line["unit_price"] in row and amount in row, row
    total = f"{float(data['incoterms']['CIF']['total']):,.2f}"
    assert re.search(rf"Total CIF Valencia \(USD\)\s+{re.escape(total)}", text)
    # other Incoterms' unit prices and the tiers are offered too
    fob = data["incoterms"]["FOB"]["lines"][0]["unit_price"]
    assert fob in text and "Quantity price breaks" in text
    # bank details are in the PDF; seller-only numbers are not
    assert "BKCHCNBJ92A" in text and "Bank of China, Ningbo Branch" in text
    margin = data["incoterms"]["CIF"]["lines"][0]["seller_only"]["net_cost"]
    assert margin not in text and "margin" not in text.lower()
    assert "ROUND_HALF_UP" in text


def test_spanish_proforma_uses_spanish_labels_and_number_format(sheet, tmp_path):
    data = quote(sheet)
    pdf = render_pdf(sheet, lang="es", kind="proforma", base_dir=EXAMPLE.parent, data=data)
    text = pdf_text(pdf, tmp_path)
    assert "FACTURA PROFORMA" in text and "PI-2026-0001" in text
    assert "Condiciones de pago" in text and "2 de marzo de 2026" in text
    total = data["incoterms"]["CIF"]["total"]  # 38500.00 -> 38.500,00
    whole, cents = total.split(".")
    assert f"{int(whole):,}".replace(",", ".") + "," + cents in text
    assert "Precios por cantidad" not in text  # tiers are for quotations, not invoices


def test_incoterm_override_and_unknown(sheet, tmp_path):
    data = quote(sheet)
    text = pdf_text(render_pdf(sheet, rule="FOB", base_dir=EXAMPLE.parent, data=data), tmp_path)
    fob_total = f"{float(data['incoterms']['FOB']['total']):,.2f}"
    assert re.search(rf"Total FOB Ningbo \(USD\)\s+{re.escape(fob_total)}", text)
    raw = example()
    raw["incoterms"] = ["FOB"]
    with pytest.raises(SheetError, match="CIF is not in"):
        render_pdf(load_sheet(raw), rule="CIF", base_dir=EXAMPLE.parent)


def test_sheet_text_is_escaped_not_executed(tmp_path):
    raw = example()
    raw["buyer"]["name"] = "<b>ACME</b> {{ 7*7 }} {% raw %}"
    raw["document"]["notes"] = "<img src='http://127.0.0.1:9/x.png'>"
    text = pdf_text(render_pdf(load_sheet(raw), base_dir=EXAMPLE.parent), tmp_path)
    assert "<b>ACME</b> {{ 7*7 }} {% raw %}" in text and "49" not in text.split("ACME")[1][:20]
    assert "<img src='http://127.0.0.1:9/x.png'>" in text


def test_missing_logo_is_a_clear_error():
    raw = example()
    raw["seller"]["logo"] = "no-such-logo.svg"
    with pytest.raises(SheetError, match="logo"):
        render_pdf(load_sheet(raw), base_dir=EXAMPLE.parent)


def test_document_numbering():
    import datetime as dt

    day = dt.date(2026, 3, 2)
    assert document_number("Q-{yyyy}-{seq:4}", 7, day) == "Q-2026-0007"
    assert document_number("PI{yy}{mm}{dd}/{seq}", 12, day) == "PI260302/12"
    with pytest.raises(SheetError):
        document_number("Q-{0.__class__}", 1, day)


def test_cli_writes_pdf(tmp_path):
    out_pdf = tmp_path / "pi.pdf"
    run = subprocess.run([sys.executable, "-m", "tradeinbox", "quote", str(EXAMPLE), "--pdf",
                          str(out_pdf), "--lang", "zh", "--kind", "proforma"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    text = subprocess.run(["pdftotext", str(out_pdf), "-"], capture_output=True, text=True).stdout
    assert "形式发票" in text and "PI-2026-0001" in text and "付款方式" in text


# --- Chinese glyphs really drawn with a CJK font -------------------------------------------


def _bbox(pdf: Path, word: str) -> tuple[float, float, float, float]:
    """(xMin, yMin, xMax, yMax) in PDF points of the first word containing ``word``."""
    xml = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                         r"([^<]*)</word>", xml):  # fmt: skip
        if word in m.group(5):
            return tuple(float(m.group(i)) for i in range(1, 5))  # type: ignore[return-value]
    raise AssertionError(f"'{word}' not found on page 1 of {pdf.name}")


def _glyphs(pdf: Path, word: str, dpi: int = 150):
    """The ink of ``word`` on page 1: cropped, trimmed to its ink box, normalised size."""
    from PIL import Image, ImageOps

    x0, y0, x1, y1 = _bbox(pdf, word)
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(dpi), "-gray", "-png",
                    str(pdf), str(prefix)], check=True)  # fmt: skip
    page = Image.open(next(pdf.parent.glob(prefix.name + "-*1.png"))).convert("L")
    k = dpi / 72
    crop = page.crop((int(x0 * k) - 2, int(y0 * k) - 2, int(x1 * k) + 2, int(y1 * k) + 2))
    ink = ImageOps.invert(crop)
    box = ink.point(lambda v: 255 if v > 60 else 0).getbbox()
    assert box, f"no ink where '{word}' should be"
    # binarise: the document's title colour must not count as a shape difference
    shape = crop.crop(box).point(lambda v: 0 if v < 160 else 255)
    return shape.resize((96, 32)), crop


def _diff(a, b) -> float:
    from PIL import ImageChops, ImageStat

    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def _snippet(tmp_path: Path, name: str, env: dict | None = None) -> Path:
    """Render the title alone, same font stack/size/weight as the document's h1."""
    out = tmp_path / f"{name}.pdf"
    code = (
        "import sys, weasyprint\n"
        "html = '<h1 style=\"font-family: Noto Sans CJK SC, sans-serif; font-size: 20pt; "
        f"font-weight: bold; letter-spacing: 1pt\">{TITLE_ZH}</h1>'\n"
        "weasyprint.HTML(string=html).write_pdf(sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
    return out


def test_chinese_title_is_drawn_with_cjk_glyphs_not_tofu(sheet, tmp_path):
    doc = tmp_path / "zh.pdf"
    doc.write_bytes(render_pdf(sheet, lang="zh", base_dir=EXAMPLE.parent))
    fonts = subprocess.run(["pdffonts", str(doc)], capture_output=True, text=True).stdout
    assert "CJK" in fonts, f"no CJK font embedded (install Debian fonts-noto-cjk):\n{fonts}"

    real = _snippet(tmp_path, "real")
    # A fontconfig that knows only DejaVu: no font has these glyphs -> tofu boxes.
    dejavu = next((d for d in ("/usr/share/fonts/truetype/dejavu",) if Path(d).is_dir()), None)
    if dejavu is None:
        pytest.fail("DejaVu fonts (Debian fonts-dejavu-core) are needed for the tofu reference")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{dejavu}</dir>'
                    f"<cachedir>{tmp_path}/fc-cache</cachedir></fontconfig>")  # fmt: skip
    tofu = _snippet(tmp_path, "tofu", env={**os.environ, "FONTCONFIG_FILE": str(conf)})

    doc_g, doc_crop = _glyphs(doc, TITLE_ZH)
    real_g, _ = _glyphs(real, TITLE_ZH)
    tofu_g, _ = _glyphs(tofu, TITLE_ZH)
    hist = doc_crop.histogram()  # grayscale: 256 bins
    ink = sum(hist[:128]) / (doc_crop.width * doc_crop.height)
    assert ink > 0.05, "title area is (almost) blank"
    assert _diff(real_g, tofu_g) > 40, "reference render is itself tofu: CJK font missing?"
    assert _diff(doc_g, real_g) < 20, "document title does not look like Noto Sans CJK SC"
    assert _diff(doc_g, tofu_g) > 40, "document title looks like tofu boxes"
