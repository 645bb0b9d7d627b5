"""Signatures: build one, check one, and find the sign-off in a draft.

An export buyer reads a signature to decide whether the seller is a real company: full
legal name, the person's job title, a phone number a foreigner can dial (international
code, E.164 per ITU-T E.164), a website and a LinkedIn profile. The sender display name
"Name @ Company" puts the company in the inbox list before the mail is even opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from tradeinbox.core.writing.context import SenderInfo

_LABELS = {
    "en": {"tel": "Tel", "mobile": "Mobile/WhatsApp", "web": "Web", "email": "Email"},
    "es": {"tel": "Tel.", "mobile": "Móvil/WhatsApp", "web": "Web", "email": "Correo"},
    "zh": {"tel": "电话", "mobile": "手机/WhatsApp", "web": "网站", "email": "邮箱"},
}
_CLOSINGS = {"en": "Best regards,", "es": "Saludos cordiales,", "zh": "此致\n敬礼！"}


def format_phone(number: str, region: str = "") -> str:
    """``number`` in international format ("+86 574 8765 4321"); unchanged if it cannot be parsed."""
    try:
        parsed = phonenumbers.parse(number, region or None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def display_name(sender: SenderInfo) -> str:
    """The From display name: "Lily Chen @ Ningbo Sunrise" (or just the name / company)."""
    name = sender.full_name
    company = sender.company.name
    if name and company:
        return f"{name} @ {company}"
    return name or company


def build_signature(sender: SenderInfo, language: str = "en") -> str:
    """A plain-text signature block (without the closing phrase); "" if nothing is known."""
    labels = dict(_LABELS.get(language, _LABELS["en"]))
    colon = "：" if language == "zh" else ": "
    region = sender.company.country
    lines: list[str] = []
    if sender.full_name:
        lines.append(sender.full_name)
    if sender.job_title:
        lines.append(sender.job_title)
    if sender.company.full_name:
        lines.append(sender.company.full_name)
    if sender.phone:
        lines.append(f"{labels['tel']}{colon}{format_phone(sender.phone, region)}")
    mobile = sender.whatsapp or sender.mobile
    if mobile:
        lines.append(f"{labels['mobile']}{colon}{format_phone(mobile, region)}")
    if sender.email:
        lines.append(f"{labels['email']}{colon}{sender.email}")
    website = sender.website or sender.company.website
    if website:
        lines.append(f"{labels['web']}{colon}{website}")
    if sender.linkedin:
        lines.append(f"LinkedIn{colon}{sender.linkedin}")
    return "\n".join(lines)


def closing(language: str = "en") -> str:
    """The closing phrase before the signature ("Best regards," / "Saludos cordiales,")."""
    return _CLOSINGS.get(language, _CLOSINGS["en"])


@dataclass(frozen=True, slots=True)
class SignatureProblem:
    """One missing or weak element of a signature: ``field`` and a human ``message``."""

    field: str
    message: str


_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|cn|co|io|biz|info|es|de|uk)(?:/[^\s]*)?\b",
    re.I,
)
_LINKEDIN = re.compile(r"linkedin\.com/", re.I)
_COMPANY_WORD = re.compile(
    r"\b(?:co\.?,?\s*ltd|ltd|limited|inc|corp(?:oration)?|llc|gmbh|s\.?a\.?|s\.?l\.?|s\.?r\.?l|"
    r"b\.?v|pte|pty|plc|ag|company|group|industr\w*|trading|manufactur\w*|enterprises?)\b"
    r"|有限公司|公司|集团|工厂|厂",
    re.I,
)
_JOB_WORD = re.compile(
    r"\b(?:manager|director|sales|engineer|president|ceo|cfo|coo|owner|founder|head|officer|"
    r"specialist|representative|executive|assistant|coordinator|buyer|purchas\w*|consultant|"
    r"analyst|vp|gerente|director[a]?|jef[ea]|comercial|ventas|ejecutiv[oa])\b|经理|总监|销售|主管|总经理|业务",
    re.I,
)
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(\+|00)?\s?\(?\d[\d\s().-]{6,18}\d")


def check_signature(block: str, sender: SenderInfo | None = None) -> list[SignatureProblem]:
    """What a signature block lacks: name, job title, company, dialable phone, website, LinkedIn."""
    problems: list[SignatureProblem] = []
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    text = "\n".join(lines)
    name = sender.full_name if sender else ""
    if name and name.lower() not in text.lower():
        problems.append(SignatureProblem("name", f"Add your name ({name})."))
    elif not name and not lines:
        problems.append(SignatureProblem("name", "Add your name."))
    if not _JOB_WORD.search(text) and not (
        sender and sender.job_title and sender.job_title in text
    ):
        problems.append(SignatureProblem("job_title", "Add your job title."))
    company = sender.company.full_name if sender else ""
    if company and company.lower() not in text.lower():
        problems.append(SignatureProblem("company", f"Write the full company name ({company})."))
    elif not company and not _COMPANY_WORD.search(text):
        problems.append(SignatureProblem("company", "Add the full company name."))
    phones = [m.group(0) for m in _PHONE_CANDIDATE.finditer(text)]
    if not phones:
        problems.append(SignatureProblem("phone", "Add a phone number with the country code."))
    elif not any(p.lstrip().startswith(("+", "00")) for p in phones):
        problems.append(
            SignatureProblem(
                "phone", f"Write {phones[0].strip()} with the international code (e.g. +86 ...)."
            )
        )
    urls = [m.group(0) for m in _URL.finditer(text) if "@" not in m.group(0)]
    if not any(not _LINKEDIN.search(u) for u in urls):
        problems.append(SignatureProblem("website", "Add the company website."))
    if not _LINKEDIN.search(text):
        problems.append(
            SignatureProblem(
                "linkedin",
                "Add a LinkedIn profile link.",
            )
        )
    return problems


# Closing phrases that end the message text proper and start the sign-off.
SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest|many\s+thanks\s+and)?\s*regards|best|cheers|thanks|thank\s+you|"
    r"many\s+thanks|thanks\s+again|thanks\s+in\s+advance|sincerely|yours\s+(?:sincerely|faithfully|truly)|"
    r"respectfully|all\s+the\s+best|best\s+wishes|take\s+care|talk\s+soon|rgds|brgds|br|"
    r"saludos(?:\s+cordiales)?|un\s+saludo|atentamente|cordialmente|gracias|muchas\s+gracias|"
    r"mit\s+freundlichen\s+grüßen|viele\s+grüße|beste\s+grüße|gruß|grüße|mfg|"
    r"cordialement|bien\s+à\s+vous|salutations|merci|"
    r"cordiali\s+saluti|distinti\s+saluti|saluti|grazie|atenciosamente|abraços|obrigad[oa]|"
    r"met\s+vriendelijke\s+groet|с\s+уважением|"
    r"此致|敬礼|祝好|顺祝商祺|祝商祺|谢谢|多谢|期待您的回复|盼复|顺颂商祺)\b[\s,.!！。，-]*",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^(?:-- ?|__+|—+)$")


_NAME_LINE = re.compile(r"^(?:[A-Z][\w'’.-]*|[A-Z]\.?)(?:\s+(?:[A-Z][\w'’.-]*|[A-Z]\.?)){0,2}$")
_CONTACT = re.compile(
    r"(?:\+?\d[\d ().-]{7,}\d)|[\w.+-]+@[\w-]+\.[\w.-]+|(?:https?://|www\.)\S+"
    r"|\b(?:tel|phone|fax|mobile|cell|móvil|电话|手机)\b",
    re.IGNORECASE,
)
_CJK_NAME_LINE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def find_signature(text: str, sender_names: list[str] | None = None) -> tuple[int, int] | None:
    """The span of the sign-off: a closing phrase, a "-- " separator (RFC 3676 section 4.3),
    the sender's name or a bare name line at the end, or a name followed by contact lines.

    Looks only at the last 12 non-empty lines of the author's own text.
    """
    lines = text.splitlines(keepends=True)
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    non_empty = [i for i, line in enumerate(lines) if line.strip()]
    if not non_empty:
        return None
    end = len(text.rstrip())
    tail = non_empty[-12:]
    names = [n.lower() for n in (sender_names or []) if n and len(n) >= 2]
    for i in tail:
        stripped = lines[i].strip()
        if _SEPARATOR.match(stripped) or (SIGN_OFF.match(stripped) and len(stripped) <= 40):
            return (offsets[i], end)
    # A name line followed by contact lines (phone, e-mail, web): a signature block.
    for k, i in enumerate(tail):
        stripped = lines[i].strip()
        if (_NAME_LINE.match(stripped) or _CJK_NAME_LINE.match(stripped)) and len(stripped) <= 40:
            following = [lines[j] for j in tail[k + 1 : k + 7]]
            if following and any(_CONTACT.search(line) for line in following):
                return (offsets[i], end)
    last_index = non_empty[-1]
    last = lines[last_index].strip()
    lowered = last.lower().strip(" -.,")
    if names and len(last) <= 60:
        for n in names:
            if (
                lowered == n
                or lowered.startswith(n + " ")
                or re.search(rf"(?:^|[\s.!-]){re.escape(n)}$", lowered)
            ):
                start = offsets[last_index]
                if lowered != n and not lowered.startswith(n):
                    start += lines[last_index].lower().rfind(n)
                return (start, end)
    # The sender's name alone on a line near the end, under it only short lines such as an
    # extension or a department ("Zakiyyah" / "xt 58146"): a signature too.
    for k, i in enumerate(tail[-4:-1]):
        if lines[i].strip().lower().strip(" -.,") in names:
            after = [lines[j].strip() for j in tail[-4:][k + 1 :]]
            if all(len(line) <= 40 for line in after):
                return (offsets[i], end)
    # A bare short name or initials on its own line after a blank line or a full sentence.
    if (_NAME_LINE.match(last) or _CJK_NAME_LINE.match(last)) and len(last) <= 30:
        previous = lines[last_index - 1].strip() if last_index > 0 else ""
        if not previous or previous.endswith((".", "!", "?", "。", "！", "？", ",")):
            return (offsets[last_index], end)
    return None
