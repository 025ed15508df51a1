#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for the primitive ops of issue 17 (item 1).

    /tmp/torchenv/bin/python scripts/make_primitive_fixtures.py            # write the fixture
    /tmp/torchenv/bin/python scripts/make_primitive_fixtures.py --summary  # also print the errors

(any Python with numpy and torch 2.5.1 does: `pip install numpy torch==2.5.1`).

Output (relative to the repository root), described in the README beside it:
  Tests/NNRuntimeTests/Fixtures/primitives/primitives.json

Ops: slice with a step, concat, stack, permute, gather (repeated indices), batched matmul (the
leading axes broadcasting, a plain matrix against a stack), each comparison, where, max over an
axis with ties (PyTorch's `max(dim)` sends the gradient to the first maximum), masked_fill, and
masked_fill with -inf followed by a softmax over the last axis (attention's causal mask).

For every case the script records the inputs, the forward output, a fixed random G of the
output's shape, and the gradients of L = sum(output * G) with respect to every differentiable
input (None for the others: indices, masks, conditions, and both operands of a comparison), all
computed by PyTorch in float64. Before anything is written each case is checked, and the script
stops on a failure:
  - the forward output against an independent NumPy expression of the op, to 1e-12;
  - the gradients against finite differences with torch.autograd.gradcheck (a case with ties is
    checked on a tie-free copy, since the maximum is not differentiable at a tie);
  - a float32 run of the same case against the float64 numbers, which must stay within a tenth of
    the float32 tolerance the fixture names, so a correct 32-bit implementation passes.
Inputs are float32-exact doubles, so a Float plan reads exactly the same inputs. The output is
deterministic: rerunning the script gives identical bytes.
"""

import json
import math
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures", "primitives")
AGREE = 1e-12
# The tolerance the Swift tests should use: |actual − expected| ≤ atol + rtol·|expected|.
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-9}, "float32": {"rtol": 1e-4, "atol": 1e-5}}
# A float32 PyTorch run may use at most this fraction of the float32 tolerance.
FLOAT32_BUDGET = 0.1

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261203)
SUMMARY = "--summary" in sys.argv


# MARK: - Encoding and checks

def exact32(a):
    """Values rounded to float32 and held as float64: both precisions read the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def normal(*shape):
    return exact32(rng.normal(0.0, 1.0, size=shape))


def number(x):
    """A JSON number, or "inf", "-inf", "nan" (Fixtures.swift's FixtureNumber)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def tensor(a):
    """{"shape": [...], "data": [...]}, row-major, as Fixtures.swift's FixtureTensor reads it."""
    if torch.is_tensor(a):
        a = a.detach().numpy()
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [number(x) for x in a.reshape(-1)]}


def check(name, numpy_value, torch_value):
    a = np.asarray(numpy_value, dtype=np.float64)
    b = torch_value.detach().numpy()
    if a.shape != b.shape:
        sys.exit(f"{name}: NumPy shape {a.shape} but PyTorch shape {b.shape}")
    finite = np.isfinite(b)
    if not np.array_equal(np.isfinite(a), finite) or not np.array_equal(a[~finite], b[~finite]):
        sys.exit(f"{name}: NumPy and PyTorch differ in their infinities")
    error = float(np.max(np.abs(a - b)[finite] / np.maximum(1.0, np.abs(b[finite])))) \
        if finite.any() else 0.0
    if not error <= AGREE:
        sys.exit(f"{name}: NumPy and PyTorch differ by {error:.3g}")


def run(forward, inputs, differentiable, G, dtype=torch.float64):
    """Output and the gradients of sum(output · G) w.r.t. the differentiable inputs."""
    tensors = [torch.tensor(v, dtype=dtype, requires_grad=d)
               for v, d in zip(inputs, differentiable)]
    output = forward(*tensors)
    if any(differentiable):
        (output * torch.tensor(G, dtype=dtype)).sum().backward()
    grads = [t.grad.detach().clone() if d else None for t, d in zip(tensors, differentiable)]
    return output.detach(), grads


def gradcheck(name, forward, inputs, differentiable):
    if not any(differentiable):
        return
    fixed = [torch.tensor(v) for v in inputs]

    def flat(*args):
        it = iter(args)
        return forward(*[next(it) if d else f for f, d in zip(fixed, differentiable)])

    args = tuple(torch.tensor(v, requires_grad=True) for v, d in zip(inputs, differentiable) if d)
    if not torch.autograd.gradcheck(flat, args, eps=1e-6, atol=1e-7, rtol=1e-6):
        sys.exit(f"{name}: gradcheck failed")


cases = []


def add(name, op, forward, reference, inputs, differentiable, tie_free=None, **attributes):
    """Checks one case and appends it. `reference` computes the output with NumPy;
    `tie_free` replaces the inputs for gradcheck where they hold ties."""
    inputs = [exact32(v) for v in inputs]
    with torch.no_grad():
        shape = forward(*[torch.tensor(v) for v in inputs]).shape
    G = normal(*shape)
    output, grads = run(forward, inputs, differentiable, G)
    check(name, reference(*inputs), output)
    gradcheck(name, forward, [exact32(v) for v in (tie_free or inputs)], differentiable)
    output32, grads32 = run(forward, inputs, differentiable, G, torch.float32)
    tol = TOLERANCE["float32"]
    worst = 0.0
    for ref, got in [(output, output32)] + list(zip(grads, grads32)):
        if ref is None:
            continue
        got = got.double()
        finite = torch.isfinite(ref)
        if not torch.equal(ref[~finite], got[~finite]):
            sys.exit(f"{name}: a float32 run differs in its infinities")
        ratio = ((got - ref).abs() / (tol["atol"] + tol["rtol"] * ref.abs()))[finite]
        worst = max(worst, ratio.max().item() if ratio.numel() else 0.0)
    if worst > FLOAT32_BUDGET:
        sys.exit(f"{name}: a float32 run is at {worst:.3g} of the float32 tolerance")
    if SUMMARY:
        print(f"  {name:40s} float32 at {worst:.2e} of the tolerance")
    cases.append({
        "name": name, "op": op, **attributes,
        "inputs": [tensor(v) for v in inputs],
        "output": tensor(output),
        "grad_output": tensor(G),
        "grads": [None if g is None else tensor(g) for g in grads],
    })


# MARK: - Shaping: slice, concat, stack, permute, gather

def slice_case(name, shape, axis, start, end, step):
    def forward(x):
        index = [slice(None)] * x.dim()
        index[axis] = slice(start, end, step)
        return x[tuple(index)]
    add(name, "slice", forward, lambda x: forward(torch.tensor(x)).numpy(), [normal(*shape)],
        [True], axis=axis, start=start, end=end, step=step)


slice_case("slice axis 1 by 2", [3, 7, 2], 1, 1, 6, 2)
slice_case("slice last axis by 3", [2, 3, 8], 2, 0, 8, 3)
slice_case("slice axis 0", [5, 4], 0, 1, 4, 1)
slice_case("slice one element", [4, 3], 0, 2, 3, 1)

for name, shapes, axis in [("concat axis 1", [[2, 1, 3], [2, 4, 3], [2, 2, 3]], 1),
                           ("concat axis 0", [[2, 3], [1, 3]], 0),
                           ("concat last axis", [[2, 2], [2, 3]], 1)]:
    add(name, "concat", lambda *xs, axis=axis: torch.cat(xs, dim=axis),
        lambda *xs, axis=axis: np.concatenate(xs, axis=axis),
        [normal(*s) for s in shapes], [True] * len(shapes), axis=axis)

for name, shapes, axis in [("stack axis 0", [[2, 3]] * 2, 0),
                           ("stack last axis", [[2, 3]] * 3, 2),
                           ("stack vectors axis 1", [[4]] * 2, 1)]:
    add(name, "stack", lambda *xs, axis=axis: torch.stack(xs, dim=axis),
        lambda *xs, axis=axis: np.stack(xs, axis=axis),
        [normal(*s) for s in shapes], [True] * len(shapes), axis=axis)

for name, shape, axes in [("permute 3-d", [2, 3, 4], [2, 0, 1]),
                          ("permute heads", [2, 3, 2, 4], [0, 2, 1, 3]),
                          ("permute matrix", [3, 5], [1, 0])]:
    add(name, "permute", lambda x, axes=axes: x.permute(*axes),
        lambda x, axes=axes: np.transpose(x, axes), [normal(*shape)], [True], axes=axes)


def gather_case(name, shape, axis, indices):
    indices = np.asarray(indices, dtype=np.int64)

    def forward(x, ids):
        # np.take: x's shape with `axis` replaced by the indices' shape.
        flat = torch.index_select(x, axis, ids.reshape(-1).long())
        return flat.reshape(x.shape[:axis] + tuple(ids.shape) + x.shape[axis + 1:])
    add(name, "gather", forward, lambda x, ids: np.take(x, ids.astype(np.int64), axis=axis),
        [normal(*shape), indices.astype(np.float64)], [True, False], axis=axis)


gather_case("gather rows with repeats", [4, 3], 0, [[3, 0, 3], [1, 1, 2]])
gather_case("gather axis 1 with repeats", [2, 5, 3], 1, [4, 0, 4, 4])
gather_case("gather last axis", [3, 4], 1, [2, 2, 0])


# MARK: - Batched matmul

for name, a, b in [("matmul stacks", [2, 3, 4], [2, 4, 5]),
                   ("matmul broadcast batch", [2, 1, 3, 4], [3, 4, 2]),
                   ("matmul stack with a matrix", [2, 3, 4], [4, 2]),
                   ("matmul matrix with a stack", [3, 4], [2, 4, 5]),
                   ("matmul batch of one", [1, 2, 3], [4, 3, 2])]:
    add(name, "matmul", torch.matmul, np.matmul, [normal(*a), normal(*b)], [True, True])


# MARK: - Selection: comparisons, where, max, masked fill

def ties(*shape):
    """Small whole numbers, so comparisons and maxima meet equal values."""
    return exact32(rng.integers(-2, 3, size=shape))


COMPARISONS = {"less": (torch.lt, np.less), "less_equal": (torch.le, np.less_equal),
               "greater": (torch.gt, np.greater), "greater_equal": (torch.ge, np.greater_equal),
               "equal": (torch.eq, np.equal), "not_equal": (torch.ne, np.not_equal)}
for comparison, (torch_op, numpy_op) in COMPARISONS.items():
    add(f"compare {comparison}", "compare",
        lambda a, b, f=torch_op: f(a, b).to(a.dtype),
        lambda a, b, f=numpy_op: f(a, b).astype(np.float64),
        [ties(3, 4), ties(4)], [False, False], comparison=comparison)

for name, shapes in [("where", [[3, 4], [3, 4], [3, 4]]),
                     ("where broadcasting", [[3, 1], [4], [3, 4]]),
                     ("where scalar branch", [[2, 3], [2, 3], []])]:
    condition = exact32(rng.integers(0, 2, size=shapes[0]))
    add(name, "where", lambda c, a, b: torch.where(c != 0, a, b),
        lambda c, a, b: np.where(c != 0, a, b),
        [condition, normal(*shapes[1]), normal(*shapes[2])], [False, True, True])


def max_case(name, x, axis):
    x = exact32(x)
    # The gradient goes to the first maximum: check PyTorch picks it, as NumPy's argmax does.
    indices = torch.max(torch.tensor(x), dim=axis).indices.numpy()
    if not np.array_equal(indices, np.argmax(x, axis=axis)):
        sys.exit(f"{name}: torch.max(dim) does not pick the first maximum")
    tie_free = x + exact32(rng.uniform(0, 0.5, size=x.shape))
    add(name, "max", lambda t: torch.max(t, dim=axis).values, lambda t: np.max(t, axis=axis),
        [x], [True], tie_free=[tie_free], axis=axis)


max_case("max axis 1 with ties", ties(3, 5, 2), 1)
max_case("max axis 0 with ties", ties(4, 3), 0)
max_case("max last axis", normal(2, 3, 4), 2)

causal = np.triu(np.ones((4, 4)), 1)
add("masked_fill", "masked_fill", lambda x, m: x.masked_fill(m != 0, 0.5),
    lambda x, m: np.where(m != 0, 0.5, x),
    [normal(2, 4, 4), causal], [True, False], value=0.5)


def masked_softmax_numpy(x, m):
    z = np.where(m != 0, -np.inf, x)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


add("masked_fill -inf then softmax", "masked_softmax",
    lambda x, m: torch.softmax(x.masked_fill(m != 0, -math.inf), dim=-1), masked_softmax_numpy,
    [normal(2, 4, 4), causal], [True, False], value="-inf")
add("padding mask -inf then softmax", "masked_softmax",
    lambda x, m: torch.softmax(x.masked_fill(m != 0, -math.inf), dim=-1), masked_softmax_numpy,
    [normal(2, 3, 5), exact32([[0, 0, 0, 1, 1]])], [True, False], value="-inf")


# MARK: - Writing

os.makedirs(OUTPUT, exist_ok=True)
document = {"op": "primitives", "tolerance": TOLERANCE, "cases": cases}
with open(os.path.join(OUTPUT, "primitives.json"), "w") as f:
    json.dump(document, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(OUTPUT, ROOT)}/primitives.json")
