#!/usr/bin/env python3
"""Writes the PyTorch reference for one SGD step with l2 on an lstm → dense model (issue 14).

    /work/venv-torch/bin/python scripts/make_l2_fixture.py

Output: Tests/NNRuntimeTests/Fixtures/l2/lstm_dense_step.json, read by L2DeclarationTests.swift.

The model is nn.LSTM(features, units) (its last hidden state) then nn.Linear(units, 1), trained
one full-batch SGD step on the MSE loss plus the penalty l2/2 · Σ‖W‖² over the *weights*:
weight_ih, weight_hh and the linear weight (not the biases). nn's LSTM has two biases; nn keeps
one (b_ih + b_hh), so the script holds b_hh at zero and writes b_ih as the bias. Inputs and
parameters are float32-exact, the arithmetic float64. Deterministic: reruns give the same bytes.
"""

import json
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures", "l2", "lstm_dense_step.json")

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(1414)
ROWS, TIME, FEATURES, UNITS = 4, 3, 2, 3
L2, LR = 0.5, 0.1


def exact32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def tensor(a):
    return torch.tensor(exact32(a), requires_grad=True)


x = exact32(rng.normal(size=(ROWS, TIME, FEATURES)))
y = exact32(rng.normal(size=(ROWS, 1)))
weight_ih = tensor(rng.normal(scale=0.5, size=(4 * UNITS, FEATURES)))
weight_hh = tensor(rng.normal(scale=0.5, size=(4 * UNITS, UNITS)))
bias = tensor(rng.normal(scale=0.1, size=(4 * UNITS,)))
dense_weight = tensor(rng.normal(scale=0.5, size=(1, UNITS)))
dense_bias = tensor(rng.normal(scale=0.1, size=(1,)))

lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
with torch.no_grad():
    lstm.weight_ih_l0.copy_(weight_ih)
    lstm.weight_hh_l0.copy_(weight_hh)
    lstm.bias_ih_l0.copy_(bias)
    lstm.bias_hh_l0.zero_()
linear = torch.nn.Linear(UNITS, 1)
with torch.no_grad():
    linear.weight.copy_(dense_weight)
    linear.bias.copy_(dense_bias)

_, (h, _) = lstm(torch.tensor(x))
prediction = linear(h[-1])
mse = torch.mean((prediction - torch.tensor(y)) ** 2)
weights = [lstm.weight_ih_l0, lstm.weight_hh_l0, linear.weight]
penalty = L2 / 2 * sum((w ** 2).sum() for w in weights)
(mse + penalty).backward()
optimizer = torch.optim.SGD([lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0,
                             linear.weight, linear.bias], lr=LR)
optimizer.step()


def values(t):
    return [float(v) for v in np.asarray(t.detach()).reshape(-1)]


fixture = {
    "rows": ROWS, "time": TIME, "features": FEATURES, "units": UNITS, "l2": L2, "lr": LR,
    "x": values(torch.tensor(x)), "y": values(torch.tensor(y)),
    "before": {"lstm1.weight_ih": values(weight_ih), "lstm1.weight_hh": values(weight_hh),
               "lstm1.bias": values(bias), "dense1.weight": values(dense_weight),
               "dense1.bias": values(dense_bias)},
    "after": {"lstm1.weight_ih": values(lstm.weight_ih_l0),
              "lstm1.weight_hh": values(lstm.weight_hh_l0),
              "lstm1.bias": values(lstm.bias_ih_l0), "dense1.weight": values(linear.weight),
              "dense1.bias": values(linear.bias)},
    "loss": float(mse + penalty),
}
os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
with open(OUTPUT, "w") as f:
    json.dump(fixture, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.relpath(OUTPUT, ROOT))
