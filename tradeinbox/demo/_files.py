"""Small but valid attachment files for the demo: PDF, PNG, XLSX and CSV.

Attachments in the demo must open in a real viewer (a demo whose "quotation PDF"
is junk bytes teaches nothing), yet stay a few kilobytes. Each writer here emits
the minimum its format needs, deterministically:

* :func:`pdf` - PDF 1.4 (ISO 32000-1) with one page per list of lines, standard
  Helvetica fonts (no embedding needed), a correct cross-reference table;
* :func:`png` - PNG (RFC 2083 / ISO 15948) truecolour, zlib-compressed, with CRCs;
* :func:`xlsx` - Office Open XML spreadsheet (ECMA-376) with inline strings, zipped
  with fixed timestamps;
* CSV is plain text and written by the callers.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

# A line on a PDF page: (x, y, font size, bold?, text). Text is WinAnsi (Latin-1).
PdfLine = tuple[float, float, float, bool, str]


def _pdf_string(text: str) -> str:
    text.encode("latin-1")  # the standard fonts only cover WinAnsi; fail loudly otherwise
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf(
    pages: Sequence[Sequence[PdfLine]],
    title: str,
    author: str,
    created: str,
    rules: Sequence[Sequence[tuple[float, float, float]]] = (),
) -> bytes:
    """A PDF whose pages show ``pages``; ``rules`` are horizontal lines (x1, x2, y) per page.

    ``created`` is a PDF date string such as ``D:20261015093000+08'00'``.
    """
    objects: list[bytes] = []
    page_ids = [5 + 2 * i for i in range(len(pages))]
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    for index, lines in enumerate(pages):
        ops = []
        for x1, x2, y in rules[index] if index < len(rules) else ():
            ops.append(f"0.5 w {x1:g} {y:g} m {x2:g} {y:g} l S")
        for x, y, size, bold, text in lines:
            font = "/F2" if bold else "/F1"
            ops.append(f"BT {font} {size:g} Tf {x:g} {y:g} Td {_pdf_string(text)} Tj ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {page_ids[index] + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_id = len(objects) + 1
    objects.append(
        f"<< /Title {_pdf_string(title)} /Author {_pdf_string(author)} "
        f"/Producer (Brightway ERP report writer) /CreationDate ({created}) >>".encode("latin-1")
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment: marks the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, info_id, xref)
    )
    return out.getvalue()


def table_page(
    heading: Sequence[str],
    rows: Sequence[Sequence[str]],
    columns: Sequence[float],
    before: Sequence[str],
    after: Sequence[str],
    banner: str,
) -> tuple[list[PdfLine], list[tuple[float, float, float]]]:
    """A business-document page: banner, text lines, a ruled table, closing lines."""
    lines: list[PdfLine] = [(50, 790, 15, True, banner)]
    y = 760.0
    for text in before:
        lines.append((50, y, 9.5, text.isupper(), text))
        y -= 14
    y -= 8
    rules = [(50, 545, y + 12)]
    for x, cell in zip(columns, heading, strict=True):
        lines.append((x, y, 9, True, cell))
    rules.append((50, 545, y - 5))
    y -= 18
    for row in rows:
        for x, cell in zip(columns, row, strict=True):
            lines.append((x, y, 9, False, cell))
        y -= 15
    rules.append((50, 545, y + 8))
    y -= 12
    for text in after:
        lines.append((50, y, 9.5, text.endswith(":"), text))
        y -= 14
    return lines, rules


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An 8-bit RGB PNG; ``pixel(x, y)`` gives each colour."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


_XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_XLSX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xlsx(sheet_name: str, rows: Sequence[Sequence[str | float]], stamp: tuple[int, ...]) -> bytes:
    """A one-sheet workbook; numbers stay numbers, text is stored as inline strings."""
    cells_xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value:g}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells_xml)}</sheetData></worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            ("[Content_Types].xml", _XLSX_TYPES),
            ("_rels/.rels", _XLSX_RELS),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", sheet),
        ):
            info = zipfile.ZipInfo(name, date_time=stamp[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()


def container_number(owner: str, serial: str) -> str:
    """An ISO 6346 container number with its check digit (e.g. ``MSKU1234565``)."""
    values = {}
    number = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if number % 11 == 0:
            number += 1  # multiples of 11 are skipped by the standard
        values[letter] = number
        number += 1
    code = owner + serial
    total = sum((values[ch] if ch.isalpha() else int(ch)) * (2**i) for i, ch in enumerate(code))
    return f"{code}{total % 11 % 10}"
