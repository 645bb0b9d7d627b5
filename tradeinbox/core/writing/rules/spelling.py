"""Spelling, per detected language, with pyspellchecker's word-frequency dictionaries.

Only languages pyspellchecker ships are checked (en, es, fr, de, it, pt, nl, ru, ar, fa,
lv, eu); Chinese, Japanese and Korean are never spell-checked (no spaces, no case, and no
dictionary here), so text like "我们的MOQ是500PCS" yields nothing.

To stay precise (a spelling hint that flags customer names or model numbers is soon
ignored), a word is reported only when all hold:

* it is written in lower case (capitalised words are names, brands, sentence starts);
* it is not part of a URL, an e-mail address, a number or a code with digits, hyphens to
  digits, underscores or slashes;
* it is unknown in the detected language *and* in English (trade terms are English);
* it does not occur in the subject or the quoted history (the buyer's own words);
* a known word lies one edit away (a typo: "recieve" -> "receive"); unknown words with no
  near neighbour are jargon or names, not typos. Outside English the word lists miss many
  inflected forms, so there only swapped letters ("ofreta" -> "oferta") are reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

SUPPORTED = ("en", "es", "fr", "de", "it", "pt", "nl", "ru", "ar", "fa", "lv", "eu")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_MASK = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+|\b[\w.-]+\.(?:com|net|org|cn|es|de|io|co|uk|gov|edu)\b\S*"
    r"|[\w./\\-]*[\d_/\\][\w./\\-]*",
    re.IGNORECASE,
)
_WORD = re.compile(r"(?<![\w'’-])([^\W\d_]+(?:['’][^\W\d_]+)?)(?![\w'’]|-\w)")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH, Language.SPANISH, Language.FRENCH, Language.GERMAN,
        Language.ITALIAN, Language.PORTUGUESE, Language.DUTCH, Language.RUSSIAN,
        Language.ARABIC, Language.PERSIAN, Language.LATVIAN, Language.BASQUE,
        Language.TURKISH, Language.POLISH, Language.INDONESIAN, Language.VIETNAMESE,
    ]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s main language; "en" when too short to tell."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    if len(_KANA.findall(text)) > 0.1 * len(letters):
        return "ja"
    if len(_HANGUL.findall(text)) > 0.2 * len(letters):
        return "ko"
    if len(_CJK.findall(text)) > 0.2 * len(letters):
        return "zh"
    if len(text.split()) < 5:
        return "en"
    language = _detector().detect_language_of(text[:2000])
    if language is None:
        return "en"
    return language.iso_code_639_1.name.lower()


@lru_cache(maxsize=12)
def _checker(language: str):
    from spellchecker import SpellChecker

    return SpellChecker(language, distance=1, case_sensitive=False)


_ES_CLITIC = re.compile(
    r"^\w+(?:ar|er|ir|ár|ér|ír|ando|iendo|ándo|iéndo)(?:se|le|lo|la|les|los|las|me|te|nos)+$"
)
_INFLECTED = {
    "es": ("s", "es"),
    "pt": ("s", "es"),
    "fr": ("s", "x", "e", "es"),
    "it": ("i", "e"),
    "de": ("n", "en", "e", "es", "s", "er"),
    "nl": ("s", "en", "n"),
}


def _is_compound(word: str, language: str) -> bool:
    """Two known words written together ("counterparty", "bookout") are not a typo."""
    freq = _checker(language).word_frequency
    for i in range(3, len(word) - 2):
        left, right = word[:i], word[i:]
        if freq[left] >= 5000 and freq[right] >= 5000:
            return True
    return False


def _known(word: str, language: str) -> bool:
    lower = word.lower().replace("’", "'")
    if lower in allowed_words():
        return True
    if lower in _checker(language).word_frequency:
        return True
    if language != "en" and lower in _checker("en").word_frequency:
        return True
    if language in _INFLECTED:
        # The frequency lists of these languages miss many plural and inflected forms
        # ("máquinas"); a known stem plus a regular ending is accepted.
        freq = _checker(language).word_frequency
        for ending in _INFLECTED[language]:
            if lower.endswith(ending) and len(lower) - len(ending) >= 3:
                if lower[: -len(ending)] in freq:
                    return True
    if language == "en" and _english_variant_known(lower):
        return True
    if language == "es" and _ES_CLITIC.match(lower):
        return True  # infinitive or gerund with attached pronouns: "darse", "reservarle"
    if "'" in lower:  # contractions and possessives: "buyer's", "don't"
        head = lower.split("'")[0]
        if language == "en" and _english_variant_known(head):
            return True
        return head in _checker(language).word_frequency or head in _checker("en").word_frequency
    return False


# British spellings (export mail is full of them; the word list is mostly American) and
# their American forms: "organisation" -> "organization", "colour" -> "color".
_BRITISH = (
    ("isation", "ization"), ("isations", "izations"), ("ise", "ize"), ("ised", "ized"),
    ("ises", "izes"), ("ising", "izing"), ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"),
    ("our", "or"), ("ours", "ors"), ("oured", "ored"), ("ouring", "oring"), ("tre", "ter"),
    ("tres", "ters"), ("ogue", "og"), ("ogues", "ogs"), ("lled", "led"), ("lling", "ling"),
    ("ence", "ense"), ("mme", "m"), ("mmes", "ms"),
)  # fmt: skip
_PREFIXES = ("re", "un", "pre", "non", "co", "sub", "over", "under", "multi", "inter", "mis")
_SUFFIXES = (("d", ""), ("s", ""), ("ed", ""), ("ing", ""), ("ing", "e"), ("ly", ""), ("er", "e"))


def _english_variant_known(word: str) -> bool:
    """A British spelling, a prefixed or a regularly inflected form of a known English word.

    "renegotiations" (re + negotiations), "expensed" (expense + d), "realisation": the
    frequency list lacks them, yet none is a typo.
    """
    freq = _checker("en").word_frequency

    def known(candidate: str) -> bool:
        return len(candidate) >= 3 and candidate in freq

    for british, american in _BRITISH:
        if word.endswith(british) and known(word[: -len(british)] + american):
            return True
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            rest = word[len(prefix) :]
            if known(rest) or any(
                rest.endswith(b) and known(rest[: -len(b)] + a) for b, a in _BRITISH
            ):
                return True
    for suffix, restore in _SUFFIXES:
        if word.endswith(suffix) and known(word[: -len(suffix)] + restore):
            return True
    return False


def misspellings(text: str, language: str, ignore: set[str] | frozenset[str] = frozenset()):
    """``(start, end, word, suggestion)`` for likely typos in ``text``."""
    if language not in SUPPORTED:
        return
    masked = _MASK.sub(lambda m: " " * len(m.group(0)), text)
    checker = _checker(language)
    for match in _WORD.finditer(masked):
        word = match.group(1)
        if len(word) < 3 or len(word) > 24 or not word.islower():
            continue
        if word in ignore or _known(word, language):
            continue
        if masked[match.end(1) : match.end(1) + 1] == "." and len(word) <= 5:
            continue  # an abbreviation: "approx.", "cont."
        if len(word) <= 4 and sorted(word) != sorted(checker.correction(word) or ""):
            continue  # short unknown words are mostly abbreviations; keep transpositions ("teh")
        if _is_compound(word, language):
            continue
        suggestion = checker.correction(word)
        if not suggestion or suggestion == word:
            continue
        if language != "en" and sorted(word) != sorted(suggestion):
            # pyspellchecker's lists for other languages lack many verb forms and plurals
            # ("necesita", "enviaré"); there only letter swaps ("ofreta") are sure typos.
            continue
        yield match.start(1), match.end(1), word, suggestion


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    language = text.language
    if language not in SUPPORTED:
        return
    start, end = text.content_span
    others = " ".join(
        [
            draft.subject or "",
            draft.quoted_text or "",
            text.body[: text.own[0]],
            text.body[text.own[1] :],
        ]
    ).lower()
    ignore = {w.lower() for w in ctx.known_words} | set(_WORD.findall(others))
    for s, e, word, suggestion in misspellings(text.body[start:end], language, ignore):
        yield Finding(
            "spelling",
            "warning",
            start + s,
            start + e,
            tr("%(word)r may be misspelled (%(language)s).", word=word, language=language),
            tr("Did you mean %(suggestion)r?", suggestion=suggestion),
        )


@lru_cache(maxsize=1)
def allowed_words() -> frozenset[str]:
    """The shipped allow-list (``data/spelling_allow.txt``)."""
    from importlib import resources

    text = resources.files("tradeinbox.core.writing").joinpath("data/spelling_allow.txt")
    return frozenset(
        line.strip().lower()
        for line in text.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
