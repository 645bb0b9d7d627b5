"""Teach the threat model from labelled mail: what ``sa-learn`` is to SpamAssassin's Bayes.

The shipped model (``bench/train_classifier.py``) learnt from phishing and spam of
2002-2007, the newest mail whose licence allows shipping a model trained on it. The
mail an installation receives today looks different: crypto "airdrops", callback
scams, lures in Dutch or Portuguese. :func:`learn` continues training a copy of the
model with messages the user labels (a quarantine folder of phishing they received,
their Inbox as ham), so the installation's own model knows its own mail.

Two steps, both deterministic (same messages in, same weights out):

1. **Training.** A few epochs of stochastic gradient descent on the logistic loss,
   starting from the current weights, ham weighted :data:`HAM_WEIGHT` times, the
   learning rate multiplied by :data:`RATE_DECAY` every epoch. Starting from the current weights keeps what the
   model knew; the user's examples move it where their mail differs.
2. **Operating point.** Learning threats raises every score a little, ham included.
   The model's calibration shift is moved so that the taught ham is flagged no more
   often than before learning: the score below which the share :data:`HAM_QUANTILE`
   of the taught ham lies keeps its place relative to the threshold, and the
   threshold never becomes keener than it was (see :func:`_recalibrated_shift`). Teaching never buys recall with false positives on
   the good mail the user has shown it; that is why some ham must be taught
   (:data:`MIN_HAM`).

The hyper-parameters were chosen by nested 5-fold cross-validation inside the training
half of the shared corpora (``bench/learn_cv.py``): for each fold a base model is
trained as the shipped one is, but without that fold, then taught the other folds,
phishing_pot's training half included, and scored on the fold. Chosen: the highest
phishing recall whose ham false-positive rate stays within the shipped model's 0.4%.
The validation half was not consulted.
"""

from __future__ import annotations

import fcntl
import math
import random
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import mul
from pathlib import Path

from tradeinbox.core.classifier import TriageModel, _sigmoid, features
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.threats import combine_rules

LABELS = ("phish", "spam", "ham")
EPOCHS = 6
LEARNING_RATE = 1.0
#: The learning rate is multiplied by this after every epoch.
RATE_DECAY = 0.8
HAM_WEIGHT = 6.0
#: The share of the taught ham whose score anchors the operating point.
HAM_QUANTILE = 0.004
#: Fewer taught ham than this and the operating point cannot be kept honest.
MIN_HAM = 100


class LearningError(ValueError):
    """The examples cannot teach the model (too few ham, no threat, unknown label)."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message, featurised exactly as ``tradeinbox analyze`` scores it.

    Kept compact (an Inbox of 50,000 messages is a fair lesson): the sparse vector as
    two arrays, and of the rule evidence only the ids and weights of what fired.
    """

    indices: array  # feature indices ("l")
    values: array  # their values ("d")
    rules: tuple[Evidence, ...]  # what fired with a positive weight, details dropped
    label: str  # "phish" | "spam" | "ham"

    @classmethod
    def of(cls, vector: dict[int, float], evidence: Iterable[Evidence], label: str) -> Example:
        rules = tuple(Evidence(e.rule, e.weight, "") for e in evidence if e.weight > 0)
        return cls(array("l", vector), array("d", vector.values()), rules, label)


def featurise(msg: ParsedMessage) -> tuple[dict[int, float], list[Evidence]]:
    """(feature vector, rule evidence) of one message, as the threat guard computes them
    without installation settings (no own domains, trust by position)."""
    from tradeinbox.core.authres import trusted_verdict
    from tradeinbox.core.origin import find_client_ip
    from tradeinbox.core.threats import ThreatContext, rule_evidence

    _, boundary, _, _ = find_client_ip(msg)
    auth = trusted_verdict(msg, None, boundary)
    evidence, links = rule_evidence(msg, ThreatContext(), auth)
    vector, _ = features(msg, links, combine_rules(evidence), rules=evidence)
    return vector, evidence


def example_of(msg: ParsedMessage, label: str) -> Example:
    if label not in LABELS:
        raise LearningError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    vector, evidence = featurise(msg)
    return Example.of(vector, evidence, label)


@dataclass(frozen=True, slots=True)
class LearningReport:
    taught: dict[str, int]
    ham_flagged_before: int
    ham_flagged_after: int
    threats_flagged_before: int
    threats_flagged_after: int
    shift_before: float
    shift_after: float

    def as_dict(self) -> dict:
        return {
            "taught": self.taught,
            "taught_ham_flagged": {
                "before": self.ham_flagged_before,
                "after": self.ham_flagged_after,
            },
            "taught_threats_flagged": {
                "before": self.threats_flagged_before,
                "after": self.threats_flagged_after,
            },
            "shift": {"before": round(self.shift_before, 4), "after": round(self.shift_after, 4)},
        }


def _unlearned_score(model: TriageModel, example: Example) -> float:
    """Noisy-OR of the rules the model did not learn (they join its verdict unchanged)."""
    return combine_rules([e for e in example.rules if e.rule not in model.learned_rules])


def _raw_logits(model: TriageModel, example: Example) -> tuple[float, float]:
    """(threat, phish) logits without the calibration shift."""
    keys, values = example.indices, example.values
    threat = sum(map(mul, map(model.threat_w.__getitem__, keys), values))
    phish = sum(map(mul, map(model.phish_w.__getitem__, keys), values))
    return threat + model.threat_b, phish + model.phish_b


def _flag_limit(model: TriageModel, example: Example) -> float:
    """The smallest calibration shift at which the verdict flags ``example``.

    The verdict is ``1 - (1 - sigmoid(z + shift)) * (1 - r) >= 0.5`` (see
    ``threats.assess_threat``), so it flags when ``shift >= logit(1 - 0.5 / (1 - r)) - z``,
    always when the unlearned rules alone reach 0.5.
    """
    r = _unlearned_score(model, example)
    if r >= 0.5:
        return -math.inf
    need = min(max(1.0 - 0.5 / (1.0 - r), 1e-12), 1.0 - 1e-12)
    raw_z, _ = _raw_logits(model, example)
    return math.log(need / (1.0 - need)) - raw_z


def _flagged(model: TriageModel, examples: Iterable[Example]) -> int:
    return sum(1 for e in examples if _flag_limit(model, e) <= model.threat_shift)


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.floor(len(ordered) * share)))]


def _recalibrated_shift(before: TriageModel, after: TriageModel, ham: list[Example]) -> float:
    """The shift that keeps the taught ham's :data:`HAM_QUANTILE` score where it was,
    lowered further if need be so that no more taught ham is flagged than before."""
    old_limits = [_flag_limit(before, e) for e in ham]
    new_limits = [_flag_limit(after, e) for e in ham]
    moved = _quantile(new_limits, HAM_QUANTILE) - _quantile(old_limits, HAM_QUANTILE)
    # Infinite when that much ham is flagged by the rules alone, whatever the model says.
    # Never above the old shift: a narrow set of taught ham (all of one kind, easy to
    # tell apart) would otherwise make the verdict keener on every other kind of mail.
    shift = before.threat_shift + min(0.0, moved if math.isfinite(moved) else 0.0)
    allowed = sum(1 for limit in old_limits if limit <= before.threat_shift)
    ordered = sorted(new_limits)
    if allowed < len(ordered) and sum(1 for limit in ordered if limit <= shift) > allowed:
        shift = ordered[allowed] - 1e-6  # just below the (allowed+1)-th smallest limit
    return shift


def _sgd(model: TriageModel, examples: list[Example], seed: int) -> None:
    """Logistic-loss SGD on both heads, in place (see the module docstring)."""
    order = list(range(len(examples)))
    rng = random.Random(seed)
    rate = LEARNING_RATE
    threat_w, phish_w = model.threat_w, model.phish_w
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for index in order:
            example = examples[index]
            items = list(zip(example.indices, example.values, strict=True))
            z, phish_z = _raw_logits(model, example)  # learn on the uncalibrated score
            if example.label == "ham":
                step = rate * HAM_WEIGHT * (0.0 - _sigmoid(z))
            else:
                step = rate * (1.0 - _sigmoid(z))
                phish_step = rate * ((example.label == "phish") - _sigmoid(phish_z))
                for key, value in items:
                    phish_w[key] += phish_step * value
                model.phish_b += phish_step * 0.1
            for key, value in items:
                threat_w[key] += step * value
            model.threat_b += step * 0.1
        rate *= RATE_DECAY


def learn(model: TriageModel, examples: list[Example], *, seed: int = 0) -> LearningReport:
    """Teach ``model`` the labelled ``examples`` in place; see the module docstring."""
    taught = {label: sum(1 for e in examples if e.label == label) for label in LABELS}
    if taught["ham"] < MIN_HAM:
        raise LearningError(
            f"teach at least {MIN_HAM} ham messages alongside (got {taught['ham']}): "
            "without them the model cannot keep its false-positive rate "
            "(your Inbox or Sent folder will do)"
        )
    if not taught["phish"] + taught["spam"]:
        raise LearningError("no phishing or spam to learn from")
    ham = [e for e in examples if e.label == "ham"]
    threats = [e for e in examples if e.label != "ham"]
    before = model.copy()
    ham_before, threats_before = _flagged(before, ham), _flagged(before, threats)
    _sgd(model, examples, seed)
    model.threat_shift = _recalibrated_shift(before, model, ham)
    history = dict(model.meta.get("taught") or {})
    for label, count in taught.items():
        history[label] = int(history.get(label, 0)) + count
    model.meta["taught"] = history
    return LearningReport(
        taught,
        ham_before,
        _flagged(model, ham),
        threats_before,
        _flagged(model, threats),
        before.threat_shift,
        model.threat_shift,
    )


@contextmanager
def model_file_lock(path: Path) -> Iterator[None]:
    """One writer at a time for a model file: it is read, changed and replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
