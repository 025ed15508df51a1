#!/usr/bin/env python3
"""Writes Tests/NNRuntimeTests/Fixtures/metrics.json from scikit-learn.

Fixed predictions and labels (binary with tied scores, 3-, 4- and 5-class sets with classes never
predicted or never present, single- and multi-output regression) with sklearn's values of each
metric. MetricsTests runs NNRuntime's `Metrics` on the same inputs. Scores and values are
float32 numbers (written exactly), so both sides see identical inputs.

Needs NumPy and scikit-learn, in a virtualenv outside the repository:
    python3 -m venv /tmp/venv-sk
    /tmp/venv-sk/bin/pip install numpy scikit-learn
    /tmp/venv-sk/bin/python scripts/make_metric_fixtures.py
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn import metrics

OUTPUT = (pathlib.Path(__file__).resolve().parent.parent
          / "Tests" / "NNRuntimeTests" / "Fixtures" / "metrics.json")

rng = np.random.default_rng(20240611)


def tensor(array):
    array = np.asarray(array, dtype=np.float32)
    return {"shape": list(array.shape), "data": [float(v) for v in array.reshape(-1)]}


def classification(name, scores, labels, classes):
    scores = np.asarray(scores, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim == 1 or scores.shape[1] == 1:
        positive = scores.reshape(-1)
        predicted = (positive >= 0.5).astype(np.int64)
    else:
        predicted = np.argmax(scores, axis=1)
        positive = scores[:, 1] if classes == 2 else None
    if classes == 2:
        options = {"average": "binary", "pos_label": 1, "zero_division": 0}
    else:
        options = {"average": "macro", "zero_division": 0}
    auc = None
    if classes == 2 and len(set(labels.tolist())) == 2:
        auc = float(metrics.roc_auc_score(labels, positive))  # undefined with one class only
    return {
        "name": name,
        "scores": tensor(scores),
        "labels": labels.tolist(),
        "classes": classes,
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "precision": float(metrics.precision_score(labels, predicted, **options)),
        "recall": float(metrics.recall_score(labels, predicted, **options)),
        "f1": float(metrics.f1_score(labels, predicted, **options)),
        "confusion": metrics.confusion_matrix(labels, predicted,
                                              labels=list(range(classes))).tolist(),
        "auc": auc,
    }


def regression(name, predictions, targets):
    predictions = np.asarray(predictions, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    p = predictions.astype(np.float64)
    y = targets.astype(np.float64)
    return {
        "name": name,
        "predictions": tensor(predictions),
        "targets": tensor(targets),
        "mse": float(metrics.mean_squared_error(y, p)),
        "mae": float(metrics.mean_absolute_error(y, p)),
        "r2": float(metrics.r2_score(y, p)),
    }


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classification_cases():
    cases = []
    # Binary, one probability column, scores on a coarse grid so many are tied (some at 0.5).
    n = 60
    labels = rng.integers(0, 2, n)
    scores = np.round(np.clip(0.3 * labels + rng.uniform(0, 0.7, n), 0, 1) * 10) / 10
    cases.append(classification("binary_ties", scores.reshape(n, 1), labels, 2))
    # The same as a flat [n] tensor.
    cases.append(classification("binary_flat", scores, labels, 2))
    # Binary, two probability columns with p0 = 1 − p1 exactly (multiples of 1/64), ties too.
    p1 = np.round(np.clip(0.25 * labels + rng.uniform(0, 0.75, n), 0, 1) * 64) / 64
    cases.append(classification("binary_two_columns", np.stack([1 - p1, p1], axis=1),
                                labels, 2))
    # Binary with one class only: AUC undefined.
    cases.append(classification("binary_one_class", scores[:20].reshape(20, 1),
                                np.zeros(20, dtype=np.int64), 2))
    # Binary where class 1 is never predicted: precision 0/0 → 0.
    cases.append(classification("binary_never_positive", np.full((12, 1), 0.25),
                                labels[:12], 2))
    # 3 classes, class 2 never predicted.
    n = 50
    labels = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), labels] += 1.0
    logits[:, 2] -= 10
    cases.append(classification("three_classes_one_never_predicted", softmax(logits), labels, 3))
    # 4 classes, class 3 never predicted, logits as scores.
    n = 80
    labels = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4))
    logits[np.arange(n), labels] += 1.5
    logits[:, 3] = -20
    cases.append(classification("four_classes_one_never_predicted", logits, labels, 4))
    # 5 classes, class 4 neither present nor predicted: sklearn's macro average leaves it out.
    n = 40
    labels = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 5))
    logits[np.arange(n), labels] += 1.0
    logits[:, 4] = -20
    cases.append(classification("five_classes_one_absent", logits, labels, 5))
    return cases


def regression_cases():
    cases = []
    n = 30
    targets = rng.normal(2, 3, (n, 1))
    cases.append(regression("single_output", targets + rng.normal(0, 1, (n, 1)), targets))
    flat = rng.normal(0, 1, n)
    cases.append(regression("flat", flat + rng.normal(0, 0.5, n), flat))
    targets = rng.normal(0, 1, (n, 3)) * np.array([1, 10, 0.1])
    cases.append(regression("multi_output", targets + rng.normal(0, 0.7, (n, 3)), targets))
    # One constant target column: predicted exactly (scores 1) or not (scores 0).
    targets = np.stack([rng.normal(0, 1, n), np.full(n, 3.0), np.full(n, -1.0)], axis=1)
    predictions = targets + np.stack([rng.normal(0, 0.3, n), np.zeros(n),
                                      rng.normal(0, 0.3, n)], axis=1)
    cases.append(regression("constant_columns", predictions, targets))
    # Worse than predicting the mean: negative r2.
    targets = rng.normal(0, 1, (n, 1))
    cases.append(regression("negative_r2", -targets + 0.5, targets))
    return cases


def main():
    fixture = {
        "generator": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "classification": classification_cases(),
        "regression": regression_cases(),
    }
    # One case per line: diffs of a regenerated fixture stay readable.
    lines = ["{", f' "generator": {json.dumps(fixture["generator"])},']
    for group in ("classification", "regression"):
        cases = fixture[group]
        lines.append(f' "{group}": [')
        lines += [f"  {json.dumps(case, allow_nan=False)}," for case in cases[:-1]]
        lines.append(f"  {json.dumps(cases[-1], allow_nan=False)}")
        lines.append(" ]," if group == "classification" else " ]")
    lines.append("}")
    OUTPUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
