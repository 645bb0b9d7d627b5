"""Subject lines: build "<topic> - <our company> - <reference>", flag vague ones, refresh stale ones.

A buyer scanning fifty supplier mails decides from the subject. A good one names the
topic, who writes and the buyer's own reference (PO#, RFQ#, PI No.) so it can be found
later. "Hello", "Price", "Inquiry" say nothing and look like spam. After two unanswered
follow-ups under the same subject, the thread is sinking in the buyer's inbox; a fresh
subject with a new angle gets a second look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradeinbox.core.i18n import tr

_REF_LABELS = {
    "po": "PO#",
    "rfq": "RFQ#",
    "pi": "PI No.",
    "quote": "Quote No.",
    "inquiry": "Inquiry",
    "invoice": "Invoice No.",
    "order": "Order No.",
}
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|rv|r|fw|fwd|tr|wg|enc|rif|odp|antw|回复|答复|转发|回覆|轉寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(?:PO|RFQ|PI|P/?I|Quote|Quotation|Inquiry|Invoice|Order)\s*(?:No\.?|#|number|n\.?º)?\s*[:#]?\s*[\w/-]*\d[\w/-]*",
    re.IGNORECASE,
)

# Subjects that say nothing, after prefixes, punctuation and case are removed.
VAGUE_WORDS = {
    "en": {
        "hello", "hi", "hey", "dear", "sir", "madam", "friend", "good", "day", "morning",
        "greetings", "price", "prices", "pricing", "inquiry", "enquiry", "question", "questions",
        "urgent", "important", "info", "information", "request", "help", "quote", "quotation",
        "offer", "follow", "up", "followup", "checking", "in", "update", "news", "hello!", "there",
        "attention", "attn", "please", "reply", "thanks", "thank", "you", "no", "subject", "test",
        "contact", "mail", "email", "message", "re", "fw", "fwd", "asap", "very", "new", "products",
    },
    "es": {
        "hola", "buenos", "días", "dias", "buenas", "tardes", "saludos", "estimado", "estimada",
        "precio", "precios", "consulta", "pregunta", "urgente", "importante", "información",
        "informacion", "solicitud", "cotización", "cotizacion", "oferta", "ayuda", "sin", "asunto",
        "gracias", "seguimiento",
    },
    "zh": {
        "你好", "您好", "询价", "询盘", "报价", "价格", "问题", "紧急", "急", "重要", "咨询", "请回复",
        "无主题", "跟进", "消息", "信息", "打扰了", "hello", "hi",
    },
}  # fmt: skip
_ALL_VAGUE = set().union(*VAGUE_WORDS.values())
_TOKENS = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SubjectCheck:
    """``problem``: "" (fine), "empty" or "vague"; ``suggestion`` a better subject when one can be made."""

    problem: str
    message: str
    suggestion: str = ""


def strip_prefixes(subject: str) -> str:
    """The subject without "Re:", "Fwd:", "回复：" ... prefixes (RFC 5322 section 3.6.5)."""
    return _PREFIX.sub("", subject or "").strip()


def build_subject(topic: str, our_company: str, reference: str = "", kind: str = "") -> str:
    """ "<topic> - <our company> - <reference>", e.g. "Quotation for LED panels - Sunrise - RFQ# 4471".

    ``kind`` ("po", "rfq", "pi", "quote", "inquiry", "invoice", "order") adds the customary
    label unless ``reference`` already carries one.
    """
    parts = [" ".join(topic.split()), " ".join(our_company.split())]
    ref = reference.strip()
    if ref:
        label = _REF_LABELS.get(kind.lower(), "")
        if label and not ref.upper().startswith(label.rstrip("#. ").upper()):
            ref = f"{label} {ref}" if label.endswith(".") or label == "Inquiry" else f"{label}{ref}"
        parts.append(ref)
    return " - ".join(part for part in parts if part)


def is_vague(subject: str) -> bool:
    """True when every word of the subject (prefixes removed) is a filler word."""
    core = strip_prefixes(subject)
    tokens = [t.lower() for t in _TOKENS.findall(core)]
    if not tokens:
        return False
    if len(tokens) > 4:
        return False
    # Chinese has no spaces: treat the whole run as one token and also test the pieces.
    for token in tokens:
        if token in _ALL_VAGUE:
            continue
        if re.fullmatch(r"[\u4e00-\u9fff]+", token):
            rest = token
            for word in sorted(VAGUE_WORDS["zh"], key=len, reverse=True):
                rest = rest.replace(word, "")
            if not rest:
                continue
        return False
    return True


def check_subject(
    subject: str, topic: str = "", our_company: str = "", reference: str = ""
) -> SubjectCheck:
    """Is the subject empty or vague? Suggest "<topic> - <company> - <ref>" when the parts are known."""
    suggestion = build_subject(topic, our_company, reference) if topic else ""
    if not (subject or "").strip() or not strip_prefixes(subject):
        return SubjectCheck("empty", tr("The subject is empty."), suggestion)
    if is_vague(subject):
        return SubjectCheck(
            "vague",
            tr(
                "The subject %(subject)r says nothing about the content.",
                subject=strip_prefixes(subject),
            ),
            suggestion,
        )
    return SubjectCheck("", "", "")


def topic_of(subject: str, our_company: str = "") -> str:
    """The topic of a subject: prefixes, references and our company name removed."""
    text = strip_prefixes(subject)
    text = _REFERENCE.sub("", text)
    if our_company:
        text = re.sub(re.escape(our_company), "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s*[-–|/]\s*(?=[-–|/]|$)", "", text)
    return " ".join(text.strip(" -–|/:").split())


_FRESH = {
    "en": [
        "Quick question about {topic} - {company}",
        "{topic}: a new option for {buyer}",
        "Should I close the {topic} file? - {company}",
    ],
    "es": [
        "Una pregunta rápida sobre {topic} - {company}",
        "{topic}: una nueva opción para {buyer}",
        "¿Cierro el expediente de {topic}? - {company}",
    ],
    "zh": [
        "关于{topic}的一个小问题 - {company}",
        "{topic}：为{buyer}提供的新方案",
        "{topic}项目是否暂缓？ - {company}",
    ],
}


def suggest_fresh_subject(
    subject: str,
    unanswered_followups: int,
    our_company: str = "",
    buyer_company: str = "",
    language: str = "en",
) -> str | None:
    """A new subject from the second unanswered follow-up on; None before that.

    Each further follow-up gets a different angle (a quick question, a new option, and
    finally the polite "should I close the file?" that often prompts an answer).
    """
    if unanswered_followups < 2:
        return None
    patterns = _FRESH.get(language, _FRESH["en"])
    pattern = patterns[min(unanswered_followups - 2, len(patterns) - 1)]
    topic = topic_of(subject, our_company) or {"zh": "贵司询盘", "es": "su consulta"}.get(
        language, "your inquiry"
    )
    buyer = buyer_company or {"zh": "贵司", "es": "su empresa"}.get(language, "you")
    result = pattern.format(topic=topic, company=our_company, buyer=buyer)
    return re.sub(r"\s*-\s*$", "", result).strip()
