#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for the gru layer (issue 17).

    /tmp/torchenv/bin/python scripts/make_gru_fixtures.py            # write the fixture
    /tmp/torchenv/bin/python scripts/make_gru_fixtures.py --summary  # also print the errors

(any Python with numpy and torch 2.5 or later; written with PyTorch 2.5.1). Output, relative to
the repository root, in the format of the README beside it:
  Tests/NNRuntimeTests/Fixtures/layers/gru.json

Every case is torch.nn.GRU(features, units, batch_first=True), one layer, from a zero state,
over a batch [batch, time, features], with parameters weight_ih [3·units, features],
weight_hh [3·units, units], bias_ih and bias_hh [3·units] (gates r, z, n, PyTorch's layout).
The output is the hidden state of every step [batch, time, units] (return_sequences) or the
last [batch, units]; a case records the input, the parameters, the output, a fixed random G of
the output's shape, and the gradients of L = sum(output · G) with respect to the input and all
four parameters, in float64, plus `hidden` (every step's state). The shared checks of
make_layer_fixtures.py run before anything is written: the forward output against a NumPy
GRU to 1e-12, torch.autograd.gradcheck, and a float32 run within a tenth of the float32
tolerance. Inputs and parameters are float32-exact; rerunning gives identical bytes.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The encoding and the checks are the layer fixtures' own (importing it writes nothing).
from make_layer_fixtures import OUTPUT, ROOT, TOLERANCE, case, check, exact32, tensor, verify

rng = np.random.default_rng(20261203)


def normal(*shape, scale=1.0):
    return exact32(rng.normal(0.0, scale, size=shape))


def gru_numpy(x, w_ih, w_hh, b_ih, b_hh):
    """h_t for every step from a zero state, the textbook formulas with gates r, z, n."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    n, steps, _ = x.shape
    units = w_hh.shape[1]
    h = np.zeros((n, units))
    hs = []
    for t in range(steps):
        gi = x[:, t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :units] + gh[:, :units])
        z = sigmoid(gi[:, units:2 * units] + gh[:, units:2 * units])
        candidate = np.tanh(gi[:, 2 * units:] + r * gh[:, 2 * units:])
        h = (1 - z) * candidate + z * h
        hs.append(h)
    return np.stack(hs, axis=1)


def gru_cases():
    cases = []
    # batch, time, features, units: one step, and longer sequences with features ≠ units.
    for batch, steps, features, units in ((2, 1, 3, 4), (2, 4, 3, 2), (3, 5, 2, 5)):
        x = normal(batch, steps, features)
        params = {"weight_ih": normal(3 * units, features, scale=0.5),
                  "weight_hh": normal(3 * units, units, scale=0.5),
                  "bias_ih": normal(3 * units, scale=0.3),
                  "bias_hh": normal(3 * units, scale=0.3)}
        hidden = gru_numpy(x, *params.values())

        def run_gru(x, weight_ih, weight_hh, bias_ih, bias_hh, features=features, units=units):
            layer = torch.nn.GRU(features, units, batch_first=True, dtype=x.dtype)
            # Functional call so that autograd reaches the tensors passed in.
            weights = {"weight_ih_l0": weight_ih, "weight_hh_l0": weight_hh,
                       "bias_ih_l0": bias_ih, "bias_hh_l0": bias_hh}
            output, h_n = torch.func.functional_call(layer, weights, (x,))
            return output, h_n

        probe, h_n = run_gru(torch.tensor(x), *(torch.tensor(v) for v in params.values()))
        check(f"gru/T{steps}", hidden, probe)
        check(f"gru/T{steps}/h_n", hidden[:, -1], h_n[0])

        for return_sequences in (False, True):
            def forward(x, weight_ih, weight_hh, bias_ih, bias_hh, rs=return_sequences,
                        run=run_gru):
                output, _ = run(x, weight_ih, weight_hh, bias_ih, bias_hh)
                return output if rs else output[:, -1]

            name = f"T{steps}_F{features}_H{units}_" + ("sequences" if return_sequences
                                                          else "last")
            G = normal(*((batch, steps, units) if return_sequences else (batch, units)))
            output, grads = verify("gru/" + name, forward, {"x": x} | params, G)
            grads["input"] = grads.pop("x")
            entry = case(name, x, params, output, G, grads, units=units,
                         return_sequences=return_sequences)
            entry["hidden"] = tensor(hidden)
            cases.append(entry)
    return cases


def main():
    content = {"op": "gru", "tolerance": TOLERANCE, "cases": gru_cases()}
    os.makedirs(OUTPUT, exist_ok=True)
    path = os.path.join(OUTPUT, "gru.json")
    with open(path, "w") as file:
        json.dump(content, file, separators=(",", ":"), allow_nan=False)
        file.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, "
          f"{len(content['cases'])} cases)")


if __name__ == "__main__":
    main()
