"""The consolidation mail: one summary of what was agreed, sent to the buyer's formal address.

Buyers often negotiate from two or three addresses: a Gmail on the phone, the company
mailbox at the office, a colleague's address. Before documents are issued the seller sends
one mail that puts everything in one place: the agreed items with specs and quantities, the
prices with currency and Incoterm, the lead time and the payment terms, each taken from the
messages with a link to its source; To the formal (company) address, Cc the others; and the
standard sentence that future documents go to the formal address only.

Extraction is deliberately literal: every figure in the draft is a span quoted from a
message (``Fact.quote`` with ``message_id`` and ``span``), and when a term was stated more than
once the latest statement wins, because that is where the negotiation ended. The seller
reads the draft before sending; nothing here invents a value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tradeinbox.core.addresses import classify_address
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.incoterms import RULES as INCOTERMS
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.references import extract_references, normalise_value

__all__ = [
    "ConsolidationMessage",
    "Fact",
    "Terms",
    "DealFacts",
    "Draft",
    "extract_facts",
    "agreed_terms",
    "choose_formal_address",
    "needs_consolidation",
    "draft_consolidation",
]


@dataclass(frozen=True, slots=True)
class ConsolidationMessage:
    """One message of the deal: ``sender`` is the e-mail address (or chat handle) it came
    from, ``direction`` ``"in"`` (buyer) or ``"out"`` (us)."""

    id: str
    sender: str
    direction: str
    text: str
    sent_at: datetime | None = None
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A term found in a message. ``kind``: item / price / lead_time / payment / incoterm.
    ``quote`` is ``text[span[0]:span[1]]`` of message ``message_id``; ``fields`` the parsed
    parts (quantity, unit, model, currency, amount, incoterm, place ...)."""

    kind: str
    value: str
    message_id: str
    span: tuple[int, int]
    quote: str
    sent_at: datetime | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)


@dataclass(slots=True)
class Terms:
    items: list[Fact] = field(default_factory=list)
    prices: list[Fact] = field(default_factory=list)
    lead_time: Fact | None = None
    payment: Fact | None = None
    incoterm: Fact | None = None

    def all(self) -> list[Fact]:
        single = [f for f in (self.incoterm, self.lead_time, self.payment) if f]
        return [*self.items, *self.prices, *single]


@dataclass(slots=True)
class DealFacts:
    """Input of :func:`draft_consolidation`. ``buyer_addresses``: every address the buyer
    side used; ``formal_address``: the user's choice (else :func:`choose_formal_address`)."""

    title: str
    buyer_addresses: Sequence[str]
    messages: Sequence[ConsolidationMessage]
    buyer_name: str = ""
    seller_name: str = ""
    seller_company: str = ""
    formal_address: str | None = None
    own_domains: tuple[str, ...] = ()


@dataclass(slots=True)
class Draft:
    to: list[str]
    cc: list[str]
    subject: str
    body: str
    sources: list[Fact]
    evidence: list[Evidence] = field(default_factory=list)


# --- patterns --------------------------------------------------------------------------------
_I = re.IGNORECASE
_NUM = r"\d{1,3}(?:[,\s]\d{3})+(?:\.\d{1,4})?|\d+(?:[.,]\d{1,4})?"
_CUR_BEFORE = r"US\$|USD|EUR|RMB|CNY|GBP|AUD|CAD|JPY|\$|€|£|¥|￥"
_CUR_AFTER = r"USD|EUR|RMB|CNY|GBP|AUD|CAD|JPY|dollars?|d[oó]lares|euros?|美元|美金|欧元|人民币|元"
_UNIT = (
    r"pcs|pc|pieces?|units?|sets?|pairs?|cartons?|ctns?|rolls?|tons?|mt|kgs?|meters?|metres?|"
    r"m|sqm|boxes|bags|件|个|套|台|只|片|吨|米|条|unidades|unidad|piezas?|juegos?|pares|cajas"
)
_PRICE = re.compile(
    rf"(?:(?P<cur1>{_CUR_BEFORE})\s?(?P<amt1>{_NUM})|(?P<amt2>{_NUM})\s?(?P<cur2>{_CUR_AFTER})\b)"
    rf"(?:\s*(?:/|per\s+|each\s+|每|por\s+)\s*(?P<unit>{_UNIT})\b)?",
    _I,
)
_INCOTERM = re.compile(
    rf"\b(?P<term>{'|'.join(INCOTERMS)}|CNF|C&F)\b(?:\s+(?P<place>(?:[A-Z][a-zA-Z]+)"
    r"(?:[ \t](?:[A-Z][a-zA-Z]+))?|[\u4e00-\u9fff]{2,4}))?"
)
_QTY = re.compile(
    rf"(?<![A-Za-z0-9_.,$€£¥])(?P<qty>\d{{1,3}}(?:,\d{{3}})+|\d+)\s?(?P<unit>{_UNIT}|x\s?(?:20|40)'?\s?(?:GP|HQ|HC))"
    r"(?![a-zA-Z])",
    _I,
)
_MODEL = re.compile(
    r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z][A-Z0-9]{0,7}(?:-[A-Z0-9]{1,8}){0,3}\b"
)
_SPEC = re.compile(
    r"(?<![\d.,])\d+(?:[.,]\d+)?(?:\s?[x×*]\s?\d+(?:[.,]\d+)?){0,2}\s?(?:mm|cm|m|W|kW|V|A|Ah|mAh|kg|g|gsm|L|ml|inch|Hz|lm|Wp|bar|psi|mic)\b|"
    r"\bIP\d{2}\b|\b(?:stainless\s+steel|SUS\s?\d{3}|aluminium|aluminum|cotton|polyester|PVC|ABS|"
    r"black|white|red|blue|green|grey|gray|silver|gold|acero\s+inoxidable|negro|blanco)\b|"
    r"不锈钢|黑色|白色|铝合金",
    _I,
)
_LEAD = re.compile(
    r"(?:lead[\s-]?time|delivery(?:\s+time)?|production\s+time|ready\s+(?:for\s+shipment\s+)?"
    r"(?:with)?in|ship(?:ment|ping)?\s+(?:with)?in|交货期|交期|货期|生产周期|"
    r"plazo\s+de\s+entrega|tiempo\s+de\s+entrega|prazo\s+de\s+entrega)"
    r"[^\d\n]{0,25}?(?P<v>\d+\s*(?:-|~|to|–|a|至|到)\s*\d+|\d+)\s*"
    r"(?P<u>(?:working\s+|business\s+|calendar\s+)?days?|weeks?|months?|个?工作日|天|周|个月|"
    r"d[ií]as(?:\s+h[aá]biles)?|semanas|meses)",
    _I,
)
_PAYMENT = re.compile(
    r"(?:payment(?:\s+terms?)?|terms\s+of\s+payment|付款方式|付款条件|结算方式|"
    r"(?:forma|condiciones?|t[eé]rminos)\s+de\s+pago|condi[çc][õo]es\s+de\s+pagamento)"
    r"\s*(?:is|are|will\s+be|:|：|es|será)?\s*[:：]?\s*(?P<v>[^\n;。；]{3,90})|"
    r"(?P<v2>\d{1,3}\s?%\s?(?:T/?T\s+)?(?:deposit|advance|down\s+payment|定金|预付|订金|"
    r"(?:de\s+)?anticipo|de\s+dep[oó]sito)[^\n;。；]{0,80})|"
    r"(?P<v3>(?:irrevocable\s+)?L/?C\s+at\s+(?:sight|\d+\s+days)[^\n;。；]{0,40}|"
    r"100\s?%\s?T/?T\s+(?:in\s+advance|before\s+shipment)|D/P\s+at\s+sight|即期信用证)",
    _I,
)


def _model(text: str, documents: set[str]) -> re.Match[str] | None:
    """The first model number in ``text`` that is not a document number."""
    for m in _MODEL.finditer(text):
        if normalise_value(m.group(0)) not in documents:
            return m
    return None


_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|[。；！？]")


def _new_region(text: str) -> int:
    """Length of the new (unquoted) part at the start of ``text``."""
    parts = split_reply(text or "")
    new = parts.new_text.rstrip()
    if new and text.startswith(new):
        return len(new)
    return len(text or "")


def _line_at(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _amount(raw: str) -> str:
    value = raw.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", value):
        return value.replace(",", "")
    if re.fullmatch(r"\d+,\d{1,2}", value):  # "12,50" decimal comma
        return value.replace(",", ".")
    return value.replace(",", "")


_CURRENCY = {
    "US$": "USD", "$": "USD", "DOLLAR": "USD", "DOLLARS": "USD", "DÓLARES": "USD",
    "DOLARES": "USD", "美元": "USD", "美金": "USD", "€": "EUR", "EURO": "EUR", "EUROS": "EUR",
    "欧元": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "RMB": "CNY", "人民币": "CNY",
    "元": "CNY",
}  # fmt: skip


def _facts_in(msg: ConsolidationMessage) -> list[Fact]:
    text = msg.text or ""
    limit = _new_region(text)
    region = text[:limit]
    out: list[Fact] = []

    def fact(kind: str, shown: str, a: int, b: int, **fields: str) -> None:
        out.append(
            Fact(
                kind,
                shown,
                msg.id,
                (a, b),
                text[a:b],
                msg.sent_at,
                tuple((k, v) for k, v in fields.items() if v),
            )
        )

    # "QT-2026-031" or "PO4500012345" look like model numbers but are documents.
    documents = {normalise_value(r.value) for r in extract_references(region)}
    price_lines: set[int] = set()
    for m in _PRICE.finditer(region):
        cur_raw = m.group("cur1") or m.group("cur2")
        currency = _CURRENCY.get(cur_raw.upper(), cur_raw.upper())
        amount = _amount(m.group("amt1") or m.group("amt2"))
        ls, le = _line_at(region, m.start())
        line = region[ls:le]
        inc = _INCOTERM.search(line)
        model = _model(line[: m.start() - ls], documents) or _model(line, documents)
        unit = (m.group("unit") or "").lower()
        a, b = m.start(), m.end()
        if inc:
            a, b = min(a, ls + inc.start()), max(b, ls + inc.end())
        if model and model.group(0) not in (inc.group("term") if inc else "",):
            a = min(a, ls + model.start())
        value = f"{currency} {amount}" + (f"/{unit}" if unit else "")
        if inc:
            value += f" {inc.group('term').upper()}" + (
                f" {inc.group('place')}" if inc.group("place") else ""
            )
        fact(
            "price",
            value,
            a,
            b,
            currency=currency,
            amount=amount,
            unit=unit,
            incoterm=inc.group("term").upper() if inc else "",
            place=inc.group("place") or "" if inc else "",
            model=model.group(0) if model else "",
        )
        price_lines.add(ls)

    for m in _INCOTERM.finditer(region):
        term = m.group("term").upper().replace("C&F", "CFR").replace("CNF", "CFR")
        place = m.group("place") or ""
        fact("incoterm", f"{term} {place}".strip(), m.start(), m.end(), term=term, place=place)

    for m in _QTY.finditer(region):
        ls, le = _line_at(region, m.start())
        line = region[ls:le]
        # "USD 5.20/pc" is a price, not 5 pieces; skip quantities glued to a currency.
        if re.search(rf"(?:{_CUR_BEFORE})\s?$", region[max(ls, m.start() - 5) : m.start()], _I):
            continue
        # The sentence that states the quantity ("OK, we confirm 800 pcs LP-600 at ...").
        ss = ls
        for sep in _SENTENCE_END.finditer(region, ls, m.start()):
            ss = sep.end()
        end_m = _SENTENCE_END.search(region, m.end(), le)
        se = end_m.start() + 1 if end_m else le
        sentence = region[ss:se]
        model = _model(sentence, documents) or _model(line, documents)
        specs = [s.group(0) for s in _SPEC.finditer(sentence)]
        product = re.sub(r"^[\s\-*•\d.)]+", "", sentence).strip()
        key = model.group(0) if model else product.lower()[:40]
        ls = ss + (len(sentence) - len(sentence.lstrip()))
        le = ls + len(sentence.strip())
        fact(
            "item",
            product[:160],
            ls,
            le,
            qty=m.group("qty").replace(",", ""),
            unit=m.group("unit").lower(),
            model=model.group(0) if model else "",
            specs=", ".join(specs),
            key=key,
        )

    for m in _LEAD.finditer(region):
        value = f"{m.group('v')} {m.group('u')}"
        fact("lead_time", value, m.start(), m.end(), value=m.group("v"), unit=m.group("u"))

    for m in _PAYMENT.finditer(region):
        group = "v" if m.group("v") else ("v2" if m.group("v2") else "v3")
        value = m.group(group).strip(" .,:")
        if group == "v" and not re.search(
            r"T/?T|L/?C|D/P|D/A|deposit|advance|balance|%|sight|PayPal|Western|O/A|days|"
            r"定金|尾款|信用证|电汇|anticipo|saldo|transferencia|carta\s+de\s+cr[eé]dito",
            value,
            _I,
        ):
            continue  # "payment terms: please advise" is a question, not a term
        fact("payment", value, m.start(group), m.start(group) + len(value), value=value)
    return out


def extract_facts(messages: Sequence[ConsolidationMessage]) -> list[Fact]:
    """Every term found in the messages (new text only), in message order."""
    facts: list[Fact] = []
    for msg in messages:
        facts.extend(_facts_in(msg))
    return facts


_FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)


def agreed_terms(messages: Sequence[ConsolidationMessage]) -> Terms:
    """The latest statement of each term: one item per model (or product line), one price
    per model/unit, and the last lead time, payment terms and Incoterm."""
    order = {m.id: i for i, m in enumerate(messages)}
    facts = sorted(
        extract_facts(messages), key=lambda f: (f.sent_at or _FAR_PAST, order[f.message_id])
    )
    # One model in the whole conversation: "for 1,000 pcs we can offer USD 8.10/pc" is
    # about that model, so it updates that item and price instead of adding a new line.
    models = {f.field("model") for f in facts if f.kind in ("item", "price") and f.field("model")}
    only = next(iter(models)) if len(models) == 1 else None
    terms = Terms()
    items: dict[str, Fact] = {}
    prices: dict[tuple[str, str], Fact] = {}
    for f in facts:
        if only and f.kind in ("item", "price") and not f.field("model"):
            fields = dict(f.fields) | {"model": only}
            if f.kind == "item":
                fields["key"] = only
            f = replace(f, fields=tuple(fields.items()))
        if f.kind == "item":
            key = f.field("key") or f.value
            earlier = items.pop(key, None)
            if earlier and earlier.field("specs") and not f.field("specs"):
                # "we confirm 800 pcs LP-600" restates the quantity; the specs given
                # earlier for the same model still hold.
                merged = dict(f.fields)
                merged["specs"] = earlier.field("specs") or ""
                f = replace(f, fields=tuple(merged.items()))
            items[key] = f
        elif f.kind == "price":
            key = (f.field("model") or "", f.field("unit") or "")
            prices.pop(key, None)
            prices[key] = f
        elif f.kind == "lead_time":
            terms.lead_time = f
        elif f.kind == "payment":
            terms.payment = f
        elif f.kind == "incoterm":
            terms.incoterm = f
    terms.items = list(items.values())
    terms.prices = list(prices.values())
    return terms


def choose_formal_address(
    addresses: Sequence[str],
    messages: Sequence[ConsolidationMessage] = (),
    own_domains: tuple[str, ...] = (),
) -> tuple[str, list[Evidence]]:
    """The address documents should go to: a company-domain address over a freemail one,
    a personal company address over a role mailbox, then the one the buyer used most."""
    if not addresses:
        raise ValueError("no buyer address")
    counts: dict[str, int] = {}
    for m in messages:
        if m.direction == "in":
            counts[m.sender.lower()] = counts.get(m.sender.lower(), 0) + 1
    scored = []
    for i, addr in enumerate(addresses):
        kind = classify_address(addr.lower(), own_domains=own_domains)
        score = (
            3 * kind.is_official
            - 2 * kind.is_freemail
            - 3 * kind.is_disposable
            - 4 * kind.is_former
            - 1 * kind.is_role
        )
        scored.append((score, counts.get(addr.lower(), 0), -i, addr, kind.kind))
    scored.sort(reverse=True)
    best = scored[0]
    ev = [
        Evidence(
            "consolidation.formal_address",
            float(best[0]),
            f"{best[3]}: {best[4]} address, used {best[1]} time(s)",
        )
    ]
    return best[3], ev


def needs_consolidation(deal: DealFacts) -> Evidence | None:
    """Evidence that the buyer used two or more addresses, or None."""
    distinct = sorted({a.lower() for a in deal.buyer_addresses})
    if len(distinct) < 2:
        return None
    return Evidence("consolidation.several_addresses", float(len(distinct)), ", ".join(distinct))


_TEXT = {
    "en": {
        "subject": "Summary of what we agreed - {title}",
        "greeting": "Dear {name},",
        "greeting_anon": "Dear Sir or Madam,",
        "intro": "Thank you for the good discussion. To have everything in one place, here is "
        "a summary of what we agreed. Please check it and confirm, or tell us what to correct.",
        "items": "Items",
        "prices": "Prices",
        "lead": "Lead time",
        "payment": "Payment terms",
        "incoterm": "Incoterm",
        "qty": "quantity",
        "specs": "specs",
        "none": "(not stated yet - please confirm)",
        "formal": "To keep our records in one place, from now on we will send all documents "
        "(proforma invoice, contract, commercial invoice, packing list, B/L) to {formal} only. "
        "Please copy this address in your replies.",
        "sources": "Sources",
        "closing": "Best regards,",
    },
    "zh": {
        "subject": "双方确认事项汇总 - {title}",
        "greeting": "{name}，您好：",
        "greeting_anon": "您好：",
        "intro": "感谢您的沟通。为便于统一存档，现将双方已确认的内容汇总如下，请核对确认；如有需要修改之处，请告知。",
        "items": "产品",
        "prices": "价格",
        "lead": "交货期",
        "payment": "付款方式",
        "incoterm": "贸易术语",
        "qty": "数量",
        "specs": "规格",
        "none": "（尚未确定，请确认）",
        "formal": "为便于统一存档，今后所有单据（形式发票、合同、商业发票、装箱单、提单）将只发送至 "
        "{formal}，回复时也请抄送此邮箱。",
        "sources": "来源",
        "closing": "此致\n敬礼",
    },
    "es": {
        "subject": "Resumen de lo acordado - {title}",
        "greeting": "Estimado/a {name}:",
        "greeting_anon": "Estimado/a cliente:",
        "intro": "Gracias por la conversación. Para tener todo en un solo lugar, le enviamos un "
        "resumen de lo acordado. Por favor, revíselo y confírmelo, o indíquenos qué corregir.",
        "items": "Productos",
        "prices": "Precios",
        "lead": "Plazo de entrega",
        "payment": "Condiciones de pago",
        "incoterm": "Incoterm",
        "qty": "cantidad",
        "specs": "especificaciones",
        "none": "(aún no indicado - por favor confirme)",
        "formal": "Para mantener todo en un solo lugar, a partir de ahora enviaremos todos los "
        "documentos (factura proforma, contrato, factura comercial, lista de empaque, B/L) "
        "únicamente a {formal}. Por favor, incluya esta dirección en sus respuestas.",
        "sources": "Fuentes",
        "closing": "Saludos cordiales,",
    },
}


def draft_consolidation(
    deal: DealFacts, lang: str = "en", *, link_template: str = "{message_id}"
) -> Draft:
    """The consolidation mail in ``lang`` (``en``, ``zh`` or ``es``; others fall back to
    English). ``link_template`` turns a message id into the link shown next to each source,
    e.g. ``"https://crm.example.com/m/{message_id}/"``."""
    t = _TEXT.get(lang.split("-")[0].lower(), _TEXT["en"])
    formal = deal.formal_address
    if formal:
        ev = [Evidence("consolidation.formal_address", 0.0, f"{formal}: chosen by the user")]
    else:
        formal, ev = choose_formal_address(deal.buyer_addresses, deal.messages, deal.own_domains)
    several = needs_consolidation(deal)
    if several:
        ev.append(several)
    cc: list[str] = []
    for a in deal.buyer_addresses:
        if a.lower() != formal.lower() and a.lower() not in {c.lower() for c in cc}:
            cc.append(a)
    terms = agreed_terms(deal.messages)
    sources: list[Fact] = []

    def ref(f: Fact) -> str:
        sources.append(f)
        return f"[{len(sources)}]"

    lines = [t["greeting"].format(name=deal.buyer_name) if deal.buyer_name else t["greeting_anon"]]
    lines += ["", t["intro"], "", f"{t['items']}:"]
    if terms.items:
        for n, f in enumerate(terms.items, 1):
            extra = f"{t['qty']}: {f.field('qty')} {f.field('unit')}"
            if f.field("specs"):
                extra += f"; {t['specs']}: {f.field('specs')}"
            lines.append(f"  {n}. {f.value} ({extra}) {ref(f)}")
    else:
        lines.append(f"  {t['none']}")
    lines.append(f"{t['prices']}:")
    if terms.prices:
        for f in terms.prices:
            model = f.field("model")
            lines.append(f"  - {model + ': ' if model else ''}{f.value} {ref(f)}")
    else:
        lines.append(f"  {t['none']}")
    if terms.incoterm and not any(p.field("incoterm") for p in terms.prices):
        lines.append(f"{t['incoterm']}: {terms.incoterm.value} {ref(terms.incoterm)}")
    for key, f in (("lead", terms.lead_time), ("payment", terms.payment)):
        lines.append(f"{t[key]}: {f.value} {ref(f)}" if f else f"{t[key]}: {t['none']}")
    lines += ["", t["formal"].format(formal=formal), "", t["closing"]]
    if deal.seller_name:
        lines.append(deal.seller_name)
    if deal.seller_company:
        lines.append(deal.seller_company)
    if sources:
        lines += ["", "--", f"{t['sources']}:"]
        for n, f in enumerate(sources, 1):
            link = link_template.format(message_id=f.message_id)
            quote = " ".join(f.quote.split())[:120]
            lines.append(f"[{n}] {link} \u201c{quote}\u201d")
    subject = t["subject"].format(title=deal.title)
    return Draft([formal], cc, subject, "\n".join(lines) + "\n", sources, ev)
