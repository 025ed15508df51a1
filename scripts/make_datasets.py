#!/usr/bin/env python3
"""Writes the data sets that `nn` ships: Sources/NNScript/Resources/{iris,digits}.csv.

Where the data come from: scikit-learn's bundled copies (BSD-3-Clause licence), read with
`sklearn.datasets.load_iris` and `load_digits`, which need no network access.
  - iris: R. A. Fisher's Iris data (1936), from the UCI Machine Learning Repository.
  - digits: the test part of UCI's "Optical Recognition of Handwritten Digits" (optdigits),
    1,797 8x8 images with pixels 0-16.
See Sources/NNScript/Resources/README.md.

Each CSV has a header line; the features come first and the class index is the last column,
`label`, so `CSV.load(text, classes: k)` reads it with the default target.

Usage (a virtual environment outside the repository):
  python3 -m venv /tmp/venv-sk && /tmp/venv-sk/bin/pip install numpy scikit-learn
  /tmp/venv-sk/bin/python scripts/make_datasets.py
"""
import csv
import pathlib

from sklearn.datasets import load_digits, load_iris

RESOURCES = pathlib.Path(__file__).resolve().parent.parent / "Sources" / "NNScript" / "Resources"


def number(value):
    """The shortest text that reads back as the same float (`5.1`, `0`, not `0.0`)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def write(name, header, data, target):
    path = RESOURCES / f"{name}.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header + ["label"])
        for row, label in zip(data, target):
            writer.writerow([number(v) for v in row] + [str(int(label))])
    print(f"{path}: {len(data)} rows, {path.stat().st_size} bytes")


def main():
    RESOURCES.mkdir(parents=True, exist_ok=True)
    iris = load_iris()
    # "sepal length (cm)" → "sepal_length", so the names read as identifiers.
    names = ["_".join(n.replace(" (cm)", "").split()) for n in iris.feature_names]
    write("iris", names, iris.data, iris.target)
    digits = load_digits()
    write("digits", [f"pixel{i}" for i in range(digits.data.shape[1])], digits.data,
          digits.target)


if __name__ == "__main__":
    main()
