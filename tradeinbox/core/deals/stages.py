"""Deal stages and a stage suggestion read from the deal's messages.

An export deal moves through ``cold -> inquiry -> quoted -> sample -> negotiation -> order ->
production -> shipped -> after-sales`` and ends ``closed won`` or ``closed lost``. The user sets
the stage; :func:`suggest_stage` proposes one from what the messages say (a quotation sent, a
sample requested or shipped, price haggling, a purchase order received, production updates, a
B/L or shipping notice, an after-sales complaint ...), in English, Chinese and Spanish (with the
commonest Portuguese/French/German terms), and from the document numbers found by
:func:`tradeinbox.core.references.extract_references` (a PO from the buyer, a B/L, a container).
A cue said as a term of sale ("garantía de 7 años", "if anything arrives damaged", "70%
against B/L copy") is not a stage: see :mod:`tradeinbox.core.deals.stage_guards`.

A suggestion never moves a deal backwards silently: a message that points to an earlier stage
than the current one is only proposed when the signal is strong (a cancelled order, a request
to re-quote), and then with ``backwards=True`` and evidence saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from tradeinbox.core.deals.stage_guards import first_cue
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr, tr_noop
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.references import extract_references

__all__ = [
    "Stage",
    "STAGE_ORDER",
    "DealMessage",
    "StageSuggestion",
    "StageSignal",
    "rank",
    "stage_signals",
    "suggest_stage",
]


class Stage(StrEnum):
    COLD = "cold"
    INQUIRY = "inquiry"
    QUOTED = "quoted"
    SAMPLE = "sample"
    NEGOTIATION = "negotiation"
    ORDER = "order"
    PRODUCTION = "production"
    SHIPPED = "shipped"
    AFTER_SALES = "after_sales"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def closed(self) -> bool:
        return self in (Stage.CLOSED_WON, Stage.CLOSED_LOST)


# English labels (kept English in stored evidence; a page translates them when shown).
_LABELS = {
    Stage.COLD: tr_noop("Cold"),
    Stage.INQUIRY: tr_noop("Inquiry"),
    Stage.QUOTED: tr_noop("Quoted"),
    Stage.SAMPLE: tr_noop("Sample"),
    Stage.NEGOTIATION: tr_noop("Negotiation"),
    Stage.ORDER: tr_noop("Order"),
    Stage.PRODUCTION: tr_noop("Production"),
    Stage.SHIPPED: tr_noop("Shipped"),
    Stage.AFTER_SALES: tr_noop("After-sales"),
    Stage.CLOSED_WON: tr_noop("Closed won"),
    Stage.CLOSED_LOST: tr_noop("Closed lost"),
}

#: The pipeline in order. ``closed_lost`` can follow any stage; it ranks with ``closed_won``.
STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


def rank(stage: Stage | str) -> int:
    """Position in the pipeline; both closed stages rank last (equal)."""
    stage = Stage(stage)
    if stage is Stage.CLOSED_LOST:
        return STAGE_ORDER.index(Stage.CLOSED_WON)
    return STAGE_ORDER.index(stage)


@dataclass(frozen=True, slots=True)
class DealMessage:
    """One message of a deal, on any channel (e-mail or an imported chat).

    ``direction`` is ``"in"`` (from the buyer) or ``"out"`` (from us). ``text`` may still
    contain quoted history; it is cut off before reading so old content does not count twice.
    """

    id: str
    direction: str
    text: str
    sent_at: datetime | None = None
    subject: str = ""
    attachment_names: tuple[str, ...] = ()
    channel: str = "email"

    @classmethod
    def from_parsed(cls, msg: ParsedMessage, id: str, direction: str) -> DealMessage:
        """A :class:`DealMessage` from a parsed e-mail (subject, body, attachment names)."""
        return cls(
            id=id,
            direction=direction,
            text=msg.text or "",
            sent_at=msg.date,
            subject=msg.subject or "",
            attachment_names=tuple(a.filename for a in msg.attachments if a.filename),
        )


@dataclass(frozen=True, slots=True)
class StageSignal:
    """What one message says about the stage: ``weight`` >= 1 is a clear signal."""

    stage: Stage
    weight: float
    message_id: str
    sent_at: datetime | None
    evidence: tuple[Evidence, ...]


@dataclass(slots=True)
class StageSuggestion:
    """The proposed stage. ``changed`` is False when the messages confirm ``current``
    (or say nothing); ``backwards`` flags a proposal earlier in the pipeline."""

    stage: Stage
    current: Stage
    changed: bool
    backwards: bool = False
    message_id: str | None = None
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage.value,
            "current": self.current.value,
            "changed": self.changed,
            "backwards": self.backwards,
            "message_id": self.message_id,
            "evidence": [e.as_dict() for e in self.evidence],
        }


# --- lexicon -------------------------------------------------------------------------------
# (rule id, stage, direction "in"/"out"/"any", weight, pattern). A weight of 1.0 or more is
# enough on its own; weaker cues must add up within one message.
_I = re.IGNORECASE
_RULES: list[tuple[str, Stage, str, float, str]] = [
    # inquiry: the buyer asks for prices, catalogue, MOQ.
    (
        "inquiry.request",
        Stage.INQUIRY,
        "in",
        1.0,
        r"\b(?:please|kindly|pls)\s+(?:quote|offer)\b|\b(?:please|kindly|pls|could\s+you|can\s+you)"
        r"\s+(?:send|provide|advise|share)\b.{0,40}\b(?:prices?|quotation|quote|offer|catalog(?:ue)?|"
        r"price\s*list|MOQ|specifications?)\b|\b(?:send|give)\s+(?:me|us)\s+(?:your\s+)?(?:best\s+)?"
        r"(?:price|quotation|quote|offer|catalog(?:ue)?|price\s*list)|\bMOQ\b|"
        r"\binterested\s+in\s+your\s+(?:products?|items?|goods|models?)\b|"
        r"\byour\s+(?:latest\s+)?(?:price\s*list|catalog(?:ue)?)\b|询价|请报价|报个价|价格表|产品目录|"
        r"最小起订量|"
        r"\bcotizaci[oó]n\b|lista\s+de\s+precios|cat[aá]logo|nos\s+interesa|"
        r"\bpedido\s+m[ií]nimo\b|or[çc]amento|demande\s+de\s+prix|Preisliste",
    ),
    # quoted: we sent a quotation.
    (
        "quoted.sent",
        Stage.QUOTED,
        "out",
        1.2,
        r"(?:attached|enclosed|find|herewith|here\s+is|sending)\b.{0,40}\b(?:quotation|quote|"
        r"offer|price\s*list|proforma)|\b(?:we\s+are\s+pleased|glad|happy)\s+to\s+(?:quote|offer)|"
        r"\bour\s+(?:best\s+)?(?:price|quotation|offer)\s+(?:is|as\s+follows|for)|"
        r"\bquotation\s+(?:as\s+follows|below)|报价如下|附件是.{0,6}报价|报价单见附件|给您报价|"
        r"我们的报价|adjunt[oa]\s+(?:nuestra\s+|la\s+)?(?:cotizaci[oó]n|oferta)|"
        r"le\s+cotizamos|nuestra\s+(?:mejor\s+)?(?:oferta|cotizaci[oó]n)|segue\s+(?:o\s+)?or[çc]amento|"
        r"ci-joint\s+(?:notre\s+)?(?:devis|offre)|anbei\s+(?:unser\s+)?Angebot",
    ),
    # sample: asked for, paid, shipped, received.
    (
        "sample.mention",
        Stage.SAMPLE,
        "any",
        1.0,
        r"\bsamples?\b.{0,40}\b(?:sent|shipped|dispatched|sent\s+out|arrived|received|ready|"
        r"cost|fee|charge|courier|DHL|FedEx|UPS|TNT|tracking)|"
        r"\b(?:send|ship|need|want|order|request|test|get)\s+(?:us\s+|me\s+)?(?:a\s+|some\s+|the\s+|"
        r"\d+\s+)?samples?\b|\bsample\s+order\b|"
        # Like the English cue, the other languages need a sending / asking / paying word:
        # a bare "muestra" is also "shows", "样品" also names the sample price in an inquiry.
        r"寄样|打样|样板|样品(?:费|单|已|寄出|收到|测试)|(?:寄|发|要|需要|申请|提供|安排)[^，。,.]{0,4}样品|"
        r"\b(?:envi\w*|mand\w*|necesit\w*|solicit\w*|ped\w*|quer\w*|recib\w*|pag\w*|costo|precio|"
        r"precis\w*|receb\w*|custo|pre[çc]o)\b.{0,30}\b(?:muestras?|amostras?)\b|"
        r"\b(?:muestras?|amostras?)\b.{0,30}\b(?:enviad\w*|recibid\w*|recebid\w*|list[oa]s|gratis|"
        r"gr[aá]tis|gratuit\w*|DHL|FedEx|UPS)\b|"
        r"\b(?:envoy\w*|re[çc]\w*|command\w*|besoin|demand\w*|prix|co[uû]t)\b.{0,30}"
        r"[ée]chantillons?\b|[ée]chantillons?\b.{0,30}\b(?:envoy[ée]s?|re[çc]us?|gratuits?|DHL)\b|"
        r"\b(?-i:Muster)(?:bestellung|anfrage|kosten|versand)|\b(?:send\w*|schick\w*|erhalt\w*|"
        r"bestell\w*|ben[öo]tig\w*|brauch\w*|anforder\w*)\b.{0,40}\b(?-i:Muster)\b|"
        r"\b(?-i:Muster)\b.{0,40}\b(?:versandt|geschickt|angekommen|erhalten)\b",
    ),
    # negotiation: haggling about price and terms after an offer.
    (
        "negotiation.price",
        Stage.NEGOTIATION,
        "any",
        1.0,
        r"\b(?:(?:give|offer|any|special|extra|better|a)\s+(?:us\s+)?(?:a\s+)?discount|"
        r"discount\s+(?:for|on|if)|\d+\s?%\s+discount|counter[\s-]?offer|target\s+price|"
        r"(?:price|prices|it|offer|quotation)\s+(?:is|are|seems?)\s+(?:a\s+bit\s+|much\s+)?too\s+"
        r"(?:high|expensive)|"
        r"(?:lower|reduce|cut)\s+(?:the\s+|your\s+)?(?:price|cost)|price\s+(?:is\s+)?(?:too\s+)?high|"
        r"competitors?\W{0,3}s?\s+(?:price|offer)|(?:find|found|get|got)\s+(?:it\s+)?cheaper|"
        r"negotiate\s+(?:the\s+)?(?:price|terms)|last\s+price|"
        # "best final price for" haggles; "please quote your best price for" only asks.
        r"best\s+(?:possible\s+|final\s+)price\s+(?:for|if|on)|can\s+you\s+(?:do|accept|give))\b|"
        r"便宜|折扣|太贵|价格(?:太|偏)高|目标价|还价|优惠|降价|最低价|"
        r"\b(?:descuento|(?:muy|demasiado)\s+caro|precio\s+objetivo|rebaj\w+|negociar|"
        r"mejor\s+precio\s+(?:para|si)|desconto|muito\s+caro|remise|Rabatt)\b",
    ),
    (
        "negotiation.terms",
        Stage.NEGOTIATION,
        "any",
        0.5,
        r"\b(?:payment\s+terms?|lead\s+time|delivery\s+time|MOQ)\b.{0,30}\b(?:accept|shorter|"
        r"longer|change|instead|possible|flexible)|付款方式|交期能|"
        r"(?:forma|condiciones)\s+de\s+pago|plazo\s+de\s+entrega",
    ),
    # order: the buyer confirms, a PO or deposit arrives.
    (
        "order.confirmed",
        Stage.ORDER,
        "any",
        1.5,
        r"\b(?:confirm(?:ed|s)?|place[ds]?)\s+(?:the\s+|our\s+|this\s+|an?\s+)?order\b.{0,60}"
        r"(?:attached|below|today|now|for|as\s+per)|\border\s+(?:is\s+)?confirmed\b|"
        r"\bwe\s+(?:hereby\s+)?confirm\s+(?:your\s+|the\s+)?(?:PO|P/O|purchase\s+order)\b|"
        r"\b(?:attached|enclosed|find)\b.{0,30}\b(?:purchase\s+order|our\s+PO|signed\s+(?:PI|"
        r"contract|proforma))|"
        # A deposit that *was* paid; "30% deposit to be paid before production" is a term.
        r"\b(?:deposit|advance\s+payment|down\s+payment)\b(?:(?!\b(?:to\s+be|will|shall|should|"
        r"must|before|upon|against)\b).){0,30}?\b(?:has\s+been|have\s+been|was|were|is\s+now)\s+"
        r"(?:\w+\s+)?(?:paid|sent|transferred|received|arranged|wired|remitted)\b|"
        r"\b(?:we\s+(?:have\s+)?|just\s+)(?:paid|sent|transferred|wired|remitted|received)\s+(?:the\s+|"
        r"our\s+|your\s+)?(?:\d+\s?%\s+)?(?:deposit|advance\s+payment|down\s+payment)\b|"
        r"\bsigned\s+(?:the\s+)?(?:PI|contract|proforma)\b|"
        r"确认订单|下单|定金已|已付定金|已付款|预付款已|合同已签|已签合同|"
        r"confirmamos\s+(?:el\s+)?pedido|(?:adjunt[oa]|enviamos)\s+(?:la\s+)?orden\s+de\s+compra|"
        r"(?:anticipo|dep[oó]sito)\s+(?:ya\s+)?(?:fue\s+|ha\s+sido\s+)?(?:pagado|transferido|"
        r"enviado)|hemos\s+pagado\s+el\s+(?:anticipo|dep[oó]sito)|pedido\s+confirmado|"
        r"confirmamos\s+o\s+pedido|commande\s+confirm[ée]e|Bestellung\s+best[äa]tig",
    ),
    (
        "order.intent",
        Stage.ORDER,
        "in",
        0.6,
        r"\b(?:place|placing|go\s+ahead\s+with)\s+(?:an?\s+|the\s+)?order\b|我们要下单|"
        r"hacer\s+(?:un|el)\s+pedido",
    ),
    # production: updates from our side.
    (
        "production.update",
        Stage.PRODUCTION,
        "any",
        1.2,
        r"\b(?:is|are|now|currently|already|go(?:es)?)\s+(?:in|under|into)\s+(?:mass\s+)?production\b|"
        r"\bproduction\s+(?:has\s+)?(?:start|begun|"
        r"began|schedule|progress|update|is\s+(?:finished|completed|done)|will\s+(?:finish|be\s+"
        r"completed))|\b(?:start(?:ed|s)?|began|begun)\s+mass\s+production\b|"
        r"生产中|已投产|排产|大货(?:生产|已|正在|在做|进度)|生产进度|"
        r"en\s+(?:proceso\s+de\s+)?producci[oó]n|producci[oó]n\s+(?:ha\s+)?(?:comenzado|iniciado|"
        r"terminad[oa])|em\s+produ[çc][ãa]o|en\s+production|"
        r"in\s+Produktion",
    ),
    (
        "production.inspection",
        Stage.PRODUCTION,
        "any",
        0.6,
        r"\b(?:pre[\s-]?shipment|QC|final)\s+inspection\b|验货|inspecci[oó]n\s+(?:previa|final)",
    ),
    # shipped: shipping notice, vessel, B/L, tracking.
    (
        "shipped.notice",
        Stage.SHIPPED,
        "any",
        1.5,
        r"\b(?:goods|cargo|shipment|order|container|consignment|parcel)\b.{0,30}\b(?:has|have)\s+"
        r"been\s+(?:shipped|loaded|dispatched|sent\s+out|delivered\s+to\s+the\s+port)|"
        r"\bvessel\s+(?:has\s+)?(?:departed|sailed|left)|已发货|已出运|已装船|已开船|发货通知|"
        r"mercanc[ií]a\s+(?:ha\s+sido\s+|fue\s+)?(?:enviada|embarcada|despachada)|"
        r"aviso\s+de\s+embarque|ya\s+(?:fue|est[aá])\s+embarcad[oa]|"
        r"foi\s+embarcad[oa]|marchandise\s+exp[ée]di[ée]e|Ware\s+(?:wurde\s+)?versandt",
    ),
    (
        "shipped.documents",
        Stage.SHIPPED,
        "any",
        1.5,
        r"\bshipping\s+(?:notice|advice|documents?)\b|\btelex\s+release\b|"
        r"\bB/L\s+(?:copy|draft)|提单(?:副本|草稿)|documentos\s+de\s+embarque",
    ),
    (
        "shipped.eta",
        Stage.SHIPPED,
        "any",
        0.5,
        r"\b(?:ETD|ETA)\b|\btracking\s+(?:number|no)\b|船期|到港|n[uú]mero\s+de\s+seguimiento",
    ),
    # after-sales: the buyer has the goods and reports a problem (a complaint, a claim, a
    # defect). A warranty, a return policy or "if anything arrives damaged" in an inquiry
    # or an offer is a term of sale, not a complaint: such sentences are discounted by
    # _GUARDS below. Bare "garantía", "售后" (after-sales service) and "缺货" (out of stock)
    # name terms or stock, so only their claim forms count.
    (
        "after_sales.complaint",
        Stage.AFTER_SALES,
        "in",
        1.5,
        r"\b(?:(?:a|our|customer|customers'?)\s+complaints?\b|complain(?:ing)?\s+about|"
        r"(?:are|is|were|was|arrived|came)\s+(?:\w+\s+)?(?:damaged|broken|defective|faulty)"
        r"(?!\s+(?:into|down|up|out|off))|"
        r"(?:damaged|defective|broken|faulty)\s+(?:goods|items|pieces|pcs|units|cartons|products?)|"
        r"(?:products?|machines?|units?|items?|lamps?|devices?|goods|pieces)\s+(?:(?:is|are)\s+not|"
        r"(?:does|do)\s*n[o']?t)\s+work(?:ing)?|quality\s+(?:problem|issue)s?|"
        r"missing\s+(?:parts|items|pieces)|warranty\s+claim|claim\s+for\s+(?:the\s+)?"
        r"(?:damage|shortage|defect)|(?:send|ship|need|request)\w*\s+(?:us\s+)?(?:\w+\s+)?"
        r"replacements?|(?:ask|request|demand|want)\w*\s+(?:a\s+)?refund)\b|"
        r"投诉|质量问题|破损(?!率)|损坏|坏了|不能用|售后问题|申请售后|少发|少货|缺件|"
        r"(?:要求|申请)退货|退货退款|保修索赔|"
        r"reclam\w+|defectuos\w*|da[ñn]ad[oa]s?|no\s+funciona|problema\s+de\s+calidad|"
        r"(?:hacer\s+(?:v[aá]lida|efectiva)|aplicar|acionar)\s+(?:la\s+|a\s+)?garant[ií]a|"
        r"(?:solicit|ped|quer|exig)\w*\s+(?:la\s+|una\s+)?devoluci[oó]n|"
        r"devolver\s+(?:la\s+mercanc[ií]a|los\s+productos|el\s+pedido)|"
        r"danificad|defeito|d[ée]fectueu|besch[äa]digt|Reklamation|Garantie(?:anspruch|fall)",
    ),
    (
        "after_sales.received",
        Stage.AFTER_SALES,
        "in",
        1.2,
        r"\b(?:received|got)\s+(?:the|your|our)\s+(?:goods|shipment|cargo|container|order)\b|"
        r"\bgoods\s+(?:have\s+)?arrived\b|已收到货|货已收到|收到货了|"
        r"(?:hemos\s+)?recibi(?:do|mos)\s+(?:la\s+)?mercanc[ií]a|la\s+mercanc[ií]a\s+lleg[oó]|"
        r"recebemos\s+a\s+mercadoria|Ware\s+erhalten",
    ),
    # "Good feedback from our customers" is as often said before a first order: a hint.
    (
        "after_sales.feedback",
        Stage.AFTER_SALES,
        "in",
        0.6,
        r"\bfeedback\s+(?:from|on)\s+(?:our\s+)?(?:customers?|market|users)\b",
    ),
    # closed lost: the buyer walks away.
    (
        "closed_lost.walked_away",
        Stage.CLOSED_LOST,
        "in",
        2.0,
        r"\b(?:decided|chosen|chose|going)\s+(?:to\s+go\s+)?(?:with|for)\s+another\s+"
        r"(?:supplier|vendor|manufacturer|factory)|\bplaced\s+(?:the|our)\s+order\s+with\s+"
        r"(?:another|a\s+different)|\b(?:we|we'?re|we\s+are)\s+no\s+longer\s+(?:interested|"
        r"need|require)|\b(?:we|we'?re|we\s+are)\s+not\s+interested\s+any\s?more|"
        r"\bproject\s+(?:has\s+been\s+|was\s+|is\s+)?(?:cancell?ed|on\s+hold\s+indefinitely)|"
        r"\b(?:cancel|cancelling|canceling)\s+(?:the|our|this)\s+(?:order|inquiry|project)\b|"
        r"不需要了|已经找到(?:其他|别的)供应商|项目取消|取消订单|"
        r"otro\s+proveedor|ya\s+no\s+(?:estamos\s+interesados|necesitamos|nos\s+interesa)|"
        r"proyecto\s+cancelado|cancelar\s+(?:el|nuestro)\s+pedido|outro\s+fornecedor|"
        r"autre\s+fournisseur|anderen\s+Lieferanten",
    ),
    # closed won: after delivery the buyer is satisfied / the balance is settled.
    (
        "closed_won.satisfied",
        Stage.CLOSED_WON,
        "in",
        1.0,
        r"\b(?:very\s+)?(?:satisfied|happy|pleased)\s+with\s+(?:the\s+)?(?:goods|quality|products?|"
        r"order|shipment)|\b(?:goods|products?|quality|shipment|items)\s+(?:are|is)\s+(?:all\s+)?"
        r"(?:fine|ok|good|perfect|excellent)\b|"
        r"很满意|质量很好|非常满意|"
        r"(?:muy\s+)?satisfechos?\s+con|(?:mercanc[ií]a|productos?|calidad)\s+(?:est[aá]n?\s+|es\s+|"
        r"son\s+)?(?:muy\s+)?(?:bien|perfect[oa]s?|excelentes?)\b|muito\s+satisfeit",
    ),
]
_COMPILED = [(rid, st, d, w, re.compile(rx, _I)) for rid, st, d, w, rx in _RULES]

#: Document numbers that point at a stage, by (kind, direction).
_REFERENCE_STAGE: dict[tuple[str, str], tuple[Stage, float]] = {
    ("quotation", "out"): (Stage.QUOTED, 1.0),
    ("rfq", "in"): (Stage.INQUIRY, 1.0),
    ("rfp", "in"): (Stage.INQUIRY, 1.0),
    ("sample", "in"): (Stage.SAMPLE, 1.0),
    ("sample", "out"): (Stage.SAMPLE, 1.0),
    ("po", "in"): (Stage.ORDER, 1.5),
    ("pi", "out"): (Stage.ORDER, 0.8),
    ("pi", "in"): (Stage.ORDER, 1.2),  # the buyer returns the (signed) proforma
    ("contract", "in"): (Stage.ORDER, 1.2),
    ("contract", "out"): (Stage.ORDER, 0.8),
    ("lc", "in"): (Stage.ORDER, 1.2),
    ("booking", "out"): (Stage.SHIPPED, 0.8),
    ("bl", "out"): (Stage.SHIPPED, 1.5),
    ("bl", "in"): (Stage.SHIPPED, 1.2),
    ("container", "out"): (Stage.SHIPPED, 1.2),
    ("container", "in"): (Stage.SHIPPED, 1.0),
}

#: Below this a stage signal is only a hint.
THRESHOLD = 1.0
#: A backwards move is proposed only on a signal this strong (and always flagged).
BACKWARDS_THRESHOLD = 1.5
#: Backwards moves that make business sense: re-quoting, re-negotiating, or losing the deal.
_BACKWARDS_ALLOWED = {Stage.QUOTED, Stage.NEGOTIATION, Stage.CLOSED_LOST}


def _new_text(text: str) -> str:
    parts = split_reply(text or "")
    return parts.new_text if parts.new_text.strip() else (text or "")


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 20) : end + 20].split())[:100]


def stage_signals(msg: DealMessage) -> list[StageSignal]:
    """Every stage ``msg`` points at, strongest first (weights summed per stage)."""
    direction = msg.direction if msg.direction in ("in", "out") else "in"
    text = f"{msg.subject}\n{_new_text(msg.text)}"
    per_stage: dict[Stage, list[Evidence]] = {}
    for rid, stage, wanted, weight, rx in _COMPILED:
        if wanted != "any" and wanted != direction:
            continue
        m = first_cue(rid, rx, text)
        if m:
            detail = f"{msg.id}: \u201c{_snippet(text, m.start(), m.end())}\u201d"
            per_stage.setdefault(stage, []).append(Evidence(f"stage.{rid}", weight, detail))
    for ref in extract_references(text, attachment_names=msg.attachment_names):
        hit = _REFERENCE_STAGE.get((ref.kind, direction))
        if hit:
            stage, weight = hit
            found = f"{ref.kind.upper()} {ref.value}"
            if direction == "in":
                detail = tr("%(id)s: %(reference)s (from buyer)", id=msg.id, reference=found)
            else:
                detail = tr("%(id)s: %(reference)s (sent)", id=msg.id, reference=found)
            per_stage.setdefault(stage, []).append(
                Evidence(f"stage.reference.{ref.kind}", weight, detail)
            )
    signals = [
        StageSignal(stage, round(sum(e.weight for e in ev), 3), msg.id, msg.sent_at, tuple(ev))
        for stage, ev in per_stage.items()
    ]
    signals.sort(key=lambda s: (-s.weight, -rank(s.stage)))
    return signals


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sorted(messages: Iterable[DealMessage]) -> list[DealMessage]:
    indexed = list(enumerate(messages))
    # Undated messages keep their place relative to each other, after dated ones of equal rank.
    indexed.sort(key=lambda p: (p[1].sent_at is None, p[1].sent_at or _EPOCH, p[0]))
    return [m for _, m in indexed]


def suggest_stage(
    messages: Sequence[DealMessage],
    current: Stage | str = Stage.COLD,
    *,
    since: datetime | None = None,
) -> StageSuggestion:
    """Propose a stage from ``messages`` given the user's ``current`` stage.

    The *frontier* is the furthest stage any message clearly points at (deals move forward;
    a buyer mentioning samples after paying the deposit does not undo the order). A closed-lost
    signal in the latest signalled message wins. When the frontier is not past ``current``
    the deal stays, unless the latest signalled message strongly points back to re-quoting,
    re-negotiating or losing the deal, which is proposed with ``backwards=True``.
    ``since``: ignore messages before this moment (e.g. when the user last set the stage).
    """
    current = Stage(current)
    msgs = [
        m for m in _sorted(messages) if since is None or m.sent_at is None or m.sent_at >= since
    ]
    clear: list[StageSignal] = []
    latest: StageSignal | None = None
    for msg in msgs:
        sigs = [s for s in stage_signals(msg) if s.weight >= THRESHOLD]
        if sigs:
            clear.extend(sigs)
            latest = max(sigs, key=lambda s: (s.weight, rank(s.stage)))
    if not clear or latest is None:
        return StageSuggestion(
            current, current, False, evidence=[Evidence("stage.no_signal", 0.0, tr("no stage cue"))]
        )

    if current.closed and not latest.stage.closed:
        # New business on a closed deal (a re-order inquiry, a complaint after the deal was
        # won): proposing to reopen it is a move backwards, so it is flagged.
        ev = list(latest.evidence)
        ev.append(
            Evidence(
                "stage.reopen",
                -1.0,
                tr(
                    "deal is %(current)s; latest message points to %(latest)s: reopen, or start"
                    " a new deal?",
                    current=tr(current.label),
                    latest=tr(latest.stage.label),
                ),
            )
        )
        return StageSuggestion(latest.stage, current, True, True, latest.message_id, ev)

    if (
        latest.stage in _BACKWARDS_ALLOWED
        and latest.stage is not Stage.CLOSED_LOST
        and latest.weight >= BACKWARDS_THRESHOLD
        and rank(latest.stage) < rank(current)
        and not current.closed
    ):
        # The newest clear cue points back (a cancelled order re-quoted, terms reopened):
        # propose it, flagged, never applied silently.
        ev = list(latest.evidence)
        ev.append(
            Evidence(
                "stage.backwards",
                -1.0,
                tr(
                    "backwards: %(current)s -> %(latest)s; confirm before changing",
                    current=tr(current.label),
                    latest=tr(latest.stage.label),
                ),
            )
        )
        return StageSuggestion(latest.stage, current, True, True, latest.message_id, ev)

    if latest.stage is Stage.CLOSED_LOST:
        chosen = latest
    else:
        # The furthest stage; ties on rank go to the latest message.
        open_signals = [s for s in clear if s.stage is not Stage.CLOSED_LOST]
        chosen = max(reversed(open_signals), key=lambda s: rank(s.stage), default=latest)
        if (
            chosen.stage is Stage.CLOSED_WON
            and not any(
                rank(s.stage) >= rank(Stage.SHIPPED) and s.stage is not Stage.CLOSED_WON
                for s in clear
            )
            and rank(current) < rank(Stage.SHIPPED)
        ):
            # "Everything is fine" before delivery is small talk, not a won deal.
            rest = [s for s in clear if not s.stage.closed]
            if not rest:
                return StageSuggestion(
                    current,
                    current,
                    False,
                    evidence=[Evidence("stage.no_signal", 0.0, tr("satisfaction before delivery"))],
                )
            chosen = max(rest, key=lambda s: rank(s.stage))

    ev = list(chosen.evidence)
    if chosen.stage is current:
        confirmed = tr("messages confirm %(stage)s", stage=tr(current.label))
        ev.append(Evidence("stage.confirmed", 0.0, confirmed))
        return StageSuggestion(current, current, False, False, chosen.message_id, ev)
    if chosen.stage is Stage.CLOSED_LOST or rank(chosen.stage) > rank(current):
        forward = tr(
            "%(current)s -> %(next)s", current=tr(current.label), next=tr(chosen.stage.label)
        )
        ev.append(Evidence("stage.forward", 1.0, forward))
        return StageSuggestion(chosen.stage, current, True, False, chosen.message_id, ev)

    ev.append(
        Evidence(
            "stage.kept",
            0.0,
            tr(
                "latest cues point to %(latest)s, behind %(current)s: stage kept",
                latest=tr(chosen.stage.label),
                current=tr(current.label),
            ),
        )
    )
    return StageSuggestion(current, current, False, False, chosen.message_id, ev)
