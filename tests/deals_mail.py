"""A realistic multi-address export deal for the deals tests.

Carlos Méndez of Andina Import (Bogotá) asks from his Gmail, gets our quotation, negotiates
from his office address in a new thread, sends the PO (his colleague in copy), and we
report production and shipping. Li Wei sells for Ningbo Tools.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

SELLER = "li.wei@ningbo-tools.example"
SELLER_FROM = f"Li Wei <{SELLER}>"
GMAIL = "carlos.mendez77@gmail.com"
OFFICE = "c.mendez@andina-import.example"
COLLEAGUE = "compras@andina-import.example"
# Tuesday 3 March 2026, 02:00 UTC = 10:00 in Ningbo.
START = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)

SIGNATURE = """Best regards,
Carlos Méndez
Purchasing Manager
Andina Import S.A.S.
Calle 93 #11-27, Bogotá, Colombia
Tel: +57 601 555 0199
"""


def mail(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    at: datetime,
    msgid: str,
    reply_to: str | None = None,
    cc: str | None = None,
    attachment: str | None = None,
    domain: str = "deal.test",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<{msgid}@{domain}>"
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}@{domain}>"
        msg["References"] = f"<{reply_to}@{domain}>"
    msg.set_content(body)
    if attachment:
        msg.add_attachment(
            b"%PDF-1.4 test", maintype="application", subtype="pdf", filename=attachment
        )
    return bytes(msg)


INQUIRY = (
    "Dear Sir or Madam,\n\n"
    "We are an importer of lighting products in Bogota, Colombia. Please quote your best "
    "price for 800 pcs LP-600 LED panel light, 600x600 mm, 48W, 4000K, FOB Ningbo. "
    "This is our RFQ-2026-001.\n"
    "Please also advise the lead time and your payment terms.\n\n" + SIGNATURE
)
QUOTATION = (
    "Dear Carlos,\n\n"
    "Thank you for your inquiry RFQ-2026-001. Please find attached our quotation "
    "QT-2026-031:\n\n"
    "LP-600 LED panel 600x600 mm 48W 4000K: USD 8.50/pc FOB Ningbo\n"
    "Lead time: 25 days after deposit.\n"
    "Payment terms: 30% T/T deposit, 70% before shipment.\n\n"
    "Best regards,\nLi Wei\nNingbo Tools Co., Ltd.\n"
)
NEGOTIATION = (
    "Hello Li,\n\n"
    "This is Carlos again, now from my office address. About your quotation QT-2026-031: "
    "the price is a bit too high for our market. Our target price is USD 7.90/pc FOB "
    "Ningbo for 1,000 pcs. Can you do it?\n\n" + SIGNATURE
)
COUNTER = (
    "Dear Carlos,\n\n"
    "For 1,000 pcs we can offer USD 8.10/pc FOB Ningbo, quotation QT-2026-031 revised. "
    "Lead time: 30 days after deposit.\n\n"
    "Best regards,\nLi Wei\n"
)
PURCHASE_ORDER = (
    "Dear Li,\n\n"
    "OK, we confirm the order for 1,000 pcs LP-600 at USD 8.10/pc FOB Ningbo, as per "
    "quotation QT-2026-031. Please find attached our PO No. 4500012345.\n"
    "Payment terms: 30% T/T deposit, 70% against B/L copy.\n"
    "Please send the proforma invoice.\n\n" + SIGNATURE
)
PRODUCTION = (
    "Dear Carlos,\n\n"
    "We received your deposit for PO 4500012345. The goods are now in mass production; "
    "the final inspection is planned in three weeks.\n\n"
    "Best regards,\nLi Wei\n"
)
SHIPPING = (
    "Dear Carlos,\n\n"
    "Shipping notice for PO 4500012345: the goods have been shipped today, B/L No. "
    "COSU6234567890, ETA Buenaventura 15 May. The B/L copy is attached.\n\n"
    "Best regards,\nLi Wei\n"
)


def deal_messages() -> list[tuple[str, bytes]]:
    """(file name, raw) of the whole deal, oldest first."""
    h = timedelta(hours=1)
    carlos_gmail = f"Carlos Méndez <{GMAIL}>"
    carlos_office = f"Carlos Méndez <{OFFICE}>"
    return [
        (
            "01-inquiry.eml",
            mail(
                carlos_gmail,
                SELLER_FROM,
                "Inquiry: LP-600 LED panels for Colombia",
                INQUIRY,
                at=START,
                msgid="m01",
            ),
        ),
        (
            "02-quotation.eml",
            mail(
                SELLER_FROM,
                carlos_gmail,
                "Re: Inquiry: LP-600 LED panels for Colombia",
                QUOTATION,
                at=START + h,
                msgid="m02",
                reply_to="m01",
                attachment="Quotation_QT-2026-031.pdf",
            ),
        ),
        (
            "03-negotiation.eml",
            mail(
                carlos_office,
                SELLER_FROM,
                "Quotation QT-2026-031 - price",
                NEGOTIATION,
                at=START + 5 * 24 * h,
                msgid="m03",
            ),
        ),
        (
            "04-counter.eml",
            mail(
                SELLER_FROM,
                carlos_office,
                "Re: Quotation QT-2026-031 - price",
                COUNTER,
                at=START + 5 * 24 * h + 2 * h,
                msgid="m04",
                reply_to="m03",
            ),
        ),
        (
            "05-po.eml",
            mail(
                carlos_office,
                SELLER_FROM,
                "PO 4500012345 - LP-600",
                PURCHASE_ORDER,
                at=START + 8 * 24 * h,
                msgid="m05",
                cc=COLLEAGUE,
                attachment="PO_4500012345.pdf",
            ),
        ),
        (
            "06-production.eml",
            mail(
                SELLER_FROM,
                carlos_office,
                "Re: PO 4500012345 - LP-600",
                PRODUCTION,
                at=START + 10 * 24 * h,
                msgid="m06",
                reply_to="m05",
            ),
        ),
        (
            "07-shipping.eml",
            mail(
                SELLER_FROM,
                carlos_office,
                "Shipping notice PO 4500012345",
                SHIPPING,
                at=START + 40 * 24 * h,
                msgid="m07",
                cc=COLLEAGUE,
                attachment="BL_COSU6234567890.pdf",
            ),
        ),
    ]


def write(folder: Path, messages: list[tuple[str, bytes]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in messages:
        (folder / name).write_bytes(raw)
    return folder


def store(
    tmp_path: Path, messages: list[tuple[str, bytes]], *, now: datetime | None = None
) -> list[int]:
    """Import ``messages`` and run what the worker runs after an import: the customers
    analysis, then the deals job. Returns the new message pks."""
    from tradeinbox.customers import services
    from tradeinbox.deals.ingest import process_messages
    from tradeinbox.store.importer import Importer

    folder = tmp_path / f"batch-{len(list(tmp_path.glob('batch-*')))}"
    summary = Importer().import_paths([write(folder, messages)])
    services.analyse_messages(summary.new_message_ids)
    process_messages(summary.new_message_ids, now=now)
    return summary.new_message_ids
