"""Building test mail for the customer tests: a small export deal with a Brazilian buyer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OWN = "li.wei@ourfactory.example"


def email(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    hours: float = 0,
    msgid: str,
    reply_to: str | None = None,
    cc: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(START + timedelta(hours=hours))
    msg["Message-ID"] = f"<{msgid}@test>"
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}@test>"
        msg["References"] = f"<{reply_to}@test>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return bytes(msg)


ANNA_SIG = """Best regards,
Anna Silva
Purchasing Manager
Buyer Importadora Ltda.
Mobile: +55 11 98765-4321
"""


def deal_mail() -> dict[str, bytes]:
    """Messages of one deal: Anna writes from work and from gmail, John and Jane Smith,
    Pedro with a weak same-name match, and a bounce for a former employee."""
    ours = f"Li Wei <{OWN}>"
    anna = "Anna Silva <anna.silva@buyer.com.br>"
    anna_gmail = "Anna Silva <anna.silva77@gmail.com>"
    return {
        "01.eml": email(
            anna, ours, "Inquiry: steel pipes",
            "Hello, please quote 20 tons of steel pipe, FOB Shanghai, payment T/T.\n\n" + ANNA_SIG,
            msgid="m1",
        ),
        "02.eml": email(
            ours, anna, "Re: Inquiry: steel pipes", "Dear Anna, price USD 820/ton FOB.\n",
            hours=2, msgid="m2", reply_to="m1", cc="John Smith <john.smith@buyer.com.br>",
        ),
        "03.eml": email(
            anna_gmail, ours, "Re: Inquiry: steel pipes",
            "Thanks, the price is fine, can you do 30 days L/C? I am travelling.\n\n" + ANNA_SIG,
            hours=3, msgid="m3", reply_to="m2",
        ),
        "04.eml": email(
            "John Smith <john.smith@buyer.com.br>", ours, "Specs",
            "See the attached drawing.\n\nJohn Smith\nEngineer\nPhone: +55 11 3333-1111\n",
            hours=5, msgid="m4",
        ),
        "05.eml": email(
            "Jane Smith <jane.smith@buyer.com.br>", ours, "Invoice address",
            "Please send the invoice to our Sao Paulo office.\n\nJane Smith\nAccounts\n"
            "Phone: +55 11 3333-1111\n",
            hours=6, msgid="m5",
        ),
        "06.eml": email(
            "Pedro Gomes <pedro@buyer.com.br>", ours, "Samples", "Did the samples ship?\n",
            hours=7, msgid="m6",
        ),
        "07.eml": email(
            "Pedro Gomes <pgomes.br@hotmail.com>", ours, "Samples again", "Any news?\n",
            hours=8, msgid="m7",
        ),
        "08.eml": email(
            "Carlos Lima <carlos.lima@buyer.com.br>", ours, "Automatic reply: Samples",
            "Carlos Lima has left the company. Please contact Anna Silva instead.\n",
            hours=9, msgid="m8",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    }  # fmt: skip


def write_mail(folder: Path, mails: dict[str, bytes] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (mails or deal_mail()).items():
        (folder / name).write_bytes(data)
    return folder


WHATSAPP = """[02/03/2026, 14:05:11] Anna Silva: Hi Li, did you see my mail about the L/C?
[02/03/2026, 14:07:40] Li Wei: Yes, 30 days L/C is fine for us.
[02/03/2026, 14:08:02] Anna Silva: Great, I will send the PO tomorrow.
"""
