"""Helpers shared by the benchmark anchors (torch_anchor.py, jax_anchor.py, numpy_anchor.py).

Nothing here imports NumPy at module level: the anchors must set the thread-count environment
variables before NumPy (or JAX) is first imported, and they import this module first.
"""

import argparse
import json
import os
import sys

WORKLOADS = ["xor", "digits", "wide", "linreg", "cnn", "lstm", "gru", "attention"]

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS_CSV = os.path.join(HERE, "..", "..", "Sources", "NNScript", "Resources", "digits.csv")

DIGITS_ROWS = 1795  # the first 1,795 rows (359 groups of five); every fifth one tests
WIDE_ROWS, WIDE_FEATURES, WIDE_CLASSES = 16384, 784, 10


def parse_args(system):
    parser = argparse.ArgumentParser(description=f"{system} anchor for the nn benchmarks")
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


def set_thread_env(threads):
    """Caps the BLAS/OpenMP pools; must run before NumPy, torch or JAX is imported."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)


def load_digits():
    """The 8×8 digits (1,797 rows): x = pixels / 16 as float32 [n, 64], y = labels as int32 [n]."""
    import numpy as np

    table = np.loadtxt(DIGITS_CSV, delimiter=",", skiprows=1, dtype=np.float32)
    with open(DIGITS_CSV) as f:
        header = f.readline().strip().split(",")
    assert header[-1] == "label" and len(header) == 65, header
    x = table[:, :64] / np.float32(16)
    y = table[:, 64].astype(np.int32)
    return x, y


def digits_split():
    """(x_train, y_train, x_test, y_test): an interleaved 80/20 split, as digits.nn makes it.

    Of the first 1,795 rows, every fifth (index 4, 9, 14, ...) tests and the other four train:
    1,436 and 359 rows. A fixed split every system can make without sharing a random stream;
    interleaving keeps each writer on both sides (the set's last rows come from writers the
    first rows never saw, so a head/tail split tests something else).
    """
    import numpy as np

    x, y = load_digits()
    index = np.arange(DIGITS_ROWS)
    test = index % 5 == 4
    return x[index[~test]], y[index[~test]], x[index[test]], y[index[test]]


def make_wide():
    """Synthetic 10-class data: x ~ N(0, 1) [16384, 784], labels = argmax(x · R), R ~ N(0, 1).

    Generated with NumPy in every anchor so that all three systems train on the same rows.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((WIDE_ROWS, WIDE_FEATURES), dtype=np.float32)
    r = rng.standard_normal((WIDE_FEATURES, WIDE_CLASSES), dtype=np.float32)
    y = np.argmax(x @ r, axis=1).astype(np.int32)
    return x, y


def make_projected(shape, classes, seed):
    """Synthetic classes for the cnn, lstm and attention workloads: x ~ N(0, 1) of `shape`
    (float32), labels = argmax of x's projection through a fixed R ~ N(0, 1). For images
    [n, c, h, w] the projection is of the means of the images' 16×16 blocks (what two small
    convolutions and pools can learn in two epochs); for sequences [n, t, f] of the sum over
    time. Generated with NumPy so that every anchor trains on the same rows (nn draws its
    own, from the same distribution)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape, dtype=np.float32)
    if len(shape) == 4:
        n, c, h, w = shape
        features = x.reshape(n, c, h // 16, 16, w // 16, 16).mean(axis=(3, 5)).reshape(n, -1)
    else:
        features = x.sum(axis=1)
    r = rng.standard_normal((features.shape[1], classes), dtype=np.float32)
    y = np.argmax(features @ r, axis=1).astype(np.int32)
    return x, y


# The shapes of the newer workloads (scripts/bench/{cnn,lstm,attention}.nn).
CNN_SHAPE, CNN_CLASSES = (2048, 3, 32, 32), 10
LSTM_SHAPE, LSTM_CLASSES = (2048, 20, 8), 4
ATTENTION_SHAPE, ATTENTION_CLASSES = (2048, 32, 64), 4


def batch_starts(n, batch):
    """Start offsets of the batches of one epoch; the last batch is the remainder (not dropped)."""
    return range(0, n, batch)


def emit(result):
    """Prints the single JSON line the driver reads; progress and notes go to stderr."""
    required = ["system", "workload", "threads", "loop_seconds", "steps", "final_loss",
                "test_accuracy", "import_seconds", "compile_seconds"]
    missing = [k for k in required if k not in result]
    assert not missing, f"missing keys {missing}"
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def note(*args):
    print(*args, file=sys.stderr)
