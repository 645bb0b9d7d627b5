"""Person merges on the Enron maildir sample: precision and recall against names.

The merge logic (:mod:`tradeinbox.core.identity`) sees what a mail client sees: the
From/To/Cc addresses and display names, the bodies (signatures, "my personal email is"),
and the reply structure. It never reads the ``X-From``/``X-To``/``X-cc`` headers that the
Enron conversion added.

The reference list is derived from exactly those headers, independently: each address in
From/To/Cc is aligned with its ``X-`` entry (same position, only when the counts agree),
the entry's name is normalised to "first last" ("Carson, Mike" -> "mike carson"; middle
initials, titles and suffixes dropped), and addresses sharing a normalised person name are
one person. Names that are not people (lists, newsletters, "Office of the Chairman") and
placeholder addresses that carry many names (``no.address@enron.com``) are left out.

Figures are pairwise over addresses that have a reference name:

* precision = correct merged pairs / merged pairs, recall = correct / reference pairs;
* ``surname_false_merges``: merged pairs of two different reference people who share a
  surname (must be 0);
* ``*_with_proposals``: the same figures if a user confirmed every proposed merge.

    .venv/bin/python bench/identity_eval.py [--corpora DIR] [--limit N] [--verbose]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tradeinbox.core.identity import (  # noqa: E402
    IdentityCollector,
    candidate_pairs,
    cluster,
    facts_from_parsed,
)
from tradeinbox.core.parse import parse_message  # noqa: E402

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CORPUS = "enron_maildir_sample"
_HEADERS = BytesParser(policy=compat32)
_NOT_PEOPLE = re.compile(
    r"\b(?:office|team|group|list|news|newsletter|announcement|announcements|enron|com|net|org|"
    r"dl|ga|all|online|relations|chairman|technology|payroll|committee|department|services?|"
    r"center|airlines|airways|desk|support|info|mail|options|participants)\b",
    re.I,
)
_SUFFIX = {"jr", "sr", "ii", "iii", "iv", "mr", "mrs", "ms", "dr"}


def _split_x(value: str) -> list[str]:
    """Entries of an X-To/X-cc header: 'Last, First </O=...>, "A B" <a@b>@ENRON, ...'."""
    value = " ".join(value.split())
    if not value:
        return []
    if "<" in value:
        return [p.strip(" ,") for p in re.findall(r"[^<>]*?<[^>]*>(?:@\w+)?", value)]
    return [p.strip() for p in value.split(",") if p.strip()]


def reference_name(entry: str) -> str | None:
    """'Carson, Mike </O=ENRON/...>' -> 'mike carson'; None for non-person entries."""
    text = re.sub(r"<[^>]*>", " ", entry)
    text = re.sub(r"@\w+\s*$", "", text.strip()).strip().strip('"').strip()
    text = re.sub(r"\([^)]*\)", " ", text)
    if "@" in text or not text or _NOT_PEOPLE.search(text):
        return None
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    tokens = [t for t in re.sub(r"[^a-z\s'-]", " ", text.lower()).split()]
    tokens = [t.strip("'-") for t in tokens if t.strip("'-") not in _SUFFIX]
    full = [t for t in tokens if len(t) > 1]
    if len(full) < 2 or len(tokens) > 4:
        return None
    return f"{full[0]} {full[-1]}"


def reference_people(files: list[Path]) -> dict[str, str]:
    """address -> reference person name, from X- headers only."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for path in files:
        msg = _HEADERS.parsebytes(path.read_bytes(), headersonly=True)
        for field, xfield in (("From", "X-From"), ("To", "X-To"), ("Cc", "X-cc")):
            addresses = [a.lower() for _n, a in getaddresses([str(msg.get(field, ""))]) if a]
            entries = _split_x(str(msg.get(xfield, "")))
            if not addresses or len(addresses) != len(entries):
                continue
            for address, entry in zip(addresses, entries, strict=True):
                name = reference_name(entry)
                if name and "@" in address and not address.startswith((".", "'")):
                    seen[address][name] += 1
    out: dict[str, str] = {}
    for address, names in seen.items():
        if len(names) > 2:
            continue  # a placeholder that stands for many people
        name, count = names.most_common(1)[0]
        if count >= 0.6 * sum(names.values()):
            out[address] = name
    return out


def _pairs(people: list[set[str]], universe: dict[str, str]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for person in people:
        known = sorted(a for a in person if a in universe)
        out.update(combinations(known, 2))
    return out


def _figures(predicted: set[tuple[str, str]], gold: set[tuple[str, str]], ref: dict) -> dict:
    tp = len(predicted & gold)
    surname = [p for p in predicted - gold if ref[p[0]].split()[-1] == ref[p[1]].split()[-1]]
    return {
        "merged_pairs": len(predicted),
        "correct_pairs": tp,
        "precision": round(tp / len(predicted), 4) if predicted else None,
        "recall": round(tp / len(gold), 4) if gold else None,
        "surname_false_merges": len(surname),
        "false_examples": sorted(predicted - gold)[:10],
    }


def evaluate(corpora: Path, limit: int | None = None, verbose: bool = False) -> dict:
    root = corpora / CORPUS
    if not root.is_dir():
        return {"corpus": CORPUS, "messages": 0, "precision": None, "recall": None}
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".md", ".csv"))
    if limit:
        files = files[:limit]
    started = time.perf_counter()
    ref = reference_people(files)
    collector = IdentityCollector()
    for path in files:
        try:
            parsed = parse_message(path.read_bytes())
        except Exception:  # noqa: BLE001 - a bad file is skipped, as the importer would
            continue
        collector.add(facts_from_parsed(parsed))
    scored = candidate_pairs(collector.profiles, collector.links)
    result = cluster(collector.profiles, scored, collector.profiles)
    by_name: dict[str, set[str]] = defaultdict(set)
    for address, name in ref.items():
        by_name[name].add(address)
    gold = _pairs(list(by_name.values()), ref)
    applied = _pairs(result.people, ref)
    # If a user confirmed every proposal: apply the proposed pairs too.
    confirmed = cluster(
        collector.profiles,
        [s for s in scored if s.strength == "strong"] + [_as_strong(p) for p in result.proposals],
        collector.profiles,
    )
    with_proposals = _pairs(confirmed.people, ref)
    figures = _figures(applied, gold, ref)
    proposals = _figures(with_proposals, gold, ref)
    if verbose:
        for pair in sorted(gold - applied)[:60]:
            print("missed", pair, ref[pair[0]])
        for pair in sorted(applied - gold):
            print("false", pair, ref[pair[0]], "/", ref[pair[1]])
        for pair in sorted(with_proposals - gold):
            print("false proposed", pair, ref[pair[0]], "/", ref[pair[1]])
        for s in scored:
            if "chavis" in s.a + s.b or "legros" in s.a + s.b:
                print(s)
    return {
        "corpus": CORPUS,
        "messages": len(files),
        "addresses": len(collector.profiles),
        "reference_addresses": len(ref),
        "reference_people_with_several_addresses": sum(1 for v in by_name.values() if len(v) > 1),
        "reference_pairs": len(gold),
        "merged_pairs": figures["merged_pairs"],
        "precision": figures["precision"],
        "recall": figures["recall"],
        "surname_false_merges": figures["surname_false_merges"],
        "proposals": len(result.proposals),
        "precision_with_proposals": proposals["precision"],
        "recall_with_proposals": proposals["recall"],
        "surname_false_merges_with_proposals": proposals["surname_false_merges"],
        "refused_unions": len(result.refused),
        "false_examples": figures["false_examples"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def _as_strong(pair):
    from tradeinbox.core.identity import STRONG, PairScore

    return PairScore(pair.a, pair.b, max(pair.weight, STRONG), pair.evidence, pair.name_match)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    figures = evaluate(args.corpora, args.limit, args.verbose)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
