"""Show texts the domain layer stored in English in the reader's language.

Worker jobs (and requests that save a deal's cadence) keep the core's texts in English in
database rows: a DNS check report, a deal's cadence reason, stage evidence. The message ids
are the English texts given to :func:`tradeinbox.core.i18n.tr`; once formatted, their
``%(name)s`` placeholders hold values. :func:`translate_stored` maps such a text back to its
message id by matching it against every ``tr()``/``tr_noop()`` literal of the core (read with
``ast`` once per process), translates the id with ``gettext`` and fills the values in again.
Values that are themselves core texts (a stage label, the problems of a joined list) are
translated too; quoted user text (``%(x)r``) and numbers are kept. Texts joined from several
messages ("A; B.", "A. (B)") are split where a message can end. Anything that matches no
message is shown as stored, so a text is never lost.

The threat guard's evidence details (links, attachments, sender disguises, the text
model), the origin's and DKIM's are ``tr()`` texts; grading evidence and the claimed
countries are not yet, and :func:`rule_title` gives every evidence rule id a translated title.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

CORE = Path(__file__).resolve().parents[1] / "core"
# Texts the Django layer itself stores next to the core's (deals/followups.py, actions.py).
STORED_ELSEWHERE = (
    gettext_noop("the deal is closed"),
    gettext_noop("the cadence changed: %(reason)s"),
    gettext_noop("cancelled in the outbox"),
    gettext_noop("stopped by hand"),
    gettext_noop("merged into deal %(deal)s"),
)
_MAX_DEPTH = 3
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>\w+)\)(?P<spec>[-#0 +]*\d*(?:\.\d+)?)(?P<kind>[sdrfg])|%)"
)
_QUOTED = r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_CALLS = re.compile(r"\btr(?:_noop)?\(")


def core_messages(root: Path = CORE) -> list[str]:
    """Every literal first argument of ``tr(...)`` / ``tr_noop(...)`` under ``root``."""
    found: dict[str, None] = {}
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not _CALLS.search(source):
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "tr_noop")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found[node.args[0].value] = None
    return list(found)


@dataclass(frozen=True, slots=True)
class _Pattern:
    msgid: str
    regex: re.Pattern[str]
    kinds: dict[str, str]  # placeholder name -> conversion (s, d, r, f, g)
    anchor: str  # the longest literal piece: a cheap test before the regex
    weight: int  # literal characters: the more, the more specific


def _compile(msgid: str) -> _Pattern | None:
    parts: list[str] = []
    kinds: dict[str, str] = {}
    literals: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(msgid):
        literal = msgid[pos : m.start()]
        parts.append(re.escape(literal))
        literals.append(literal)
        pos = m.end()
        name, kind = m.group("name"), m.group("kind")
        if name is None:  # "%%"
            parts.append("%")
            literals.append("%")
            continue
        if name in kinds:
            parts.append(f"(?P={name})")
            continue
        kinds[name] = kind
        body = {"s": ".+?", "d": r"-?\d+", "r": _QUOTED}.get(kind, _NUMBER)
        parts.append(f"(?P<{name}>{body})")
    if not kinds:
        return None
    parts.append(re.escape(msgid[pos:]))
    literals.append(msgid[pos:])
    regex = re.compile("".join(parts), re.DOTALL)
    return _Pattern(msgid, regex, kinds, max(literals, key=len), sum(map(len, literals)))


@lru_cache(maxsize=1)
def _catalog() -> tuple[frozenset[str], tuple[_Pattern, ...]]:
    messages = [*core_messages(), *STORED_ELSEWHERE]
    patterns = [p for p in map(_compile, messages) if p is not None]
    # The most specific message first: "%(a)s -> %(b)s" must not win over a longer one.
    patterns.sort(key=lambda p: -p.weight)
    plain = frozenset(m for m in messages if "%(" not in m)
    return plain, tuple(patterns)


# A reading of a stored text: (literal characters explained by message ids, translation).
# Of several readings the one explaining most of the text wins, so "%(ip)s: %(problems)s."
# does not swallow "A; B." when A and B are messages of their own.
_Reading = tuple[int, str]


def _read(text: str, depth: int = 0) -> _Reading | None:
    """The best reading of ``text`` in the active language, or None for a foreign text."""
    return _read_in(get_language() or "", text, depth)


@lru_cache(maxsize=8192)
def _read_in(language: str, text: str, depth: int) -> _Reading | None:
    if depth > _MAX_DEPTH or not text:
        return None
    plain, patterns = _catalog()
    if text in plain:
        return len(text), gettext(text)
    best: _Reading | None = None
    for pattern in patterns:
        if pattern.anchor not in text:
            continue
        m = pattern.regex.fullmatch(text)
        if m is None:
            continue
        score, params = pattern.weight, {}
        try:
            for name, raw in m.groupdict().items():
                kind = pattern.kinds[name]
                if kind == "d":
                    params[name] = int(raw)
                elif kind in ("f", "g"):
                    params[name] = float(raw)
                elif kind == "r":  # quoted user text: kept as written
                    params[name] = ast.literal_eval(raw)
                else:
                    inner = _read(raw, depth + 1)
                    score += inner[0] if inner else 0
                    params[name] = inner[1] if inner else raw
            translated = gettext(pattern.msgid) % params
        except (KeyError, ValueError, TypeError, SyntaxError):
            continue
        if best is None or score > best[0]:
            best = (score, translated)
    split = _split(text, depth)
    if split is not None and (best is None or split[0] > best[0]):
        best = split
    return best


def _split(text: str, depth: int) -> _Reading | None:
    """A text joined from messages: "A; B.", "A. B", "A. (B)".

    The joints stay as the core wrote them, so a stored text reads exactly like the same
    text made live in a request.
    """
    best: _Reading | None = None
    if text.endswith(".") and not text.endswith(".."):
        inner = _read(text[:-1], depth + 1)
        if inner is not None:
            best = (inner[0] + 1, inner[1] + ".")
    for m in re.finditer(r"; |(?<=\.) (?=\S)| (?=\()", text):
        left = _read(text[: m.start()], depth + 1)
        if left is None:
            continue
        right = _read(text[m.end() :], depth + 1)
        if right is None:
            continue
        score = left[0] + right[0] + len(m.group(0))
        if best is None or score > best[0]:
            best = (score, left[1] + m.group(0) + right[1])
    return best


def translate_stored(text: str) -> str:
    """A stored core text in the active language; unknown texts come back unchanged."""
    if not text or not isinstance(text, str) or (get_language() or "en").startswith("en"):
        return text
    return _cached(get_language(), text)


def _cached(language: str, text: str) -> str:
    reading = _read_in(language, text, 0)
    return reading[1] if reading else text


# Titles of evidence rule ids; the longest matching prefix wins ("threat.attach.macro" ->
# "threat.attach."). The id itself stays visible next to the title for reports.
RULE_TITLES = {
    "threat.": _("Threat sign"),
    "threat.attach": _("Risky attachment"),
    "threat.attach.macro": _("Office file with macros"),
    "threat.attach.executable": _("Program file attached"),
    "threat.attach.double_extension": _("Disguised file extension"),
    "threat.attach.html": _("HTML file attached"),
    "threat.attach.disk_image": _("Disk image attached"),
    "threat.attach.encrypted_archive": _("Password-protected archive"),
    "threat.attach.archive_program": _("Program inside an archive"),
    "threat.link": _("Suspicious link"),
    "threat.link.mismatch": _("Link text and target differ"),
    "threat.link.shortener": _("Shortened link"),
    "threat.link.ip": _("Link to a bare IP address"),
    "threat.lookalike": _("Look-alike domain"),
    "threat.display": _("Misleading sender name"),
    "threat.reply": _("Replies diverted elsewhere"),
    "threat.form": _("Form inside the mail"),
    "threat.form.password": _("Asks for a password"),
    "threat.lang.credential": _("Asks for log-in details"),
    "threat.lang.payment_diversion": _("Changed bank account wording"),
    "threat.lang": _("Phishing wording"),
    "threat.sender": _("Suspicious sender domain"),
    "threat.disguise": _("Disguised text"),
    "threat.spoof": _("Borrowed identity"),
    "model.threat": _("Threat model score"),
    "grade.": _("Grade sign"),
    "grade.A.": _("Sign of an irrelevant or scam inquiry"),
    "grade.A.scam": _("Scam wording"),
    "grade.scam.": _("Scam wording"),
    "grade.A.bulk_headers": _("Bulk mail headers"),
    "grade.A.undisclosed_recipients": _("Undisclosed recipients"),
    "grade.A.long_recipient_list": _("Sent to many recipients"),
    "grade.A.reply_to_mismatch": _("Reply-To differs from sender"),
    "grade.A.dangerous_attachment": _("Dangerous attachment"),
    "grade.A.threat_": _("Flagged as a threat"),
    "grade.B.": _("Sign of a browsing inquiry"),
    "grade.C.": _("Sign of a targeted inquiry"),
    "grade.C.quantity": _("Quantity given"),
    "grade.C.model": _("Product model named"),
    "grade.C.spec": _("Specifications given"),
    "grade.D.": _("Sign of a key account"),
    "grade.D.rfq_number": _("RFQ number"),
    "grade.D.itemised": _("Itemised list of products"),
    "grade.domain.official": _("Company domain"),
    "grade.domain.free": _("Free mail domain"),
    "grade.contact": _("Contact details given"),
    "grade.not_inquiry": _("Not an inquiry"),
    "grade.user_country_rule": _("Your country rule"),
    "inquiry.": _("Inquiry sign"),
    "inquiry.not.": _("Sign it is not an inquiry"),
    "inquiry.request_quote": _("Asks for a quotation"),
    "inquiry.purchase_intent": _("Intends to buy"),
    "auth.": _("Sender authentication"),
    "authenticity": _("Authenticity score"),
    "origin.": _("Where the mail came from"),
    "deadline.": _("Reply deadline"),
    "stage.": _("Stage cue"),
    "cadence.": _("Follow-up plan"),
    "deal.": _("Deal link"),
}


def rule_title(rule: str) -> str:
    """The translated title of an evidence rule id ("" when none is known)."""
    best = ""
    for prefix in RULE_TITLES:
        if (rule == prefix or rule.startswith(prefix)) and len(prefix) > len(best):
            best = prefix
    return str(RULE_TITLES[best]) if best else ""
