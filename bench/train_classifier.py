"""Train the threat guard's text model (tradeinbox/core/data/triage_model.bin).

Reproducible: same corpora in, same weights out (liblinear is deterministic with
a fixed random_state). Needs scikit-learn + scipy at *training* time only
(``pip install scikit-learn``); tradeinbox scores the model in pure Python.

Training data (licences allow shipping a model derived from them): the *training
half* (see bench/triage_data.py for the hash split) of nazario_phishing (phish),
spamassassin_public spam (spam), spamassassin_public ham and
enron_maildir_sample (ham), plus the real Enron RFQ/quote mails of
b2b_inquiry_candidates (ham). phishing_pot (CC BY-NC) is never read here.

Model selection uses 5-fold cross-validation *inside the training half*: the
regularisation C and the decision threshold (chosen so that at most 0.4% of ham
is flagged in cross-validation) never look at the validation half.

    .venv/bin/python bench/train_classifier.py [--corpora DIR] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from triage_data import DEFAULT_CORPORA, extra_training_ham, items, read, split_of  # noqa: E402

from tradeinbox.core.authres import trusted_verdict  # noqa: E402
from tradeinbox.core.classifier import DIM_BITS, MODEL_PATH, TriageModel, features  # noqa: E402
from tradeinbox.core.origin import find_client_ip  # noqa: E402
from tradeinbox.core.parse import parse_message  # noqa: E402
from tradeinbox.core.threats import ThreatContext, combine_rules, rule_evidence  # noqa: E402

TARGET_HAM_FP = 0.004


def featurise(raw: bytes) -> dict[int, float] | None:
    try:
        msg = parse_message(raw)
    except Exception:
        return None
    _, boundary, _, _ = find_client_ip(msg)
    auth = trusted_verdict(msg, None, boundary)
    evidence, links = rule_evidence(msg, ThreatContext(), auth)
    vector, _ = features(msg, links, combine_rules(evidence))
    return vector


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    started = time.time()
    train = [i for i in items(args.corpora) if i.trainable and split_of(i.id) == "train"]
    train += list(extra_training_ham(args.corpora))
    rows, cols, vals, labels = [], [], [], []
    for item in train:
        vector = featurise(read(item))
        if vector is None:
            continue
        row = len(labels)
        for index, value in vector.items():
            rows.append(row)
            cols.append(index)
            vals.append(value)
        labels.append(item.label)
    dim = 1 << DIM_BITS
    X = csr_matrix((vals, (rows, cols)), shape=(len(labels), dim), dtype=np.float64)
    y_label = np.array(labels)
    y_threat = (y_label != "ham").astype(int)
    counts = {name: int((y_label == name).sum()) for name in ("phish", "spam", "ham")}
    print(f"training half: {counts}, featurised in {time.time() - started:.0f}s", file=sys.stderr)

    def fit(X_part, y_part, C):
        model = LogisticRegression(C=C, solver="liblinear", max_iter=500, random_state=0)
        return model.fit(X_part, y_part)

    # Cross-validated choice of C and of the threshold on the threat decision value.
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    best = None
    for C in (10.0, 30.0, 100.0):
        decision = np.zeros(len(labels))
        for fit_idx, test_idx in folds.split(X, y_threat):
            decision[test_idx] = fit(X[fit_idx], y_threat[fit_idx], C).decision_function(
                X[test_idx]
            )
        ham_scores = np.sort(decision[y_threat == 0])
        cut = ham_scores[
            min(len(ham_scores) - 1, int(math.floor(len(ham_scores) * (1 - TARGET_HAM_FP))))
        ]
        threshold = float(cut) + 1e-6
        recall = float((decision[y_threat == 1] > threshold).mean())
        fp = float((decision[y_threat == 0] > threshold).mean())
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

    weights = array("f", threat_model.coef_[0].astype(np.float32).tolist())
    weights.extend(array("f", phish_model.coef_[0].astype(np.float32).tolist()))
    meta = {
        "dim_bits": DIM_BITS,
        "threat_intercept": float(threat_model.intercept_[0]),
        "phish_intercept": float(phish_model.intercept_[0]),
        # Shift so that probability 0.5 is the cross-validated operating point.
        "threat_shift": -threshold,
        "C": C,
        "cv_threat_recall": round(recall, 4),
        "cv_ham_fp": round(fp, 4),
        "training_counts": counts,
        "split": "bench/triage_data.py: sha1(id)[:8] % 2 == 0 -> training half",
        "sources": "nazario_phishing, spamassassin_public, enron_maildir_sample, "
        "b2b_inquiry_candidates/enron (training halves)",
    }
    model = TriageModel(meta, weights[:dim], weights[dim:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    size = args.out.stat().st_size
    print(
        json.dumps(
            {
                "model": str(args.out),
                "bytes": size,
                **{k: meta[k] for k in ("C", "cv_threat_recall", "cv_ham_fp", "training_counts")},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
