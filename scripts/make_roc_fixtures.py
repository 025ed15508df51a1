#!/usr/bin/env python3
"""Writes Tests/NNScriptTests/Fixtures/roc/roc.json from scikit-learn and NumPy.

Fixed two-class scores with ties (one probability per row, and two-column probability rows),
a three-class set for one class against the rest, and tensors with NaN and infinities for
histograms. For each: sklearn's roc_curve (drop_intermediate=False: every distinct score is a
threshold, the first is +inf), roc_auc_score, precision_recall_curve and
average_precision_score; numpy.histogram's counts and edges. EvaluationPictureTests runs nn's
`roc` and `hist` on the same inputs. Inputs are float32 numbers, written exactly.

Needs NumPy and scikit-learn, in a virtualenv outside the repository:
    python3 -m venv ~/.cache/nn/venv-roc
    ~/.cache/nn/venv-roc/bin/pip install numpy scikit-learn
    ~/.cache/nn/venv-roc/bin/python scripts/make_roc_fixtures.py
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn import metrics

OUTPUT = (pathlib.Path(__file__).resolve().parent.parent
          / "Tests" / "NNScriptTests" / "Fixtures" / "roc" / "roc.json")

rng = np.random.default_rng(20261204)


def floats(array):
    return [float(v) for v in np.asarray(array, dtype=np.float64).reshape(-1)]


def roc_case(name, predictions, labels, positive, scores):
    """`scores` are the probabilities of class `positive` that sklearn ranks."""
    predictions = np.asarray(predictions, dtype=np.float32)
    truth = (np.asarray(labels) == positive).astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    fpr, tpr, thresholds = metrics.roc_curve(truth, scores, drop_intermediate=False)
    precision, recall, _ = metrics.precision_recall_curve(truth, scores)
    return {
        "name": name,
        "predictions": {"shape": list(predictions.shape), "data": floats(predictions)},
        "labels": [int(v) for v in labels],
        "class": positive,
        "fpr": floats(fpr),
        "tpr": floats(tpr),
        # JSON has no infinity: the first threshold (+inf) is written as null.
        "thresholds": [None] + floats(thresholds[1:]),
        "auc": float(metrics.roc_auc_score(truth, scores)),
        # nn reads the precision-recall curve from the strictest threshold: sklearn's reversed.
        "precision": floats(precision[::-1]),
        "recall": floats(recall[::-1]),
        "average_precision": float(metrics.average_precision_score(truth, scores)),
    }


def binary_with_ties():
    scores = np.round(rng.uniform(size=40) * 8) / 8  # multiples of 1/8: many ties
    labels = (rng.uniform(size=40) < 0.3 + 0.5 * scores).astype(np.int64)
    p = scores.astype(np.float32)
    return roc_case("one probability per row, tied", p.reshape(-1, 1), labels, 1, p)


def binary_rows():
    p1 = rng.uniform(size=30).astype(np.float32)
    rows = np.stack([np.float32(1) - p1, p1], axis=1).astype(np.float32)
    labels = (rng.uniform(size=30) < p1).astype(np.int64)
    return roc_case("two probability columns", rows, labels, 1, rows[:, 1])


def class_zero_of_two():
    p = (np.round(rng.uniform(size=25) * 20) / 20).astype(np.float32)
    labels = (rng.uniform(size=25) < p).astype(np.int64)
    return roc_case("class 0 of one probability", p.reshape(-1, 1), labels, 0,
                    1 - p.astype(np.float64))


def three_classes():
    logits = rng.normal(size=(36, 3)).astype(np.float32)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    rows = (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
    labels = np.array([rng.choice(3, p=r / r.sum()) for r in rows.astype(np.float64)])
    return roc_case("class 2 of three probability rows", rows, labels, 2, rows[:, 2])


def histogram_case(name, values, bins, value_range=None):
    values = np.asarray(values, dtype=np.float32)
    finite = values[np.isfinite(values)].astype(np.float64)
    counts, edges = np.histogram(finite, bins=bins, range=value_range)
    return {
        "name": name,
        # NaN and infinities as strings, which JSON lacks.
        "values": [float(v) if np.isfinite(v) else str(v) for v in values],
        "bins": bins,
        "range": None if value_range is None else list(value_range),
        "counts": [int(c) for c in counts],
        "edges": floats(edges),
    }


def histograms():
    normal = rng.normal(size=500).astype(np.float32)
    edges = np.linspace(-1, 1, 9).astype(np.float32)  # values on the bin edges
    with_gaps = np.concatenate([normal[:50], [np.nan, np.inf, -np.inf, np.nan]])
    return [
        histogram_case("normal, 20 bins", normal, 20),
        histogram_case("values on the edges", np.concatenate([edges, edges[:3]]), 8),
        histogram_case("a range leaving values out", normal, 7, (-1.0, 1.5)),
        histogram_case("nan and infinities", with_gaps, 5),
        histogram_case("one value", [0.25, 0.25, 0.25], 4),
    ]


fixture = {
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "roc": [binary_with_ties(), binary_rows(), class_zero_of_two(), three_classes()],
    "histograms": histograms(),
}
OUTPUT.parent.mkdir(parents=True, exist_ok=True)
OUTPUT.write_text(json.dumps(fixture, indent=1) + "\n")
print(f"wrote {OUTPUT}")
