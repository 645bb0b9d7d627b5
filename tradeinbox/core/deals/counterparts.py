"""Whose inbound mail it is, for deals: a buyer's, a service provider's, or bulk mail.

Deals are with buyers. Two kinds of inbound mail read like business and are neither:

* **Bulk mail** - newsletters, promotions, an airline's weekly "specials" - also when it
  comes without List headers. :func:`bulk_evidence` reads the signals core already uses for
  it: the RFC 2369 ``List-*`` and ``Precedence: bulk`` headers (as
  :func:`tradeinbox.core.deals.deadlines.facts_from_parsed`), bulk-sender headers, the
  marketing and opt-out wording of inquiry detection's ``marketing`` lexicon
  (:data:`tradeinbox.core.inquiry_lexicon.NOT_INQUIRY`) and the subscription footer bulk
  senders carry ("This e-mail was sent to ...", "You are receiving this because ...").
  It reads the whole new text, because that footer sits at the end, past the part inquiry
  detection reads; quoted history is skipped, so a buyer answering *our* newsletter with
  a real inquiry is not bulk.
* **Service providers** - a forwarder's rate sheet, its booking confirmation, a carrier's
  surcharge notice. :func:`provider_evidence` asks for two facts at once: the sender *is* a
  logistics company (its domain, display name or signature company line says logistics,
  freight, forwarding, shipping, 物流, 货代 ..., or it is a known carrier or courier), and
  the mail *offers or confirms a freight service* (freight rates, a booking, cut-off times,
  surcharges, an arrival notice). Either alone is not enough: a logistics company may buy
  lamps for its warehouse, and a buyer forwards its forwarder's booking details.

Neither opens a deal (:func:`tradeinbox.core.deals.linking.link_message`): both still join
a deal by thread or by a document number they name, and a provider's address is never
taken for one of the buyer's (consolidation mail, follow-ups).
"""

from __future__ import annotations

import re

from tradeinbox.core.addresses import company_domain, registrable_domain, split_email
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.inquiry_lexicon import NOT_INQUIRY
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.quotes import split_reply

__all__ = [
    "BULK_THRESHOLD",
    "bulk_evidence",
    "is_bulk",
    "provider_organisation",
    "provider_evidence",
]

_I = re.IGNORECASE

# --- bulk mail -----------------------------------------------------------------------------
#: Summed weight from which a mail is bulk.
BULK_THRESHOLD = 1.0
_OPT_OUT = re.compile(
    # "unsubscribed volumes", "an opt-out clause" are business words: the instruction only.
    r"\bunsubscribe\b|\bopt[-\s]?out\b(?=.{0,40}\b(?:here|list|link|mailing|e-?mails?|receiv\w*|"
    r"click)\b)|\b(?:click|reply)\b.{0,30}\bopt[-\s]?out\b|\bto\s+be\s+removed\s+from\b|"
    r"\bno\s+longer\s+wish\s+to\s+receive\b|退订|取消订阅|\bdesuscrib\w*|\bdarse\s+de\s+baja\b|"
    r"\bcancelar\s+(?:a\s+|su\s+)?(?:inscri|suscrip)\w*|\babmelden\b|\bd[ée]sabonner\b|"
    r"\bd[ée]sinscri\w*|отписаться|إلغاء\s+الاشتراك",
    _I,
)
_SUBSCRIPTION = re.compile(
    r"\byou\s+(?:are\s+)?receiv\w*\s+this\s+(?:e-?mail|message|newsletter|because)|"
    r"\bthis\s+(?:e-?mail|message|newsletter)\s+was\s+sent\s+to\b|"
    r"\byou\s+(?:have\s+)?(?:subscribed|registered\s+with|signed\s+up)\b|"
    r"\bmanage\s+(?:your\s+)?(?:subscriptions?|e-?mail\s+preferences|preferences)\b|"
    r"\bview\s+(?:this\s+)?(?:e-?mail|message|it)\s+(?:in|on)\s+(?:your|a|the)\s+(?:web\s+)?browser|"
    r"您收到此邮件是因为|\brecibe\s+este\s+(?:correo|mensaje)\s+porque|"
    r"\bSie\s+erhalten\s+diese\s+(?:E-Mail|Nachricht)",
    _I,
)
# Headers that bulk-sending services add (Gmail's bulk-sender Feedback-ID, campaign ids).
_BULK_HEADERS = ("feedback-id", "x-campaign", "x-campaignid", "x-mailgun-tag", "x-sg-eid")
_BULK_HEADER_PREFIXES = ("x-mc-", "x-csa-", "x-mailchimp")
_MARKETING = [re.compile(rx, _I) for rx in NOT_INQUIRY["marketing"][1]]
#: Each distinct marketing phrase (special offers, webinar, shop now ...) adds this much:
#: three make bulk mail on their own; one or two only support the stronger signals.
_MARKETING_WEIGHT = 0.4


def _snippet(m: re.Match[str]) -> str:
    return " ".join(m.group(0).split())[:60]


def bulk_evidence(msg: ParsedMessage) -> list[Evidence]:
    """Why ``msg`` is bulk mail (empty when nothing says so); see :func:`is_bulk`."""
    ev: list[Evidence] = []
    precedence = (msg.header("precedence") or "").strip().lower()
    listed = sorted(k for k in msg.list_headers if k.lower() in ("list-id", "list-unsubscribe"))
    if listed or precedence in ("bulk", "list", "junk"):
        what = ", ".join(listed) or f"Precedence: {precedence}"
        ev.append(Evidence("deal.bulk.list_headers", 1.0, f"mailing-list headers ({what})"))
    names = {key.lower() for key, _ in msg.headers}
    esp = sorted(
        n
        for n in names
        if n in _BULK_HEADERS or any(n.startswith(p) for p in _BULK_HEADER_PREFIXES)
    )
    if esp:
        ev.append(
            Evidence("deal.bulk.sender_headers", 1.0, "bulk-sender headers: " + ", ".join(esp))
        )
    body = msg.text or ""
    new = split_reply(body).new_text if body else ""
    text = f"{msg.subject or ''}\n{new if new.strip() else body}"
    m = _OPT_OUT.search(text)
    if m:
        ev.append(Evidence("deal.bulk.opt_out", 1.0, f"opt-out wording: \u201c{_snippet(m)}\u201d"))
    m = _SUBSCRIPTION.search(text)
    if m:
        ev.append(
            Evidence(
                "deal.bulk.subscription", 1.0, f"subscription footer: \u201c{_snippet(m)}\u201d"
            )
        )
    phrases: list[str] = []
    for rx in _MARKETING:
        for hit in rx.finditer(text):
            phrase = " ".join(hit.group(0).lower().split())
            if phrase not in phrases and not _OPT_OUT.fullmatch(phrase):
                phrases.append(phrase)
    if phrases:
        weight = round(_MARKETING_WEIGHT * len(phrases), 3)
        ev.append(
            Evidence("deal.bulk.marketing", weight, "marketing wording: " + ", ".join(phrases[:5]))
        )
    return ev


def is_bulk(evidence: list[Evidence]) -> bool:
    return sum(e.weight for e in evidence) >= BULK_THRESHOLD


# --- service providers ----------------------------------------------------------------------
# Words that make a company name a logistics company's, as they appear in domain labels
# (split on "-", "." and digits; the longer ones also inside a joined label: "yhlogistics").
_LOGISTICS_LABELS = frozenset(
    """logistics logistic logistik logistica logistique freight forwarding forwarder forwarders
    shipping cargo spedition transitario transitarios wuliu huoyun huodai chuanwu haiyun
    kongyun""".split()
)
_LOGISTICS_INSIDE = ("logistic", "logistik", "freight", "forwarding", "shipping", "spedition")
# Carriers, couriers and the largest forwarders, by the name under their registrable domain.
_CARRIERS = frozenset(
    """maersk msc cma-cgm hapag-lloyd cosco coscoshipping oocl evergreen-line yangming one-line
    zim hmm21 dhl fedex ups tnt sf-express kuehne-nagel dbschenker dsv expeditors
    chrobinson""".split()
)
_LOGISTICS_NAME = re.compile(
    r"\b(?:logistics?|logistik|log[ií]stica|logistique|freight|forwarding|forwarders?|shipping|"
    r"cargo|spedition|transitarios?)\b|物流|货运|货代|船务|国际运输|快递|供应链",
    _I,
)
# A signature line that *is* a logistics company's name: "宁波远航国际物流有限公司 销售经理",
# "YH Logistics Co., Ltd." (a line naming "our forwarder: ..." is not one: no colon allowed).
_COMPANY_LINE = re.compile(
    r"^\s*(?:[\u4e00-\u9fff（）()]{2,24}(?:物流|货运|货代|船务|运输|快递|供应链)[\u4e00-\u9fff]{0,10}"
    r"(?:有限公司|公司|集团)|[A-Z][\w&.,' ()-]{0,50}\b(?:Logistics|Freight|Forwarding|Shipping|"
    r"Cargo|Spedition|Transitarios?)\b[\w&.,' ()-]{0,20}?\b(?:Co\.?|Company|Ltd\.?|Limited|Inc\.?|"
    r"LLC|GmbH|S\.?A\.?|Corp\.?|Group|International|Intl\.?|Pte\.?)(?:\W|$))",
    re.MULTILINE,
)
# What a provider offers or confirms to us: (rule, weight, pattern). Strong cues weigh 1.0.
_SERVICE: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "rates",
        1.0,
        re.compile(
            r"\b(?:(?:ocean|sea|air)\s+)?freight\s+rates?\b|\brate\s+sheet\b|\btarifas?\s+de\s+flete|"
            r"\bFrachtraten\b|海运费|空运费|运价|运费报价|海运报价",
            _I,
        ),
    ),
    (
        "booking",
        1.0,
        re.compile(
            r"\bbooking\s+(?:is\s+)?confirm(?:ed|ation)|\bspace\s+(?:is\s+)?(?:confirmed|released|"
            r"tight)|\bS/?O\s+(?:released|number|no\b)|订舱确认|舱位已订|舱位紧张|放舱|SO已放|订舱号|"
            r"\bconfirmaci[oó]n\s+de\s+reserva|Buchungsbest[äa]tigung",
            _I,
        ),
    ),
    ("cut_off", 1.0, re.compile(r"\bcut[-\s]?off\s+(?:time|date)|\bVGM\b|截关|截单|截港", _I)),
    (
        "surcharge",
        1.0,
        re.compile(
            r"\b(?:GRI|PSS|BAF)\b|(?i:\bpeak\s+season\s+surcharge|\bsurcharges?\b|\brecargos?\b)|"
            r"附加费|涨价通知",
        ),
    ),
    (
        "arrival_notice",
        1.0,
        re.compile(r"\barrival\s+notice\b|到港通知|到货通知|\baviso\s+de\s+llegada", _I),
    ),
    ("schedule", 1.0, re.compile(r"\bsailing\s+schedule|船期表", _I)),
    (
        "shipping_terms",
        0.5,
        re.compile(
            r"\b(?:ETD|ETA)\b|(?i:\bvessel\b|\bbooking\b)|\b20\s?GP\b|\b40\s?H[QC]\b|船期|开船|"
            r"船名|航次|订舱|提柜|装箱",
        ),
    ),
]
#: Summed service weight from which a logistics company's mail is a service provider's.
SERVICE_THRESHOLD = 1.0


def provider_organisation(address: str, display_name: str = "", text: str = "") -> Evidence | None:
    """Evidence that ``address`` belongs to a logistics company (carrier, courier,
    forwarder), from its domain, its display name (free-mail addresses only) or a signature
    company line in ``text``, or None."""
    try:
        _local, domain = split_email(address or "")
    except ValueError:
        domain = ""
    if domain:
        registrable = registrable_domain(domain)
        name = registrable.split(".")[0]
        if name in _CARRIERS:
            return Evidence("deal.provider.carrier", 1.0, f"{registrable} is a carrier or courier")
        for piece in re.split(r"[-_.\d]+", name):
            if piece in _LOGISTICS_LABELS or any(w in piece for w in _LOGISTICS_INSIDE):
                return Evidence(
                    "deal.provider.domain", 1.0, f"logistics company domain {registrable}"
                )
    # A display name speaks for the company only on a free-mail address (a forwarder on
    # 163.com); at a company domain "Logistics Dept" is the buyer's own shipping desk.
    m = (
        _LOGISTICS_NAME.search(display_name or "")
        if company_domain(address or "") is None
        else None
    )
    if m:
        return Evidence("deal.provider.name", 1.0, f"sender name {display_name.strip()!r}")
    lines = [line for line in (text or "").splitlines() if line.strip()][-12:]
    for line in lines:
        if len(line) <= 80 and _COMPANY_LINE.search(line):
            return Evidence("deal.provider.signature", 1.0, f"signature: {line.strip()[:60]!r}")
    return None


def provider_evidence(address: str, display_name: str, subject: str, text: str) -> list[Evidence]:
    """Why an inbound mail is a service provider's (empty when it is not): the sender is a
    logistics company *and* the mail offers or confirms a freight service. ``text`` is the
    new text of the mail (without quoted history: our own booking request quoted in the
    forwarder's answer must not count)."""
    org = provider_organisation(address, display_name, text)
    if org is None:
        return []
    body = f"{subject or ''}\n{text or ''}"
    service: list[Evidence] = []
    for rule, weight, rx in _SERVICE:
        m = rx.search(body)
        if m:
            service.append(Evidence(f"deal.provider.{rule}", weight, f"\u201c{_snippet(m)}\u201d"))
    if sum(e.weight for e in service) < SERVICE_THRESHOLD:
        return []
    return [org, *service]
