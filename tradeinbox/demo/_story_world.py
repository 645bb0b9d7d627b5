"""Inquiries from around the world and Lily's answers.

Germany (German, UTF-8 quoted-printable, CEST then CET), Mexico (Spanish, ISO-8859-1),
Brazil (Portuguese, UTF-8 base64), Russia (KOI8-R 8bit from The Bat!, then
Windows-1251), Saudi Arabia (English + Arabic), UAE, India, and a generic "send price
list" from a Nigerian Yahoo address sent at 03:47 local time.
"""

from __future__ import annotations

from tradeinbox.demo._cast import Entry, entry, incoming, lily, pdf_part
from tradeinbox.demo._envelope import corporate
from tradeinbox.demo._files import pdf, table_page
from tradeinbox.demo._mime import Person

JOERG = Person("Jörg Schäfer", "j.schaefer@schaefer-lichttechnik.example")
ALEJANDRO = Person("Alejandro Ramírez Guzmán", "aramirez@iluminacion-azteca.example", "iso-8859-1")
FERNANDA = Person("Fernanda Oliveira", "fernanda.oliveira@luzbrasil.example")
DMITRY = Person("Дмитрий Смирнов", "d.smirnov@svettorg.example", "koi8-r")
DMITRY_1251 = Person("Дмитрий Смирнов", "d.smirnov@svettorg.example", "windows-1251")
ABDULLAH = Person("Abdullah Al-Harbi", "a.alharbi@alnoor-trading.example")
IMRAN = Person("Imran Qureshi", "purchase@desertbloom-trading.example")
RAJESH = Person("Rajesh Kumar Sharma", "rajesh@shreeganesh-electricals.example")
JOHN = Person("John Okafor", "johnokafor2020@yahoo.com")

DE_ROUTE = corporate(
    "mail.schaefer-lichttechnik.example", "198.51.100.72", "198.51.100.73", "192.168.178.24"
)
MX_ROUTE = corporate(
    "mx1.iluminacion-azteca.example", "203.0.113.150", "203.0.113.151", "192.168.0.45"
)
BR_ROUTE = corporate("smtp.luzbrasil.example", "198.51.100.91", "198.51.100.92", "10.0.0.88")
RU_ROUTE = corporate(
    "relay.svettorg.example", "203.0.113.27", "203.0.113.28", "192.168.1.103", True
)
SA_ROUTE = corporate(
    "mail.alnoor-trading.example", "203.0.113.120", "203.0.113.121", "192.168.1.15"
)
AE_ROUTE = corporate(
    "smtp.desertbloom-trading.example", "198.51.100.160", "198.51.100.161", "192.168.10.9"
)
IN_ROUTE = corporate(
    "mail.shreeganesh-electricals.example", "192.0.2.80", "192.0.2.81", "192.168.1.50"
)

DE_SIGNATURE = """
Mit freundlichen Grüßen

Jörg Schäfer
Leiter Einkauf
Schäfer Lichttechnik GmbH
Hammer Landstraße 115, 41460 Neuss, Deutschland
Tel.: +49 2131 555 042 | Fax: +49 2131 555 049
E-Mail: j.schaefer@schaefer-lichttechnik.example
www.schaefer-lichttechnik.example

Geschäftsführer: Klaus Schäfer | Amtsgericht Neuss HRB 00000 (Demo)
"""
MX_SIGNATURE = """
Saludos cordiales,

Alejandro Ramírez Guzmán
Gerente de Compras
Iluminación Azteca, S.A. de C.V.
Av. López Mateos Sur 2375, Col. Chapalita, 45040 Guadalajara, Jalisco, México
Tel.: +52 33 5555 0142 | Cel.: +52 33 5555 0187
www.iluminacion-azteca.example
"""
RU_SIGNATURE = """
С уважением,
Дмитрий Смирнов
Менеджер по закупкам
ООО "СветТорг"
Москва, ул. Электрозаводская, д. 27, стр. 8
Тел.: +7 (495) 555-01-42
Моб./WhatsApp/Telegram: +7 (916) 555-01-87
www.svettorg.example
"""
SA_SIGNATURE = """
Best regards,
Abdullah Al-Harbi | عبدالله الحربي
Procurement Manager
Al-Noor Trading Est. | مؤسسة النور التجارية
King Fahd Road, Al Olaya District, Riyadh 12214, Saudi Arabia
Tel: +966 11 555 0142 | Mobile/WhatsApp: +966 50 555 0187
www.alnoor-trading.example
"""
IN_SIGNATURE = """
Thanks & Regards,
Rajesh Kumar Sharma
Director - Imports
Shree Ganesh Electricals Pvt. Ltd.
14, Lamington Road, Grant Road (East), Mumbai - 400007, Maharashtra, India
Mob: +91 98200 55501 | Tel: +91 22 5555 0142
www.shreeganesh-electricals.example
"""

PRICE_LIST = """Model,Description,Power (W),CCT (K),Certificates,MOQ (pcs),FOB Ningbo (USD),Pcs/carton
BW-BL9-B22,LED bulb A60 B22,9,6500,CE/RoHS,3000,0.42,100
BW-BL9-E27,LED bulb A60 E27,9,3000/6500,CE/RoHS,3000,0.42,100
BW-BL12-E27,LED bulb A65 E27,12,6500,CE/RoHS,3000,0.56,100
BW-T8-18,LED tube T8 120cm G13,18,6500,CE/RoHS,2000,1.35,25
BW-PL6060-40,LED panel 600x600 back-lit,40,4000/6500,CE/RoHS,500,9.80,4
BW-DL6-12CCT,6 inch LED downlight 5CCT,12,2700-5000,UL/Energy Star,1000,3.95,20
BW-FL100,LED floodlight IP66,100,5000,CE/RoHS,200,11.60,6
BW-HB150,UFO high bay IP65,150,4000,CE/ENEC,100,27.90,4
BW-ST120,LED street light IP66,120,5700,CE/RoHS,100,48.50,2
BW-SOL60,All-in-one solar street light,60,6500,CE/RoHS,100,39.00,1
"""


def schaefer_quotation() -> bytes:
    lines, rules = table_page(
        ("No.", "Model", "Description", "Qty", "EUR/pc", "Amount EUR"),
        [
            (
                "1",
                "BW-HB150-D",
                "UFO high bay 150W 4000K 90deg IP65 DALI",
                "850",
                "31.40",
                "26,690.00",
            ),
            (
                "2",
                "BW-HB200-D",
                "UFO high bay 200W 4000K 60deg IP65 DALI",
                "320",
                "39.80",
                "12,736.00",
            ),
            ("3", "BW-HB-ACC", "Mounting bracket + safety rope", "1,170", "1.20", "1,404.00"),
            ("", "", "TOTAL CIF HAMBURG", "", "", "40,830.00"),
        ],
        (50, 68, 138, 365, 425, 485),
        [
            "QUOTATION",
            "Quotation No.: QT-2026-0193    Date: Oct. 22, 2026    Valid: 30 days",
            "To: Schäfer Lichttechnik GmbH, Herrn Jörg Schäfer, 41460 Neuss, Germany",
        ],
        [
            "Terms:",
            "CIF Hamburg, 30% T/T deposit, 70% against copy of B/L. Lead time 30 days.",
            "CE + ENEC, RoHS, EMC. Driver: Inventronics, 5 years warranty. UGR<22 reflector +EUR 2.10.",
        ],
        "Ningbo Brightway Lighting Co., Ltd.",
    )
    return pdf([lines], "Quotation QT-2026-0193", "Lily Chen", "D:20261022102000+08'00'", [rules])


def build() -> list[Entry]:
    out: list[Entry] = []
    out += _germany()
    out += _mexico()
    out += _brazil()
    return out


def _germany() -> list[Entry]:
    m1, t1 = incoming(
        "de-anfrage",
        JOERG,
        "DE",
        "2026-10-21 09:40",
        "Anfrage: LED-Hallenstrahler 150 W / 200 W – Projekt Logistikzentrum Duisburg",
        """
Sehr geehrte Frau Chen,

wir sind ein Großhändler für Beleuchtungstechnik mit Sitz in Neuss und beliefern
Elektroinstallateure in ganz NRW. Für ein Projekt (Neubau eines Logistikzentrums in
Duisburg) suchen wir einen Hersteller für LED-Hallenstrahler und bitten um Ihr
Angebot für folgende Positionen:

1. LED-Hallenstrahler (UFO) 150 W, 4000 K, ≥ 150 lm/W, 90°, IP65, DALI-dimmbar – 850 Stück
2. LED-Hallenstrahler (UFO) 200 W, 4000 K, ≥ 150 lm/W, 60°, IP65, DALI-dimmbar – 320 Stück
3. Montagebügel und Sicherungsseil als Zubehör

Anforderungen:
- CE- und ENEC-Kennzeichnung, Konformitätserklärung (RoHS, EMV)
- Treiber von Inventronics oder gleichwertig, 5 Jahre Garantie
- UGR < 22 mit Reflektor-Option
- Lieferbedingung: FOB Ningbo oder CIF Hamburg
- gewünschter Liefertermin: KW 2/2027 in Hamburg

Bitte senden Sie uns auch die Datenblätter, LDT-Dateien (Eulumdat) und die
Prüfberichte (LM-79, TM-21). Wir freuen uns auf Ihr Angebot bis zum 30.10.2026.
"""
        + DE_SIGNATURE,
        DE_ROUTE,
    )
    m2, t2 = lily(
        "de-angebot",
        [JOERG],
        "RE: Anfrage: LED-Hallenstrahler 150 W / 200 W – Projekt Logistikzentrum Duisburg",
        "2026-10-22 10:30",
        """
Dear Mr. Schäfer,

Thank you for your inquiry (sorry that I answer in English). Please find attached
our quotation QT-2026-0193 for the UFO high bays, CIF Hamburg:

- BW-HB150-D 150W 4000K 90deg DALI: EUR 31.40/pc
- BW-HB200-D 200W 4000K 60deg DALI: EUR 39.80/pc
- Bracket + safety rope: EUR 1.20/set

Both models are CE and ENEC certified, 160 lm/W, Inventronics driver, 5 years
warranty. The LDT files and LM-79/TM-21 reports follow in a separate mail.
Delivery to Hamburg in week 2/2027 is possible if we receive the order by Nov. 20.
""",
        previous=t1,
        attachments=[pdf_part(schaefer_quotation(), "QT-2026-0193 Schaefer Lichttechnik.pdf")],
    )
    m3, t3 = incoming(
        "de-muster",
        JOERG,
        "DE",
        "2026-10-27 08:50",
        "AW: Anfrage: LED-Hallenstrahler 150 W / 200 W – Projekt Logistikzentrum Duisburg",
        """
Sehr geehrte Frau Chen,

vielen Dank für Ihr Angebot QT-2026-0193. Die Preise liegen in unserem Rahmen.
Bevor wir bestellen, benötigen wir je zwei Muster der 150-W- und 200-W-Hallenstrahler
zur Lichtmessung bei unserem Partnerlabor. Bitte senden Sie die Muster per Express;
die Frachtkosten übernehmen wir (DHL-Kundennummer bitte bei mir erfragen).

Hinweis: Vom 29.10. bis 06.11. bin ich im Urlaub.
"""
        + DE_SIGNATURE,
        DE_ROUTE,
        previous=t2,
    )
    m4, t4 = lily(
        "de-samples",
        [JOERG],
        "Samples sent - QT-2026-0193 / DHL AWB 6617203948",
        "2026-10-29 15:00",
        """
Dear Mr. Schäfer,

The samples (2 x BW-HB150-D and 2 x BW-HB200-D) were sent today by DHL Express,
AWB No. 6617203948, freight prepaid by us. They should arrive in Neuss next week.
""",
        previous=t3,
    )
    m5, _ = incoming(
        "de-abwesend",
        JOERG,
        "DE",
        "2026-10-29 08:00:09",
        "Automatische Antwort: Samples sent - QT-2026-0193 / DHL AWB 6617203948",
        """
Vielen Dank für Ihre Nachricht.

Ich bin bis einschließlich 06.11.2026 nicht im Büro und habe nur eingeschränkten
Zugriff auf meine E-Mails. In dringenden Fällen wenden Sie sich bitte an meinen
Kollegen Herrn Markus Becker (m.becker@schaefer-lichttechnik.example,
Tel. +49 2131 555 044).

Thank you for your message. I am out of the office until 6 November 2026 with
limited access to e-mail. For urgent matters please contact my colleague
Mr. Markus Becker (m.becker@schaefer-lichttechnik.example).

Jörg Schäfer
Schäfer Lichttechnik GmbH
""",
        DE_ROUTE,
        html=False,
        extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
        in_reply_to_only=t4,
    )
    return [
        entry(
            "de-anfrage-hallenstrahler",
            m1,
            "Germany: German-language Anfrage (UTF-8 quoted-printable, CEST +0200)",
        ),
        entry(
            "de-lily-quotation-QT-2026-0193",
            m2,
            "Sent: English answer with quotation PDF (Latin-1 umlauts in the PDF)",
        ),
        entry(
            "de-muster-anfrage-cet",
            m3,
            "Germany: sample request after DST ended (CET +0100), 'AW:' reply prefix",
        ),
        entry("de-lily-samples-sent", m4, "Sent: samples shipped, DHL AWB number"),
        entry(
            "de-out-of-office",
            m5,
            "Out-of-office auto-reply (Auto-Submitted: auto-replied, German + English)",
        ),
    ]


def _mexico() -> list[Entry]:
    m1, t1 = incoming(
        "mx-cotizacion",
        ALEJANDRO,
        "MX",
        "2026-10-15 22:40",
        "Solicitud de cotización - luminarias LED para alumbrado público",
        """
Estimada Sra. Chen:

Reciba un cordial saludo de Iluminación Azteca, S.A. de C.V. Somos distribuidores de
material eléctrico en Guadalajara y participamos en licitaciones de alumbrado
público para municipios de Jalisco.

Le solicitamos una cotización de los siguientes productos:

- Luminaria LED para alumbrado público de 150 W, 5000 K, IP66, IK08, óptica tipo II:
  400 piezas
- Luminaria LED para alumbrado público de 100 W, mismas características: 250 piezas
- Fotocelda NEMA de 7 pines incluida

Requisitos: certificado NOM-031-ENER-2019 (o disposición de tramitarlo con nuestro
laboratorio), vida útil L70 mínima de 100,000 horas, garantía de 7 años, precio CIF
Manzanillo, pago 30% anticipo y 70% contra copia del B/L.

¿Podría indicarnos también el tiempo de entrega y si pueden enviar muestras?
La licitación cierra el 20 de noviembre.

Quedo atento a su amable respuesta.
"""
        + MX_SIGNATURE,
        MX_ROUTE,
        charset="iso-8859-1",
        html=False,
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    m2, t2 = lily(
        "mx-reply",
        [ALEJANDRO],
        "RE: Solicitud de cotización - luminarias LED para alumbrado público",
        "2026-10-16 15:30",
        """
Estimado Sr. Ramírez,

Thank you for your inquiry. Our offer, CIF Manzanillo:

- BW-ST150 LED street light 150W 5000K IP66 IK08, type II optic, NEMA 7-pin
  photocell: USD 56.80/pc x 400
- BW-ST100 LED street light 100W, same specification: USD 41.20/pc x 250

L70 > 100,000 hours (LM-80 report available), 7 years warranty. We can apply for
NOM-031-ENER-2019 with your laboratory; the test costs about USD 1,800.
Lead time 30 days. Samples: 1 pc of each model, USD 150 including DHL.

Saludos cordiales,
""",
        previous=t1,
    )
    m3, _ = incoming(
        "mx-descuento",
        ALEJANDRO,
        "MX",
        "2026-11-09 12:25",
        "RE: Solicitud de cotización - luminarias LED para alumbrado público",
        """
Estimada Lily:

Gracias por su cotización. Revisamos los precios con nuestro cliente y son un poco
altos frente a otra propuesta. ¿Existe la posibilidad de un descuento del 5% si
aumentamos a 500 piezas de 150 W?

Además, por favor confirme el envío de las dos muestras por DHL a Guadalajara; las
necesitamos antes del 18 de noviembre para la junta de aclaraciones. Ya realizamos
el pago de USD 150 por PayPal.
"""
        + MX_SIGNATURE,
        MX_ROUTE,
        previous=t2,
        charset="iso-8859-1",
        html=False,
        client=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    return [
        entry(
            "mx-solicitud-de-cotizacion",
            m1,
            "Mexico: Spanish 'cotización' inquiry in ISO-8859-1 quoted-printable, sent 22:40 local (-0600)",
        ),
        entry("mx-lily-offer", m2, "Sent: offer CIF Manzanillo"),
        entry(
            "mx-descuento-muestras", m3, "Mexico: Spanish follow-up asking a discount and samples"
        ),
    ]


def _brazil() -> list[Entry]:
    m1, t1 = incoming(
        "br-cotacao",
        FERNANDA,
        "BR",
        "2026-10-19 14:00",
        "Cotação - Painéis LED 60x60 e lâmpadas tubulares T8",
        """
Prezada Lily,

Bom dia! Somos a Luz Brasil Distribuidora, distribuidora de materiais elétricos em
São Paulo com 12 lojas no estado. Estamos buscando um novo fornecedor de iluminação
LED e gostaríamos de receber uma cotação para:

1. Painel LED de embutir 60x60 cm, 40 W, 6500 K, bivolt (100-240 V): 5.000 unidades
2. Lâmpada tubular LED T8 120 cm, 18 W, 6500 K, base G13: 10.000 unidades

Importante: os produtos precisam ter certificação INMETRO (Portaria 69/2022), e o
manual e a embalagem devem estar em português. Por favor, informe o preço FOB
Ningbo, o prazo de produção e o frete estimado até o porto de Santos.

Aguardamos seu retorno.

Atenciosamente,

Fernanda Oliveira
Compradora - Iluminação
Luz Brasil Distribuidora de Materiais Elétricos Ltda.
Rua Vergueiro, 2100 - Vila Mariana, São Paulo - SP, 04102-000, Brasil
Tel.: +55 11 5555-0142 | WhatsApp: +55 11 95555-0187
www.luzbrasil.example
""",
        BR_ROUTE,
        cte="base64",
    )
    m2, _ = lily(
        "br-reply",
        [FERNANDA],
        "RE: Cotação - Painéis LED 60x60 e lâmpadas tubulares T8",
        "2026-10-20 16:40",
        """
Dear Fernanda,

Obrigada for your inquiry! Our prices FOB Ningbo:

1. BW-PL6060-40 LED panel 60x60 40W 6500K 100-240V: USD 9.80/pc x 5,000
2. BW-T8-18 LED tube T8 120cm 18W 6500K G13: USD 1.35/pc x 10,000

Both products have INMETRO registration through our Brazilian partner (OCP),
manual and box in Portuguese. Production 30 days. Sea freight Ningbo - Santos for
1 x 40HQ is about USD 3,900 at the moment.
""",
        previous=t1,
    )
    return [
        entry(
            "br-cotacao-paineis",
            m1,
            "Brazil: Portuguese 'cotação' inquiry (UTF-8 base64, text + HTML, -0300)",
        ),
        entry("br-lily-offer", m2, "Sent: offer to Brazil"),
    ]
