"""NumPy anchor for nn's benchmarks: the same models, with backprop and optimizers written by hand.

Forward and backward passes of the dense layers, the losses, Adam and SGD (PyTorch's update
rules) are spelled out below; every array is float32 and the matrix products go through NumPy's
BLAS (OpenBLAS in the PyPI wheel). Only the training loop is timed. Prints one line of JSON on
stdout (everything else goes to stderr). The driver (scripts/bench) runs it as

    python numpy_anchor.py WORKLOAD --threads N      # WORKLOAD: xor | digits | wide | linreg

JSON keys: system, workload, threads, loop_seconds, steps, final_loss, test_accuracy,
import_seconds, compile_seconds (always 0 here), setup_seconds, plus per-workload extras.
"""

import math
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository from anchor_common
from anchor_common import (batch_starts, digits_split, emit, make_wide, note, parse_args,
                           set_thread_env)

args = parse_args("numpy")
set_thread_env(args.threads)  # OpenBLAS reads these when NumPy loads it

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import_seconds = time.perf_counter() - t_import

rng = np.random.default_rng(0)


# --- the model: a list of dense layers {"W": [in, out], "b": [out], "act": name} ---------------

def dense(fan_in, units, act):
    """He normal N(0, 2/fan_in) before a ReLU, Xavier uniform U(-a, a) otherwise; zero bias."""
    if act == "relu":
        std = np.float32(math.sqrt(2 / fan_in))
        w = rng.standard_normal((fan_in, units), dtype=np.float32) * std
    else:
        a = math.sqrt(6 / (fan_in + units))
        w = rng.uniform(-a, a, (fan_in, units)).astype(np.float32)
    return {"W": w, "b": np.zeros(units, np.float32), "act": act}


def activate(act, z):
    if act == "relu":
        return np.maximum(z, 0)
    if act == "tanh":
        return np.tanh(z)
    if act == "sigmoid":
        return 1 / (1 + np.exp(-z))
    return z  # identity (logits, linear regression)


def activation_grad(act, a, da):
    """dL/dz from dL/da, written in terms of the layer's output a (all three allow it)."""
    if act == "relu":
        return da * (a > 0)
    if act == "tanh":
        return da * (1 - a * a)
    if act == "sigmoid":
        return da * a * (1 - a)
    return da


def forward(layers, x):
    """Returns the outputs of every layer, input first (backward needs them all)."""
    outs = [x]
    for layer in layers:
        outs.append(activate(layer["act"], outs[-1] @ layer["W"] + layer["b"]))
    return outs


def backward(layers, outs, dz):
    """Gradients [(dW, db), ...] given dL/dz of the last layer's pre-activation."""
    grads = [None] * len(layers)
    for i in reversed(range(len(layers))):
        a_in = outs[i]
        grads[i] = (a_in.T @ dz, dz.sum(axis=0))
        if i > 0:
            dz = activation_grad(layers[i - 1]["act"], a_in, dz @ layers[i]["W"].T)
    return grads


# --- losses: value and gradient with respect to the last layer's pre-activation --------------

def mse_through(act, p, y):
    """mse = mean((p - y)²) over all elements, back through the output activation."""
    diff = p - y
    return float(np.mean(diff * diff)), activation_grad(act, p, 2 * diff / diff.size)


def cross_entropy(logits, labels):
    """Mean over the batch of -log softmax(logits)[label]; gradient (softmax - onehot) / n."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # stable log-softmax
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum
    loss = -float(log_probs[np.arange(n), labels].mean())
    dz = np.exp(log_probs)
    dz[np.arange(n), labels] -= 1
    return loss, dz / np.float32(n)


# --- optimizers, PyTorch's update rules, updating the arrays in place -------------------------

class Adam:
    def __init__(self, layers, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, beta1, beta2, eps, 0
        self.params = [p for layer in layers for p in (layer["W"], layer["b"])]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def step(self, grads):
        self.t += 1
        bc1 = 1 - self.beta1 ** self.t
        bc2 = 1 - self.beta2 ** self.t
        flat = [g for pair in grads for g in pair]
        for p, g, m, v in zip(self.params, flat, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            # torch.optim.Adam: p -= lr / bc1 · m / (sqrt(v) / sqrt(bc2) + eps)
            p -= (self.lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + self.eps)


class SGD:
    def __init__(self, layers, lr, momentum=0.0):
        self.lr, self.momentum = lr, momentum
        self.params = [p for layer in layers for p in (layer["W"], layer["b"])]
        # A zero buffer makes the first step buf = g, as PyTorch's first step does.
        self.bufs = [np.zeros_like(p) for p in self.params] if momentum else None

    def step(self, grads):
        flat = [g for pair in grads for g in pair]
        if self.bufs is None:
            for p, g in zip(self.params, flat):
                p -= self.lr * g
            return
        for p, g, buf in zip(self.params, flat, self.bufs):
            buf *= self.momentum
            buf += g
            p -= self.lr * buf


# --- workloads -------------------------------------------------------------------------------

def result(workload, loop_seconds, steps, final_loss, setup_seconds, test_accuracy=None, **extra):
    return dict(system="numpy", workload=workload, threads=args.threads,
                loop_seconds=loop_seconds, steps=steps, final_loss=final_loss,
                test_accuracy=test_accuracy, import_seconds=import_seconds,
                compile_seconds=0.0, setup_seconds=setup_seconds, **extra)


def train_full_batch_mse(layers, opt, x, y, steps):
    """Full-batch steps; returns (seconds, loss of the last step computed before its update)."""
    out_act = layers[-1]["act"]
    start = time.perf_counter()
    for _ in range(steps):
        outs = forward(layers, x)
        loss, dz = mse_through(out_act, outs[-1], y)
        opt.step(backward(layers, outs, dz))
    return time.perf_counter() - start, loss


def train_classifier(layers, opt, x, y, epochs, batch):
    """Mini-batch cross-entropy training, a fresh permutation each epoch.

    Returns (seconds, steps, last epoch's batch-size-weighted mean loss).
    """
    n = x.shape[0]
    steps = 0
    epoch_loss = float("nan")
    start = time.perf_counter()
    for _ in range(epochs):
        perm = rng.permutation(n)
        total = 0.0
        for i in batch_starts(n, batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            outs = forward(layers, xb)
            loss, dz = cross_entropy(outs[-1], yb)
            opt.step(backward(layers, outs, dz))
            total += loss * len(idx)
            steps += 1
        epoch_loss = total / n
    return time.perf_counter() - start, steps, epoch_loss


def accuracy(layers, x, y):
    return float(np.mean(forward(layers, x)[-1].argmax(axis=1) == y))


def xor():
    t0 = time.perf_counter()
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    layers = [dense(2, 8, "tanh"), dense(8, 1, "sigmoid")]
    opt = Adam(layers, lr=0.05)
    setup = time.perf_counter() - t0
    loop, loss = train_full_batch_mse(layers, opt, x, y, steps=5000)
    return result("xor", loop, 5000, loss, setup)


def digits():
    t0 = time.perf_counter()
    xtr, ytr, xte, yte = digits_split()
    layers = [dense(64, 128, "relu"), dense(128, 64, "relu"), dense(64, 10, None)]
    opt = Adam(layers, lr=1e-3)
    setup = time.perf_counter() - t0
    loop, steps, final_loss = train_classifier(layers, opt, xtr, ytr, epochs=30, batch=32)
    return result("digits", loop, steps, final_loss, setup,
                  test_accuracy=accuracy(layers, xte, yte))


def wide():
    t0 = time.perf_counter()
    x, y = make_wide()
    layers = [dense(784, 512, "relu"), dense(512, 512, "relu"), dense(512, 10, None)]
    opt = SGD(layers, lr=0.01, momentum=0.9)
    setup = time.perf_counter() - t0
    loop, steps, final_loss = train_classifier(layers, opt, x, y, epochs=2, batch=128)
    return result("wide", loop, steps, final_loss, setup,
                  train_accuracy=accuracy(layers, x, y))


def linreg():
    t0 = time.perf_counter()
    x = np.array([[0], [1], [2], [3], [4]], np.float32)
    y = x ** 2
    # The tutorial starts from W = [[0]], b = [0]; no activation.
    layers = [{"W": np.zeros((1, 1), np.float32), "b": np.zeros(1, np.float32), "act": None}]
    opt = SGD(layers, lr=0.1)
    setup = time.perf_counter() - t0
    loop, loss = train_full_batch_mse(layers, opt, x, y, steps=1000)
    return result("linreg", loop, 1000, loss, setup,
                  w=float(layers[0]["W"][0, 0]), b=float(layers[0]["b"][0]))


def blas_core():
    """NumPy's BLAS and the OpenBLAS kernel it picked (e.g. "Haswell", "SkylakeX"), if visible.

    The kernel matters: OPENBLAS_CORETYPE in the environment overrides the CPU detection.
    """
    import ctypes
    import glob
    import os

    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older NumPy: not essential
        return None
    libs_dir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    libs = glob.glob(os.path.join(libs_dir, "*openblas*.so*"))
    for lib in libs:
        try:
            get = ctypes.CDLL(lib).scipy_openblas_get_corename64_  # already loaded by NumPy
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        return f"{name} ({get().decode()})"
    return name


if __name__ == "__main__":
    note(f"numpy {np.__version__}, BLAS {blas_core()}")
    out = {"xor": xor, "digits": digits, "wide": wide, "linreg": linreg}[args.workload]()
    out["blas"] = blas_core()
    emit(out)
