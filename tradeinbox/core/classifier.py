"""A small learned text model for the threat guard, scored in pure Python.

Two logistic-regression models share one hashed feature space (the "hashing
trick", Weinberger et al. 2009): *threat* (phishing or spam vs. legitimate) and
*phish* (phishing vs. spam). Features are content only, so the model does not
learn quirks of the corpora it was trained on:

* words of the subject (prefixed) and of the first part of the body, lower-cased,
  digits folded to ``0`` (a year is "0000", a price "000"), CJK text as character
  pairs;
* body structure: numbers of links / link domains as buckets, "click here" anchors,
  link-text mismatch, IP links (image-map areas and form actions included),
  shorteners, free hosting, forms, HTML without text, attachment kinds, body length;
* the noisy-OR score of the explainable rules in :mod:`tradeinbox.core.threats`.

No header names, dates, mailbox names or Received-line counts are features.
Weights live in ``data/triage_model.bin`` (written by ``bench/train_classifier.py``),
loaded with the standard library: inference needs neither numpy nor scikit-learn.

Local learning ("mark wrong"): :meth:`TriageModel.update` applies one online
logistic-regression step (stochastic gradient descent with a small learning
rate) for a message a user relabelled, and :meth:`TriageModel.save` writes the
adjusted weights to a user-owned file (:func:`update_local_model` does both);
:func:`load_model` loads such a file
instead of the shipped one. The web app keeps its own copy per installation.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from operator import mul
from pathlib import Path

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr
from tradeinbox.core.linkscan import LinkReport
from tradeinbox.core.message import ParsedMessage

MODEL_PATH = Path(__file__).with_name("data") / "triage_model.bin"
MAGIC = b"TRIAGE1\n"
DIM_BITS = 18
_DEFAULT_MASK = (1 << DIM_BITS) - 1
BODY_CHARS = 5000

_WORD = re.compile(r"[^\W\d_]{2,24}|\d{1,8}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_DIGIT = re.compile(r"\d")
_ATTACH_KIND = {
    "pdf": "pdf",
    "doc": "doc", "docx": "doc", "odt": "doc", "rtf": "doc",
    "xls": "sheet", "xlsx": "sheet", "csv": "sheet", "ods": "sheet",
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "bmp": "image",
    "zip": "archive", "rar": "archive", "7z": "archive", "gz": "archive",
    "htm": "html", "html": "html", "shtml": "html", "svg": "html",
    "exe": "program", "scr": "program", "js": "program", "vbs": "program", "bat": "program",
    "iso": "disk", "img": "disk", "docm": "macro", "xlsm": "macro",
}  # fmt: skip


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return str(edge)
    return f">{edges[-1]}"


def tokens(
    msg: ParsedMessage, links: LinkReport, rules: Iterable[Evidence] = ()
) -> tuple[list[str], list[str]]:
    """(text tokens, structure tokens) of one message; pure function of content.

    ``rules``: the threat rules' evidence; each rule that fired is a structure token
    ("#r:threat.link.ip"), so the model learns from data how much each one is worth.
    """
    text_tokens: list[str] = []
    subject = _DIGIT.sub("0", msg.subject.lower())
    body = _DIGIT.sub("0", msg.text[:BODY_CHARS].lower())
    # Words only: adjacent word pairs scored lower in cross-validation on the training
    # half (they memorise phrasings of that mail) and cost half of the scoring time.
    for prefix, source in (("s:", subject), ("", body)):
        words = _WORD.findall(source)
        text_tokens.extend([prefix + w for w in words] if prefix else words)
        for run in _CJK.findall(source):
            text_tokens.extend(prefix + run[i : i + 2] for i in range(max(1, len(run) - 1)))
    # Whether a body is HTML and how many images it has are *not* features: in the
    # training corpora legitimate mail is mostly plain text (2002 mailing lists,
    # Enron), while today most legitimate mail is HTML - the model must not learn that.
    structure = [
        "links:" + _bucket(links.n_links, (0, 1, 3, 8, 20, 50)),
        "domains:" + _bucket(len(links.domains), (0, 1, 2, 4, 8)),
        "len:" + _bucket(len(msg.text), (200, 600, 1500, 4000, 12000)),
    ]
    content_type = (msg.header("content-type") or "").lower().lstrip()
    if msg.html and content_type.startswith("text/html"):
        # HTML with no plain-text alternative: mail clients and mailing services send
        # both; phishing kits often send HTML alone (SpamAssassin's MIME_HTML_ONLY).
        structure.append("html_only")
    if msg.html and len(msg.text.strip()) < 40:
        # HTML whose text is (almost) nothing: a picture or hidden text carries the
        # message, which spam and phishing do to slip past text filters.
        structure.append("html_no_text")
    if links.click_here:
        structure.append("click_here")
    if links.mismatches:
        structure.append("mismatch")
    if links.ip_links:
        structure.append("ip_link")
    if links.shorteners:
        structure.append("shortener")
    if links.free_hosting:
        structure.append("free_hosting")
    if links.forms:
        structure.append("form")
    if links.password_form:
        structure.append("password_form")
    if msg.html and links.n_links and links.link_text_chars * 3 > len(msg.text):
        structure.append("mostly_link_text")
    for attachment in msg.attachments[:10]:
        ext = attachment.filename.lower().rpartition(".")[2] if "." in attachment.filename else ""
        kind = _ATTACH_KIND.get(ext, "other")
        if kind != "image" and attachment.disposition != "inline":
            structure.append("att:" + kind)
    letters = [c for c in msg.subject if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        structure.append("subject_caps")
    if msg.subject.count("!") >= 2 or "$" in msg.subject:
        structure.append("subject_shout")
    if not msg.subject.strip():
        structure.append("no_subject")
    fired = {e.rule for e in rules if e.weight > 0 and not e.rule.startswith("model.")}
    structure.extend("r:" + rule for rule in sorted(fired))
    return text_tokens, structure


_INDEX_CACHE: dict[str, int] = {}


def _index(token: str, mask: int) -> int:
    """Hashed feature index (CRC-32: stable across processes, unlike ``hash``).

    Index 0 is the rule score's: a token hashing there moves to 1.
    """
    key = token if mask == _DEFAULT_MASK else f"{mask}\x00{token}"
    found = _INDEX_CACHE.get(key)
    if found is None:
        found = zlib.crc32(token.encode("utf-8", "surrogatepass")) & mask or 1
        if len(_INDEX_CACHE) > 500_000:  # bound the memory of a long-running worker
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = found
    return found


def _indexes(names: list[str], mask: int) -> list[int]:
    """:func:`_index` of every name; known names are looked up in one C-level pass."""
    if mask != _DEFAULT_MASK:
        return [_index(name, mask) for name in names]
    found = list(map(_INDEX_CACHE.get, names))
    if None in found:
        found = [i if i is not None else _index(n, mask) for i, n in zip(found, names, strict=True)]
    return found


def _vectorise(
    msg: ParsedMessage,
    links: LinkReport,
    rule_score: float,
    mask: int,
    rules: Iterable[Evidence],
) -> tuple[dict[int, float], list[int], list[str], list[int], list[str]]:
    """(vector, text indexes, their tokens, structure indexes, their tokens)."""
    text_tokens, structure = tokens(msg, links, rules)
    unique = list(dict.fromkeys(text_tokens))  # first-seen order: the same names every run
    marked = ["#" + token for token in structure]
    text_index = _indexes(unique, mask)
    structure_index = _indexes(marked, mask)
    vector: dict[int, float] = {}
    if text_index:
        value = 1.0 / math.sqrt(len(text_index))
        vector = dict.fromkeys(text_index, value)
        if len(vector) < len(text_index):  # hash collisions add up
            for index, count in Counter(text_index).items():
                if count > 1:
                    vector[index] = value * count
    get = vector.get
    for index in structure_index:
        vector[index] = get(index, 0.0) + 1.0
    vector[0] = 3.0 * rule_score
    return vector, text_index, unique, structure_index, marked


def _names(
    text_index: list[int], unique: list[str], structure_index: list[int], marked: list[str]
) -> dict[int, str]:
    # index -> token, for explanations (a later token wins a hash collision).
    names = dict(zip(text_index, unique, strict=True))
    names.update(zip(structure_index, marked, strict=True))
    names[0] = "#rules"
    return names


def features(
    msg: ParsedMessage,
    links: LinkReport,
    rule_score: float,
    dim_bits: int = DIM_BITS,
    rules: Iterable[Evidence] = (),
) -> tuple[dict[int, float], dict[int, str]]:
    """Sparse feature vector {index: value} and index -> token (for explanations).

    Index 0 is reserved for the rule score; text tokens are binary and L2-normalised
    so long messages do not shout; structure tokens count 1 each.
    """
    vector, *named = _vectorise(msg, links, rule_score, (1 << dim_bits) - 1, rules)
    return vector, _names(*named)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class TriageModel:
    """Two linear models over the hashed features; see the module docstring."""

    def __init__(self, meta: dict, threat: array, phish: array) -> None:
        self.meta = meta
        self.dim_bits = int(meta["dim_bits"])
        self.threat_w, self.phish_w = threat, phish
        self.threat_b = float(meta["threat_intercept"])
        self.phish_b = float(meta["phish_intercept"])
        # A calibration shift so that p >= 0.5 is the operating point chosen in training.
        self.threat_shift = float(meta.get("threat_shift", 0.0))
        # Rules that fired often enough in the training data for the model to have
        # learned their worth (as "#r:" features); the others keep their expert weight
        # in the verdict (see threats.assess_threat).
        self.learned_rules = frozenset(meta.get("learned_rules", ()))

    def logits(self, vector: dict[int, float]) -> tuple[float, float]:
        keys, values = vector.keys(), vector.values()
        # Dot products with map/sum: the loop runs in C (about 3x faster than a for loop).
        threat = sum(map(mul, map(self.threat_w.__getitem__, keys), values))
        phish = sum(map(mul, map(self.phish_w.__getitem__, keys), values))
        return threat + self.threat_b + self.threat_shift, phish + self.phish_b

    def score(
        self,
        msg: ParsedMessage,
        links: LinkReport,
        rule_score: float,
        rules: Iterable[Evidence] = (),
    ) -> tuple[float, float, list[Evidence]]:
        """(threat probability, phish-vs-spam probability, explanation evidence)."""
        mask = (1 << self.dim_bits) - 1
        vector, *named = _vectorise(msg, links, rule_score, mask, rules)
        threat_z, phish_z = self.logits(vector)
        threat_p, phish_p = _sigmoid(threat_z), _sigmoid(phish_z)
        detail = tr(
            "text model: threat %(threat).2f, phish-vs-spam %(phish).2f",
            threat=threat_p,
            phish=phish_p,
        )
        top: list[str] = []
        if threat_p >= 0.25:  # explain what pushed towards "threat"
            weights = self.threat_w
            products = map(mul, map(weights.__getitem__, vector), vector.values())
            strong = [(c, i) for i, c in zip(vector, products, strict=True) if i and c > 0.05]
            names = _names(*named) if strong else {}
            contributions = heapq.nlargest(6, ((c, names[i]) for c, i in strong))
            top = [name for c, name in contributions]
        if top:
            detail += "; " + tr("strongest features: %(features)s", features=", ".join(top))
        return threat_p, phish_p, [Evidence("model.threat", round(threat_p - 0.5, 3), detail)]

    def update(
        self,
        msg: ParsedMessage,
        links: LinkReport,
        rule_score: float,
        is_threat: bool,
        is_phish: bool | None = None,
        learning_rate: float = 0.5,
        rules: Iterable[Evidence] = (),
    ) -> None:
        """One online gradient step towards the user's label ("mark wrong")."""
        vector, _ = features(msg, links, rule_score, self.dim_bits, rules)
        threat_z, phish_z = self.logits(vector)
        error = (1.0 if is_threat else 0.0) - _sigmoid(threat_z)
        for index, value in vector.items():
            self.threat_w[index] += learning_rate * error * value
        self.threat_b += learning_rate * error * 0.1
        if is_threat and is_phish is not None:
            error = (1.0 if is_phish else 0.0) - _sigmoid(phish_z)
            for index, value in vector.items():
                self.phish_w[index] += learning_rate * error * value
        self.meta["local_updates"] = int(self.meta.get("local_updates", 0)) + 1

    def copy(self) -> TriageModel:
        """An independent copy (weights, intercepts and shift as they are now)."""
        return TriageModel(self._header(), self.threat_w[:], self.phish_w[:])

    def _header(self) -> dict:
        return dict(
            self.meta,
            threat_intercept=self.threat_b,
            phish_intercept=self.phish_b,
            threat_shift=self.threat_shift,
        )

    def save(self, path: Path) -> None:
        """Write the model (header JSON + zlib-compressed float32 weights)."""
        header = json.dumps(self._header(), sort_keys=True).encode("utf-8")
        payload = zlib.compress(self.threat_w.tobytes() + self.phish_w.tobytes(), 9)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(MAGIC + len(header).to_bytes(4, "big") + header + payload)
        tmp.replace(path)


def _read_header(handle) -> dict | None:
    """The JSON header of an open model file (None: not a model file); the handle is
    left at the start of the weights."""
    head = handle.read(len(MAGIC) + 4)
    if not head.startswith(MAGIC):
        return None
    return json.loads(handle.read(int.from_bytes(head[len(MAGIC) :], "big")))


def load_model(path: Path = MODEL_PATH) -> TriageModel | None:
    """Load a model file; None when it is absent or unreadable."""
    try:
        with path.open("rb") as handle:
            meta = _read_header(handle)
            payload = handle.read() if meta is not None else b""
    except OSError:
        return None
    if meta is None:
        return None
    weights = array("f")
    weights.frombytes(zlib.decompress(payload))
    dim = 1 << int(meta["dim_bits"])
    if len(weights) != 2 * dim:
        return None
    return TriageModel(meta, weights[:dim], weights[dim:])


def read_model_meta(path: Path) -> dict | None:
    """The header of a model file (what it was taught, its settings), weights unread."""
    try:
        with path.open("rb") as handle:
            return _read_header(handle)
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def default_model() -> TriageModel | None:
    """The shipped model, loaded once per process."""
    return load_model(MODEL_PATH)


def update_local_model(
    path: Path,
    msg: ParsedMessage,
    label: str,
    *,
    links: LinkReport | None = None,
    rule_score: float | None = None,
    learning_rate: float = 0.5,
    rules: list[Evidence] | None = None,
) -> TriageModel:
    """Apply one "mark wrong" correction to the installation's own model file.

    ``label`` is what the user says the message is ("phish", "spam" or "ham").
    The first correction copies the shipped model to ``path``; later ones update
    it in place. Returns the updated model (load it with :func:`load_model`).
    """
    if label not in ("phish", "spam", "ham"):
        raise ValueError(f"label must be phish, spam or ham, not {label!r}")
    model = load_model(path) if path.exists() else load_model(MODEL_PATH)
    if model is None:
        raise FileNotFoundError(f"no model at {path} or {MODEL_PATH}")
    if links is None or rule_score is None:
        from tradeinbox.core.threats import ThreatContext, combine_rules, rule_evidence

        rules, links = rule_evidence(msg, ThreatContext())
        rule_score = combine_rules(rules)
    is_threat = label != "ham"
    model.update(
        msg,
        links,
        rule_score,
        is_threat=is_threat,
        is_phish=(label == "phish") if is_threat else None,
        learning_rate=learning_rate,
        rules=rules or (),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model
