#!/usr/bin/env python3
"""Writes the NumPy reference fixtures for the NNRuntime tensor tests and the formatter tests.

    python3 -m venv /tmp/venv-fixtures && /tmp/venv-fixtures/bin/pip install numpy
    /tmp/venv-fixtures/bin/python scripts/make_tensor_fixtures.py

Outputs (relative to the repository root):
  Tests/NNRuntimeTests/Fixtures/tensor_ops.json   inputs and NumPy results for every tensor op
  Tests/NNRuntimeTests/Fixtures/formatting.json   Python repr of numbers, NumPy layout of tensors

Floats that JSON cannot hold are written as the strings "nan", "inf" and "-inf".
"""

import json
import math
import os
import re
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures")
rng = np.random.default_rng(20240601)
# Empty means and variances warn; their NaN results are exactly what the fixtures record.
warnings.simplefilter("ignore", RuntimeWarning)


# MARK: - Encoding

def number(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    # The shortest text of the float32 value, so the Swift side reads back the same Float.
    return float(np.format_float_scientific(np.float32(x), unique=True, trim="-"))


def tensor(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [number(x) for x in a.reshape(-1)]}


def halves(shape):
    """Multiples of 0.5 in [-3, 3]: exact in float32, with ties and zeros for comparisons."""
    return (rng.integers(-6, 7, size=shape) / 2).astype(np.float32)


def values(shape, low=-2.0, high=2.0):
    """Two-decimal values: short in JSON, and their float32 rounding is unambiguous."""
    return np.round(rng.uniform(low, high, size=shape), 2).astype(np.float32)


# MARK: - Element-wise

BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "power": np.power, "remainder": np.remainder, "equal": np.equal,
    "notEqual": np.not_equal, "less": np.less, "lessEqual": np.less_equal,
    "greater": np.greater, "greaterEqual": np.greater_equal, "minimum": np.minimum,
    "maximum": np.maximum,
}

SHAPE_PAIRS = [
    ([], []), ([3], []), ([], [3]), ([2, 3], [2, 3]), ([2, 3], [3]), ([2, 3], [2, 1]),
    ([2, 1], [1, 3]), ([4, 1, 3], [2, 1]), ([1], [5]), ([2, 3, 4], [3, 1]), ([0], []),
    ([0, 3], [3]), ([2, 0], [1]), ([3, 1], [1, 0]), ([2, 1, 3], [1, 4, 1]),
]


def binary_cases():
    cases = []
    for op, function in BINARY.items():
        for a_shape, b_shape in SHAPE_PAIRS:
            a = halves(a_shape)
            b = halves(b_shape)
            with np.errstate(all="ignore"):
                out = function(a, b).astype(np.float32)
            cases.append({"op": op, "a": tensor(a), "b": tensor(b), "expected": tensor(out)})
    return cases


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


UNARY = {
    "negate": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0),
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round,
}


def unary_cases():
    special = np.array([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, -100, 100, 0.3], dtype=np.float32)
    inputs = [special.reshape(2, 5), values([3, 4], -4, 4), np.zeros([0], np.float32),
              np.float32(0.75)]
    cases = []
    for op, function in UNARY.items():
        for x in inputs:
            with np.errstate(all="ignore"):
                out = np.asarray(function(np.asarray(x))).astype(np.float32)
            cases.append({"op": op, "x": tensor(x), "expected": tensor(out)})
    clip = values([3, 4], -4, 4)
    return cases, [{"x": tensor(clip), "low": -1.5, "high": 2,
                    "expected": tensor(np.clip(clip, -1.5, 2))}]


# MARK: - Matrix product

MATMUL_SHAPES = [
    ([3], [3]), ([2, 3], [3, 4]), ([3], [3, 2]), ([2, 3], [3]), ([2, 2, 3], [3, 4]),
    ([3], [2, 3, 4]), ([2, 1, 2, 3], [3, 3, 2]), ([4, 2, 3], [4, 3, 2]), ([0, 3], [3, 2]),
    ([2, 0], [0, 3]), ([2, 3], [3, 0]), ([1, 2, 3], [5, 3, 2]), ([2, 3, 4], [4]),
    ([1, 1], [1, 1]), ([0], [0]), ([3, 2, 5], [1, 5, 3]),
]


def matmul_cases():
    cases = []
    for a_shape, b_shape in MATMUL_SHAPES:
        a = values(a_shape)
        b = values(b_shape)
        out = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)
        cases.append({"a": tensor(a), "b": tensor(b), "expected": tensor(out)})
    return cases


# MARK: - Reductions

REDUCE = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "argmax": np.argmax,
    "argmin": np.argmin, "std": np.std, "variance": np.var, "prod": np.prod,
}


def reduction_cases():
    inputs = [
        (halves([5]), [None, 0, -1]),
        (halves([2, 3]), [None, 0, 1, -1, -2]),
        (halves([2, 3, 4]), [None, 0, 1, 2, -1]),
        (np.float32(2.5), [None]),
        (np.zeros([2, 0], np.float32), [0]),
        (np.zeros([0], np.float32), [None]),
        (np.zeros([0, 3], np.float32), [1]),
    ]
    cases = []
    for op, function in REDUCE.items():
        for x, axes in inputs:
            for axis in axes:
                x64 = np.asarray(x, dtype=np.float64)
                try:
                    with np.errstate(all="ignore"):
                        out = np.asarray(function(x64, axis=axis)).astype(np.float32)
                except ValueError:
                    continue  # empty max/min/arg*: covered by the error tests
                cases.append({"op": op, "x": tensor(x), "axis": axis, "expected": tensor(out)})
    return cases


def softmax(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_cases():
    inputs = [(values([2, 3]), [-1, 0, 1]), (values([2, 3, 4], -5, 5), [1, -1, 0]),
              (np.array([[1000, 1001, 999], [-1000, -1001, -999]], np.float32), [1]),
              (np.zeros([2, 0], np.float32), [0, 1]), (values([4]), [0])]
    return [{"x": tensor(x), "axis": axis, "expected": tensor(softmax(x, axis))}
            for x, axes in inputs for axis in axes]


# MARK: - Shapes and indexing

def transpose_cases():
    shapes = [[], [3], [2, 3], [2, 3, 4], [0, 2], [2, 1, 3, 2], [40, 35]]
    cases = []
    for shape in shapes:
        x = values(shape)
        out = np.swapaxes(x, -1, -2) if x.ndim >= 2 else x
        cases.append({"x": tensor(x), "expected": tensor(out)})
    return cases


def index_spec(entry):
    kind = entry[0]
    if kind == "index":
        return {"kind": "index", "index": entry[1]}
    if kind == "range":
        return {"kind": "range", "start": entry[1], "end": entry[2]}
    if kind == "closed":
        return {"kind": "closed", "start": entry[1], "end": entry[2]}
    return {"kind": "all"}


def python_index(entry, size):
    kind = entry[0]
    if kind == "index":
        return entry[1]
    if kind == "range":
        return slice(entry[1], entry[2])
    if kind == "closed":
        start = entry[1] + size if entry[1] < 0 else entry[1]
        end = entry[2] + size if entry[2] < 0 else entry[2]
        return slice(start, end + 1)
    return slice(None)


SLICES = [
    ([4, 5], [("index", 0)]), ([4, 5], [("index", -1)]), ([4, 5], [("index", 1), ("index", 2)]),
    ([4, 5], [("index", -1), ("index", -5)]), ([4, 5], [("all",), ("index", 0)]),
    ([4, 5], [("range", 1, 3)]), ([4, 5], [("range", None, 2), ("range", 3, None)]),
    ([4, 5], [("range", -2, None)]), ([4, 5], [("range", -10, 10)]),
    ([4, 5], [("range", 3, 1)]), ([4, 5], [("closed", 1, 2), ("closed", 0, -1)]),
    ([4, 5], [("all",), ("range", 1, -1)]), ([4, 5], []), ([4, 5], [("all",), ("all",)]),
    ([2, 3, 4], [("index", 1)]), ([2, 3, 4], [("all",), ("index", -1)]),
    ([2, 3, 4], [("all",), ("all",), ("index", 2)]),
    ([2, 3, 4], [("range", 0, 1), ("range", 1, 3)]),
    ([2, 3, 4], [("index", 0), ("closed", -2, -1), ("range", None, None)]),
    ([2, 3, 4], [("index", 1), ("index", 2), ("index", 3)]), ([5], [("range", 5, None)]),
    ([0, 3], [("all",), ("index", 1)]), ([3, 0], [("index", 2)]),
]


def slice_cases():
    cases = []
    for shape, entries in SLICES:
        x = values(shape)
        key = tuple(python_index(e, shape[i]) for i, e in enumerate(entries))
        out = x[key]
        cases.append({"x": tensor(x), "indices": [index_spec(e) for e in entries],
                      "expected": tensor(out)})
    return cases


REPLACEMENTS = [
    ([4, 5], [("index", 0)], []), ([4, 5], [("index", 1)], [5]),
    ([4, 5], [("all",), ("index", 2)], [4]),
    ([4, 5], [("range", 1, 3), ("range", 0, 2)], [2, 2]), ([4, 5], [("range", 1, 3)], [1, 5]),
    ([4, 5], [("range", 1, 3)], [2, 1]), ([2, 3, 4], [("index", 1), ("closed", 0, 1)], [4]),
    ([2, 3, 4], [("index", -1), ("index", -1), ("index", -1)], []), ([4, 5], [], [5]),
    ([4, 5], [("range", 2, 2)], [5]),
]


def replace_cases():
    cases = []
    for shape, entries, value_shape in REPLACEMENTS:
        x = values(shape)
        v = values(value_shape, 5, 9)
        key = tuple(python_index(e, shape[i]) for i, e in enumerate(entries))
        out = x.copy()
        out[key] = v
        cases.append({"x": tensor(x), "indices": [index_spec(e) for e in entries],
                      "value": tensor(v), "expected": tensor(out)})
    return cases


def reshape_cases():
    pairs = [([2, 3], [3, 2]), ([2, 3], [-1]), ([2, 3, 4], [4, -1]), ([0, 3], [3, 0]),
             ([6], [1, 6, 1]), ([], [1]), ([1], []), ([2, 3], [-1, 1, 2]), ([0, 3], [3, -1])]
    cases = []
    for shape, new_shape in pairs:
        x = values(shape)
        cases.append({"x": tensor(x), "shape": new_shape,
                      "expected": tensor(np.reshape(x, new_shape))})
    return cases


def concat_cases():
    groups = [([[2, 3], [1, 3]], 0), ([[2, 3], [2, 2]], 1), ([[2, 3], [2, 2]], -1),
              ([[2, 0], [2, 3]], 1), ([[1, 2], [2, 2], [3, 2]], 0), ([[2, 1, 2], [2, 3, 2]], 1),
              ([[3]], 0), ([[0], [0]], 0)]
    cases = []
    for shapes, axis in groups:
        xs = [values(s) for s in shapes]
        cases.append({"tensors": [tensor(x) for x in xs], "axis": axis,
                      "expected": tensor(np.concatenate(xs, axis=axis))})
    return cases


def stack_cases():
    groups = [([2, 3], 2, 0), ([2, 3], 2, 1), ([2, 3], 3, 2), ([2, 3], 2, -1), ([], 3, 0),
              ([0], 2, 0), ([4], 1, -1)]
    cases = []
    for shape, n, axis in groups:
        xs = [values(shape) for _ in range(n)]
        cases.append({"tensors": [tensor(x) for x in xs], "axis": axis,
                      "expected": tensor(np.stack(xs, axis=axis))})
    return cases


def creation_cases():
    aranges = [(0, 5, 1), (1, 2, 0.1), (5, 0, -1.5), (0, 0, 1), (3, 1, 1), (-1, 1, 0.25),
               (0, 1, 0.3), (0.5, 3, 1), (10, -10, -3)]
    linspaces = [(0, 1, 5), (1, 0, 4), (2, 3, 1), (0, 1, 0), (-1, 1, 7), (0, 10, 2)]
    return (
        [{"start": a, "stop": b, "step": s,
          "expected": tensor(np.arange(a, b, s, dtype=np.float64))} for a, b, s in aranges],
        [{"start": a, "stop": b, "count": n,
          "expected": tensor(np.linspace(a, b, n, dtype=np.float64))} for a, b, n in linspaces],
    )


# MARK: - Random generator (an independent reference implementation)

MASK = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro_outputs(seed, n):
    state = []
    s = seed
    for _ in range(4):
        s = (s + 0x9E3779B97F4A7C15) & MASK
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        state.append(z ^ (z >> 31))
    outputs = []
    for _ in range(n):
        result = (rotl((state[1] * 5) & MASK, 7) * 9) & MASK
        t = (state[1] << 17) & MASK
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        outputs.append(str(result))  # as strings: JSON numbers lose 64-bit precision
    return outputs


# MARK: - Formatting

def shortest(x):
    """Python's repr of a float in the interpreter's style: no ".0" on whole numbers, no zero
    padding in the exponent (1e-5, not 1e-05) and no sign on zero."""
    if x == 0:
        return "0"
    text = repr(float(x))
    text = re.sub(r"e([-+])0*(\d)", r"e\1\2", text)
    return text[:-2] if text.endswith(".0") else text


def shortest32(x):
    x = np.float32(x)
    if not np.isfinite(x):
        return shortest(float(x))
    return shortest(float(np.format_float_scientific(x, unique=True, trim="-")))


def shown(a, edge=3):
    """The elements NumPy shows of a summarised array (the first and last `edge` per axis)."""
    for axis in range(a.ndim):
        if a.shape[axis] > 2 * edge:
            index = list(range(edge)) + list(range(a.shape[axis] - edge, a.shape[axis]))
            a = np.take(a, index, axis=axis)
    return a


def layout(a):
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 0:
        return shortest32(a)
    if a.size == 0:
        return str(a.tolist())
    visible = shown(a) if a.size > 1000 else a
    texts = [shortest32(x) for x in visible.reshape(-1)]
    # One column for a sign when any shown element is negative, then the longest unsigned text:
    # [1, 2.5, -3] prints as "[   1,  2.5,   -3]".
    width = max(len(t.lstrip("-")) for t in texts) + any(t.startswith("-") for t in texts)
    return np.array2string(
        a, max_line_width=75, separator=", ", threshold=1000, edgeitems=3,
        formatter={"float_kind": lambda x: shortest32(x).rjust(width)})


DOUBLES = [7, 0.1, 2.485, -0.5, 1e-05, 1e16, 1e15, 0.0001, 0.00001, 123456.789, 1 / 3, -0.0,
           0.0, 123456789, 1e22, 1.5e300, 5e-324, 1.7976931348623157e308, 9999999999999998.0,
           12345678901234567.0, 0.000123, -2.5e-7, 100, 1e-4 * 3, 2 ** 53, 2 ** 60, 0.1 + 0.2,
           float("inf"), float("-inf"), float("nan"), 1234.5, -1e100, 3.14159]
FLOATS = [0.1, 1 / 3, 16777216, 1e7, 1e8, 3.4028235e38, 1e-45, 1e-5, 0.3, 2.5, -0.0, 1e16,
          1e15, 123456.789, 0.0001, 7, float("inf"), float("nan"), 1.1754944e-38, 65504,
          0.2, 1 - 2 ** -24]


def formatting_fixture():
    arrays = {
        "column": np.array([[17], [39]]),
        "mixed row": np.array([1, 2.5, -3]),
        "square": np.array([[1, 10], [100, 2]]),
        "three-d": np.arange(12).reshape(2, 2, 3),
        "four-d": np.arange(24).reshape(2, 3, 2, 2) / 4,
        "wrapping row": np.arange(40) * 1.25,
        "wrapping rows": (np.arange(90).reshape(3, 30) - 45) / 8,
        "summarised row": np.arange(2000),
        "summarised matrix": np.arange(2500).reshape(50, 50) / 16,
        "summarised cube": np.arange(1728).reshape(12, 12, 12),
        "summarised short axis": np.arange(2004).reshape(2, 1002),
        "specials": np.array([np.nan, np.inf, -np.inf, 0.1, -0.0]),
        "single": np.array([0.1]),
        "fractions": np.array([1 / 3, 2 / 3, 1e-5, 1e16]),
        "long words": np.array([[1 / 3] * 12, [1e-5] * 12]),
        "empty": np.zeros([0]),
        "empty rows": np.zeros([2, 0]),
        "empty leading": np.zeros([0, 3]),
        "empty middle": np.zeros([3, 0, 2]),
        "scalar": np.float32(2.5),
    }
    return {
        "doubles": [{"value": number_exact(x), "expected": shortest(x)} for x in DOUBLES],
        "floats": [{"value": number_exact(float(np.float32(x))), "expected": shortest32(x)}
                   for x in FLOATS],
        "tensors": [{"name": name, "x": tensor(a), "expected": layout(a)}
                    for name, a in arrays.items()],
    }


def number_exact(x):
    """A double as JSON: its repr (exact), or a string for the non-finite ones."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return number(x)
    return x


def main():
    unary, clip = unary_cases()
    arange, linspace = creation_cases()
    fixture = {
        "binary": binary_cases(), "unary": unary, "clip": clip, "matmul": matmul_cases(),
        "reduce": reduction_cases(), "softmax": softmax_cases(),
        "transpose": transpose_cases(), "slice": slice_cases(), "replace": replace_cases(),
        "reshape": reshape_cases(), "concat": concat_cases(), "stack": stack_cases(),
        "arange": arange, "linspace": linspace,
        "random": [{"seed": seed, "next": xoshiro_outputs(seed, 5)} for seed in (0, 42)],
    }
    os.makedirs(FIXTURES, exist_ok=True)
    for name, content in (("tensor_ops.json", fixture), ("formatting.json", formatting_fixture())):
        path = os.path.join(FIXTURES, name)
        with open(path, "w") as file:
            json.dump(content, file, separators=(",", ":"), allow_nan=False)
            file.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
