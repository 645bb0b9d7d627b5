"""Forwarder, bounce and auto-replies.

* a Ningbo freight forwarder writing in Chinese (GB2312/GBK, RFC 2047 subjects and
  attachment names): a 海运费报价单 (XLSX), Lily's 订舱 request, the booking
  confirmation (PDF) and a rate update;
* a catalogue mailing to an old UK customer that bounces for one contact (RFC 3464
  DSN from our own Postfix) and gets a "has left the company" auto-reply for the
  other, followed by the introduction to the successor.

Bulk mail and scams are in ``_story_bulk.py``.
"""

from __future__ import annotations

from datetime import timedelta

from tradeinbox.demo._cast import LILY, Entry, entry, incoming, lily, pdf_part
from tradeinbox.demo._envelope import MX, STORE, corporate, render
from tradeinbox.demo._files import pdf, table_page, xlsx
from tradeinbox.demo._mime import (
    ALNUM,
    NL,
    Part,
    Person,
    attachment,
    header_block,
    make_boundary,
    queue_id,
    received,
    rfc_date,
    token,
)

ZHANG = Person("张伟", "zhangwei@yh-logistics.example", "gb2312")
ZHANG_GBK = Person("张伟", "zhangwei@yh-logistics.example", "gbk")
PETER = Person("Peter Novak", "peter.novak@evergreen-lighting.example")
TOM = Person("Tom Baker", "tom.baker@evergreen-lighting.example")
SARAH = Person("Sarah Mitchell", "sarah.mitchell@evergreen-lighting.example")

YH_ROUTE = corporate("smtp.yh-logistics.example", "203.0.113.58", "203.0.113.59", "192.168.3.77")
EVERGREEN_ROUTE = corporate(
    "mail.evergreen-lighting.example", "198.51.100.77", "198.51.100.78", "10.10.4.21"
)

ZHANG_SIGNATURE = """
张伟
宁波远航国际物流有限公司 销售经理
电话：+86 574 5555 0142  手机/微信：+86 138 5555 0187
地址：宁波市北仑区明州路 188 号
"""


def build() -> list[Entry]:
    return [*_forwarder(), *_evergreen()]


def _forwarder() -> list[Entry]:
    rates = [
        ("航线", "目的港", "20GP (USD)", "40HQ (USD)", "船期", "备注"),
        ("美东", "萨凡纳 SAVANNAH", 2650, 3300, "周六", "提前10天订舱"),
        ("美西", "洛杉矶 LOS ANGELES", 1850, 2350, "周三/周六", ""),
        ("欧洲", "汉堡 HAMBURG", 1450, 2200, "周五", ""),
        ("南美东", "桑托斯 SANTOS", 2900, 3900, "周四", ""),
        ("墨西哥", "曼萨尼约 MANZANILLO", 2100, 2800, "周二", ""),
        ("中东", "达曼 DAMMAM / 吉达 JEDDAH", 1300, 2050, "周一", ""),
        ("印度", "那瓦舍瓦 NHAVA SHEVA", 850, 1350, "周日", ""),
        ("西非", "拉各斯 LAGOS (APAPA)", 3200, 4600, "周三", "目的港费用另计"),
    ]
    sheet = xlsx("海运费报价单", rates, (2026, 10, 13, 10, 48, 0))
    m1, _ = incoming(
        "yh-rates",
        ZHANG,
        "CN",
        "2026-10-13 11:05",
        "宁波远航物流：10月下半月海运费报价单（美线/欧线/中东/南美/非洲）",
        """
Lily 你好，

附件是我司 10 月下半月（10/16-10/31）宁波出运的海运费报价单，请查收。

主要航线 20GP / 40HQ（美元）：
宁波 - 萨凡纳（美东）：2,650 / 3,300
宁波 - 洛杉矶（美西）：1,850 / 2,350
宁波 - 汉堡：1,450 / 2,200
宁波 - 桑托斯：2,900 / 3,900
宁波 - 曼萨尼约（墨西哥）：2,100 / 2,800
宁波 - 达曼 / 吉达：1,300 / 2,050
宁波 - 那瓦舍瓦：850 / 1,350
宁波 - 拉各斯（阿帕帕）：3,200 / 4,600

以上为海运费，不含起运港杂费（THC、文件费、封条费等），有效期至 10 月 31 日。
美线请提前 10 天订舱，近期舱位紧张。有货需要订舱请随时联系。
"""
        + ZHANG_SIGNATURE,
        YH_ROUTE,
        style="foxmail",
        charset="gb2312",
        cte="base64",
        attachments=[
            attachment(
                sheet,
                "海运费报价单-2026年10月下半月.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                naming="rfc2047:gb2312",
            )
        ],
        client=[("X-Mailer", "Foxmail 7.2.25.375[cn]")],
        msgid_style="foxmail",
    )
    m2, t2 = lily(
        "yh-booking",
        [ZHANG],
        "订舱：宁波-萨凡纳 2x40HQ / Sunrise PO 4500012345（客户指定货代）",
        "2026-11-04 09:30",
        """
张经理：

您好！美国客户 Sunrise Home Depot 指定贵司订舱，FOB 宁波，信息如下：

发货人：宁波明途照明有限公司（NINGBO BRIGHTWAY LIGHTING CO., LTD.）
收货人：SUNRISE HOME DEPOT INC., NORCROSS, GA, USA
起运港：宁波（北仑）  目的港：SAVANNAH, GA
柜型柜量：2 x 40HQ
品名：LED 平板灯 / LED 筒灯（LED PANEL LIGHT / LED DOWNLIGHT），HS 9405.11
件数/毛重/体积：2,250 箱 / 16,760 KGS / 131.6 CBM
货好时间：11 月 10 日
要求船期：11 月 15 日左右

请安排订舱，并告知截单、截关时间和装箱时间，谢谢！

陈丽 Lily
宁波明途照明有限公司 外贸部
电话：+86 574 8765 4321  手机/微信：+86 138 5741 2268
""",
        signature=False,
    )
    booking = table_page(
        ("Item", "Detail", "", "", "", ""),
        [
            ("SO No.", "NGB26110457", "", "", "", ""),
            ("Vessel", "PACIFIC CREST VIRTUE 046E", "", "", "", ""),
            ("POL / POD", "NINGBO / SAVANNAH, GA", "", "", "", ""),
            ("Equipment", "2 x 40HQ", "", "", "", ""),
            ("SI cut-off", "2026-11-12 12:00", "", "", "", ""),
            ("CY cut-off", "2026-11-13 17:00", "", "", "", ""),
            ("ETD", "2026-11-15", "", "", "", ""),
        ],
        (50, 150, 400, 430, 460, 490),
        [
            "BOOKING CONFIRMATION",
            "Shipper: NINGBO BRIGHTWAY LIGHTING CO., LTD.   Ref.: PO 4500012345",
        ],
        [
            "Freight: COLLECT (consignee's contract rate).",
            "Empty pick-up: Beilun CY, please book your trucker.",
        ],
        "Ningbo Yuanhang International Logistics Co., Ltd.",
    )
    m3, _ = incoming(
        "yh-so",
        ZHANG,
        "CN",
        "2026-11-04 16:10",
        "订舱确认：SO已放 PACIFIC CREST VIRTUE 046E / 2x40HQ 宁波-萨凡纳",
        """
Lily 你好：

舱位已订好，订舱确认书见附件。

船名航次：PACIFIC CREST VIRTUE / 046E
订舱号（SO）：NGB26110457
开船日期：11 月 15 日
截单时间：11 月 12 日 12:00
截关时间：11 月 13 日 17:00

请于 11 月 11-12 日安排装箱，提柜请联系车队。海运费按客户指定协议价到付
（FREIGHT COLLECT），起运港杂费由贵司支付。
"""
        + ZHANG_SIGNATURE,
        YH_ROUTE,
        style="foxmail",
        previous=t2,
        charset="gb2312",
        cte="base64",
        attachments=[
            pdf_part(
                pdf(
                    [booking[0]],
                    "Booking confirmation NGB26110457",
                    "Yuanhang",
                    "D:20261104160000+08'00'",
                    [booking[1]],
                ),
                "Booking_Confirmation_NGB26110457.pdf",
            )
        ],
        client=[("X-Mailer", "Foxmail 7.2.25.375[cn]")],
        msgid_style="foxmail",
    )
    m4, _ = incoming(
        "yh-gri",
        ZHANG_GBK,
        "CN",
        "2026-11-20 08:30",
        "【涨价通知】12月上半月美线海运费报价",
        """
各位客户好：

船公司通知 12 月 1 日起美线 GRI 上涨，12 月上半月宁波出运海运费如下（美元）：
宁波 - 萨凡纳：20GP 3,050 / 40HQ 3,800
宁波 - 洛杉矶：20GP 2,150 / 40HQ 2,750

请有出货计划的客户尽早订舱，舱位以船公司确认为准。
"""
        + ZHANG_SIGNATURE,
        YH_ROUTE,
        style="foxmail",
        charset="gbk",
        cte="base64",
        html=False,
        to=[Person("", "undisclosed-recipients:;")],
        client=[("X-Mailer", "Foxmail 7.2.25.375[cn]")],
        msgid_style="foxmail",
    )
    return [
        entry(
            "cn-forwarder-rate-sheet-xlsx",
            m1,
            "Forwarder in Chinese (GB2312 base64): 海运费报价单 with an XLSX whose name is RFC 2047 encoded",
        ),
        entry(
            "cn-lily-booking-request",
            m2,
            "Sent: 订舱 request in Chinese (UTF-8) for the Sunrise PO",
        ),
        entry(
            "cn-forwarder-booking-confirmed",
            m3,
            "Forwarder confirms the booking (SO number, cut-off times) with a PDF",
        ),
        entry(
            "cn-forwarder-rate-increase-gbk",
            m4,
            "Forwarder rate increase to undisclosed recipients (GBK, newest mail)",
        ),
    ]


def _catalogue_pdf() -> bytes:
    page1 = [
        (50, 790, 20, True, "Brightway LED Lighting - Catalogue 2027"),
        (50, 760, 11, False, "Panels, downlights, high bays, floodlights, street and solar lights"),
        (
            50,
            730,
            10,
            False,
            "Ningbo Brightway Lighting Co., Ltd. - www.brightway-lighting.example",
        ),
    ]
    page2 = [
        (50, 790, 14, True, "Price overview (FOB Ningbo)"),
        (50, 765, 10, False, "BW-PL6060-40  LED panel 600x600 40W ........ USD 9.80"),
        (50, 750, 10, False, "BW-HB150     UFO high bay 150W IP65 ........ USD 27.90"),
        (50, 735, 10, False, "BW-ST120     LED street light 120W ......... USD 48.50"),
    ]
    return pdf([page1, page2], "Catalogue 2027", "Brightway", "D:20261030120000+08'00'")


def _evergreen() -> list[Entry]:
    m1, t1 = lily(
        "evergreen-catalogue",
        [PETER, TOM],
        "New 2027 catalogue - Brightway LED lighting",
        "2026-11-02 09:00",
        """
Dear Peter, dear Tom,

It has been a while since your last order of LED panels in 2024. I hope all is well
at Evergreen Lighting Supply.

Attached is our new 2027 catalogue with the new UKCA-marked panels and high bays.
Prices are about 8% lower than last year thanks to the new production line.
Could we arrange a short call to discuss your plans for 2027?
""",
        attachments=[pdf_part(_catalogue_pdf(), "Brightway_Catalogue_2027.pdf")],
    )
    dsn = _dsn(m1)
    m3, _ = incoming(
        "evergreen-left",
        PETER,
        "GB",
        "2026-11-02 01:00:11",
        "Automatic reply: New 2027 catalogue - Brightway LED lighting",
        """
Thank you for your email.

Please note that Peter Novak has left the company and this mailbox is no longer
monitored. For all purchasing enquiries please contact Sarah Mitchell, Category
Buyer - Lighting, at sarah.mitchell@evergreen-lighting.example or +44 1632 960 018.

Evergreen Lighting Supply Ltd
""",
        EVERGREEN_ROUTE,
        html=False,
        extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
        in_reply_to_only=t1,
    )
    m4, t4 = lily(
        "evergreen-sarah",
        [SARAH],
        "Introduction - Brightway Lighting (former contact: Peter Novak)",
        "2026-11-03 10:00",
        """
Dear Sarah,

I got an automatic reply that Peter Novak has left Evergreen and that you are now
the category buyer for lighting. Nice to meet you!

We supplied LED panels to Evergreen in 2023 and 2024. I would like to send you our
2027 catalogue (attached) and hear about your plans for next year.
""",
        attachments=[pdf_part(_catalogue_pdf(), "Brightway_Catalogue_2027.pdf")],
    )
    m5, _ = incoming(
        "evergreen-sarah-reply",
        SARAH,
        "GB",
        "2026-11-03 14:20",
        "RE: Introduction - Brightway Lighting (former contact: Peter Novak)",
        """
Hi Lily,

Thanks for getting in touch. Yes, Peter left us in September and Tom Baker has
moved on as well, so please send everything to me from now on.

We review our panel suppliers in January. Please send your UKCA declarations and
your best prices for 600x600 and 1200x300 panels (3,000 pcs each per year), DDP
Birmingham if possible.

Kind regards,
Sarah Mitchell
Category Buyer - Lighting
Evergreen Lighting Supply Ltd
Unit 7, Tameside Trade Park, Birmingham B7 4AA, United Kingdom
Tel: +44 1632 960 018
www.evergreen-lighting.example
""",
        EVERGREEN_ROUTE,
        previous=t4,
    )
    return [
        entry(
            "uk-lily-catalogue-to-old-contacts",
            m1,
            "Sent: catalogue mailing to two old contacts at a UK customer (2-page PDF)",
        ),
        dsn,
        entry(
            "uk-autoreply-has-left-the-company",
            m3,
            "Auto-reply: 'Peter Novak has left the company', names the successor",
        ),
        entry("uk-lily-intro-to-successor", m4, "Sent: introduction to the successor"),
        entry(
            "uk-successor-replies",
            m5,
            "UK: successor replies, +44 1632 (fictional range) phone, GMT after DST",
        ),
    ]


def _dsn(original) -> Entry:
    """A Postfix RFC 3464 delivery status notification for one failed recipient."""
    sent = original.date
    when = sent + timedelta(seconds=7)
    qid = queue_id(original.key, "out")
    dead = "tom.baker@evergreen-lighting.example"
    boundary = make_boundary("postfix", "dsn")
    notice = f"""This is the mail system at host {MX}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{dead}>: host
    mail.evergreen-lighting.example[198.51.100.77] said: 550 5.1.1
    <{dead}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)
"""
    status = f"""Reporting-MTA: dns; {MX}
X-Postfix-Queue-ID: {qid}
X-Postfix-Sender: rfc822; {LILY.email}
Arrival-Date: {rfc_date(sent)}

Final-Recipient: rfc822; {dead}
Original-Recipient: rfc822;{dead}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.evergreen-lighting.example
Diagnostic-Code: smtp; 550 5.1.1 <{dead}>: Recipient address rejected: User
    unknown in virtual mailbox table
"""
    original_bytes = render(original)
    head = original_bytes.split(b"\n\n", 1)[0].decode("utf-8")
    submit = received(
        "[192.168.10.23] (unknown [192.168.10.23])", f"{MX} (Postfix)", "ESMTPSA", qid, None, sent
    )
    returned = f"Return-Path: <{LILY.email}>{NL}Received: {submit}{NL}{head}{NL}"
    parts = [
        Part(
            [
                ("Content-Description", "Notification"),
                ("Content-Type", "text/plain; charset=us-ascii"),
            ],
            notice.encode(),
        ),
        Part(
            [
                ("Content-Description", "Delivery report"),
                ("Content-Type", "message/delivery-status"),
            ],
            status.encode(),
        ),
        Part(
            [
                ("Content-Description", "Undelivered Message Headers"),
                ("Content-Type", "text/rfc822-headers"),
            ],
            returned.encode(),
        ),
    ]
    report = Part(
        [], parts=parts, boundary=boundary, preamble="This is a MIME-encapsulated message."
    )
    lmtp = received(
        f"{MX} ([10.20.0.5])",
        STORE,
        "LMTP",
        f"{token(ALNUM, 22, 'dsn', 'lmtp')}{NL}\t(envelope-from <>)",
        LILY.email,
        when + timedelta(seconds=1),
    )
    headers = [
        ("Return-Path", "<>"),
        ("Delivered-To", LILY.email),
        ("Received", lmtp),
        ("Received", f"by {MX} (Postfix) id {queue_id('dsn')};{NL}\t{rfc_date(when)}"),
        ("Date", rfc_date(when)),
        ("From", f"MAILER-DAEMON@{MX} (Mail Delivery System)"),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("To", LILY.email),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        (
            "Content-Type",
            f'multipart/report; report-type=delivery-status;{NL}\tboundary="{boundary}"',
        ),
        ("Content-Transfer-Encoding", "8bit"),
        ("Message-Id", f"<{when.strftime('%Y%m%d%H%M%S')}.{queue_id('dsn')}@{MX}>"),
    ]
    data = header_block(headers) + NL.encode() + report.serialize()
    return Entry(
        "uk-bounce-dsn-user-unknown",
        when,
        "BOUNCE: RFC 3464 DSN from MAILER-DAEMON (multipart/report, Status 5.1.1, text/rfc822-headers of the original)",
        data,
    )
