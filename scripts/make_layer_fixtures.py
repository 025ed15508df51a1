#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for the layers of issue 9 (LANGUAGE.md §5).

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install numpy torch==2.13.0+cpu
    /tmp/venv-torch/bin/python scripts/make_layer_fixtures.py            # write the fixtures
    /tmp/venv-torch/bin/python scripts/make_layer_fixtures.py --summary  # also print the errors

Outputs (relative to the repository root), one file per op, described in the README beside them:
  Tests/NNRuntimeTests/Fixtures/layers/{conv2d,maxpool,avgpool,flatten,reshape,batchnorm,
                                        layernorm,embedding,lstm,silu}.json

For every case the script records the inputs, the parameters, the forward output, a fixed random
G of the output's shape, and the gradients of L = sum(output * G) with respect to the input and
every parameter, all computed by PyTorch in float64. Layouts are PyTorch's: NCHW images, conv
weight [out, in, kh, kw], LSTM weight_ih [4·units, features] with gate order i, f, g, o.

Before anything is written, every case is checked three ways, and the script stops on a failure:
  - the forward output against an independent NumPy implementation (im2col for conv2d, loops for
    pooling, the textbook formulas for the norms and the LSTM), to 1e-12;
  - the gradients against finite differences with torch.autograd.gradcheck;
  - a float32 run of the same case against the float64 numbers, which must stay within a tenth of
    the float32 tolerance the fixture names, so a correct 32-bit implementation passes.
Inputs and parameters are float32-exact doubles, so a Float plan reads exactly the same inputs.
The output is deterministic: rerunning the script gives identical bytes.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures", "layers")
AGREE = 1e-12
# The tolerance the Swift tests should use: |actual − expected| ≤ atol + rtol·|expected|.
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-9}, "float32": {"rtol": 1e-4, "atol": 1e-5}}
# A float32 PyTorch run may use at most this fraction of the float32 tolerance.
FLOAT32_BUDGET = 0.1

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20250609)
SUMMARY = "--summary" in sys.argv
# PyTorch warns that padding='same' with an even kernel copies the input; harmless here.
warnings.filterwarnings("ignore", message="Using padding='same'")


# MARK: - Encoding and checks

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


def run(forward, inputs, G, dtype=torch.float64):
    """Output and the gradients of sum(output · G) w.r.t. every entry of `inputs` (a dict of
    arrays; integer arrays are passed through without a gradient)."""
    tensors = {}
    for name, value in inputs.items():
        if np.asarray(value).dtype.kind in "iu":
            tensors[name] = torch.tensor(value)
        else:
            tensors[name] = torch.tensor(value, dtype=dtype, requires_grad=True)
    output = forward(**tensors)
    (output * torch.tensor(G, dtype=dtype)).sum().backward()
    grads = {name: t.grad.detach().clone() for name, t in tensors.items() if t.grad is not None}
    return output.detach(), grads


def verify(name, forward, inputs, G):
    """gradcheck in float64 and the float32 budget; returns the float64 output and gradients."""
    output, grads = run(forward, inputs, G)
    names = [k for k, v in inputs.items() if np.asarray(v).dtype.kind not in "iu"]
    fixed = {k: torch.tensor(v) for k, v in inputs.items() if np.asarray(v).dtype.kind in "iu"}

    def flat(*args):
        return forward(**fixed, **dict(zip(names, args)))

    args = tuple(torch.tensor(inputs[k], requires_grad=True) for k in names)
    if not torch.autograd.gradcheck(flat, args, eps=1e-6, atol=1e-7, rtol=1e-6):
        sys.exit(f"{name}: gradcheck failed")

    output32, grads32 = run(forward, inputs, G, torch.float32)
    tol = TOLERANCE["float32"]
    worst = 0.0
    for key, ref in [("output", output)] + list(grads.items()):
        got = (output32 if key == "output" else grads32[key]).double()
        ratio = ((got - ref).abs() / (tol["atol"] + tol["rtol"] * ref.abs())).max().item()
        worst = max(worst, ratio)
    if worst > FLOAT32_BUDGET:
        sys.exit(f"{name}: a float32 run is at {worst:.3g} of the float32 tolerance")
    if SUMMARY:
        print(f"  {name:32s} float32 at {worst:.2e} of the tolerance")
    return output, grads


def case(name, inputs, params, output, G, grads, input_key="input", **attributes):
    """The common layout: name, attributes, input, params, output, grad_output, grads (the
    input's gradient first, then the parameters' in the order of params)."""
    order = ["input"] + list(params)
    return {
        "name": name, **attributes,
        input_key: tensor(inputs),
        "params": {k: tensor(v) for k, v in params.items()},
        "output": tensor(output),
        "grad_output": tensor(G),
        "grads": {k: tensor(grads[k]) for k in order if k in grads},
    }


# MARK: - conv2d

def same_padding(size, kernel, stride):
    """(before, after) for "same": out = ceil(size / stride), the odd pixel after (TensorFlow's
    rule; for stride 1 it is also PyTorch's padding='same')."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d_numpy(x, w, b, stride, pad):
    """im2col + GEMM: columns [batch, oh, ow, in·kh·kw] times weight [out, in·kh·kw]ᵀ."""
    top, bottom, left, right = pad
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    cols = np.empty((n, oh, ow, c * kh * kw))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            cols[:, i, j, :] = patch.reshape(n, -1)
    y = cols @ w.reshape(o, -1).T
    if b is not None:
        y = y + b
    return y.transpose(0, 3, 1, 2)


def conv2d_cases():
    specs = [
        # name, batch, in, out, (h, w), kernel, stride, padding, bias
        ("k3_valid", 1, 1, 2, (5, 5), (3, 3), (1, 1), "valid", True),
        ("k3_same", 2, 2, 3, (5, 5), (3, 3), (1, 1), "same", True),
        ("k3_same_no_bias", 2, 1, 2, (4, 4), (3, 3), (1, 1), "same", False),
        ("k2x3_stride2_valid", 1, 2, 3, (6, 7), (2, 3), (2, 2), "valid", False),
        ("k2x3_stride2_valid_bias", 2, 2, 3, (5, 7), (2, 3), (2, 2), "valid", True),
        ("k2_same_even_kernel", 1, 2, 2, (4, 5), (2, 2), (1, 1), "same", True),
        ("k3_same_stride2", 1, 2, 2, (6, 5), (3, 3), (2, 2), "same", True),
    ]
    cases = []
    for name, n, cin, cout, (h, w), kernel, stride, padding, bias in specs:
        x = normal(n, cin, h, w)
        weight = normal(cout, cin, *kernel, scale=0.5)
        params = {"weight": weight} | ({"bias": normal(cout, scale=0.5)} if bias else {})
        if padding == "same":
            pad = same_padding(h, kernel[0], stride[0]) + same_padding(w, kernel[1], stride[1])
        else:
            pad = (0, 0, 0, 0)

        def forward(x, weight, bias=None, stride=stride, pad=pad, padding=padding):
            padded = F.pad(x, (pad[2], pad[3], pad[0], pad[1]))
            return F.conv2d(padded, weight, bias, stride=stride)

        torch_params = [torch.tensor(v) for v in params.values()]
        probe = forward(torch.tensor(x), *torch_params)
        check(name, conv2d_numpy(x, weight, params.get("bias"), stride, pad), probe)
        if padding == "same" and stride == (1, 1):    # PyTorch's own rule agrees
            check(name + "/torch-same", probe.numpy(),
                  F.conv2d(torch.tensor(x), *torch_params, padding="same"))
        if padding == "same":
            assert probe.shape[2:] == (-(-h // stride[0]), -(-w // stride[1]))
        G = normal(*probe.shape)
        output, grads = verify("conv2d/" + name, forward, {"x": x} | params, G)
        grads["input"] = grads.pop("x")
        cases.append(case(name, x, params, output, G, grads, filters=cout, kernel=list(kernel),
                          stride=list(stride), padding=padding, use_bias=bias, pad=list(pad)))
    return cases


# MARK: - Pooling

def pool_numpy(x, size, stride, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    y = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            y[:, :, i, j] = reduce(window.reshape(n, c, -1), axis=2)
    return y


def pool_cases(kind):
    if kind == "maxpool":
        specs = [("size2_stride2", (2, 2, 4, 4), 2, 2), ("size2_stride2_odd", (1, 2, 5, 5), 2, 2),
                 ("size3_stride1", (1, 2, 5, 5), 3, 1)]
        torch_pool, reduce = F.max_pool2d, np.max
    else:
        specs = [("size2_stride2", (2, 1, 4, 4), 2, 2), ("size2_stride2_odd", (1, 2, 5, 5), 2, 2),
                 ("size3_stride2_odd", (1, 2, 7, 7), 3, 2)]
        torch_pool, reduce = F.avg_pool2d, np.mean
    cases = []
    for name, shape, size, stride in specs:
        x = normal(*shape)
        # No ties: the gradient of max is then unambiguous.
        assert len(np.unique(x)) == x.size

        def forward(x, size=size, stride=stride):
            return torch_pool(x, size, stride)     # floor mode, no padding

        check(name, pool_numpy(x, size, stride, reduce), forward(torch.tensor(x)))
        G = normal(*forward(torch.tensor(x)).shape)
        output, grads = verify(f"{kind}/{name}", forward, {"x": x}, G)
        cases.append(case(name, x, {}, output, G, {"input": grads["x"]}, size=size,
                          stride=stride))
    return cases


# MARK: - flatten and reshape

def flatten_cases():
    x = normal(2, 2, 2, 3)
    G = normal(2, 12)
    output, grads = verify("flatten", lambda x: x.flatten(1), {"x": x}, G)
    check("flatten", x.reshape(2, -1), output)
    return [case("image", x, {}, output, G, {"input": grads["x"]})]


def reshape_cases():
    x = normal(2, 12)
    G = normal(2, 3, 2, 2)
    output, grads = verify("reshape", lambda x: x.reshape(2, 3, 2, 2), {"x": x}, G)
    check("reshape", x.reshape(2, 3, 2, 2), output)
    return [case("vector_to_image", x, {}, output, G, {"input": grads["x"]}, shape=[3, 2, 2])]


# MARK: - batchnorm

def batchnorm_cases():
    eps, momentum = 1e-5, 0.1
    cases = []
    for name, shape in (("batchnorm1d", (4, 3)), ("batchnorm2d", (2, 3, 3, 2))):
        channels = shape[1]
        x = exact32(rng.normal(0.5, 2.0, size=shape))
        weight, bias = exact32(1 + 0.3 * rng.normal(size=channels)), normal(channels, scale=0.5)
        running_mean = normal(channels, scale=0.5)
        running_var = exact32(rng.uniform(0.5, 2.0, size=channels))
        axes = (0,) if len(shape) == 2 else (0, 2, 3)
        view = (1, channels) + (1,) * (len(shape) - 2)
        count = x.size // channels

        # NumPy: normalise with the biased variance, keep the unbiased one.
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        unbiased = var * count / (count - 1)
        y_np = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + eps)
        y_np = y_np * weight.reshape(view) + bias.reshape(view)
        eval_np = (x - running_mean.reshape(view)) / np.sqrt(running_var.reshape(view) + eps)
        eval_np = eval_np * weight.reshape(view) + bias.reshape(view)

        def train(x, weight, bias):
            return F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)

        def evaluate(x, weight, bias):
            rm, rv = torch.tensor(running_mean, dtype=x.dtype), torch.tensor(running_var,
                                                                            dtype=x.dtype)
            return F.batch_norm(x, rm, rv, weight, bias, training=False, eps=eps)

        # The running statistics after one training step, as nn.BatchNorm updates them.
        layer = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
            channels, eps=eps, momentum=momentum)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(weight))
            layer.bias.copy_(torch.tensor(bias))
            layer.running_mean.copy_(torch.tensor(running_mean))
            layer.running_var.copy_(torch.tensor(running_var))
        layer.train()
        module_out = layer(torch.tensor(x))
        mean_after, var_after = layer.running_mean.clone(), layer.running_var.clone()
        check(name + "/running_mean", (1 - momentum) * running_mean + momentum * mean, mean_after)
        check(name + "/running_var", (1 - momentum) * running_var + momentum * unbiased,
              var_after)
        layer.eval()    # the module now normalises with the updated statistics
        after_np = (x - mean_after.numpy().reshape(view)) / np.sqrt(
            var_after.numpy().reshape(view) + eps) * weight.reshape(view) + bias.reshape(view)
        check(name + "/module_eval", after_np, layer(torch.tensor(x)))

        inputs = {"x": x, "weight": weight, "bias": bias}
        G = normal(*shape)
        output, grads = verify(name + "/train", train, inputs, G)
        check(name + "/train", y_np, output)
        check(name + "/module_train", module_out.detach().numpy(), output)
        eval_out, eval_grads = verify(name + "/eval", evaluate, inputs, G)
        check(name + "/eval", eval_np, eval_out)
        for grad in (grads, eval_grads):
            grad["input"] = grad.pop("x")

        entry = case(name, x, {"weight": weight, "bias": bias}, output, G, grads,
                     eps=eps, momentum=momentum)
        entry |= {
            "batch_mean": tensor(mean), "batch_var": tensor(var),
            "batch_var_unbiased": tensor(unbiased),
            "running_mean": tensor(running_mean), "running_var": tensor(running_var),
            "running_mean_after": tensor(mean_after), "running_var_after": tensor(var_after),
            "eval_output": tensor(eval_out),
            "eval_grads": {k: tensor(eval_grads[k]) for k in ("input", "weight", "bias")},
        }
        cases.append(entry)
    return cases


# MARK: - layernorm

def layernorm_cases():
    eps = 1e-5
    cases = []
    for name, shape, normalized in (("last_dim", (3, 5), (5,)),
                                    ("sequence", (2, 3, 4), (4,)),
                                    ("image", (2, 2, 3, 3), (2, 3, 3))):
        x = exact32(rng.normal(0.3, 1.5, size=shape))
        weight, bias = exact32(1 + 0.3 * rng.normal(size=normalized)), normal(*normalized,
                                                                              scale=0.5)
        axes = tuple(range(len(shape) - len(normalized), len(shape)))
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        y_np = (x - mean) / np.sqrt(var + eps) * weight + bias

        def forward(x, weight, bias, normalized=normalized):
            return F.layer_norm(x, normalized, weight, bias, eps)

        G = normal(*shape)
        output, grads = verify("layernorm/" + name, forward,
                               {"x": x, "weight": weight, "bias": bias}, G)
        check("layernorm/" + name, y_np, output)
        grads["input"] = grads.pop("x")
        cases.append(case(name, x, {"weight": weight, "bias": bias}, output, G, grads,
                          normalized_shape=list(normalized), eps=eps))
    return cases


# MARK: - embedding

def embedding_cases():
    cases = []
    for name, vocab, dim, ids in (
            ("repeated_ids", 7, 3, [[1, 4, 4, 0], [6, 1, 2, 4]]),
            ("small", 5, 2, [[3, 0, 3], [2, 2, 3], [0, 4, 1]])):
        ids = np.array(ids, dtype=np.int64)
        assert len(np.unique(ids)) < ids.size and ids.max() < vocab
        weight = normal(vocab, dim)
        G = normal(*ids.shape, dim)

        def forward(ids, weight):
            return F.embedding(ids, weight)

        output, grads = verify("embedding/" + name, forward, {"ids": ids, "weight": weight}, G)
        check("embedding/" + name, weight[ids], output)
        dweight = np.zeros_like(weight)
        np.add.at(dweight, ids.reshape(-1), G.reshape(-1, dim))   # repeated ids accumulate
        check("embedding/" + name + "/dweight", dweight, grads["weight"])
        cases.append(case(name, ids, {"weight": weight}, output, G, grads, input_key="ids",
                          vocab=vocab, dim=dim))
    return cases


# MARK: - lstm

def lstm_numpy(x, w_ih, w_hh, b_ih, b_hh):
    """h_t and c_t for every step from zero state; gates i, f, g, o."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    n, steps, _ = x.shape
    units = w_hh.shape[1]
    h, c = np.zeros((n, units)), np.zeros((n, units))
    hs, cs = [], []
    for t in range(steps):
        z = x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def lstm_cases():
    batch, features, units = 2, 3, 4
    cases = []
    for steps in (3, 5):
        x = normal(batch, steps, features)
        params = {"weight_ih": normal(4 * units, features, scale=0.5),
                  "weight_hh": normal(4 * units, units, scale=0.5),
                  "bias_ih": normal(4 * units, scale=0.3),
                  "bias_hh": normal(4 * units, scale=0.3)}
        hidden, cell = lstm_numpy(x, *params.values())

        def run_lstm(x, weight_ih, weight_hh, bias_ih, bias_hh):
            layer = torch.nn.LSTM(features, units, batch_first=True, dtype=x.dtype)
            # Functional call so that autograd reaches the tensors passed in.
            weights = {"weight_ih_l0": weight_ih, "weight_hh_l0": weight_hh,
                       "bias_ih_l0": bias_ih, "bias_hh_l0": bias_hh}
            output, (h_n, c_n) = torch.func.functional_call(layer, weights, (x,))
            return output, c_n

        probe, c_n = run_lstm(torch.tensor(x), *(torch.tensor(v) for v in params.values()))
        check(f"lstm/T{steps}", hidden, probe)
        check(f"lstm/T{steps}/c_n", cell[:, -1], c_n[0])

        for return_sequences in (True, False):
            def forward(x, weight_ih, weight_hh, bias_ih, bias_hh, rs=return_sequences):
                output, _ = run_lstm(x, weight_ih, weight_hh, bias_ih, bias_hh)
                return output if rs else output[:, -1]

            name = f"T{steps}_" + ("sequences" if return_sequences else "last")
            G = normal(*((batch, steps, units) if return_sequences else (batch, units)))
            output, grads = verify("lstm/" + name, forward, {"x": x} | params, G)
            grads["input"] = grads.pop("x")
            check("lstm/" + name + "/bias", grads["bias_ih"], grads["bias_hh"])
            grads["bias"] = grads["bias_ih"]     # ∂L/∂(bias_ih + bias_hh), the same
            entry = case(name, x, params | {"bias": params["bias_ih"] + params["bias_hh"]},
                         output, G, grads, units=units, return_sequences=return_sequences)
            entry |= {"hidden": tensor(hidden), "cell": tensor(cell)}
            cases.append(entry)
    return cases


# MARK: - Output

# MARK: - silu

def silu_cases():
    """nn.SiLU alone (saturating inputs included) and fused after a dense layer (nn.Linear)."""
    cases = []
    x = exact32(np.concatenate([rng.normal(0.0, 2.0, size=(3, 4)),
                                [[-30.0, -8.0, 8.0, 30.0]]]))
    G = normal(4, 4)
    output, grads = verify("silu", lambda x: torch.nn.functional.silu(x), {"x": x}, G)
    check("silu", x / (1 + np.exp(-x)), output)
    cases.append(case("elementwise", x, {}, output, G, {"input": grads["x"]}))
    x = normal(3, 4)
    params = {"weight": normal(5, 4, scale=0.5), "bias": normal(5, scale=0.5)}
    G = normal(3, 5)

    def dense(x, weight, bias):
        return torch.nn.functional.silu(torch.nn.functional.linear(x, weight, bias))

    output, grads = verify("dense_silu", dense, {"x": x, **params}, G)
    z = x @ params["weight"].T + params["bias"]
    check("dense_silu", z / (1 + np.exp(-z)), output)
    cases.append(case("dense", x, params, output, G, {"input": grads["x"], **grads}))
    return cases


OPS = {
    "conv2d": conv2d_cases,
    "maxpool": lambda: pool_cases("maxpool"),
    "avgpool": lambda: pool_cases("avgpool"),
    "flatten": flatten_cases,
    "reshape": reshape_cases,
    "batchnorm": batchnorm_cases,
    "layernorm": layernorm_cases,
    "embedding": embedding_cases,
    "lstm": lstm_cases,
    # Last, so the cases above draw the same random numbers as before it was added.
    "silu": silu_cases,
}


def main():
    fixtures = {}
    for op, make in OPS.items():        # everything is checked before anything is written
        if SUMMARY:
            print(op)
        fixtures[op] = {"op": op, "tolerance": TOLERANCE, "cases": make()}
    os.makedirs(OUTPUT, exist_ok=True)
    for op, content in fixtures.items():
        path = os.path.join(OUTPUT, op + ".json")
        with open(path, "w") as file:
            json.dump(content, file, separators=(",", ":"), allow_nan=False)
            file.write("\n")
        print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, "
              f"{len(content['cases'])} cases)")


if __name__ == "__main__":
    main()
