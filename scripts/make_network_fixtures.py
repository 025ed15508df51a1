#!/usr/bin/env python3
"""Writes the reference numbers for models, losses, `grad`, `step`, `trace` and the optimizers.

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install numpy torch==2.13.0+cpu
    /tmp/venv-torch/bin/python scripts/make_network_fixtures.py            # write the fixture
    /tmp/venv-torch/bin/python scripts/make_network_fixtures.py --summary  # also print numbers

Output (relative to the repository root):
  Tests/NNScriptTests/Fixtures/networks.json   read by Tests/NNScriptTests/NetworkFixtureTests.swift

Every number is computed twice in float64: once by NumPy with the forward and backward formulas
written out by hand, once by PyTorch's autograd; the two must agree to 1e-12 or the script stops
without writing anything. The optimizer runs use torch.optim; of them, plain SGD is also
replayed by hand. Every PyTorch computation is repeated in float32, to check that a correct
32-bit implementation stays well within the tolerance the Swift tests use (the fixture names it
per section). The output is deterministic: rerunning the script gives identical bytes.

Conventions (LANGUAGE.md §5–6):
  - a dense layer computes z = a_prev · Wᵀ + b with W of shape [units, in]; inputs are batches;
  - mse = mean of squares over every element; sse = ½ · sum of squares over every element (for
    a batch of one, the seed's L = ½ Σ (a3 − y)²);
  - cross_entropy = mean over the batch of −log softmax(logits)[target]; bce = mean over every
    element of −(y log p + (1 − y) log(1 − p));
  - δ = ∂L/∂z, ∂L/∂W = δᵀ · a_prev, ∂L/∂b = Σ over the batch of δ.
"""

import json
import math
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "NNScriptTests", "Fixtures", "networks.json")
AGREE = 1e-12
# The Swift tests accept |actual − expected| ≤ rtol·|expected| + atol, with the tolerance each
# section of the fixture names: one forward and backward pass in float32 is good to about 1e-6
# relative, while 100 or 1000 float32 steps accumulate rounding of about 1e-6 absolute.
ONE_PASS = {"rtol": 1e-5, "atol": 1e-6}
MANY_STEPS = {"rtol": 1e-4, "atol": 1e-5}
# Losses after many steps can be small (rmsprop ends near 1e-5), so they are held relatively.
MANY_STEPS_LOSS = {"rtol": 1e-3, "atol": 1e-9}
# A float32 run may use at most this fraction of the tolerance, so that a correct 32-bit
# implementation whose rounding differs from PyTorch's still passes.
FLOAT32_BUDGET = 0.1

torch.set_default_dtype(torch.float64)


def check(name, numpy_value, torch_value):
    a = np.asarray(numpy_value, dtype=np.float64)
    b = np.asarray(torch_value.detach().numpy() if torch.is_tensor(torch_value) else torch_value,
                   dtype=np.float64)
    if a.shape != b.shape:
        sys.exit(f"{name}: NumPy shape {a.shape} but PyTorch shape {b.shape}")
    error = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0
    if not error <= AGREE:
        sys.exit(f"{name}: NumPy and PyTorch differ by {error:.3g}")


def plain(a):
    """A float64 array as nested lists of Python floats (a number for a 0-d array)."""
    a = np.asarray(a, dtype=np.float64)
    return float(a) if a.ndim == 0 else [plain(row) for row in a]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# MARK: - a. The seed's 2-2-2-2 sigmoid network, one step

SEED_X = [[1.0, 2.0]]
SEED_Y = [[3.0, 4.0]]
SEED_PARAMS = [
    ([[0.1, 0.2], [0.3, 0.4]], [0.1, 0.2]),
    ([[0.5, 0.6], [0.7, 0.8]], [0.5, 0.6]),
    ([[0.9, 1.0], [1.1, 1.2]], [0.9, 1.0]),
]
SEED_LR = 0.1


ACTIVATIONS = {
    # name: (f(z), f'(z) written with a = f(z), torch function)
    "sigmoid": (sigmoid, lambda a: a * (1 - a), torch.sigmoid),
    "tanh": (np.tanh, lambda a: 1 - a ** 2, torch.tanh),
}


def trace_by_hand(x, y, params, activations, loss, lr):
    """One forward and backward pass and one SGD step, every formula written out."""
    x, y = np.array(x), np.array(y)
    Ws = [np.array(w) for w, _ in params]
    bs = [np.array(b) for _, b in params]
    zs, acts = [], [x]
    for W, b, name in zip(Ws, bs, activations):
        zs.append(acts[-1] @ W.T + b)                       # z = a_prev · Wᵀ + b
        acts.append(ACTIVATIONS[name][0](zs[-1]))           # a = f(z)
    out = acts[-1]
    if loss == "sse":
        value = 0.5 * np.sum((out - y) ** 2)
        dout = out - y
    else:
        value = np.mean((out - y) ** 2)
        dout = 2.0 * (out - y) / out.size
    n = len(Ws)
    deltas = [None] * n
    deltas[-1] = dout * ACTIVATIONS[activations[-1]][1](out)    # δ_L = ∂L/∂a_L ⊙ f'(z_L)
    for l in reversed(range(n - 1)):                            # δl = (δ_{l+1} W_{l+1}) ⊙ f'(zl)
        deltas[l] = (deltas[l + 1] @ Ws[l + 1]) * ACTIVATIONS[activations[l]][1](acts[l + 1])
    layers = []
    for l in range(n):
        dW = deltas[l].T @ acts[l]                          # ∂L/∂W = δᵀ · a_prev
        db = deltas[l].sum(axis=0)                          # ∂L/∂b = Σ_batch δ
        layers.append({
            "z": zs[l], "a": acts[l + 1], "delta": deltas[l], "dweight": dW, "dbias": db,
            "weight": Ws[l] - lr * dW, "bias": bs[l] - lr * db,
        })
    return value, out, layers


def trace_by_torch(x, y, params, activations, loss, lr, dtype=torch.float64):
    x, y = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)
    Ws = [torch.tensor(w, dtype=dtype, requires_grad=True) for w, _ in params]
    bs = [torch.tensor(b, dtype=dtype, requires_grad=True) for _, b in params]
    zs, acts = [], [x]
    for W, b, name in zip(Ws, bs, activations):
        z = acts[-1] @ W.T + b
        z.retain_grad()
        zs.append(z)
        acts.append(ACTIVATIONS[name][2](z))
    out = acts[-1]
    value = 0.5 * ((out - y) ** 2).sum() if loss == "sse" else torch.nn.functional.mse_loss(out, y)
    value.backward()
    opt = torch.optim.SGD(Ws + bs, lr=lr)
    grads = [(W.grad.clone(), b.grad.clone()) for W, b in zip(Ws, bs)]
    opt.step()
    layers = []
    for l in range(len(Ws)):
        layers.append({
            "z": zs[l], "a": acts[l + 1], "delta": zs[l].grad, "dweight": grads[l][0],
            "dbias": grads[l][1], "weight": Ws[l], "bias": bs[l],
        })
    return value, out, layers


def trace_case(label, x, y, params, activations, lr):
    """The fixture entry for one network: its inputs, then one `trace` per loss."""
    result = {
        "tolerance": ONE_PASS, "x": x, "y": y, "lr": lr,
        "layers": [{"name": f"dense{i + 1}", "activation": act, "weight": w, "bias": b}
                   for i, ((w, b), act) in enumerate(zip(params, activations))],
    }
    for loss in ("sse", "mse"):
        value, out, layers = trace_by_hand(x, y, params, activations, loss, lr)
        t_value, t_out, t_layers = trace_by_torch(x, y, params, activations, loss, lr)
        s_value, _, s_layers = trace_by_torch(x, y, params, activations, loss, lr, torch.float32)
        worst = scaled_error(s_value.item(), value, ONE_PASS)
        for mine, single in zip(layers, s_layers):
            for key in mine:
                worst = max(worst, scaled_error(single[key].detach().double().numpy(), mine[key],
                                                ONE_PASS))
        check_float32(f"{label}/{loss}", worst)
        check(f"{label}/{loss}/loss", value, t_value)
        check(f"{label}/{loss}/output", out, t_out)
        entry = {"loss": float(value), "output": plain(out), "layers": []}
        for i, (mine, theirs) in enumerate(zip(layers, t_layers)):
            row = {"name": f"dense{i + 1}"}
            for key in ("z", "a", "delta", "dweight", "dbias", "weight", "bias"):
                check(f"{label}/{loss}/dense{i + 1}/{key}", mine[key], theirs[key])
                row[key] = plain(mine[key])
            entry["layers"].append(row)
        result[loss] = entry
    return result


def seed_case():
    # For one row and two outputs, mse = Σ(a3 − y)²/2 = sse: the two entries agree exactly.
    return trace_case("seed", SEED_X, SEED_Y, SEED_PARAMS, ["sigmoid"] * 3, SEED_LR)


# MARK: - b. The seed's linear regression: y = x² fitted by a line

LINREG_X = [[0.0], [1.0], [2.0], [3.0], [4.0]]
LINREG_LR = 0.1
LINREG_EPOCHS = 1000
LINREG_SNAPSHOTS = (1, 10, 100, 1000)


def linreg_by_hand():
    x = np.array(LINREG_X)
    y = x ** 2
    W, b = np.zeros((1, 1)), np.zeros(1)
    step_losses, history = [], {0: (W.copy(), b.copy())}
    for epoch in range(1, LINREG_EPOCHS + 1):
        error = x @ W.T + b - y
        step_losses.append(np.mean(error ** 2))
        # ∂L/∂ŷ = 2(ŷ − y)/n; ∂L/∂W = (∂L/∂ŷ)ᵀ x; ∂L/∂b = Σ ∂L/∂ŷ
        dout = 2.0 * error / error.size
        W = W - LINREG_LR * (dout.T @ x)
        b = b - LINREG_LR * dout.sum(axis=0)
        history[epoch] = (W.copy(), b.copy())
    final_losses = {e: np.mean((x @ history[e][0].T + history[e][1] - y) ** 2) for e in history}
    return history, step_losses, final_losses


def linreg_by_torch(dtype=torch.float64):
    x = torch.tensor(LINREG_X, dtype=dtype)
    y = x ** 2
    layer = torch.nn.Linear(1, 1, dtype=dtype)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
    opt = torch.optim.SGD(layer.parameters(), lr=LINREG_LR)
    step_losses, history = [], {0: (layer.weight.detach().clone(), layer.bias.detach().clone())}
    for epoch in range(1, LINREG_EPOCHS + 1):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        step_losses.append(loss.item())
        loss.backward()
        opt.step()
        history[epoch] = (layer.weight.detach().clone(), layer.bias.detach().clone())
    return history, step_losses


def linreg_case():
    history, step_losses, final_losses = linreg_by_hand()
    t_history, t_step_losses = linreg_by_torch()
    check("linreg/step_losses", step_losses, t_step_losses)
    for e in history:
        check(f"linreg/{e}/weight", history[e][0], t_history[e][0])
        check(f"linreg/{e}/bias", history[e][1], t_history[e][1])
    s_history, s_step_losses = linreg_by_torch(torch.float32)
    worst = scaled_error(s_step_losses, step_losses, MANY_STEPS_LOSS)
    for e in LINREG_SNAPSHOTS:
        for i in range(2):
            worst = max(worst, scaled_error(s_history[e][i].double().numpy(), history[e][i],
                                            MANY_STEPS))
    check_float32("linreg", worst)
    return {
        "tolerance": MANY_STEPS, "loss_tolerance": MANY_STEPS_LOSS,
        "x": LINREG_X, "y": plain(np.array(LINREG_X) ** 2), "lr": LINREG_LR,
        "weight": [[0.0]], "bias": [0.0], "initial_loss": float(final_losses[0]),
        "snapshots": [{
            "epochs": e,
            "weight": plain(history[e][0]), "bias": plain(history[e][1]),
            # The mse with the parameters after `epochs` updates.
            "loss": float(final_losses[e]),
            # g.loss of the `epochs`-th grad call (parameters after epochs − 1 updates).
            "step_loss": float(step_losses[e - 1]),
        } for e in LINREG_SNAPSHOTS],
        # What examples/linreg.nn prints: g.loss at epochs 0, 100, …, 900 (counted from zero).
        "printed": [{"epoch": e, "loss": float(step_losses[e])} for e in range(0, 1000, 100)],
        "limit": {"weight": [[4.0]], "bias": [-2.0], "loss": 2.8},
    }


# MARK: - c. A 3-4-2 tanh/sigmoid network under every optimizer

MLP_X = [[0.5, -1.0, 0.25], [-0.3, 0.8, 1.2], [1.5, 0.2, -0.7], [-1.1, -0.4, 0.6]]
MLP_Y = [[0.2, 0.9], [0.7, 0.1], [0.4, 0.6], [0.95, 0.3]]
MLP_W1 = [[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.6, 0.4], [0.1, -0.1, 0.7]]
MLP_B1 = [0.05, -0.1, 0.2, 0.0]
MLP_W2 = [[0.3, -0.5, 0.4, 0.2], [-0.6, 0.1, 0.25, -0.35]]
MLP_B2 = [0.1, -0.05]
MLP_STEPS = 100

# (key, nn expression, torch.optim constructor, loss)
OPTIMIZERS = [
    ("sgd", "sgd(lr: 0.1)", lambda p: torch.optim.SGD(p, lr=0.1), "mse"),
    ("sgd_sse", "sgd(lr: 0.1)", lambda p: torch.optim.SGD(p, lr=0.1), "sse"),
    ("sgd_momentum", "sgd(lr: 0.1, momentum: 0.9)",
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), "mse"),
    ("sgd_nesterov", "sgd(lr: 0.1, momentum: 0.9, nesterov: true)",
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), "mse"),
    ("sgd_weight_decay", "sgd(lr: 0.1, weight_decay: 0.01)",
     lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01), "mse"),
    ("adam", "adam(lr: 0.01)", lambda p: torch.optim.Adam(p, lr=0.01), "mse"),
    # PyTorch's AdamW defaults to weight_decay = 0.01 (decoupled), unlike Adam's 0.
    ("adamw", "adamw(lr: 0.01)", lambda p: torch.optim.AdamW(p, lr=0.01), "mse"),
    ("rmsprop", "rmsprop(lr: 0.01)", lambda p: torch.optim.RMSprop(p, lr=0.01), "mse"),
    ("rmsprop_momentum", "rmsprop(lr: 0.01, momentum: 0.9)",
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9), "mse"),
    ("adagrad", "adagrad(lr: 0.1)", lambda p: torch.optim.Adagrad(p, lr=0.1), "mse"),
]


def torch_loss(name, out, y):
    if name == "mse":
        return torch.nn.functional.mse_loss(out, y)
    return 0.5 * ((out - y) ** 2).sum()


def mlp_run_torch(make_optimizer, loss_name, dtype):
    x, y = torch.tensor(MLP_X, dtype=dtype), torch.tensor(MLP_Y, dtype=dtype)
    params = [torch.tensor(v, dtype=dtype, requires_grad=True)
              for v in (MLP_W1, MLP_B1, MLP_W2, MLP_B2)]
    W1, b1, W2, b2 = params
    opt = make_optimizer(params)

    def loss_now():
        out = torch.sigmoid(torch.tanh(x @ W1.T + b1) @ W2.T + b2)
        return torch_loss(loss_name, out, y)

    losses = []
    for _ in range(MLP_STEPS):
        opt.zero_grad()
        loss = loss_now()
        losses.append(loss.item())
        loss.backward()
        opt.step()
        if len(losses) == 1:
            with torch.no_grad():
                after_first = loss_now().item()
    with torch.no_grad():
        final = loss_now().item()
    return {"initial": losses[0], "after_1": after_first, "after_100": final,
            "last_step": losses[-1], "params": [p.detach().clone() for p in params]}


def mlp_sgd_by_hand(loss_name, lr=0.1):
    x, y = np.array(MLP_X), np.array(MLP_Y)
    W1, b1, W2, b2 = (np.array(v) for v in (MLP_W1, MLP_B1, MLP_W2, MLP_B2))
    losses = []
    for _ in range(MLP_STEPS):
        h = np.tanh(x @ W1.T + b1)
        out = sigmoid(h @ W2.T + b2)
        if loss_name == "mse":
            losses.append(np.mean((out - y) ** 2))
            dout = 2.0 * (out - y) / out.size
        else:
            losses.append(0.5 * np.sum((out - y) ** 2))
            dout = out - y
        d2 = dout * out * (1 - out)
        d1 = (d2 @ W2) * (1 - h ** 2)
        W2, b2 = W2 - lr * d2.T @ h, b2 - lr * d2.sum(axis=0)
        W1, b1 = W1 - lr * d1.T @ x, b1 - lr * d1.sum(axis=0)
    return losses, [W1, b1, W2, b2]


def scaled_error(actual, expected, tolerance):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = tolerance["rtol"] * np.abs(expected) + tolerance["atol"]
    return float(np.max(np.abs(actual - expected) / scale))


def check_float32(name, worst):
    if worst > FLOAT32_BUDGET:
        sys.exit(f"{name}: a float32 run is at {worst:.3g} of the Swift tests' tolerance")


def batch_trace_case():
    # A batch of 4 rows: here sse = 4 · mse, and ∂L/∂b sums δ over the rows.
    params = [(MLP_W1, MLP_B1), (MLP_W2, MLP_B2)]
    return trace_case("batch", MLP_X, MLP_Y, params, ["tanh", "sigmoid"], 0.1)


def optimizers_case():
    runs = []
    worst = 0.0
    for key, expression, make, loss_name in OPTIMIZERS:
        run = mlp_run_torch(make, loss_name, torch.float64)
        if expression == "sgd(lr: 0.1)":
            losses, params = mlp_sgd_by_hand(loss_name)
            check(f"{key}/initial", losses[0], run["initial"])
            check(f"{key}/last_step", losses[-1], run["last_step"])
            for name, mine, theirs in zip(("W1", "b1", "W2", "b2"), params, run["params"]):
                check(f"{key}/{name}", mine, theirs)
        # A float32 run must stay inside the Swift tests' tolerance, or the test would be flaky.
        single = mlp_run_torch(make, loss_name, torch.float32)
        for p64, p32 in zip(run["params"], single["params"]):
            worst = max(worst, scaled_error(p32.double().numpy(), p64.numpy(), MANY_STEPS))
        for k in ("initial", "after_1", "after_100"):
            worst = max(worst, scaled_error(single[k], run[k], MANY_STEPS_LOSS))
        W1, b1, W2, b2 = (plain(p.numpy()) for p in run["params"])
        runs.append({
            "name": key, "optimizer": expression, "loss": loss_name,
            "loss_initial": run["initial"], "loss_after_1": run["after_1"],
            "loss_after_100": run["after_100"],
            "params": {"dense1": {"weight": W1, "bias": b1},
                       "dense2": {"weight": W2, "bias": b2}},
        })
    check_float32("optimizers", worst)
    return {
        "tolerance": MANY_STEPS, "loss_tolerance": MANY_STEPS_LOSS,
        "x": MLP_X, "y": MLP_Y, "steps": MLP_STEPS,
        "initial": {"dense1": {"weight": MLP_W1, "bias": MLP_B1},
                    "dense2": {"weight": MLP_W2, "bias": MLP_B2}},
        "runs": runs,
    }, worst


# MARK: - d. Cross-entropy and binary cross-entropy

CE_X = [[0.2, -0.5, 1.0], [1.3, 0.4, -0.6], [-0.8, 0.9, 0.3], [0.5, 0.5, -1.2]]
CE_CLASSES = [0, 2, 1, 2]
CE_W = [[0.4, -0.2, 0.1], [-0.3, 0.5, 0.2], [0.1, 0.3, -0.4]]
CE_B = [0.1, -0.1, 0.05]
BCE_Y = [[1.0], [0.0], [0.0], [1.0]]
BCE_W = [[0.6, -0.4, 0.3]]
BCE_B = [-0.1]


def cross_entropy_case():
    x = np.array(CE_X)
    onehot = np.eye(3)[CE_CLASSES]
    logits = x @ np.array(CE_W).T + np.array(CE_B)
    p = softmax(logits)
    n = len(CE_CLASSES)
    loss = -np.mean(np.log(p[np.arange(n), CE_CLASSES]))
    dlogits = (p - onehot) / n
    dW, db = dlogits.T @ x, dlogits.sum(axis=0)

    for targets in (CE_CLASSES, onehot):
        for dtype in (torch.float64, torch.float32):
            W = torch.tensor(CE_W, dtype=dtype, requires_grad=True)
            b = torch.tensor(CE_B, dtype=dtype, requires_grad=True)
            t_logits = torch.tensor(CE_X, dtype=dtype) @ W.T + b
            t_targets = torch.tensor(targets) if targets is CE_CLASSES else \
                torch.tensor(targets, dtype=dtype)
            t_loss = torch.nn.functional.cross_entropy(t_logits, t_targets)
            t_loss.backward()
            t_p = torch.softmax(t_logits, dim=1)
            if dtype == torch.float32:
                worst = max(scaled_error(t_loss.item(), loss, ONE_PASS),
                            scaled_error(W.grad.double().numpy(), dW, ONE_PASS),
                            scaled_error(b.grad.double().numpy(), db, ONE_PASS),
                            scaled_error(t_p.detach().double().numpy(), p, ONE_PASS))
                check_float32("cross_entropy", worst)
                continue
            check("cross_entropy/loss", loss, t_loss)
            check("cross_entropy/dweight", dW, W.grad)
            check("cross_entropy/dbias", db, b.grad)
            check("cross_entropy/probabilities", p, t_p)

    y = np.array(BCE_Y)
    z = x @ np.array(BCE_W).T + np.array(BCE_B)
    q = sigmoid(z)
    bce = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    dz = (q - y) / y.size
    bce_dW, bce_db = dz.T @ x, dz.sum(axis=0)
    W = torch.tensor(BCE_W, requires_grad=True)
    b = torch.tensor(BCE_B, requires_grad=True)
    t_q = torch.sigmoid(torch.tensor(CE_X) @ W.T + b)
    t_bce = torch.nn.functional.binary_cross_entropy(t_q, torch.tensor(BCE_Y))
    t_bce.backward()
    check("bce/loss", bce, t_bce)
    check("bce/output", q, t_q)
    check("bce/dweight", bce_dW, W.grad)
    check("bce/dbias", bce_db, b.grad)
    W = torch.tensor(BCE_W, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(BCE_B, dtype=torch.float32, requires_grad=True)
    s_q = torch.sigmoid(torch.tensor(CE_X, dtype=torch.float32) @ W.T + b)
    s_bce = torch.nn.functional.binary_cross_entropy(s_q, torch.tensor(BCE_Y, dtype=torch.float32))
    s_bce.backward()
    check_float32("bce", max(scaled_error(s_bce.item(), bce, ONE_PASS),
                             scaled_error(s_q.detach().double().numpy(), q, ONE_PASS),
                             scaled_error(W.grad.double().numpy(), bce_dW, ONE_PASS),
                             scaled_error(b.grad.double().numpy(), bce_db, ONE_PASS)))

    return {
        "cross_entropy": {
            "tolerance": ONE_PASS,
            "x": CE_X, "classes": [float(c) for c in CE_CLASSES], "onehot": plain(onehot),
            "weight": CE_W, "bias": CE_B,
            "logits": plain(logits), "probabilities": plain(p), "loss": float(loss),
            "dweight": plain(dW), "dbias": plain(db),
        },
        "bce": {
            "tolerance": ONE_PASS, "x": CE_X, "y": BCE_Y, "weight": BCE_W, "bias": BCE_B,
            "output": plain(q), "loss": float(bce), "dweight": plain(bce_dW),
            "dbias": plain(bce_db),
        },
    }


# MARK: - Writing

def encode(value, indent=0):
    """JSON with objects one field a line and every numeric array (a tensor) on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        if all(isinstance(v, (int, float)) for v in value.values()):
            return "{" + ", ".join(f"{json.dumps(k)}: {encode(v)}" for k, v in value.items()) + "}"
        items = [f'{pad}  {json.dumps(k)}: {encode(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, dict) for v in value):
            return "[" + ", ".join(encode(v, indent) for v in value) + "]"
        items = [pad + "  " + encode(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        sys.exit(f"non-finite number {value} in the fixture")
    return repr(value)


def g6(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return "[" + ", ".join(g6(row) for row in a) + "]"


def print_summary(fixture, worst):
    seed = fixture["seed_network"]
    for loss in ("sse", "mse"):
        entry = seed[loss]
        print(f"== seed network, loss {loss}: L = {entry['loss']:.6g}, "
              f"output = {g6(entry['output'])}")
        for layer in entry["layers"]:
            print(f"  {layer['name']}:")
            for key in ("z", "a", "delta", "dweight", "dbias", "weight", "bias"):
                print(f"    {key:8} {g6(layer[key])}")
    lin = fixture["linear_regression"]
    print(f"== linear regression: initial loss {lin['initial_loss']:.6g}")
    for s in lin["snapshots"]:
        print(f"  after {s['epochs']:4}: W = {s['weight'][0][0]:.6g}, b = {s['bias'][0]:.6g}, "
              f"loss = {s['loss']:.6g}, step loss = {s['step_loss']:.6g}")
    for p in lin["printed"]:
        print(f"  printed epoch {p['epoch']:3}: {p['loss']!r}")
    print("== optimizers (loss initial / after 1 / after 100):")
    for run in fixture["optimizers"]["runs"]:
        print(f"  {run['name']:17} {run['loss_initial']:.6g} / {run['loss_after_1']:.6g} / "
              f"{run['loss_after_100']:.6g}")
    print(f"  float32 worst error: {worst:.3g} of the tolerance")
    ce = fixture["cross_entropy"]
    print(f"== cross_entropy loss {ce['loss']:.6g}, bce loss {fixture['bce']['loss']:.6g}")


def main():
    optimizers, worst = optimizers_case()
    classification = cross_entropy_case()
    fixture = {
        "about": "Written by scripts/make_network_fixtures.py (NumPy by hand and PyTorch "
                 "autograd, float64). Do not edit by hand.",
        "seed_network": seed_case(),
        "linear_regression": linreg_case(),
        "batch_trace": batch_trace_case(),
        "optimizers": optimizers,
        "cross_entropy": classification["cross_entropy"],
        "bce": classification["bce"],
    }
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(encode(fixture) + "\n")
    if "--summary" in sys.argv:
        print_summary(fixture, worst)
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)} ({os.path.getsize(OUTPUT)} bytes)")


if __name__ == "__main__":
    main()
