"""Exact, faster ``finditer``/``search`` for big case-insensitive phrase alternations.

Python's ``re`` tries a case-insensitive alternation of a hundred phrases at every
position of the text: the inquiry lexicon cost ~5 ms per message that way. Here each
regex is analysed once for its *anchors* - strings one of which every match starts
with (after zero-width assertions such as ``\\b``). Per text, only positions where an
anchor occurs are tried, with ``pattern.match(text, pos)``: the same engine, the same
pattern, so the matches are exactly those of ``pattern.finditer(text)``:

* a match can only start where an anchor occurs, so skipping other positions loses
  nothing, and trying positions in increasing order finds the leftmost match;
* ``match(text, pos)`` sees the text before ``pos`` (look-behinds and ``\\b`` work).

Case-insensitivity: anchors and text are lower-cased and mapped through the same
case-equivalence table ``re`` uses (``ı``/``i``, ``ſ``/``s`` ...). A text whose length
changes when lower-cased (``İ``) falls back to the plain ``re`` call, as does any
pattern whose anchors cannot be found or that can match the empty string.

Anchors preceded by ``\\b`` and starting with a word character are looked up in an
index of word prefixes built once per text (:class:`Prepared`), shared by every rule
that scans the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from re import _casefix  # the stdlib's own table of extra case equivalences
from re import _constants as C  # noqa: N812
from re import _parser as P  # noqa: N812

__all__ = ["Prepared", "Anchored", "prepare"]

#: Longest word prefix kept in the per-text index; longer anchors are cut to it.
PREFIX = 6
#: At most this many anchors per pattern (more: not worth it, use plain ``re``).
MAX_ANCHORS = 400


def _fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for code, others in _casefix._EXTRA_CASES.items():
        group = (code, *others)
        canonical = min(group)
        for member in group:
            if member != canonical:
                table[member] = canonical
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case plus ``re``'s extra case equivalences; length-preserving except ``İ``."""
    return text.lower().translate(_FOLD)


_WORD = re.compile(r"\w+")
_WORD_HEAD = re.compile(r"(?<!\w)\w\w?")
_IS_WORD = re.compile(r"\w")


class Prepared:
    """A text, its folded form, and lazily built indexes shared by every pattern run on it."""

    __slots__ = ("text", "low", "use_index", "_by2", "_by1", "_chars", "_has")

    def __init__(self, text: str, use_index: bool = True) -> None:
        # use_index=False: find word anchors by plain search instead of building the
        # word index - cheaper when only a few patterns will run on the text.
        self.text = text
        self.use_index = use_index
        low = fold(text)
        self.low: str | None = low if len(low) == len(text) else None
        self._by2: dict[str, list[int]] | None = None
        self._by1: dict[str, list[int]] | None = None
        self._chars: frozenset[str] | None = None
        self._has: dict[tuple[str, bool], bool] = {}

    def has(self, literal: tuple[str, bool]) -> bool:
        """Whether the (folded, or exact when cased) literal occurs in the text."""
        found = self._has.get(literal)
        if found is None:
            found = literal[0] in (self.text if literal[1] else self.low or "")
            self._has[literal] = found
        return found

    @property
    def by2(self) -> dict[str, list[int]]:
        """Word starts keyed by their first two folded characters (one for 1-letter words)."""
        if self._by2 is None:
            by2: dict[str, list[int]] = {}
            low = self.low or ""
            # _WORD_HEAD matches the first one or two characters of each \w+ run: the
            # span is (word start, min(start + 2, word end)) without a min() per word.
            for start, end in map(re.Match.span, _WORD_HEAD.finditer(self.text)):
                key = low[start:end]
                found = by2.get(key)
                if found is None:
                    by2[key] = [start]
                else:
                    found.append(start)
            self._by2 = by2
        return self._by2

    @property
    def by1(self) -> dict[str, list[int]]:
        """Word starts keyed by their first folded character."""
        if self._by1 is None:
            by1: dict[str, list[int]] = {}
            for key, starts in self.by2.items():
                by1.setdefault(key[0], []).extend(starts)
            self._by1 = by1
        return self._by1

    @property
    def chars(self) -> frozenset[str]:
        """The distinct characters of the folded text."""
        if self._chars is None:
            self._chars = frozenset(self.low or "")
        return self._chars

    def word_run_start(self, pos: int) -> int:
        """Start of the run of word characters that contains ``pos``."""
        text = self.text
        while pos > 0 and _IS_WORD.match(text, pos - 1):
            pos -= 1
        return pos


def prepare(text: str | Prepared) -> Prepared:
    return text if isinstance(text, Prepared) else Prepared(text)


# --- anchor analysis ---------------------------------------------------------------------

_ZERO_WIDTH = (C.AT, C.ASSERT, C.ASSERT_NOT)


def _literal_set(op, av) -> set[str] | None:
    """Characters an ``IN`` set or ``LITERAL`` stands for (None: too many / unknown)."""
    if op is C.LITERAL:
        return {chr(av)}
    if op is C.IN:
        chars: set[str] = set()
        for sub_op, sub_av in av:
            if sub_op is C.LITERAL:
                chars.add(chr(sub_av))
            elif sub_op is C.RANGE and sub_av[1] - sub_av[0] < 12:
                chars.update(chr(c) for c in range(sub_av[0], sub_av[1] + 1))
            else:
                return None
        return chars if len(chars) <= 12 else None
    return None


_WORD_CLASS = [(C.IN, [(C.CATEGORY, C.CATEGORY_WORD)])]

#: Anchor modes: where a match can start, given where the anchor occurs.
FIND, WORD, INWORD = "find", "word", "inword"


@dataclass(frozen=True, slots=True)
class Anchor:
    """``text`` begins every match of (a branch of) the pattern, see :data:`FIND` ...

    ``cased``: compare exactly (a ``(?-i:...)`` part) rather than case-folded;
    ``gate``: a longer literal (text, cased) that the same branch needs somewhere -
    when the text lacks it, this anchor's occurrences need not be tried.
    """

    text: str
    mode: str
    cased: bool = False
    gate: tuple[str, bool] | None = None


def _scope(av, ignorecase: bool) -> bool:
    """Whether a SUBPATTERN's body is case-insensitive."""
    add, delete = av[1], av[2]
    return (ignorecase or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE


def _required(items: list, ignorecase: bool) -> tuple[str, bool] | None:
    """The longest literal (text, cased) any match of the sequence contains."""
    best: tuple[str, bool] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if run and (best is None or len(run) > len(best[0])):
            best = ("".join(run), not ignorecase)
        run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        inner = None
        if op is C.SUBPATTERN:
            inner = _required(list(av[-1]), _scope(av, ignorecase))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            inner = _required(list(av[2]), ignorecase)
        if inner and (best is None or len(inner[0]) > len(best[0])):
            best = inner
    flush()
    return best


def _first(items: list, boundary: bool, inword: bool, ignorecase: bool) -> list[Anchor] | None:
    """Anchors of a sequence, or None when none can be proven.

    Modes: FIND - the match starts where the literal occurs; WORD - the same, and
    ``\\b`` precedes it (so it starts a word); INWORD - a leading ``\\w*`` comes first,
    so the match starts at the beginning of the word that contains the literal.
    """
    for index, (op, av) in enumerate(items):
        if op in _ZERO_WIDTH:
            if op is C.AT and av is C.AT_BOUNDARY:
                boundary = True
            continue
        chars = _literal_set(op, av)
        if chars is not None:
            # Extend with the literal characters that follow ("p" "r" "i" "c" "e").
            prefixes = sorted(chars)
            for next_op, next_av in items[index + 1 :]:
                more = _literal_set(next_op, next_av)
                if more is None or len(prefixes) * len(more) > 32:
                    break
                prefixes = [p + c for p in prefixes for c in sorted(more)]
            mode = INWORD if inword else (WORD if boundary else FIND)
            return [Anchor(p, mode, not ignorecase) for p in prefixes]
        if op is C.SUBPATTERN:
            return _first(list(av[-1]), boundary, inword, _scope(av, ignorecase))
        if op is C.BRANCH:
            out: list[Anchor] = []
            for branch in av[1]:
                branch = list(branch)
                sub = _first(branch, boundary, inword, ignorecase)
                if not sub:
                    return None
                gate = _required(branch, ignorecase)
                for anchor in sub:
                    if anchor.gate is None and gate and len(gate[0]) > len(anchor.text):
                        anchor = Anchor(anchor.text, anchor.mode, anchor.cased, gate)
                    out.append(anchor)
            return out
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                return _first(list(av[2]), boundary, inword, ignorecase)
            if not inword and list(av[2]) == _WORD_CLASS and op is not C.POSSESSIVE_REPEAT:
                # "\w*preis": only a word start can begin it (from there \w* can reach
                # any later point of the word), so anchor on the literal's word.
                sub = _first(items[index + 1 :], False, True, ignorecase)
                if sub and all(_IS_WORD.match(a.text[0]) for a in sub):
                    return sub
        return None
    return None  # only zero-width items: could match the empty string


def anchors_of(pattern: re.Pattern[str]) -> list[Anchor] | None:
    """Anchors (folded unless cased) one of which begins every match, or None."""
    try:
        parsed = P.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError):
        return None
    flags = parsed.state.flags
    ignorecase = bool(flags & re.IGNORECASE)
    items = list(parsed)
    found = _first(items, False, False, ignorecase)
    if not found or len(found) > MAX_ANCHORS:
        return None
    top_gate = _required(items, ignorecase)
    unicode_words = not flags & re.ASCII  # \b must mean what \w+ tokens mean
    out: dict[Anchor, None] = {}
    for anchor in found:
        text = anchor.text if anchor.cased else fold(anchor.text)
        if not text or len(text) != len(anchor.text):
            return None
        mode = anchor.mode
        if mode == WORD and not (unicode_words and _IS_WORD.match(text[0])):
            mode = FIND
        if mode == INWORD and not unicode_words:
            return None
        gate = anchor.gate
        if top_gate and len(top_gate[0]) > max(len(text), len(gate[0]) if gate else 0):
            gate = top_gate
        if gate and not gate[1]:
            gate = (fold(gate[0]), False)
            if len(gate[0]) == 0:
                gate = None
        out[Anchor(text, mode, anchor.cased, gate)] = None
    # An anchor that extends another (same mode or FIND, same case rule, no gate) adds
    # nothing.
    kept: list[Anchor] = []
    for anchor in sorted(out, key=lambda a: len(a.text)):
        covered = (anchor.mode, FIND) if anchor.mode == WORD else (anchor.mode,)
        if not any(
            anchor.text.startswith(k.text)
            and k.mode in covered
            and k.gate is None
            and (k.cased <= anchor.cased)
            for k in kept
        ):
            kept.append(anchor)
    return kept


class Anchored:
    """A compiled regex with anchor-driven ``finditer``/``search`` (see module doc)."""

    __slots__ = ("pattern", "anchors", "inword", "_by2", "_by1", "_find")

    def __init__(self, pattern: re.Pattern[str] | str, flags: int = 0) -> None:
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.anchors = anchors_of(self.pattern)
        self.inword = any(a.mode == INWORD for a in self.anchors or ())
        # Word anchors by their first two characters (or one), looked up in the text's
        # index; the others are searched for, but only when the text has their
        # rarest (non-ASCII) character: Chinese phrases cost nothing in English mail.
        self._by2: dict[str, list[Anchor]] = {}
        self._by1: dict[str, list[Anchor]] = {}
        self._find: list[tuple[Anchor, str | None]] = []
        for anchor in self.anchors or ():
            key = fold(anchor.text)
            if anchor.mode == WORD and len(key) >= 2 and _IS_WORD.match(key, 1):
                self._by2.setdefault(key[:2], []).append(anchor)
            elif anchor.mode == WORD:
                self._by1.setdefault(key[0], []).append(anchor)
            else:
                rare = max((c for c in key if ord(c) > 127), default=None)
                self._find.append((anchor, rare))

    def possible(self, prepared: Prepared) -> bool:
        """False when no anchor can occur in the text (so there is no match): cheap."""
        if self.anchors is None or prepared.low is None or self._find or not prepared.use_index:
            return True
        if self._by2:
            index = prepared._by2 if prepared._by2 is not None else prepared.by2
            if not self._by2.keys().isdisjoint(index):
                return True
        return bool(self._by1) and not self._by1.keys().isdisjoint(prepared.by1)

    def _candidates(self, prepared: Prepared) -> list[int]:
        low = prepared.low or ""
        text = prepared.text
        has = prepared.has
        positions: set[int] = set()
        if not prepared.use_index:
            # Every occurrence of an anchor, word start or not: a superset of the
            # candidates, so the matches are still exactly those of ``re``.
            for anchor in self.anchors or ():
                source = text if anchor.cased else low
                word, inword = anchor.text, anchor.mode == INWORD
                at = source.find(word)
                while at >= 0:
                    positions.add(prepared.word_run_start(at) if inword else at)
                    at = source.find(word, at + 1)
            return sorted(positions)
        for mine, index in (
            (self._by2, (prepared._by2 or prepared.by2) if self._by2 else None),
            (self._by1, prepared.by1 if self._by1 else None),
        ):
            if not mine:
                continue
            for key in index.keys() & mine.keys():
                starts = index[key]
                for anchor in mine[key]:
                    if anchor.gate and not has(anchor.gate):
                        continue
                    source = text if anchor.cased else low
                    if len(anchor.text) == len(key) and not anchor.cased:
                        positions.update(starts)
                    else:
                        word = anchor.text
                        positions.update(s for s in starts if source.startswith(word, s))
        if self._find:
            chars = None
            for anchor, rare in self._find:
                if rare is not None:
                    chars = chars if chars is not None else prepared.chars
                    if rare not in chars:
                        continue
                if anchor.gate and not has(anchor.gate):
                    continue
                source = text if anchor.cased else low
                word, inword = anchor.text, anchor.mode == INWORD
                at = source.find(word)
                while at >= 0:
                    positions.add(prepared.word_run_start(at) if inword else at)
                    at = source.find(word, at + 1)
        return sorted(positions)

    def finditer(self, text: str | Prepared) -> Iterator[re.Match[str]]:
        """Exactly the matches of ``pattern.finditer(text)``."""
        prepared = prepare(text)
        if self.anchors is None or prepared.low is None:
            yield from self.pattern.finditer(prepared.text)
            return
        match = self.pattern.match
        source = prepared.text
        candidates = self._candidates(prepared)
        inword = self.inword
        count = len(candidates)
        i = pos = 0
        mid_word = False  # did the last match end inside a word (not tried there yet)?
        while True:
            if mid_word:
                # "\w*preis" can start anywhere in a word, so also where a match ended.
                start, mid_word = pos, False
            else:
                while i < count and candidates[i] < pos:
                    i += 1
                if i == count:
                    return
                start = candidates[i]
                i += 1
            m = match(source, start)
            if m is None:
                continue
            end = m.end()
            if end == start:  # an empty match: let ``re`` handle the subtleties
                yield from self.pattern.finditer(source, start)
                return
            yield m
            pos = end
            mid_word = (
                inword
                and bool(_IS_WORD.match(source, end))
                and bool(_IS_WORD.match(source, end - 1))
            )

    def search(self, text: str | Prepared) -> re.Match[str] | None:
        """Exactly ``pattern.search(text)``."""
        prepared = prepare(text)
        if not self.possible(prepared):
            return None
        for m in self.finditer(prepared):
            return m
        return None


def word_gate(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Word beginnings (up to :data:`HEAD` characters) one of which any match must contain.

    Looks at every place in the pattern where a word starts (after ``\\b`` or a space)
    and keeps the most selective set of anchors found there, cut to :data:`HEAD`
    characters. A
    text none of whose words begins with one of them cannot match (see
    :func:`word_starts`). None when no such place is found.
    """
    try:
        parsed = P.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError):
        return None
    ignorecase = bool(parsed.state.flags & re.IGNORECASE)
    items = list(parsed)
    best: frozenset[str] | None = None
    best_score = (0, 0)
    word_start = False
    for index, (op, av) in enumerate(items):
        if op is C.AT and av is C.AT_BOUNDARY:
            word_start = True
            continue
        if word_start:
            found = _first(items[index:], True, False, ignorecase)
            if found and all(a.mode == WORD and _IS_WORD.match(a.text) for a in found):
                # The word part of each anchor ("is " -> "is"), at most 3 characters.
                heads = frozenset(_WORD.match(fold(a.text)).group(0)[:HEAD] for a in found)
                score = (min(len(h) for h in heads), -len(heads))
                if score > best_score:
                    best, best_score = heads, score
        word_start = op is C.LITERAL and chr(av) == " "
    return best if best_score[0] >= 2 else None


#: Characters of a word beginning kept by :func:`word_gate` and :func:`word_starts`.
HEAD = 4
_HEADS = re.compile(rf"\b\w{{1,{HEAD}}}")


def word_starts(text: str) -> frozenset[str]:
    """The first 2 to :data:`HEAD` characters of every word of (folded) ``text``."""
    heads = set(_HEADS.findall(text))
    heads.update([h[:k] for h in heads for k in range(2, len(h))])
    return frozenset(heads)
