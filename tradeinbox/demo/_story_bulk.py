"""Bulk and unwanted mail: a newsletter (RFC 2369 / RFC 8058 List-Unsubscribe), a B2B
platform notification, a "visa invitation letter" scam and an SEO spam."""

from __future__ import annotations

from tradeinbox.demo._cast import LILY, Entry, entry, incoming
from tradeinbox.demo._envelope import OWN_DOMAIN, corporate, gmail, outlook_com
from tradeinbox.demo._mime import ALNUM, NL, Person, multipart, text, token

NEWS = Person("Lighting Trade Weekly", "newsletter@lightingtrade-news.example")
PLATFORM = Person("TradeHub B2B", "noreply@notice.tradehub-b2b.example")
KWAME = Person("Kwame Mensah", "kwame.mensah.imports@outlook.com")
SEO = Person("Emily Watson", "emily.seoexpert99@gmail.com")
NEWS_ROUTE = corporate("mta7.lightingtrade-news.example", "192.0.2.37", "10.44.0.7", "10.44.0.7")
PLATFORM_ROUTE = corporate(
    "out2.notice.tradehub-b2b.example", "192.0.2.62", "10.8.1.12", "10.8.1.12"
)


def build() -> list[Entry]:
    return [*_bulk(), *_scams()]


def _bulk() -> list[Entry]:
    out = []
    for number, stamp, lead, second in (
        (
            41,
            "2026-10-09 06:00",
            "Container rates to the US East Coast climb before the Q4 peak",
            "DLC technical requirements: what changes for panel makers",
        ),
        (
            46,
            "2026-11-13 06:00",
            "Importers front-load orders before new tariff reviews",
            "Buyer survey: payment terms are getting longer",
        ),
    ):
        key = f"news-{number}"
        unsubscribe = f"https://lightingtrade-news.example/u/{token(ALNUM, 24, key)}"
        plain = f"""
LIGHTING TRADE WEEKLY - Issue #{number}

1. {lead}
   Read more: https://lightingtrade-news.example/r/{token(ALNUM, 10, key, 1)}

2. {second}
   Read more: https://lightingtrade-news.example/r/{token(ALNUM, 10, key, 2)}

You receive this newsletter because {LILY.email} subscribed at a trade fair.
Unsubscribe: {unsubscribe}
Lighting Trade Weekly, 100 Example Street, Hong Kong
"""
        html = (
            '<html><body style="margin:0;background:#eef2f5"><table width="600" align="center">'
            f'<tr><td style="background:#0b3d5c;color:#fff;font:bold 22px Arial;padding:16px">'
            f"LIGHTING TRADE WEEKLY &middot; Issue #{number}</td></tr>"
            f'<tr><td style="font:15px Arial;padding:12px"><a href="https://lightingtrade-news.example/r/'
            f'{token(ALNUM, 10, key, 1)}">{lead}</a></td></tr>'
            f'<tr><td style="font:15px Arial;padding:12px"><a href="https://lightingtrade-news.example/r/'
            f'{token(ALNUM, 10, key, 2)}">{second}</a></td></tr>'
            f'<tr><td style="font:11px Arial;color:#777;padding:12px">You receive this newsletter because '
            f'{LILY.email} subscribed at a trade fair. <a href="{unsubscribe}">Unsubscribe</a></td></tr>'
            f'</table><img src="https://lightingtrade-news.example/o/{token(ALNUM, 16, key)}.gif" '
            'width="1" height="1" alt=""></body></html>\n'
        )
        body = multipart(
            "alternative",
            key,
            [
                text(plain.lstrip(), "plain", "utf-8", "quoted-printable"),
                text(html, "html", "utf-8", "quoted-printable"),
            ],
            "bulk",
        )
        mail, _ = incoming(
            key,
            NEWS,
            "UTC",
            stamp,
            f"Lighting Trade Weekly #{number}: {lead}",
            "",
            NEWS_ROUTE,
            client=[
                ("List-Id", "Lighting Trade Weekly <weekly.lightingtrade-news.example>"),
                (
                    "List-Unsubscribe",
                    f"<{unsubscribe}>,{NL} <mailto:unsubscribe@lightingtrade-news.example"
                    f"?subject=unsubscribe-{token(ALNUM, 12, key)}>",
                ),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Precedence", "bulk"),
                ("Feedback-ID", f"{number}:weekly:lightingtrade-news"),
            ],
            msgid_style="uuid",
            envelope_from=f"bounce+{token(ALNUM, 12, key, 'b')}@lightingtrade-news.example",
        )
        mail.body = body
        out.append(
            entry(
                f"newsletter-issue-{number}",
                mail,
                "Newsletter with List-Id, List-Unsubscribe (+ One-Click POST), Precedence: bulk, tracking pixel",
            )
        )

    notice = """
Dear Lily Chen,

You have received a new inquiry on TradeHub B2B.

Product: LED Panel Light 600x600 40W (BW-PL6060-40)
Buyer: Carlos M., Santiago, Chile (account not verified)
Quantity: 2,000 pieces

Message from the buyer:
"Hola, we need 2000 pcs panel light 60x60 48W for a school project. Please send
best price CIF San Antonio and the delivery time. Gracias."

Reply within 24 hours to improve your response rate:
https://www.tradehub-b2b.example/message/inquiry/88231457

This is an automatic notice. Do not reply to this email.
"""
    mail, _ = incoming(
        "tradehub",
        PLATFORM,
        "UTC",
        "2026-11-05 02:14",
        "New inquiry: LED Panel Light 600x600 40W - from a buyer in Chile",
        notice,
        PLATFORM_ROUTE,
        style="gmail",
        msgid_style="uuid",
        client=[("Auto-Submitted", "auto-generated"), ("Precedence", "bulk")],
    )
    out.append(
        entry(
            "platform-inquiry-notification-chile",
            mail,
            "B2B platform notification relaying a buyer's inquiry (auto-generated, no-reply sender)",
        )
    )
    return out


def _scams() -> list[Entry]:
    m1, _ = incoming(
        "visa-scam",
        KWAME,
        "GH",
        "2026-10-22 08:55",
        "URGENT: Request for Invitation Letter to Visit Your Factory",
        """
Dear Sir/Ma,

Compliments of the day. I am Mr. Kwame Mensah, CEO of Mensah Global Imports &
Exports Ltd, Accra, Ghana. We are one of the biggest distributors of electrical
products in West Africa.

We have seen your products and we are ready to place order of 5 x 40ft containers
of LED bulbs and solar street lights (worth about USD 450,000) immediately.

But before we place the order, our company policy requires that we visit your
factory in Ningbo for physical inspection. Kindly send us an official INVITATION
LETTER on your company letterhead for business visa (M visa) for myself and my two
directors, as the embassy requires it. Our passport details are below:

1. Kwame Mensah - Passport No. G0000001
2. Emmanuel Boateng - Passport No. G0000002
3. Abena Owusu - Passport No. G0000003

Please send the letter urgently as our visa appointment is next week. We will pay
100% deposit once we visit.

God bless you.

Mr. Kwame Mensah
CEO, Mensah Global Imports & Exports Ltd.
Accra, Ghana
+233 24 555 0142
""",
        outlook_com("192.0.2.99"),
        msgid_style="outlook",
        client=[],
    )
    m2, _ = incoming(
        "seo-spam",
        SEO,
        "US",
        "2026-10-28 05:12",
        "Re: Website Ranking on Google",
        f"""
Hi Team,

I was checking your website {OWN_DOMAIN} and noticed that it is not ranking on
the first page of Google for keywords like "LED panel manufacturer" and "LED
high bay supplier".

We can bring your website to the first page within 90 days with our white-hat SEO
packages starting at USD 199 per month. Just reply "Interested" and I will send a
free audit report.

Thanks & Regards,
Emily Watson
Digital Marketing Consultant
""",
        gmail(209, "198.51.100.209"),
        style="gmail",
        client=[],
    )
    return [
        entry(
            "scam-visa-invitation-letter",
            m1,
            "SCAM: 'invitation letter for visa' request from Outlook.com with a big promised order",
        ),
        entry("spam-seo-fake-reply", m2, "Spam: SEO pitch with a fake 'Re:' subject from Gmail"),
    ]
