"""Person names: from display names, signatures and the local part of an address.

Merging a customer's addresses into one person needs to know when two addresses *could*
be the same human. Names come from three places:

* the display name in an address header (RFC 5322 section 3.4 ``display-name``), written
  by the person themselves (``From``) or by whoever typed the address (``To``/``Cc``);
  ``"Last, First M."`` (Outlook/Exchange directory style) is turned round;
* the name line of a signature (:mod:`tradeinbox.core.signatures`);
* the local part of a company address, where most companies encode the name:
  ``first.last``, ``last.first``, ``first_last``, ``f.last``, ``flast``, ``firstl``.
  The order of two full tokens is unknown, so both readings are kept.

:func:`compare_names` then says whether two names agree (``same``), agree as far as
initials go (``initial``), or contradict each other (``conflict``: same surname, different
first names - the classic false merge of two colleagues called Smith).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tradeinbox.core.addresses import role_of

__all__ = [
    "PersonName",
    "LocalName",
    "parse_display_name",
    "local_part_name",
    "compare_names",
    "NameMatch",
]

_TITLES = frozenset(
    """mr mrs ms miss mx dr prof sir madam mme mlle sr sra srta herr frau don dona""".split()
)
_SUFFIXES = frozenset("""jr sr ii iii iv phd mba md esq cpa pe""".split())
# Words that make a display name a company, team or system rather than a person.
_NOT_PERSON = frozenset(
    """team office dept department group company corp inc ltd llc gmbh co sales support service
    services info admin news newsletter mailer daemon postmaster noreply reply announcement
    announcements notification notifications alert alerts update updates list digest staff
    desk center centre customer customers the and of for online club member members account
    accounts billing hr payroll chairman committee board council travel airlines airways
    enron""".split()
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def _fold(text: str) -> str:
    """Lower-case without accents: "José" and "Jose" are the same name in a mailbox."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name. ``first``/``last`` folded to lower case; ``initials`` of middle names.

    For names written in CJK scripts without spaces (``王伟``) ``first`` is empty and
    ``last`` holds the whole name: they are compared as a whole.
    """

    first: str
    last: str
    initials: str = ""
    source: str = "display"  # "display" | "signature" | "recipient" | "local"

    @property
    def key(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def first_initial(self) -> str:
        return self.first[:1]

    def __str__(self) -> str:
        return " ".join(p.capitalize() for p in (self.first, self.last) if p)


def parse_display_name(text: str | None, source: str = "display") -> PersonName | None:
    """A :class:`PersonName` from a display name, or None when it is not a person's name."""
    if not text:
        return None
    value = re.sub(r"<[^>]*>|\([^)]*\)|\[[^\]]*\]", " ", text)
    value = re.sub(r"\S+@\S+", " ", value).strip().strip("\"'").strip()
    if not value or len(value) > 60 or any(c.isdigit() for c in value):
        return None
    if _CJK.search(value):
        compact = re.sub(r"\s+", "", value)
        if 2 <= len(compact) <= 6 and all(_CJK.match(c) for c in compact):
            return PersonName("", compact, source=source)
        return None
    if value.count(",") == 1:
        # Directory style "Last, First M." (Exchange, Lotus Notes, many CRMs).
        last, first = value.split(",")
        if _TOKEN.search(first) and _TOKEN.search(last):
            value = f"{first} {last}"
    words = [_fold(w) for w in _TOKEN.findall(value)]
    if any(w in _NOT_PERSON for w in words):
        return None
    words = [w for w in words if w.rstrip(".") not in _TITLES | _SUFFIXES]
    if len(words) < 2 or len(words) > 5:
        return None
    full = [w for w in words if len(w) > 1]
    if len(full) < 2:
        return None  # "J. Smith": too little to tell people apart
    first, last = full[0], full[-1]
    middle = "".join(w[0] for w in words[1:-1] if w not in (first, last))
    if words[0] != first:  # "J. Michael Smith" - goes by the middle name
        middle = words[0][0] + middle
    return PersonName(first, last, middle, source)


@dataclass(frozen=True, slots=True)
class LocalName:
    """What the local part of an address says about a name.

    ``tokens``: alphabetic pieces of two or more letters (``john.smith`` -> john, smith);
    ``initials``: one-letter pieces (``j.smith`` -> j); ``blob``: a single run such as
    ``jsmith`` or ``johns`` that may be initial+surname or name+initial.
    """

    tokens: tuple[str, ...]
    initials: tuple[str, ...]
    blob: str | None

    @property
    def is_empty(self) -> bool:
        return not self.tokens and not self.initials and not self.blob


def local_part_name(email: str) -> LocalName | None:
    """Name hints in the local part; None for role mailboxes (``sales@``) and junk."""
    local = email.rpartition("@")[0].lower().split("+", 1)[0]
    local = local.replace("'", "").replace('"', "")
    if not local or role_of(local) is not None:
        return None
    pieces = [p for p in re.split(r"[._\-]+", re.sub(r"\d+", ".", _fold(local))) if p]
    pieces = [p for p in pieces if p.isalpha()]
    if not pieces or len(pieces) > 4:
        return None
    tokens = tuple(p for p in pieces if len(p) >= 2 and p not in _SUFFIXES)
    initials = tuple(p for p in pieces if len(p) == 1)
    if len(tokens) == 1 and not initials:
        return LocalName((), (), tokens[0]) if len(tokens[0]) >= 4 else None
    return LocalName(tokens, initials, None)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """``level``: same | initial | local | unknown | conflict, with a human detail."""

    level: str
    detail: str

    @property
    def compatible(self) -> bool:
        return self.level in ("same", "initial", "local")


UNKNOWN = NameMatch("unknown", "no comparable name")


def _first_names_agree(a: str, b: str) -> bool:
    """ "Bob"/"Robert" is out of reach without a nickname list; prefixes are not:
    "Chris"/"Christopher", "Dan"/"Daniel", "Alex"/"Alexandra"."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short)


def compare_full(a: PersonName, b: PersonName) -> NameMatch:
    """Compare two full names."""
    if not a.first or not b.first:  # CJK names: whole-name equality only
        if a.last == b.last:
            return NameMatch("same", f"same name {a.last}")
        return NameMatch("conflict", f"different names {a.last} / {b.last}")
    if a.last != b.last:
        # "John Smith" vs "Smith John" (name order differs between cultures).
        if a.first == b.last and a.last == b.first:
            return NameMatch("same", f"same name {a} (order swapped)")
        return NameMatch("conflict", f"different surnames: {a} / {b}")
    if a.initials and b.initials and a.initials[:1] != b.initials[:1]:
        return NameMatch("conflict", f"different middle initials: {a} / {b}")
    if a.first == b.first:
        return NameMatch("same", f"same name {a}")
    if _first_names_agree(a.first, b.first):
        # "Chris"/"Christopher" may be one person, "Jan"/"Janet" often are not: fits, no more.
        return NameMatch("initial", f"first names {a.first}/{b.first} may be one: {a} / {b}")
    return NameMatch("conflict", f"same surname, different first names: {a} / {b}")


def _blob_fits(blob: str, first: str, last: str) -> bool:
    """``jsmith``, ``johns``, ``smithj``, ``johnsmith``, ``scranda`` (truncated) fit John/S..."""
    if not first or not last:
        return False
    if blob in (first + last, last + first):
        return True
    for head, tail in ((first[0], last), (last, first[0]), (first, last[0])):
        if blob == head + tail:
            return True
    # Directory systems truncate: "scranda" for Sean Crandall (initial + 6 letters).
    if blob[0] == first[0] and len(blob) >= 6 and last.startswith(blob[1:]):
        return True
    return False


def compare_full_local(name: PersonName, local: LocalName) -> NameMatch:
    """Does the local part fit the name?"""
    if not name.first:
        return UNKNOWN
    if local.blob:
        if local.blob in (name.first + name.last, name.last + name.first):
            return NameMatch("same", f"local part {local.blob} spells {name}")
        if _blob_fits(local.blob, name.first, name.last):
            return NameMatch("initial", f"local part {local.blob} fits {name}")
        return UNKNOWN
    toks = set(local.tokens)
    if {name.first, name.last} <= toks:
        return NameMatch("same", f"local part spells {name}")
    if name.last in toks:
        others = toks - {name.last}
        if others and not any(_first_names_agree(o, name.first) for o in others):
            if all(o not in name.initials and len(o) > 2 for o in others):
                return NameMatch("conflict", f"local part names another {name.last}")
            return UNKNOWN
        if others:
            return NameMatch("initial", f"local part {'.'.join(local.tokens)} may be {name}")
        if name.first[0] in local.initials:
            return NameMatch("initial", f"local part {'.'.join(local.initials)}.{name.last}")
        return UNKNOWN
    return UNKNOWN


def compare_locals(a: LocalName, b: LocalName) -> NameMatch:
    """Compare two local-part names (order of two full tokens unknown)."""
    if a.blob or b.blob:
        if a.blob and b.blob:
            return NameMatch("local", f"same local part {a.blob}") if a.blob == b.blob else UNKNOWN
        blob, other = (a, b) if a.blob else (b, a)
        if len(other.tokens) == 2:
            x, y = other.tokens
            if _blob_fits(blob.blob or "", x, y) or _blob_fits(blob.blob or "", y, x):
                return NameMatch("initial", f"{blob.blob} fits {x}.{y}")
        return UNKNOWN
    ta, tb = set(a.tokens), set(b.tokens)
    if len(ta) >= 2 and ta == tb:
        if a.initials and b.initials and set(a.initials) != set(b.initials):
            return NameMatch("conflict", "same name tokens, different initials")
        return NameMatch("same", "local parts spell the same name " + ".".join(sorted(ta)))
    shared = ta & tb
    if shared and len(ta) >= 2 and len(tb) >= 2:
        rest_a, rest_b = ta - shared, tb - shared
        if rest_a and rest_b and not any(_first_names_agree(x, y) for x in rest_a for y in rest_b):
            return NameMatch("conflict", "local parts share a name, the other names differ")
        if rest_a and rest_b:
            return NameMatch("initial", "local parts may spell one name (short/long form)")
    # "j.smith" vs "john.smith": initial agrees with a full token.
    for x, y in ((a, b), (b, a)):
        if len(x.tokens) == 1 and x.initials and len(y.tokens) == 2:
            surname = x.tokens[0]
            if surname in y.tokens:
                other = next(t for t in y.tokens if t != surname)
                if other[0] in x.initials:
                    return NameMatch(
                        "initial", f"{x.initials[0]}. {surname} fits {other} {surname}"
                    )
    return UNKNOWN


def compare_names(
    name_a: PersonName | None,
    local_a: LocalName | None,
    name_b: PersonName | None,
    local_b: LocalName | None,
) -> NameMatch:
    """The strongest statement the available names allow. A conflict between full names
    wins over anything the local parts say."""
    if name_a and name_b:
        return compare_full(name_a, name_b)
    if name_a and local_b:
        return compare_full_local(name_a, local_b)
    if name_b and local_a:
        return compare_full_local(name_b, local_a)
    if local_a and local_b:
        return compare_locals(local_a, local_b)
    return UNKNOWN


def contradicts_local(name: PersonName, local: LocalName | None) -> bool:
    """A name that the address itself denies: a signature "Liz Legros" in a mail from
    ``gwendolyn.chavis@`` is an assistant writing for her boss, not Gwendolyn's name."""
    if local is None or not name.first:
        return False
    if len(local.tokens) >= 2 and all(len(t) >= 3 for t in local.tokens):
        return not any(
            t in (name.first, name.last) or _blob_fits(t, name.first, name.last)
            for t in local.tokens
        )
    return compare_full_local(name, local).level == "conflict"


def name_tokens(name: PersonName | None, local: LocalName | None) -> set[str]:
    """Tokens for blocking (which pairs are worth comparing at all)."""
    out: set[str] = set()
    if name:
        out.update(t for t in (name.first, name.last) if t)
    if local:
        out.update(local.tokens)
        if local.blob:
            out.add(local.blob)
    return out
