"""Inquiries from Russia (KOI8-R, Windows-1251), Saudi Arabia and the UAE, India and Nigeria."""

from __future__ import annotations

from tradeinbox.demo._cast import Entry, entry, incoming, lily
from tradeinbox.demo._envelope import yahoo
from tradeinbox.demo._mime import attachment
from tradeinbox.demo._story_world import (
    ABDULLAH,
    AE_ROUTE,
    DMITRY,
    DMITRY_1251,
    IMRAN,
    IN_ROUTE,
    IN_SIGNATURE,
    JOHN,
    PRICE_LIST,
    RAJESH,
    RU_ROUTE,
    RU_SIGNATURE,
    SA_ROUTE,
    SA_SIGNATURE,
)


def build() -> list[Entry]:
    return [*_russia(), *_saudi_uae(), *_india(), *_nigeria()]


def _russia() -> list[Entry]:
    the_bat = [("X-Mailer", "The Bat! (v10.4.5) Professional")]
    m1, t1 = incoming(
        "ru-zapros",
        DMITRY,
        "RU",
        "2026-10-14 19:12",
        "Запрос коммерческого предложения: светодиодные прожекторы",
        """
Здравствуйте, Лили!

Меня зовут Дмитрий Смирнов, я менеджер по закупкам компании ООО "СветТорг" (Москва).
Мы занимаемся оптовой продажей светотехники и ищем производителя светодиодных
прожекторов.

Просим направить коммерческое предложение на следующие позиции:
1. Прожектор светодиодный 100 Вт, 5000 К, IP66, корпус алюминий - 3000 шт.
2. Прожектор светодиодный 200 Вт, 5000 К, IP66 - 1500 шт.

Обязательные требования:
- сертификат ЕАС (ТР ТС 004/2011 и ТР ТС 020/2011);
- рабочая температура от -40 °C;
- гарантия не менее 3 лет.

Цены просим указать в долларах США или в юанях, условия поставки - FCA Нинбо или
доставка по железной дороге до Москвы (станция Ворсино). Оплата возможна в юанях
через китайский банк.
"""
        + RU_SIGNATURE,
        RU_ROUTE,
        charset="koi8-r",
        cte="8bit",
        html=False,
        client=the_bat,
        msgid_style="uuid",
    )
    m2, t2 = lily(
        "ru-reply",
        [DMITRY],
        "RE: Quotation for LED floodlights / Запрос коммерческого предложения",
        "2026-10-15 10:20",
        """
Dear Dmitry,

Zdravstvuyte! Thank you for your inquiry. Our offer, FCA Ningbo:

1. BW-FL100 LED floodlight 100W 5000K IP66: USD 11.60 (CNY 83.50) x 3,000 pcs
2. BW-FL200 LED floodlight 200W 5000K IP66: USD 21.90 (CNY 157.70) x 1,500 pcs

EAC certificate (TR CU 004/2011, 020/2011) is available, working temperature from
-40 C, 3 years warranty. Payment in CNY is fine. Railway to Vorsino takes about
18-22 days; we can quote it through our forwarder.
""",
        previous=t1,
    )
    m3, _ = incoming(
        "ru-skidka",
        DMITRY_1251,
        "RU",
        "2026-10-26 10:05",
        "Re: Quotation for LED floodlights / Запрос коммерческого предложения",
        """
Лили, добрый день!

Спасибо за предложение. Цены в целом нас устраивают, но конкуренты предлагают
прожектор 100 Вт на 6% дешевле. Если мы закажем сразу два 40-футовых контейнера,
можете ли вы дать скидку?

Также просим прислать копию сертификата ЕАС и протокол испытаний. Как быстро вы
можете отгрузить первую партию по железной дороге? Наш клиент - «ГорСвет» - ждёт
поставку до конца декабря (заявка № 118).

С уважением,
Дмитрий
""",
        RU_ROUTE,
        previous=t2,
        charset="windows-1251",
        cte="quoted-printable",
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    return [
        entry(
            "ru-zapros-kp-koi8r",
            m1,
            "Russia: Russian inquiry in KOI8-R, 8bit body, RFC 2047 KOI8-R subject and name (The Bat!)",
        ),
        entry("ru-lily-offer", m2, "Sent: offer in USD and CNY"),
        entry(
            "ru-skidka-cp1251",
            m3,
            "Russia: Russian follow-up in Windows-1251 quoted-printable (text + HTML)",
        ),
    ]


def _saudi_uae() -> list[Entry]:
    m1, t1 = incoming(
        "sa-rfq",
        ABDULLAH,
        "SA",
        "2026-10-18 10:15",
        "RFQ - LED street lights for municipality project / طلب عرض سعر",
        """
السلام عليكم ورحمة الله وبركاته

Dear Ms. Lily,

Greetings from Al-Noor Trading Est., Riyadh. We supply electrical and lighting
materials to contractors of municipality projects in the Kingdom.

Kindly send your best offer for:
1. LED street light 120W, 5700K, IP66, with photocell - 600 pcs
2. LED street light 60W, same specification - 400 pcs

The products must have a SASO certificate and be registered on the SABER platform,
with IEC test reports. Please quote CFR Dammam, payment by L/C at sight.

نرجو منكم تزويدنا بأفضل الأسعار لكشافات الشوارع LED مع شهادة المطابقة السعودية
(سابر)، ومدة التوريد، وشروط الدفع.
"""
        + SA_SIGNATURE,
        SA_ROUTE,
        cte="base64",
    )
    m2, t2 = lily(
        "sa-whatsapp",
        [ABDULLAH],
        "Confirmation of our WhatsApp call - LED street lights 1 x 40HQ / Al-Noor Trading",
        "2026-10-29 16:20",
        """
Dear Mr. Abdullah,

Thank you for your time on WhatsApp just now. As discussed, I confirm in writing:

1. BW-ST120 LED street light 120W 5700K IP66 with photocell: 600 pcs @ USD 48.50
2. BW-ST60 LED street light 60W, same specification: 400 pcs @ USD 29.80
Total: USD 41,020.00 CFR Dammam, 1 x 40HQ.

Payment: irrevocable L/C at sight. SASO / SABER certificate of conformity arranged
by us (cost included). Delivery: 30 days after receipt of the L/C.

As agreed on WhatsApp, please send us the L/C draft to check before you open it.
""",
        previous=t1,
    )
    m3, _ = incoming(
        "sa-confirm",
        ABDULLAH,
        "SA",
        "2026-11-01 10:20",
        "RE: Confirmation of our WhatsApp call - LED street lights 1 x 40HQ / Al-Noor Trading",
        """
Dear Lily,

Confirmed, as per our WhatsApp discussion. Our bank will send the L/C draft this
week. Please make sure the SABER certificate is issued before shipment, the
customs in Dammam will not release the goods without it.

شكراً لكم
"""
        + SA_SIGNATURE,
        SA_ROUTE,
        previous=t2,
        cte="base64",
    )
    m4, _ = incoming(
        "ae-solar",
        IMRAN,
        "AE",
        "2026-11-06 08:30",
        "URGENT RFQ: 60W all-in-one solar street lights - tender closing 12 Nov",
        """
Dear Sir/Madam,

We are participating in a tender for a road project in Ras Al Khaimah and need your
best price urgently for:

- All-in-one solar street light 60W, LiFePO4 battery, 3 nights autonomy,
  motion sensor, IP65 - 500 sets
- Galvanized pole 6 m with bracket - 500 pcs (optional)

Price CFR Jebel Ali, with datasheet and IEC 62133 battery test report.
The tender closes on 12 November, please reply by 9 November.

Regards,
Imran Qureshi
Purchase Manager
Desert Bloom General Trading LLC
Office 1204, Al Ghurair Centre, Deira, Dubai, UAE
Tel: +971 4 555 0142 | Mob/WhatsApp: +971 50 555 0142
www.desertbloom-trading.example
""",
        AE_ROUTE,
    )
    return [
        entry(
            "sa-rfq-street-lights-arabic",
            m1,
            "Saudi Arabia: bilingual English + Arabic RFQ (UTF-8 base64, +0300)",
        ),
        entry(
            "sa-lily-whatsapp-confirmation",
            m2,
            "Sent: written confirmation of a WhatsApp call (prices, L/C)",
        ),
        entry("sa-confirmed-per-whatsapp", m3, "Saudi Arabia: buyer confirms per WhatsApp"),
        entry("ae-urgent-rfq-solar", m4, "UAE: urgent tender RFQ (+0400)"),
    ]


def _india() -> list[Entry]:
    m1, t1 = incoming(
        "in-enquiry",
        RAJESH,
        "IN",
        "2026-10-12 16:20",
        "Enquiry for LED Bulbs 9W B22 - BIS certified",
        """
Dear Sir/Madam,

Greetings from Shree Ganesh Electricals Pvt. Ltd., Mumbai.

We are leading importers and distributors of electrical goods in Maharashtra and
Gujarat since 1998. We are interested in importing LED bulbs from your esteemed
company. Our requirement is as under:

1. LED Bulb 9W, B22 base, 6500K, 900 lm, 2 kV surge protection - 50,000 pcs
2. LED Bulb 12W, B22 base, 6500K - 30,000 pcs

The products must be BIS registered as per IS 16102 with your factory's own
R-number. Kindly quote your best CIF Nhava Sheva price along with payment terms
and delivery schedule.

Kindly do the needful at the earliest.
"""
        + IN_SIGNATURE,
        IN_ROUTE,
        cte="7bit",
        html=False,
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    m2, t2 = lily(
        "in-reply",
        [RAJESH],
        "RE: Enquiry for LED Bulbs 9W B22 - BIS certified",
        "2026-10-13 11:00",
        """
Dear Mr. Sharma,

Thank you for your enquiry. Our prices CIF Nhava Sheva:

1. BW-BL9-B22 9W 6500K 900 lm, 2 kV: USD 0.39/pc x 50,000 pcs
2. BW-BL12-B22 12W 6500K: USD 0.52/pc x 30,000 pcs

BIS registration R-41012345 (IS 16102) in our factory name. Payment 30% T/T
deposit, 70% against copy of B/L. Delivery 35 days after deposit.
""",
        previous=t1,
    )
    m3, t3 = incoming(
        "in-negotiate",
        RAJESH,
        "IN",
        "2026-10-16 12:05",
        "RE: Enquiry for LED Bulbs 9W B22 - BIS certified",
        """
Dear Lily,

Your price is very high. We are getting 9W at USD 0.32 from another supplier in
Zhongshan with BIS. Kindly revise your best price for 9W and 12W. If price is
workable we will place trial order of 1 x 40HQ.

Also please send free samples of both models for our testing.
"""
        + IN_SIGNATURE,
        IN_ROUTE,
        previous=t2,
        cte="7bit",
        html=False,
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    m4, _ = incoming(
        "in-reminder",
        RAJESH,
        "IN",
        "2026-11-13 11:45",
        "RE: Enquiry for LED Bulbs 9W B22 - BIS certified - REMINDER",
        """
Dear Lily,

Gentle reminder. Awaiting your revised price and samples. Kindly send 5 pcs free
samples of each model; courier charges on your account please, as we are your
potential big customer for the Indian market.
"""
        + IN_SIGNATURE,
        IN_ROUTE,
        previous=t3,
        cte="7bit",
        html=False,
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    return [
        entry(
            "in-enquiry-led-bulbs",
            m1,
            "India: 'kindly do the needful' enquiry, BIS, 7bit plain text (+0530)",
        ),
        entry("in-lily-offer", m2, "Sent: CIF Nhava Sheva offer"),
        entry("in-price-too-high", m3, "India: haggling and free samples request"),
        entry(
            "in-gentle-reminder", m4, "India: unanswered 'gentle reminder' (a follow-up Lily owes)"
        ),
    ]


def _nigeria() -> list[Entry]:
    m1, t1 = incoming(
        "ng-price-list",
        JOHN,
        "NG",
        "2026-10-10 03:47",
        "Send price list",
        """
Hello,

Good day. I saw your products online and i am interested. Please send me your
price list and catalog of all your LED bulbs and solar lights. Also let me know
your MOQ and if you can ship to Lagos.

Thanks
John Okafor
Okafor & Sons Ventures, Lagos
+234 803 555 0142

Sent from Yahoo Mail on Android
""",
        yahoo("192.0.2.203"),
        style="gmail",
        msgid_style="yahoo",
        client=[("X-Mailer", "WebService/1.1.24562 YMailNorrin")],
        dkim_selector="s2048",
    )
    m2, _ = lily(
        "ng-reply",
        [JOHN],
        "RE: Send price list",
        "2026-10-12 09:20",
        """
Dear John,

Thank you for your interest. Attached is our price list (FOB Ningbo, USD). MOQ is
3,000 pcs for bulbs and 100 sets for solar lights; we can ship to Apapa or Tin Can
port in Lagos, CFR price on request.

Which products and quantities do you need? Do you have a shop or do you supply
projects?
""",
        previous=t1,
        attachments=[
            attachment(
                PRICE_LIST.encode(), "Brightway_Price_List_2026Q4.csv", "text/csv", cte="7bit"
            )
        ],
    )
    return [
        entry(
            "ng-send-price-list",
            m1,
            "Nigeria: generic 'send price list' from Yahoo, sent 03:47 local time (+0100)",
        ),
        entry("ng-lily-price-list-csv", m2, "Sent: reply with a CSV price list attachment"),
    ]
