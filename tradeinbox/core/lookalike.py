"""Look-alike names and disguised text: confusables, IDN, brands, filter evasion.

Helpers of :mod:`tradeinbox.core.threats`. A *skeleton* (the idea of Unicode
Technical Standard #39, with a reduced table of the characters fraudsters use in
domains) maps ``paypa1`` and ``pаypal`` (Cyrillic a) to ``paypal``; punycode labels
(RFC 3492) are decoded first. :class:`DomainIndex` finds the protected domain a
host imitates with one dictionary probe and one rapidfuzz scan.
:func:`check_disguise` flags the tricks that make a mass mailing look unique or
unreadable to filters: mixed-script words, styled Unicode letters, random tokens
in the subject, the recipient's address in the subject, machine-made senders.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.origin import registered_domain

DATA = Path(__file__).with_name("data")


@lru_cache(maxsize=1)
def brands() -> dict[str, frozenset[str]]:
    """Brand keyword -> its genuine registrable domains (``*`` -> empty set)."""
    table: dict[str, frozenset[str]] = {}
    for line in (DATA / "brands.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        keyword, _, domains = line.partition("\t")
        table[keyword.strip().lower()] = frozenset(d for d in domains.split() if d != "*")
    return table


@lru_cache(maxsize=1)
def _brand_pattern() -> re.Pattern[str]:
    words = sorted(brands(), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.I)


@lru_cache(maxsize=1)
def freemail() -> frozenset[str]:
    """Consumer webmail domains (shared list in ``data/freemail_domains.txt``)."""
    path = DATA / "freemail_domains.txt"
    if not path.exists():
        return frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "qq.com"})
    return frozenset(
        line.split()[0].lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


# ------------------------------------------------------------------ lookalikes

# A reduced confusables table (Unicode TR #39 "confusables.txt" idea): the
# characters fraudsters actually use in domains, mapped to their Latin skeleton.
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ԁ": "d", "ɡ": "g", "ո": "n", "ѕ": "s", "ԝ": "w", "һ": "h", "к": "k",
        "м": "m", "т": "t", "в": "b", "н": "h", "ӏ": "l", "ɩ": "l", "ο": "o", "α": "a",
        "ν": "v", "τ": "t", "ρ": "p", "ι": "i", "κ": "k", "ε": "e", "υ": "u", "χ": "x",
        "0": "o", "1": "l", "3": "e", "5": "s", "|": "l", "i": "l", "ı": "l",
    }
)  # fmt: skip
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))
# For display names: Cyrillic/Greek look-alikes to Latin, and a capital I that
# stands in for an l at the end of a word ("BrasiI"), keeping ordinary letters.
_CONFUSABLE_NAME = str.maketrans(
    {
        k: v
        for k, v in {
            "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
            "ѕ": "s", "ԁ": "d", "ο": "o", "α": "a", "ν": "v", "τ": "t", "ρ": "p", "ι": "i",
            "κ": "k", "ε": "e", "м": "m", "т": "t", "к": "k", "н": "h", "в": "b",
            "Α": "a", "Β": "b", "Ε": "e", "Μ": "m", "Ο": "o", "Ρ": "p", "Τ": "t", "А": "a",
            "В": "b", "Е": "e", "М": "m", "О": "o", "Р": "p", "С": "c", "Т": "t", "Х": "x",
        }.items()
    }
)  # fmt: skip


def skeleton(label: str) -> str:
    """Confusable skeleton of a domain label: ``"paypa1"`` and ``"pаypal"`` -> ``"paypal"``."""
    text = unicodedata.normalize("NFKC", label).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.translate(_CONFUSABLE).replace("-", "")
    for pair, single in _MULTI:
        text = text.replace(pair, single)
    return text


def decode_idn(host: str) -> str:
    """Punycode labels (``xn--``, RFC 3492) to Unicode; undecodable labels stay."""
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def _split(domain: str) -> tuple[str, str]:
    """``"paypal.co.uk"`` -> (``"paypal"``, ``"co.uk"``)."""
    reg = registered_domain(domain)
    label, _, suffix = reg.partition(".")
    return label, suffix


def lookalike(candidate: str, protected: str) -> tuple[float, str] | None:
    """Whether ``candidate`` imitates ``protected`` (both host names); (weight, why)."""
    from rapidfuzz.distance import Levenshtein

    candidate, protected = candidate.lower().strip("."), protected.lower().strip(".")
    cand_reg, prot_reg = registered_domain(candidate), registered_domain(protected)
    if not cand_reg or cand_reg == prot_reg:
        return None
    cand_label, _ = _split(decode_idn(cand_reg))
    prot_label, _ = _split(prot_reg)
    if len(prot_label) < 4 or not cand_label:
        return None
    if cand_label == prot_label:
        return 0.3, f"{cand_reg} has the name of {prot_reg} under another suffix"
    if skeleton(cand_label) == skeleton(prot_label):
        return 0.6, f"{cand_reg} looks like {prot_reg} (confusable characters)"
    distance = Levenshtein.distance(cand_label, prot_label, score_cutoff=2)
    if len(prot_label) >= 5 and (distance == 1 or (distance == 2 and len(prot_label) >= 9)):
        return 0.5, f"{cand_reg} is {distance} edit(s) away from {prot_reg}"
    if prot_label in re.split(r"[-.]", cand_label) and len(prot_label) >= 5:
        return 0.45, f"{cand_reg} embeds the name {prot_label!r}"
    if candidate.startswith(prot_reg + ".") or f".{prot_reg}." in candidate:
        return 0.5, f"host {candidate} starts like {prot_reg} but belongs to {cand_reg}"
    return None


class DomainIndex:
    """Protected registrable domains prepared for fast lookalike search."""

    def __init__(self, domains: frozenset[str] | set[str]) -> None:
        self.domains = frozenset(d.lower() for d in domains)
        self.labels: dict[str, list[str]] = {}
        self.skeletons: dict[str, list[str]] = {}
        for domain in sorted(self.domains):
            label, _ = _split(domain)
            if len(label) < 4:
                continue
            self.labels.setdefault(label, []).append(domain)
            self.skeletons.setdefault(skeleton(label), []).append(domain)
        self.label_list = sorted(self.labels)

    def match(self, host: str) -> tuple[float, str] | None:
        """Best (weight, explanation) for ``host`` imitating a protected domain."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        host = host.lower().strip(".")
        reg = registered_domain(host)
        if not reg or reg in self.domains:
            return None
        label, _ = _split(decode_idn(reg))
        if not label:
            return None
        if label in self.labels:
            return 0.3, f"{reg} has the name of {self.labels[label][0]} under another suffix"
        hits = self.skeletons.get(skeleton(label))
        if hits:
            return 0.6, f"{reg} looks like {hits[0]} (confusable characters)"
        close = process.extractOne(
            label, self.label_list, scorer=Levenshtein.distance, score_cutoff=2
        )
        if close:
            target, distance = close[0], int(close[1])
            if len(target) >= 5 and (distance == 1 or (distance == 2 and len(target) >= 9)):
                return 0.5, f"{reg} is {distance} edit(s) away from {self.labels[target][0]}"
        for token in re.split(r"[-.]", label):
            if len(token) >= 5 and token in self.labels and token != label:
                return 0.45, f"{reg} embeds the name {token!r}"
        labels = host.split(".")
        for i in range(len(labels) - 2):
            if ".".join(labels[i : i + 2]) in self.domains:
                shown = ".".join(labels[i : i + 2])
                return 0.5, f"host {host} starts like {shown} but belongs to {reg}"
        return None


@lru_cache(maxsize=1)
def brand_index() -> DomainIndex:
    return DomainIndex({d for domains in brands().values() for d in domains})


@lru_cache(maxsize=64)
def _known_index(domains: frozenset[str]) -> DomainIndex:
    return DomainIndex(domains)


# ------------------------------------------------------------------ disguise

# Words mixing Latin with Cyrillic/Greek letters ("Amаzon" with a Cyrillic a) and
# "mathematical" bold/italic letters are how lures dodge keyword filters; genuine
# mail in any language writes a word in one script.
_LATIN = re.compile(r"[A-Za-z]")
_CONFUSABLE_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]")
_WORDS = re.compile(r"[^\W\d_]{3,}")
_MATH_LETTERS = re.compile(r"[\U0001D400-\U0001D7FF]")
# A random mixed-case + digit token in a subject ("Cod.kn75GA7UomX0oPD"): makes every
# copy of a mass mailing unique so checksum filters miss it.
_RANDOM_TOKEN = re.compile(
    r"(?<![\w/@-])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{12,}(?![\w/.@-])"
)


def _mixed_script_words(text: str) -> list[str]:
    found: list[str] = []
    if not _CONFUSABLE_SCRIPT.search(text) or not _LATIN.search(text):
        return found  # one script only: no word can mix them
    for word in _WORDS.findall(text):
        if _CONFUSABLE_SCRIPT.search(word) and _LATIN.search(word):
            found.append(word)
            if len(found) >= 3:
                break
    return found


def _gibberish(label: str) -> bool:
    """A machine-generated domain label or mailbox name (``8m6bxmwmyxm5m36x``)."""
    letters = [c for c in label if c.isalpha()]
    digits = sum(c.isdigit() for c in label)
    if len(label) < 12 or not letters:
        return False
    vowels = sum(c in "aeiouy" for c in letters)
    switches = sum(1 for a, b in zip(label, label[1:], strict=False) if a.isdigit() != b.isdigit())
    return (digits >= 3 and switches >= 4) or vowels / len(letters) < 0.12


def check_disguise(msg: ParsedMessage) -> list[Evidence]:
    """Filter-evasion tricks in subject, sender name and body."""
    evidence = []
    sender = msg.from_address
    name = sender.name if sender else ""
    mixed = _mixed_script_words(f"{msg.subject} {name} {msg.text[:3000]}")
    if mixed:
        evidence.append(
            Evidence(
                "threat.disguise.mixed_script",
                0.45,
                f"words mixing Latin and Cyrillic/Greek letters: {', '.join(mixed)}",
            )
        )
    if _MATH_LETTERS.search(f"{msg.subject} {name}"):
        evidence.append(
            Evidence(
                "threat.disguise.styled_letters",
                0.3,
                "subject or sender uses styled Unicode letters",
            )
        )
    token = _RANDOM_TOKEN.search(msg.subject)
    if token:
        evidence.append(
            Evidence(
                "threat.disguise.random_token",
                0.2,
                f"random token in the subject: {token.group(0)}",
            )
        )
    recipients = [a.email for a in msg.to[:3] if a.email and "@" in a.email]
    subject_lower = msg.subject.lower()
    for email in recipients:
        if email in subject_lower:
            evidence.append(
                Evidence("threat.disguise.recipient_in_subject", 0.25, f"subject addresses {email}")
            )
            break
    if sender and "@" in sender.email:
        local, _, domain = sender.email.partition("@")
        label = registered_domain(domain).split(".")[0]
        if _gibberish(label) or (_gibberish(local) and domain in freemail()):
            evidence.append(
                Evidence(
                    "threat.disguise.random_sender", 0.25, f"machine-made sender {sender.email}"
                )
            )
    return evidence
