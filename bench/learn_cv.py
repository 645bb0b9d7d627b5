"""Nested cross-validation of ``tradeinbox learn`` inside the training half.

How :mod:`tradeinbox.core.threat_learning` got its hyper-parameters, reproducibly.
Only the *training half* (bench/triage_data.py) is read, phishing_pot's included. For
each of 5 folds:

1. a base model is trained as ``bench/train_classifier.py`` trains the shipped one
   (liblinear, C=300, operating point by an inner 3-fold cross-validation at 0.4% of
   the ham), on the other folds without phishing_pot - so the fold's ham is as new to
   it as an installation's mail is to the shipped model;
2. that base model is taught the other folds, phishing_pot's included, with each
   candidate setting (epochs, learning rate, its decay, ham weight);
3. both are scored on the fold.

Printed per setting: phishing recall (all, and phishing_pot's), ham false-positive
rate. The rule that chose the shipped setting: the highest phishing recall whose ham
false-positive rate stays within 0.4%. Needs ``pip install -e .[train]``.

    .venv/bin/python bench/learn_cv.py [--corpora DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_classifier import (  # noqa: E402
    LEARNED_MIN,
    TARGET_HAM_FP,
    assemble,
    featurise,
    operating_point,
)
from triage_data import DEFAULT_CORPORA, read, training_half  # noqa: E402

from tradeinbox.core import threat_learning  # noqa: E402
from tradeinbox.core.classifier import DIM_BITS, TriageModel  # noqa: E402
from tradeinbox.core.threat_learning import Example, _flag_limit, learn  # noqa: E402
from tradeinbox.core.threats import combine_rules  # noqa: E402

FOLDS = 5
SETTINGS = [  # epochs, learning rate, decay per epoch, ham weight
    (6, 0.5, 0.5, 3.0),
    (6, 0.5, 0.8, 3.0),
    (6, 1.0, 0.8, 3.0),
    (10, 1.0, 0.8, 3.0),
    (6, 1.0, 0.8, 6.0),
    (6, 2.0, 0.8, 3.0),
    (10, 2.0, 0.8, 3.0),
]


def _example(item) -> tuple[str, Example] | None:
    result = featurise(read(item))
    if result is None:
        return None
    vector, evidence = result
    return item.group, Example.of(vector, evidence, item.label)


def base_model(examples: list[Example]) -> TriageModel:
    """A model trained as the shipped one is (C fixed at 300, its usual choice)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    dim = 1 << DIM_BITS
    rows, cols, vals = [], [], []
    for row, example in enumerate(examples):
        for index, value in zip(example.indices, example.values, strict=True):
            rows.append(row)
            cols.append(index)
            vals.append(value)
    X = csr_matrix((vals, (rows, cols)), shape=(len(examples), dim))
    y = np.array([e.label != "ham" for e in examples]).astype(int)
    fired = Counter(r for e in examples for r in {item.rule for item in e.rules})
    learned = sorted(r for r, n in fired.items() if n >= LEARNED_MIN)
    rules = np.array(
        [combine_rules([item for item in e.rules if item.rule not in learned]) for e in examples]
    )

    def fit(X_part, y_part):
        model = LogisticRegression(C=300.0, solver="liblinear", max_iter=500, random_state=0)
        return model.fit(X_part, y_part)

    decision = np.zeros(len(examples))
    for fit_idx, test_idx in StratifiedKFold(3, shuffle=True, random_state=0).split(X, y):
        decision[test_idx] = fit(X[fit_idx], y[fit_idx]).decision_function(X[test_idx])
    threshold = operating_point(decision, rules, y == 0, TARGET_HAM_FP)
    threat = fit(X, y)
    is_threat = y == 1
    phish = fit(X[is_threat], np.array([e.label == "phish" for e in examples])[is_threat])
    return assemble(threat, phish, threshold, learned)


def score(model: TriageModel, fold: list[tuple[str, Example]], counts: Counter) -> None:
    for group, example in fold:
        hit = _flag_limit(model, example) <= model.threat_shift
        counts[f"{example.label}_n"] += 1
        counts[f"{example.label}_hit"] += hit
        if group == "phishing_pot":
            counts["pot_n"] += 1
            counts["pot_hit"] += hit


def rates(counts: Counter) -> dict[str, float]:
    return {
        "phish_recall": round(counts["phish_hit"] / max(1, counts["phish_n"]), 4),
        "phishing_pot_recall": round(counts["pot_hit"] / max(1, counts["pot_n"]), 4),
        "spam_recall": round(counts["spam_hit"] / max(1, counts["spam_n"]), 4),
        "ham_fp_rate": round(counts["ham_hit"] / max(1, counts["ham_n"]), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--jobs", type=int, default=2, help="featurising processes")
    args = parser.parse_args(argv)
    started = time.time()
    train = training_half(args.corpora, shippable=False)
    for item in train:  # split mbox files once, before forking
        if "#" in item.path:
            read(item)
    with multiprocessing.get_context("fork").Pool(max(1, args.jobs)) as pool:
        data = [r for r in pool.map(_example, train, chunksize=32) if r is not None]
    if not data:
        print("no training data under", args.corpora, file=sys.stderr)
        print(json.dumps({"settings": [], "chosen": None}))
        return 1
    folds = [[d for n, d in enumerate(data) if n % FOLDS == f] for f in range(FOLDS)]
    rest = [[d for n, d in enumerate(data) if n % FOLDS != f] for f in range(FOLDS)]
    bases = [base_model([e for g, e in part if g != "phishing_pot"]) for part in rest]
    base_counts: Counter = Counter()
    for base, fold in zip(bases, folds, strict=True):
        score(base, fold, base_counts)
    print(f"base models (no phishing_pot): {rates(base_counts)}", file=sys.stderr)
    results = []
    for epochs, rate, decay, ham_weight in SETTINGS:
        threat_learning.EPOCHS, threat_learning.LEARNING_RATE = epochs, rate
        threat_learning.RATE_DECAY, threat_learning.HAM_WEIGHT = decay, ham_weight
        counts: Counter = Counter()
        for base, part, fold in zip(bases, rest, folds, strict=True):
            taught = base.copy()
            learn(taught, [e for _, e in part])
            score(taught, fold, counts)
        setting = {"epochs": epochs, "rate": rate, "decay": decay, "ham_weight": ham_weight}
        results.append({**setting, **rates(counts)})
        print(json.dumps(results[-1]), file=sys.stderr)
    within = [r for r in results if r["ham_fp_rate"] <= TARGET_HAM_FP]
    chosen = max(within, key=lambda r: (r["phish_recall"], -r["ham_fp_rate"])) if within else None
    print(f"{len(data)} messages, {time.time() - started:.0f} s", file=sys.stderr)
    print(json.dumps({"base": rates(base_counts), "settings": results, "chosen": chosen}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
