"""Labelled messages for triage training and evaluation, with the fixed split.

Split rule (documented, deterministic): a message goes to the *validation* half
iff ``int(sha1(ID)[:8], 16) % 2 == 1``, else to the *training* half, where ID is
the message's path relative to the corpora folder (``<corpus>/<file>``), and for
mbox messages ``<corpus>/<mbox file>#<index in that mbox>``.

Groups (``group`` names are what the evaluation reports per source):

* phish: ``nazario_phishing`` (trainable, research corpus) and ``phishing_pot``
  (CC BY-NC 4.0: evaluation only, never trained on - ``trainable=False``);
* spam: ``spamassassin_public`` spam-1 / spam-2;
* ham: ``spamassassin_public`` easy-ham-1/2, hard-ham-1 and ``enron_maildir_sample``.

``b2b_inquiry_candidates/enron`` (real Enron RFQ/quote mail) is extra *training*
ham only; its phishing_lures are Phishing Pot copies and are not used.
A missing corpus folder yields nothing (the figures become null).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tradeinbox.core.sources import iter_mbox  # noqa: E402

DEFAULT_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


@dataclass(frozen=True, slots=True)
class Item:
    id: str  # relative path (+ #index for mbox)
    path: str  # where to read it (file path, or "mbox#index")
    group: str  # evaluation source name
    label: str  # "phish" | "spam" | "ham"
    trainable: bool


def split_of(item_id: str) -> str:
    """``"train"`` or ``"validation"`` by the hash rule in the module docstring."""
    return "validation" if int(hashlib.sha1(item_id.encode()).hexdigest()[:8], 16) % 2 else "train"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def items(corpora: Path) -> Iterator[Item]:
    """Every labelled message (metadata only), in a stable order."""
    pot = corpora / "phishing_pot"
    if (pot / "labels.csv").exists():
        for row in _rows(pot / "labels.csv"):
            if (pot / row["file"]).is_file():
                yield Item(
                    f"phishing_pot/{row['file']}",
                    str(pot / row["file"]),
                    "phishing_pot",
                    "phish",
                    False,
                )
    nazario = corpora / "nazario_phishing"
    if (nazario / "labels.csv").exists():
        for row in _rows(nazario / "labels.csv"):
            if row["label"] != "phishing":
                continue  # the UW-IMAP folder pseudo-message
            index = int(row["index_in_this_mbox"])
            item_id = f"nazario_phishing/{row['mbox']}#{index}"
            yield Item(
                item_id, f"{nazario / row['mbox']}#{index}", "nazario_phishing", "phish", True
            )
    spamassassin = corpora / "spamassassin_public"
    if (spamassassin / "labels.csv").exists():
        for row in _rows(spamassassin / "labels.csv"):
            label = "spam" if row["label"] == "spam" else "ham"
            yield Item(
                f"spamassassin_public/{row['file']}",
                str(spamassassin / row["file"]),
                f"spamassassin_{label}",
                label,
                True,
            )
    enron = corpora / "enron_maildir_sample"
    if (enron / "labels.csv").exists():
        for row in _rows(enron / "labels.csv"):
            yield Item(
                f"enron_maildir_sample/{row['file']}",
                str(enron / row["file"]),
                "enron",
                "ham",
                True,
            )


def training_half(corpora: Path, *, shippable: bool) -> list[Item]:
    """The training half of every source plus :func:`extra_training_ham`.

    ``shippable``: only sources a model committed to the repository may learn from
    (phishing_pot excluded); otherwise all, as an installation may teach its own copy.
    """
    chosen = [
        i for i in items(corpora) if split_of(i.id) == "train" and (i.trainable or not shippable)
    ]
    return chosen + list(extra_training_ham(corpora))


def extra_training_ham(corpora: Path) -> Iterator[Item]:
    """Real Enron RFQ/quotation mail from b2b_inquiry_candidates (training only)."""
    folder = corpora / "b2b_inquiry_candidates"
    if not (folder / "candidates.csv").exists():
        return
    for row in _rows(folder / "candidates.csv"):
        if row["file"].startswith("enron/") and row["provenance_label"].startswith("ham"):
            yield Item(
                f"b2b_inquiry_candidates/{row['file']}",
                str(folder / row["file"]),
                "b2b",
                "ham",
                True,
            )


_MBOX_CACHE: dict[str, list[bytes]] = {}


def read(item: Item) -> bytes:
    """The raw bytes of one item (mbox files are split once and cached)."""
    if "#" in item.path and item.path.rsplit("#", 1)[1].isdigit():
        mbox, index = item.path.rsplit("#", 1)
        if mbox not in _MBOX_CACHE:
            _MBOX_CACHE[mbox] = [m.data for m in iter_mbox(Path(mbox))]
        return _MBOX_CACHE[mbox][int(index)]
    return Path(item.path).read_bytes()
