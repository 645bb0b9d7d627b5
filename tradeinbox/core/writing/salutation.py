"""Salutations: write one ("Dear Ms. Okafor,") and find one in a draft.

The form depends on what is *known*, never on a guess:

1. a courtesy title (set by the user, or read from the person's own signature with
   :func:`title_from_text`) and a last name: "Dear Mr. Smith," / "Estimada Sra. García:" /
   "尊敬的王先生：";
2. otherwise a first name: "Dear Maria," / "Buenos días, Maria:" / "Maria，您好！";
3. otherwise the company: "Dear ACME Team," / "Estimado equipo de ACME:" / "尊敬的ACME团队：".

Gender is never inferred from a first name: "Maria" or "Andrea" gets no Ms./Mr. (names are
not a reliable signal across cultures, and a wrong guess costs more than a neutral form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradeinbox.core.writing.context import Company, Person

# Title keys the user may set and how each language writes them before a last name.
_TITLES: dict[str, dict[str, str]] = {
    "en": {"mr": "Mr.", "ms": "Ms.", "mrs": "Mrs.", "miss": "Ms.", "dr": "Dr.", "prof": "Prof."},
    "es": {"mr": "Sr.", "ms": "Sra.", "mrs": "Sra.", "miss": "Srta.", "dra": "Dra."},
    "zh": {"mr": "先生", "ms": "女士", "mrs": "女士", "miss": "女士", "dr": "博士", "prof": "教授"},
}
# Spanish adjectives agree with the title's gender; titles of unknown gender ("dr", "prof")
# fall back to the neutral first-name / company forms rather than picking one.
_ES_FEMININE = {"ms", "mrs", "miss", "dra"}


@dataclass(frozen=True, slots=True)
class Salutation:
    """A salutation and what it was based on (``"title"``, ``"first_name"``, ``"company"``,
    ``"generic"``), so the compose page can say why it chose this form."""

    text: str
    basis: str


def normalise_title(title: str) -> str:
    """Map what a user or a signature says ("Mrs", "Sra.", "先生") to a title key, or ""."""
    t = title.strip().lower().rstrip(".")
    table = {
        "mr": "mr", "mister": "mr", "sr": "mr", "señor": "mr", "senor": "mr", "先生": "mr",
        "ms": "ms", "sra": "ms", "señora": "ms", "senora": "ms", "女士": "ms",
        "mrs": "mrs", "miss": "miss", "srta": "miss", "señorita": "miss", "小姐": "miss",
        "dr": "dr", "doctor": "dr", "博士": "dr", "dra": "dra", "doctora": "dra",
        "prof": "prof", "professor": "prof", "教授": "prof",
    }  # fmt: skip
    return table.get(t, "")


def _zh_name(person: Person) -> str:
    # Chinese writes the family name first and without a space; Latin names keep theirs.
    if _is_cjk(person.last_name + person.first_name):
        return person.last_name + person.first_name
    return person.full_name


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" or ch.isspace() for ch in text)


def salutation(person: Person, company: Company | None = None, language: str = "en") -> Salutation:
    """The opening line for ``person`` in ``language`` ("en", "es", "zh"; others use English)."""
    lang = language if language in _TITLES else "en"
    title = normalise_title(person.title) if person.title else ""
    last = person.last_name.strip()
    first = person.first_name.strip()
    company_name = (company.name if company else "").strip()

    if title and last and title in _TITLES[lang]:
        word = _TITLES[lang][title]
        if lang == "zh":
            return Salutation(f"尊敬的{last}{word}：", "title")
        if lang == "es":
            adjective = "Estimada" if title in _ES_FEMININE else "Estimado"
            return Salutation(f"{adjective} {word} {last}:", "title")
        return Salutation(f"Dear {word} {last},", "title")
    if first:
        if lang == "zh":
            return Salutation(
                f"{_zh_name(person) if _is_cjk(first) else first}，您好！", "first_name"
            )
        if lang == "es":
            return Salutation(f"Buenos días, {first}:", "first_name")
        return Salutation(f"Dear {first},", "first_name")
    if company_name:
        if lang == "zh":
            return Salutation(f"尊敬的{company_name}团队：", "company")
        if lang == "es":
            return Salutation(f"Estimado equipo de {company_name}:", "company")
        return Salutation(f"Dear {company_name} Team,", "company")
    generic = {"en": "Dear Sir or Madam,", "es": "Estimados señores:", "zh": "您好！"}
    return Salutation(generic[lang], "generic")


_TITLE_IN_TEXT = re.compile(
    r"(?<![\w.])(Mr|Mrs|Ms|Miss|Dr|Prof|Sr|Sra|Srta|Dra)\.?\s+[A-ZÁÉÍÓÚÑ][\w'-]+"
    r"|(?P<zh>[\u4e00-\u9fff]{1,2})(?P<zhtitle>先生|女士|小姐|博士|教授)"
)


def title_from_text(text: str) -> str:
    """A courtesy title a person used for themselves, e.g. in a signature ("Ms. Jane Doe").

    Returns the title key or "". Only an explicit title counts; names are not looked at.
    """
    match = _TITLE_IN_TEXT.search(text)
    if not match:
        return ""
    if match.group("zhtitle"):
        return normalise_title(match.group("zhtitle"))
    return normalise_title(match.group(1))


# Greeting words that open a salutation line, in the languages our users write and receive.
_GREETING = re.compile(
    r"^\s*(?:dear|hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening|day)|greetings|"
    r"to\s+whom\s+it\s+may\s+concern|gentlemen|ladies|attn|attention|"
    r"estimad[oa]s?|apreciad[oa]s?|querid[oa]s?|hola|buen[oa]s\s+(?:días|dias|tardes|noches)|"
    r"muy\s+señor|señores|sehr\s+geehrte[rs]?|liebe[rs]?|hallo|guten\s+tag|moin|"
    r"bonjour|bonsoir|cher|chère|madame|monsieur|salut|"
    r"caro|cara|gentile|gentili|egregio|spettabile|buongiorno|ciao|"
    r"prezad[oa]s?|caro|olá|ola|bom\s+dia|boa\s+tarde|"
    r"geachte|beste|hoi|"
    r"уважаем\w*|здравствуйте|добрый\s+день|привет|"
    r"merhaba|sayın|szanown\w*|dzień\s+dobry|"
    r"尊敬的|亲爱的|您好|你好|各位|大家好|敬启者|"
    r"拝啓|お世話になっております|안녕하세요)",
    re.IGNORECASE,
)
# "John," / "Sean -" / "Team:" alone on the first line is a salutation in terse business mail.
_NAME_LINE = re.compile(r"^\s*[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}\s*(?:,|:|-|–|—)\s*$")


def find_salutation(text: str, max_lines: int = 2) -> tuple[int, int] | None:
    """The character span of the salutation among the first non-empty lines, or None."""
    pos = 0
    seen = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            seen += 1
            if _GREETING.match(stripped) or _NAME_LINE.match(stripped):
                start = pos + (len(line) - len(line.lstrip()))
                return (start, start + len(stripped))
            # Chinese greetings often end the first line: "王经理，您好！"
            if re.search(r"(您好|你好)[！!，,。]?$", stripped) and len(stripped) <= 20:
                start = pos + (len(line) - len(line.lstrip()))
                return (start, start + len(stripped))
            if seen >= max_lines:
                break
        pos += len(line)
    return None
