"""Find the signature block at the end of a message and read contact details from it.

Input is the author's new text (after :func:`tradeinbox.core.quotes.split_reply`).
The signature is searched bottom-up, in the way people write them:

* an explicit delimiter: "-- " on its own line (RFC 3676 section 4.3) or a rule of
  dashes/underscores/em-dashes,
* a closing formula ("Best regards,", "Thanks,", "Saludos", "Mit freundlichen Grüßen",
  "此致敬礼", "С уважением" ...) followed by the name and contact lines,
* otherwise a run of short lines that look like a signature: the sender's name, a job
  title, a company, phone numbers, e-mail addresses, web sites, postal addresses,
* a mail client footer ("Sent from my iPhone") is always part of the block.

Every decision records :class:`~tradeinbox.core.evidence.Evidence`.

:func:`extract_contact_fields` then reads name, title, company, phones (E.164 via
``phonenumbers``, with the kind taken from labels such as "Mob", "Fax", "WhatsApp",
"微信", "手机") and messenger handles from the block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import Address
from tradeinbox.core.quotes import MOBILE_FOOTER_RE

__all__ = [
    "SignatureBlock",
    "Phone",
    "SignatureFields",
    "find_signature",
    "extract_contact_fields",
]

MAX_SIGNATURE_LINES = 14  # non-blank lines; longer blocks are letters, not signatures


@dataclass(slots=True)
class SignatureBlock:
    """Lines ``start_line``..``end_line`` (0-based, inclusive) of the text given."""

    start_line: int
    end_line: int
    lines: list[str]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number. ``e164`` is None when no region was known for a national number."""

    e164: str | None
    country: str | None  # ISO 3166-1 alpha-2 region code
    kind: str  # "phone", "mobile", "fax", "whatsapp", "wechat"
    raw: str


@dataclass(slots=True)
class SignatureFields:
    name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: list[Phone] = field(default_factory=list)
    website: str | None = None
    linkedin: str | None = None
    whatsapp: str | None = None
    wechat: str | None = None
    skype: str | None = None
    telegram: str | None = None
    address: str | None = None
    emails: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


# --- line patterns ---------------------------------------------------------------------------

_DELIMITER_RE = re.compile(r"^\s*(?:--\s?|-{3,}|_{3,}|—+|–+|={3,}|\*{3,})\s*$")
_CLOSINGS = (
    r"best(?: wishes| regards)?|kind(?:est)? regards|warm(?:est)? regards|regards|rgds|br"
    r"|many thanks|thanks(?: a lot| again| so much| and regards| & regards| in advance)?"
    r"|thank you(?: very much| so much)?|thx|cheers|sincerely(?: yours)?|yours(?: sincerely"
    r"| truly| faithfully)?|respectfully|cordially|take care|all the best|with thanks"
    r"|with best regards|best rgds|love|talk soon|your pal|ciao|saludos(?: cordiales)?"
    r"|un saludo|atentamente|cordialmente|muchas gracias|gracias|abrazos|atenciosamente"
    r"|obrigad[oa]|mit freundlichen grüßen|mit freundlichen gruessen|freundliche grüße"
    r"|viele grüße|beste grüße|liebe grüße|gruß|grüße|mfg|lg|vg|danke|cordialement"
    r"|bien cordialement|bien à vous|salutations|merci(?: beaucoup)?|amicalement"
    r"|distinti saluti|cordiali saluti|saluti|grazie|met vriendelijke groet(?:en)?"
    r"|groeten|vriendelijke groet|med vänliga hälsningar|vänliga hälsningar|hälsningar"
    r"|med venlig hilsen|venlig hilsen|mvh|ystävällisin terveisin|terveisin"
    r"|с уважением|спасибо|всего доброго|z poważaniem|pozdrawiam|s pozdravem"
    r"|saygılarımla|此致敬礼|此致|敬礼|谢谢|謝謝|祝好|顺祝商祺|顺颂商祺|祝商祺|感谢|多谢"
    r"|よろしくお願いします|よろしくお願いいたします|宜しくお願いします|감사합니다"
    r"|trân trọng|salam|terima kasih|best\.|regards\."
)
# The closing alone, or followed by a short name ("Thanks. BT", "Your pal, Craig.").
_CLOSING_RE = re.compile(
    rf"^\s*[-–—]*\s*(?:{_CLOSINGS})\s*[,.!:;，。！]*\s*(?P<rest>[^\W\d_][\w.'\- ]{{0,30}})?\s*$",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(r"(?:\+|\(?\b)\d[\d\s().\-/]{5,}\d")
_EXT_RE = re.compile(r"^\s*(?:x|ext\.?)\s?\d{3,6}\s*$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+|\b[\w-]+\.(?:com|net|org|io|co|cn)\b/?")
_LABEL_RE = re.compile(
    r"^\s*(?:tel|tél|phone|ph|fon|fono|teléfono|telefono|telefone|telefon|mob|mobile|cell"
    r"|cellular|móvil|movil|celular|handy|fax|direct|office|main|whatsapp|wechat|skype"
    r"|telegram|email|e-mail|mail|web|website|url|linkedin|address|addr|m|t|f|p|d|e|w"
    r"|电话|電話|手机|手機|传真|傳真|微信|邮箱|郵箱|地址|网址|網址|qq)\s*[.:：]",
    re.IGNORECASE,
)
_TITLE_WORDS = re.compile(
    r"\b(?:manager|director|president|vice|vp|svp|evp|ceo|cfo|coo|cto|cio|founder|owner"
    r"|partner|engineer|analyst|assistant|associate|coordinator|specialist|officer"
    r"|consultant|representative|executive|administrator|admin|head of|lead|supervisor"
    r"|sales|marketing|purchasing|procurement|buyer|merchandiser|trader|account|accounts"
    r"|counsel|attorney|secretary|developer|designer|architect|advisor|adviser|agent"
    r"|chairman|principal|intern|human resources|desk|department|dept|team|division"
    r"|gerente|director[a]?|jefe|ventas|compras|geschäftsführer|leiter|vertrieb|einkauf"
    r"|directeur|responsable|commercial|经理|總經理|总经理|主管|销售|采购|业务|董事|总监)\b",
    re.IGNORECASE,
)
_COMPANY_RE = re.compile(
    r"\b(?:inc|llc|l\.l\.c|ltd|limited|corp|corporation|company|co\.|plc|gmbh|ag|s\.?a\.?"
    r"|s\.?l\.?|s\.?r\.?l|s\.?p\.?a|b\.?v\.?|n\.?v\.?|oy|ab|as|a/s|pty|pvt|group|holdings"
    r"|industries|industrial|trading|import|export|manufacturing|technologies|technology"
    r"|solutions|services|international|enterprises|ltda|sarl|sas|kg|kft|s\.?a\.?c"
    r"|有限公司|公司|集团|株式会社)\b|(?:有限公司|公司|集团|株式会社)",
    re.IGNORECASE,
)
_ADDRESS_RE = re.compile(
    r"\d+\s+\w+.*\b(?:street|st\.?|avenue|ave\.?|road|rd\.?|boulevard|blvd\.?|broadway|drive"
    r"|dr\.?|lane|ln\.?|way|suite|ste\.?|floor|fl\.?|plaza|parkway|pkwy|highway|hwy|calle"
    r"|avenida|rua|strasse|straße|str\.?|via|rue|building|bldg|room|district|zone)\b"
    r"|\b[A-Z][a-z]+,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b|\b\d{5}\s+[A-Z][a-z]+"
    r"|(?:省|市|区|區|路|号|號|街|镇|鎮)\d*",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
# Short lines that are common words, not names ("Enjoy", "Happy New Year").
_COMMON_SHORT = {
    "hi", "hello", "dear", "yes", "no", "ok", "okay", "sure", "great", "fine", "please",
    "enjoy", "happy", "new", "year", "merry", "christmas", "welcome", "congratulations",
    "note", "attached", "attachment", "see", "below", "above", "fyi", "urgent", "agenda",
    "update", "done", "thanks", "thank", "you", "the", "and", "for", "all", "regards",
}  # fmt: skip


@lru_cache(maxsize=1)
def _frequency():
    """English word frequencies (pyspellchecker), to tell names from everyday words."""
    try:
        from spellchecker import SpellChecker
    except ImportError:  # optional: without it only the small built-in list is used
        return None
    return SpellChecker()


def _is_common_word(word: str) -> bool:
    low = word.lower().strip(".,'’-")
    if low in _COMMON_SHORT:
        return True
    checker = _frequency()
    if checker is None or not low.isascii():
        return False
    return checker.word_usage_frequency(low) > 5e-5


def _sender_tokens(sender: Address | None) -> set[str]:
    if sender is None:
        return set()
    parts = re.split(r"[\s,.\"'()<>_@+-]+", f"{sender.name} {sender.local_part}")
    return {p.lower() for p in parts if len(p) >= 2 and not p.isdigit()}


@dataclass(slots=True)
class _LineInfo:
    kinds: set[str]

    @property
    def strong(self) -> bool:
        return bool(self.kinds & {"contact", "title", "company", "address", "sender", "footer"})

    @property
    def sig_like(self) -> bool:
        return bool(self.kinds - {"prose"}) and "prose" not in self.kinds


_FILENAME_RE = re.compile(
    r"^\s*-?\s*[\w .()-]+\.(?:jpe?g|png|gif|pdf|docx?|xlsx?|pptx?|mpe?g|zip|txt)\s*$", re.I
)
_PS_RE = re.compile(r"^\s*p\.?\s?(?:p\.?\s?)?s\b", re.IGNORECASE)


def _is_sentence(s: str) -> bool:
    """Prose even though it holds a number or link: "Call me at 713-302-6442."."""
    rest = _EMAIL_RE.sub(" ", _URL_RE.sub(" ", _PHONE_RE.sub(" ", s)))
    words = _WORD_RE.findall(rest)
    lower = [w for w in words if w[:1].islower()]
    if len(words) > 6 and len(lower) >= 3:
        return True
    return len(lower) >= 2 and len(words) >= 4 and s.rstrip().endswith((".", "!", "?"))


def _classify(line: str, tokens: set[str]) -> _LineInfo:
    s = line.strip()
    kinds: set[str] = set()
    words = _WORD_RE.findall(s)
    if MOBILE_FOOTER_RE.match(s):
        kinds.add("footer")
        return _LineInfo(kinds)
    # Tables, attachment lists and postscripts end messages too, but are not signatures.
    table = "\t" in s and not _LABEL_RE.match(s)
    if table or _FILENAME_RE.match(s) or _PS_RE.match(s) or _is_sentence(s):
        return _LineInfo({"prose"})
    if _PHONE_RE.search(s) and sum(c.isdigit() for c in s) >= 7 or _EXT_RE.match(s):
        kinds.add("contact")
    if _EMAIL_RE.search(s) or _URL_RE.search(s) or _LABEL_RE.match(s):
        kinds.add("contact")
    if tokens and any(w.lower().strip(".'’-") in tokens for w in words):
        kinds.add("sender")
    # "Join the Analyst pool." is a sentence; "Sales Manager" and "Acme Co." are not.
    sentence_end = s.endswith((".", "!", "?")) and not re.search(
        r"\b(?:inc|co|corp|ltd|llc|jr|sr|s\.a|s\.l)\.$", s, re.IGNORECASE
    )
    if len(words) <= 8 and not sentence_end and _TITLE_WORDS.search(s):
        kinds.add("title")
    if len(words) <= 8 and not sentence_end and _COMPANY_RE.search(s):
        kinds.add("company")
    if len(s) <= 80 and _ADDRESS_RE.search(s):
        kinds.add("address")
    # A name: one to four capitalised words (or initials), no sentence punctuation.
    core = s.strip("-–—*|~ ").rstrip(".,")
    cwords = core.split()
    if (
        1 <= len(cwords) <= 4
        and len(core) <= 40
        and not re.search(r"[?!:;\\/]", core)
        and all(w[:1].isupper() or not w[:1].isalpha() for w in cwords)
        and any(w[:1].isalpha() for w in cwords)
        and not all(_is_common_word(w) for w in cwords if w[:1].isalpha())
    ):
        kinds.add("name")
    elif (
        1 <= len(words) <= 3
        and len(s) <= 25
        and not s.endswith((".", "?", "!", ":"))
        and not any(w[:1].isupper() for w in words)
        and not all(_is_common_word(w) for w in words)
    ):
        kinds.add("name")  # lower-case nicknames and initials ("bt", "rick", "glen")
    if not kinds - {"sender"}:
        if len(words) > 6 or s.endswith(("?", ":")) or not words:
            kinds.add("prose")
        elif s[:1].islower() or s.endswith((".", "!")):
            kinds.add("prose")
    elif len(words) > 10 and "contact" not in kinds:
        kinds.add("prose")
    return _LineInfo(kinds)


def find_signature(text: str, sender: Address | None = None) -> SignatureBlock | None:
    """The signature block at the end of ``text``, or None when there is none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0:
        return None
    tokens = _sender_tokens(sender)
    first_body = next(i for i, line in enumerate(lines) if line.strip())
    evidence: list[Evidence] = []

    # 1. Explicit delimiter among the last lines: everything below it is the signature.
    nonblank = [i for i in range(first_body, end + 1) if lines[i].strip()]
    start: int | None = None
    for i in reversed(nonblank[-MAX_SIGNATURE_LINES:]):
        if _DELIMITER_RE.match(lines[i]) and i > first_body and i < end:
            below = [_classify(lines[j], tokens) for j in range(i + 1, end + 1) if lines[j].strip()]
            prose = sum("prose" in b.kinds for b in below)
            if len(below) > MAX_SIGNATURE_LINES or prose > max(1, len(below) // 4):
                break  # a rule above a newsletter footer or a table, not a signature
            start = i
            evidence.append(Evidence("signature.delimiter", 1.0, f"line {i + 1}: {lines[i]!r}"))
            break

    # 2. Otherwise walk up from the bottom over signature-looking lines.
    closing_at: int | None = None
    if start is None:
        accepted: list[int] = []
        blank_seen = False
        i = end
        while i >= first_body and len(accepted) < MAX_SIGNATURE_LINES:
            line = lines[i]
            if not line.strip():
                blank_seen = True
                i -= 1
                continue
            m = _CLOSING_RE.match(line)
            if m and (accepted or m.group("rest")):
                closing_at = i
                accepted.append(i)
                break
            info = _classify(line, tokens)
            if not info.sig_like:
                break
            # Above a blank line only lines that carry contact-like facts continue the
            # block; a lone capitalised phrase there is more likely the message.
            if (
                blank_seen
                and accepted
                and not info.strong
                and not _group_is_strong(lines, i, tokens)
            ):
                break
            accepted.append(i)
            i -= 1
        if accepted and i == first_body - 1 and closing_at is None:
            accepted = []  # the whole message looked like a signature: it is a note
        if accepted:
            infos = {j: _classify(lines[j], tokens) for j in accepted if j != closing_at}
            strong = [j for j, inf in infos.items() if inf.strong]
            names = [j for j, inf in infos.items() if "name" in inf.kinds]
            if closing_at is not None:
                m = _CLOSING_RE.match(lines[closing_at])
                evidence.append(
                    Evidence("signature.closing", 1.0, f"line {closing_at + 1}: {m.group(0)!r}")
                )
                start = closing_at
            elif any("footer" in infos[j].kinds for j in strong):
                start = min(accepted)
                evidence.append(Evidence("signature.client_footer", 1.0, lines[max(accepted)]))
            elif (
                names
                or any("sender" in infos[j].kinds for j in strong)
                or len(set().union(*(infos[j].kinds for j in strong)) - {"sender", "name"}) >= 2
            ):
                start = min(accepted)
                if strong:
                    evidence.append(
                        Evidence(
                            "signature.contact_lines", 0.8, f"{len(strong)} contact-like lines"
                        )
                    )
                if names:
                    evidence.append(
                        Evidence("signature.name_line", 0.6, f"line {names[0] + 1}: name")
                    )
    if start is None:
        return None
    # Closing formula just above a delimiter or contact block also belongs to it.
    j = start - 1
    while j >= first_body and start - j <= 3:
        if lines[j].strip():
            kinds = _classify(lines[j], tokens).kinds
            if _CLOSING_RE.match(lines[j]) or (
                "name" in kinds
                and (_closing_above(lines, j) or ("sender" in kinds and j == start - 1))
            ):
                start = j
                evidence.append(Evidence("signature.closing", 0.8, f"line {j + 1}: {lines[j]!r}"))
            else:
                break
        j -= 1
    return SignatureBlock(start, end, lines[start : end + 1], evidence)


def _group_is_strong(lines: list[str], i: int, tokens: set[str]) -> bool:
    """Whether the paragraph around line ``i`` holds a contact, title or sender line."""
    lo = i
    while lo > 0 and lines[lo - 1].strip():
        lo -= 1
    hi = i
    while hi + 1 < len(lines) and lines[hi + 1].strip():
        hi += 1
    return any(_classify(lines[j], tokens).strong for j in range(lo, hi + 1))


def _closing_above(lines: list[str], j: int) -> bool:
    k = j - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    return k >= 0 and bool(_CLOSING_RE.match(lines[k]))


# --- contact fields ------------------------------------------------------------------------

_KIND_LABELS = (
    ("whatsapp", re.compile(r"whats\s?app|\bwa\b|wa\.me", re.IGNORECASE)),
    ("wechat", re.compile(r"we\s?chat|微信|weixin", re.IGNORECASE)),
    ("fax", re.compile(r"\bfax\b|传真|傳真|\bf\s*[.:：]", re.IGNORECASE)),
    (
        "mobile",
        re.compile(
            r"\bmob(?:ile)?\b|\bcell(?:ular)?\b|móvil|movil|celular|handy|手机|手機|移动"
            r"|\bm\s*[.:：]|\bhp\b|\bmb\b",
            re.IGNORECASE,
        ),
    ),
)
_HANDLE_RES = {
    "skype": re.compile(r"(?:skype\s*(?:id)?\s*[:：]\s*|skype:)([\w.,:-]+)", re.IGNORECASE),
    "wechat": re.compile(r"(?:we\s?chat|微信|weixin)\s*(?:id|号)?\s*[:：]?\s*([\w+\-]{3,})", re.I),
    "telegram": re.compile(
        r"(?:telegram\s*[:：]\s*@?|t\.me/|telegram\.me/)([A-Za-z0-9_]{3,})", re.IGNORECASE
    ),
}
_LINKEDIN_RE = re.compile(r"(?:https?://)?(?:[\w-]+\.)?linkedin\.com/[^\s<>()\"']+", re.I)


def _phone_kind(context: str) -> str:
    for kind, rx in _KIND_LABELS:
        if rx.search(context):
            return kind
    return "phone"


def _phones_in(line: str, default_region: str | None) -> list[tuple[str, Phone]]:
    found: list[tuple[str, Phone]] = []
    region = default_region.upper() if default_region else None
    seen_spans: list[tuple[int, int]] = []
    for match in phonenumbers.PhoneNumberMatcher(line, region or "ZZ", leniency=0):
        number = match.number
        region_code = phonenumbers.region_code_for_number(number)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        context = line[max(0, match.start - 25) : match.start]
        found.append(
            (match.raw_string, Phone(e164, region_code, _phone_kind(context), match.raw_string))
        )
        seen_spans.append((match.start, match.end))
    # National numbers with no region to resolve them are still worth showing.
    for m in _PHONE_RE.finditer(line):
        if any(a <= m.start() < b for a, b in seen_spans):
            continue
        digits = sum(c.isdigit() for c in m.group())
        if 7 <= digits <= 15 and not re.fullmatch(r"[\d\s]*\d{4}[-/.]\d{2}[-/.]\d{2}.*", m.group()):
            context = line[max(0, m.start() - 25) : m.start()]
            found.append((m.group(), Phone(None, None, _phone_kind(context), m.group().strip())))
    return found


def extract_contact_fields(
    signature_lines: list[str], default_region: str | None = None
) -> SignatureFields:
    """Read name, title, company, phones, links and handles from signature lines.

    ``default_region`` (ISO 3166 code, e.g. the sender's country) resolves national
    phone numbers written without "+"; without it such numbers get ``e164=None``.
    """
    out = SignatureFields()
    address_lines: list[str] = []
    for raw in signature_lines:
        line = raw.strip()
        if not line or _DELIMITER_RE.match(line) or MOBILE_FOOTER_RE.match(line):
            continue
        if _CLOSING_RE.match(line) and not _CLOSING_RE.match(line).group("rest"):
            continue
        is_contact = False
        for email in _EMAIL_RE.findall(line):
            if email.lower() not in out.emails:
                out.emails.append(email.lower())
                is_contact = True
        if m := _LINKEDIN_RE.search(line):
            out.linkedin = out.linkedin or m.group(0)
            is_contact = True
        for key, rx in _HANDLE_RES.items():
            if (m := rx.search(line)) and getattr(out, key) is None:
                setattr(out, key, m.group(1))
                out.evidence.append(Evidence(f"signature.field.{key}", 1.0, line))
                is_contact = True
        for _raw, phone in _phones_in(line, default_region):
            if phone.kind == "whatsapp" and out.whatsapp is None:
                out.whatsapp = phone.e164 or phone.raw
            if phone.kind == "wechat" and out.wechat is None:
                out.wechat = phone.e164 or phone.raw
            if all(p.raw != phone.raw for p in out.phones):
                out.phones.append(phone)
                out.evidence.append(
                    Evidence("signature.field.phone", 1.0, f"{phone.kind}: {phone.raw}")
                )
            is_contact = True
        if not out.website:
            for m in _URL_RE.finditer(line):
                url = m.group(0).rstrip(".,;")
                if "linkedin.com" in url or "@" in line[max(0, m.start() - 1) : m.start() + 1]:
                    continue
                if any(url.split("/")[0].lower().endswith(e.split("@")[1]) for e in out.emails):
                    out.website = url
                elif not _EMAIL_RE.search(line[m.start() - 40 : m.end()]):
                    out.website = url
                if out.website:
                    is_contact = True
                    break
        if is_contact or _LABEL_RE.match(line):
            continue
        if _ADDRESS_RE.search(line):
            address_lines.append(line)
            continue
        closing = _CLOSING_RE.match(line)
        candidate = closing.group("rest").strip() if closing else line
        info = _classify(candidate, set())
        if out.name is None and "name" in info.kinds and not info.kinds & {"title", "company"}:
            out.name = candidate.strip("-–—* ").rstrip(".,")
            out.evidence.append(Evidence("signature.field.name", 0.7, candidate))
        elif out.title is None and "title" in info.kinds:
            parts = re.split(r"\s*[|,–—]\s*|\s+-\s+", line, maxsplit=1)
            out.title = parts[0]
            if len(parts) > 1 and out.company is None and _COMPANY_RE.search(parts[1]):
                out.company = parts[1]
        elif out.company is None and "company" in info.kinds:
            out.company = line
    if address_lines:
        out.address = ", ".join(address_lines)
    return out
