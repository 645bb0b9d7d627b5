"""Train the threat guard's text model (tradeinbox/core/data/triage_model.bin).

Reproducible: same corpora and library versions in, same file out (liblinear is
deterministic with a fixed random_state; the versions used are stored in the model's
header, and ``pip install -e .[train]`` installs the pinned solver stack). Needs
scikit-learn + scipy at *training* time only; tradeinbox scores the model in pure Python.

Training data (the *training half* of the fixed hash split, see bench/triage_data.py;
the validation half is never read here): nazario_phishing (phish), spamassassin_public
spam (spam), spamassassin_public ham and enron_maildir_sample (ham), plus the real
Enron RFQ/quote mails of b2b_inquiry_candidates (ham). phishing_pot (CC BY-NC) is
never read here: it is evaluation-only. Licences: SpamAssassin PDDL/CC0, Enron public
record; the Nazario corpus states no licence (published for anti-phishing research).

Features (tradeinbox/core/classifier.py): words of subject and body (no word pairs:
they did worse in cross-validation), body structure (links, forms, attachments), and
which threat rules fired ("#r:" rule ids). Rules that fire on at least LEARNED_MIN training messages are *learned*: the
model weighs them. The rarer rules (new platforms, languages and tricks that mail of
2002-2005 does not show) keep their hand-set weight and join the verdict by noisy-OR
(tradeinbox/core/threats.py). The list of learned rules is stored in the model.

Model selection uses 5-fold cross-validation *inside the training half*: the
regularisation C and the operating point of the combined verdict (at most
TARGET_HAM_FP of the ham flagged in cross-validation) never look at the validation
half or at phishing_pot.

    .venv/bin/python bench/train_classifier.py [--corpora DIR] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from array import array
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from triage_data import DEFAULT_CORPORA, read, training_half  # noqa: E402

from tradeinbox.core.classifier import DIM_BITS, MODEL_PATH, TriageModel  # noqa: E402
from tradeinbox.core.evidence import Evidence  # noqa: E402
from tradeinbox.core.parse import parse_message  # noqa: E402
from tradeinbox.core.threat_learning import featurise as featurise_message  # noqa: E402
from tradeinbox.core.threats import combine_rules  # noqa: E402

TARGET_HAM_FP = 0.004
#: A rule that fires on at least this many training messages is learned by the model.
LEARNED_MIN = 20


def featurise(raw: bytes) -> tuple[dict[int, float], list[Evidence]] | None:
    """(feature vector, rule evidence) of one message, exactly as analyze computes them."""
    try:
        msg = parse_message(raw)
    except Exception:
        return None
    return featurise_message(msg)


def _featurise_item(item) -> tuple[dict[int, float], list[Evidence]] | None:
    return featurise(read(item))


def operating_point(decision, rule_scores, is_ham, target: float) -> float:
    """The decision threshold at which at most ``target`` of the ham is flagged.

    The verdict is the noisy-OR of the model and the rules (see threats.assess_threat):
    a message is flagged when ``1 - (1 - sigmoid(d - t)) * (1 - r) >= 0.5``, i.e. when
    ``t <= d - logit(1 - 0.5 / (1 - r))`` (always when the rules alone reach 0.5).
    """
    import numpy as np

    r = np.clip(rule_scores, 0.0, 0.999999)
    need = np.clip(1.0 - 0.5 / (1.0 - r), 1e-9, 1.0 - 1e-9)
    limit = np.where(r >= 0.5, np.inf, decision - np.log(need / (1.0 - need)))
    ham = np.sort(limit[is_ham])
    k = min(len(ham) - 1, int(math.floor(len(ham) * (1 - target))))
    return float(ham[k]) + 1e-6


def assemble(
    threat_model, phish_model, threshold: float, learned: list[str], **meta
) -> TriageModel:
    """A TriageModel from the two fitted scikit-learn models (threat; phish vs spam)."""
    import numpy as np

    dim = 1 << DIM_BITS
    weights = array("f", threat_model.coef_[0].astype(np.float32).tolist())
    weights.extend(array("f", phish_model.coef_[0].astype(np.float32).tolist()))
    header = {
        "dim_bits": DIM_BITS,
        "threat_intercept": float(threat_model.intercept_[0]),
        "phish_intercept": float(phish_model.intercept_[0]),
        # Shift so that probability 0.5 is the cross-validated operating point.
        "threat_shift": -threshold,
        "learned_rules": learned,
        **meta,
    }
    return TriageModel(header, weights[:dim], weights[dim:])


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for name in ("scikit-learn", "scipy", "numpy", "charset-normalizer", "tldextract"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def flagged(decision, rule_scores, threshold: float):
    import numpy as np

    p = 1.0 / (1.0 + np.exp(-(decision - threshold)))
    return 1.0 - (1.0 - p) * (1.0 - rule_scores) >= 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--jobs", type=int, default=2, help="featurising processes")
    args = parser.parse_args(argv)

    import multiprocessing

    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    started = time.time()
    train = training_half(args.corpora, shippable=True)
    for item in train:  # split mbox files once, before forking
        if "#" in item.path:
            read(item)
    with multiprocessing.get_context("fork").Pool(max(1, args.jobs)) as pool:
        featurised = pool.map(_featurise_item, train, chunksize=32)
    rows, cols, vals, labels, groups, evidences = [], [], [], [], [], []
    for item, result in zip(train, featurised, strict=True):
        if result is None:
            continue
        vector, evidence = result
        row = len(labels)
        for index, value in vector.items():
            rows.append(row)
            cols.append(index)
            vals.append(value)
        labels.append(item.label)
        groups.append(item.group)
        evidences.append(evidence)
    dim = 1 << DIM_BITS
    X = csr_matrix((vals, (rows, cols)), shape=(len(labels), dim), dtype=np.float64)
    y_label = np.array(labels)
    y_threat = (y_label != "ham").astype(int)
    # Rules that fire often in the training data are learned by the model (its "#r:"
    # features); the rarer ones enter the verdict by noisy-OR with their own weight.
    fired = Counter(r for ev in evidences for r in {e.rule for e in ev if e.weight > 0})
    learned = sorted(r for r, n in fired.items() if n >= LEARNED_MIN)
    rules = np.array(
        [
            combine_rules([e for e in ev if e.weight > 0 and e.rule not in learned])
            for ev in evidences
        ]
    )
    is_ham = y_threat == 0
    counts = {name: int((y_label == name).sum()) for name in ("phish", "spam", "ham")}
    print(f"training half: {counts}, featurised in {time.time() - started:.0f}s", file=sys.stderr)

    def fit(X_part, y_part, C):
        model = LogisticRegression(C=C, solver="liblinear", max_iter=500, random_state=0)
        return model.fit(X_part, y_part)

    # Cross-validated choice of C and of the operating point of the combined verdict.
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    best = None
    for C in (30.0, 100.0, 300.0, 1000.0):
        decision = np.zeros(len(labels))
        for fit_idx, test_idx in folds.split(X, y_threat):
            decision[test_idx] = fit(X[fit_idx], y_threat[fit_idx], C).decision_function(
                X[test_idx]
            )
        threshold = operating_point(decision, rules, is_ham, TARGET_HAM_FP)
        hits = flagged(decision, rules, threshold)
        recall = float(hits[~is_ham].mean())
        fp = float(hits[is_ham].mean())
        print(
            f"C={C}: cv threat recall {recall:.4f} at ham FP {fp:.4f} (threshold {threshold:.3f})",
            file=sys.stderr,
        )
        if best is None or recall > best[0]:
            best = (recall, C, threshold, fp)
    recall, C, threshold, fp = best
    threat_model = fit(X, y_threat, C)
    is_threat = y_threat == 1
    phish_model = fit(X[is_threat], (y_label[is_threat] == "phish").astype(int), C)

    model = assemble(
        threat_model,
        phish_model,
        threshold,
        learned,
        C=C,
        cv_threat_recall=round(recall, 4),
        cv_ham_fp=round(fp, 4),
        training_counts=counts,
        split="bench/triage_data.py: sha1(id)[:8] % 2 == 0 -> training half",
        sources="nazario_phishing, spamassassin_public, enron_maildir_sample, "
        "b2b_inquiry_candidates/enron (training halves)",
        # A bit-identical file needs the same libraries: the solver's and those that
        # shape the features (text decoding, domain suffixes).
        versions=library_versions(),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    size = args.out.stat().st_size
    print(
        json.dumps(
            {
                "model": str(args.out),
                "bytes": size,
                **{
                    k: model.meta[k]
                    for k in ("C", "cv_threat_recall", "cv_ham_fp", "training_counts")
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
