#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for dense over sequences and per-position
cross-entropy (issue 17, item 2).

    /tmp/torchenv/bin/python scripts/make_sequence_dense_fixtures.py            # write them
    /tmp/torchenv/bin/python scripts/make_sequence_dense_fixtures.py --summary  # also print

(any Python with numpy and torch, e.g. `pip install numpy torch==2.5.1+cpu`).

Output (relative to the repository root), described in the README beside it:
  Tests/NNRuntimeTests/Fixtures/layers/sequence_dense.json

Two kinds of case, all computed by PyTorch in float64:
  - "dense": nn.Linear (weight [units, features], bias [units]) applied to the last axis of an
    input [batch, time, features], then an activation (identity, tanh or softmax over the last
    axis); the output, a fixed random G of its shape, and the gradients of L = sum(output · G)
    with respect to the input, the weight and the bias.
  - "cross_entropy": logits [n, time, classes] against class indices [n, time] (or one-hot
    rows [n, time, classes]); the loss F.cross_entropy(logits.reshape(-1, C), y.reshape(-1))
    (the mean over all n·time positions) and its gradient with respect to the logits.

Before anything is written, each case is checked against an independent NumPy computation (to
1e-12) and with torch.autograd.gradcheck; a float32 run must stay within a tenth of the float32
tolerance the file names. Inputs, parameters and G are float32-exact doubles, so a Float plan
reads the same numbers. Rerunning the script gives identical bytes.
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures", "layers",
                      "sequence_dense.json")
AGREE = 1e-12
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-9}, "float32": {"rtol": 1e-4, "atol": 1e-5}}
FLOAT32_BUDGET = 0.1
SUMMARY = "--summary" in sys.argv

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261203)


def exact32(a):
    """Values rounded to float32 and held as float64: both precisions read the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def normal(*shape, scale=1.0):
    return exact32(rng.normal(0.0, scale, size=shape))


def tensor(a):
    """{"shape": [...], "data": [...]}, row-major, as Fixtures.swift's FixtureTensor reads it."""
    if torch.is_tensor(a):
        a = a.detach().numpy()
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return {"shape": list(a.shape), "data": [int(x) for x in a.reshape(-1)]}
    data = [float(x) for x in np.asarray(a, dtype=np.float64).reshape(-1)]
    assert all(math.isfinite(x) for x in data)
    return {"shape": list(a.shape), "data": data}


def check(name, numpy_value, torch_value):
    a = np.asarray(numpy_value, dtype=np.float64)
    b = torch_value.detach().numpy() if torch.is_tensor(torch_value) else np.asarray(torch_value)
    if a.shape != b.shape:
        sys.exit(f"{name}: NumPy shape {a.shape} but PyTorch shape {b.shape}")
    error = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0
    if not error <= AGREE:
        sys.exit(f"{name}: NumPy and PyTorch differ by {error:.3g}")


def float32_check(name, pairs):
    """`pairs` of (float64 reference, float32 value): within the float32 budget."""
    tol = TOLERANCE["float32"]
    worst = 0.0
    for ref, got in pairs:
        ratio = ((got.double() - ref).abs() / (tol["atol"] + tol["rtol"] * ref.abs())).max()
        worst = max(worst, ratio.item())
    if worst > FLOAT32_BUDGET:
        sys.exit(f"{name}: a float32 run is at {worst:.3g} of the float32 tolerance")
    if SUMMARY:
        print(f"  {name:32s} float32 at {worst:.2e} of the tolerance")


# MARK: - dense over [batch, time, features]

ACTIVATIONS = {
    "identity": (lambda z: z, lambda z: z),
    "tanh": (torch.tanh, np.tanh),
    "softmax": (lambda z: torch.softmax(z, dim=-1),
                lambda z: np.exp(z - z.max(-1, keepdims=True))
                / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)),
}


def dense_run(x, weight, bias, G, activation, dtype):
    tensors = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in (x, weight, bias)]
    output = ACTIVATIONS[activation][0](F.linear(*tensors))
    (output * torch.tensor(G, dtype=dtype)).sum().backward()
    return output.detach(), [t.grad.detach().clone() for t in tensors]


def dense_cases():
    specs = [
        # name, batch, time, features, units, activation
        ("b2_t3_d4_u5", 2, 3, 4, 5, "identity"),
        ("b1_t4_d3_u2_tanh", 1, 4, 3, 2, "tanh"),
        ("b3_t2_d2_u4_softmax", 3, 2, 2, 4, "softmax"),
        ("b2_t1_d3_u3", 2, 1, 3, 3, "identity"),
    ]
    cases = []
    for name, b, t, d, units, activation in specs:
        x = normal(b, t, d)
        weight = normal(units, d, scale=0.5)
        bias = normal(units, scale=0.5)
        G = normal(b, t, units)
        output, grads = dense_run(x, weight, bias, G, activation, torch.float64)
        # NumPy: the batch reshaped to rows, one product, reshaped back.
        rows = x.reshape(b * t, d) @ weight.T + bias
        check(name, ACTIVATIONS[activation][1](rows.reshape(b, t, units)), output)

        def flat(x_, w_, b_, activation=activation):
            return ACTIVATIONS[activation][0](F.linear(x_, w_, b_))

        args = tuple(torch.tensor(v, requires_grad=True) for v in (x, weight, bias))
        if not torch.autograd.gradcheck(flat, args, eps=1e-6, atol=1e-7, rtol=1e-6):
            sys.exit(f"{name}: gradcheck failed")
        output32, grads32 = dense_run(x, weight, bias, G, activation, torch.float32)
        float32_check(name, [(output, output32)] + list(zip(grads, grads32)))
        cases.append({
            "name": name, "kind": "dense", "units": units, "activation": activation,
            "input": tensor(x), "params": {"weight": tensor(weight), "bias": tensor(bias)},
            "output": tensor(output), "grad_output": tensor(G),
            "grads": {"input": tensor(grads[0]), "weight": tensor(grads[1]),
                      "bias": tensor(grads[2])},
        })
    return cases


# MARK: - cross-entropy over positions

def cross_entropy_run(logits, target, dtype):
    z = torch.tensor(logits, dtype=dtype, requires_grad=True)
    classes = logits.shape[-1]
    if target.dtype.kind in "iu":
        y = torch.tensor(target).reshape(-1)
    else:
        y = torch.tensor(target, dtype=dtype).reshape(-1, classes)
    loss = F.cross_entropy(z.reshape(-1, classes), y)
    loss.backward()
    return loss.detach(), z.grad.detach().clone()


def cross_entropy_numpy(logits, target):
    n, t, c = logits.shape
    z = logits.reshape(-1, c)
    shifted = z - z.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    onehot = np.eye(c)[target.reshape(-1)] if target.dtype.kind in "iu" else target.reshape(-1, c)
    return -(onehot * log_probs).sum() / (n * t)


def cross_entropy_cases():
    specs = [
        # name, n, time, classes, one-hot targets
        ("n2_t3_c4", 2, 3, 4, False),
        ("n3_t5_c2", 3, 5, 2, False),
        ("n1_t4_c3_onehot", 1, 4, 3, True),
    ]
    cases = []
    for name, n, t, c, onehot in specs:
        logits = normal(n, t, c, scale=2.0)
        indices = rng.integers(0, c, size=(n, t))
        target = np.eye(c)[indices] if onehot else indices
        loss, grad = cross_entropy_run(logits, target, torch.float64)
        check(name, cross_entropy_numpy(logits, target), loss)

        def flat(z, target=target, c=c):
            if target.dtype.kind in "iu":
                return F.cross_entropy(z.reshape(-1, c), torch.tensor(target).reshape(-1))
            return F.cross_entropy(z.reshape(-1, c), torch.tensor(target).reshape(-1, c))

        if not torch.autograd.gradcheck(flat, (torch.tensor(logits, requires_grad=True),),
                                        eps=1e-6, atol=1e-7, rtol=1e-6):
            sys.exit(f"{name}: gradcheck failed")
        loss32, grad32 = cross_entropy_run(logits, target, torch.float32)
        float32_check(name, [(loss, loss32), (grad, grad32)])
        cases.append({
            "name": name, "kind": "cross_entropy", "logits": tensor(logits),
            "target": tensor(target), "loss": float(loss), "grad_logits": tensor(grad),
        })
    return cases


def main():
    cases = dense_cases() + cross_entropy_cases()  # everything checked before it is written
    content = {"op": "sequence_dense", "tolerance": TOLERANCE, "cases": cases}
    with open(OUTPUT, "w") as file:
        json.dump(content, file, separators=(",", ":"), allow_nan=False)
        file.write("\n")
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)} ({os.path.getsize(OUTPUT)} bytes, "
          f"{len(cases)} cases)")


if __name__ == "__main__":
    main()
