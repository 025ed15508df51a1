#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for conv1d, the 1-D pools and the global pools (issue 17).

    /tmp/torchenv/bin/python scripts/make_conv1d_fixtures.py            # write the fixtures
    /tmp/torchenv/bin/python scripts/make_conv1d_fixtures.py --summary  # also print the errors

(any Python with numpy and torch; written with PyTorch 2.5.1). Outputs, relative to the
repository root, one file per layer in the format of the README beside them:
  Tests/NNRuntimeTests/Fixtures/layers/{conv1d,maxpool1d,avgpool1d,global_avgpool,
                                        global_maxpool}.json
  Tests/NNScriptTests/Golden/sequences_conv/torch_conv1d.safetensors and
  Tests/NNScriptTests/Golden/sequences_conv/conv1d_loads_pytorch_weights.nn (a golden script):
      the weights of a PyTorch nn.Conv1d(2, 3, 3, padding='same') followed by nn.MaxPool1d(2),
      saved by safetensors under nn's names, and a script that loads them into the same nn
      model and compares its output with PyTorch's.

Every case records the input, the parameters (PyTorch's layouts: NCL sequences, Conv1d weight
[out, in, k]), the forward output, a fixed random G of the output's shape and the gradients of
L = sum(output * G) with respect to the input and every parameter, computed by PyTorch in float64.
The checks are make_layer_fixtures.py's (imported from it): an independent NumPy forward to 1e-12,
torch.autograd.gradcheck, and a float32 run within a tenth of the float32 tolerance. The script
draws from its own seeded generator, so the other fixtures are untouched and a rerun writes
identical bytes.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_layer_fixtures as common  # noqa: E402  (the encoding, checks and tolerance)
from make_layer_fixtures import case, check, conv2d_numpy, exact32, same_padding, verify  # noqa

ROOT = common.ROOT
OUTPUT = common.OUTPUT
rng = np.random.default_rng(20261203)


def normal(*shape, scale=1.0):
    return exact32(rng.normal(0.0, scale, size=shape))


def distinct(*shape):
    """Normal values with no ties, so the gradient of a maximum is unambiguous."""
    x = normal(*shape)
    assert len(np.unique(x)) == x.size
    return x


# MARK: - conv1d

def conv1d_cases():
    specs = [
        # name, batch, in, out, length, kernel, stride, padding, bias
        ("k3_same", 2, 2, 3, 7, 3, 1, "same", True),
        ("k3_valid", 1, 2, 2, 6, 3, 1, "valid", True),
        ("k3_same_stride2", 2, 3, 2, 7, 3, 2, "same", True),
        ("k2_valid_stride2_no_bias", 2, 2, 3, 8, 2, 2, "valid", False),
        ("k4_same_even_kernel_no_bias", 1, 2, 2, 6, 4, 1, "same", False),
        ("k5_same_stride3", 2, 1, 2, 8, 5, 3, "same", True),
    ]
    cases = []
    for name, n, cin, cout, length, kernel, stride, padding, bias in specs:
        x = normal(n, cin, length)
        weight = normal(cout, cin, kernel, scale=0.5)
        params = {"weight": weight} | ({"bias": normal(cout, scale=0.5)} if bias else {})
        pad = same_padding(length, kernel, stride) if padding == "same" else (0, 0)

        def forward(x, weight, bias=None, stride=stride, pad=pad):
            return F.conv1d(F.pad(x, pad), weight, bias, stride=stride)

        torch_params = [torch.tensor(v) for v in params.values()]
        probe = forward(torch.tensor(x), *torch_params)
        # NumPy: the same numbers as a 2-D convolution of height 1.
        check(name, conv2d_numpy(x[:, :, None, :], weight[:, :, None, :], params.get("bias"),
                                 (1, stride), (0, 0) + pad)[:, :, 0, :], probe)
        if padding == "same" and stride == 1:     # nn.Conv1d's own rule agrees
            module = torch.nn.Conv1d(cin, cout, kernel, padding="same", bias=bias)
            with torch.no_grad():
                module.weight.copy_(torch_params[0])
                if bias:
                    module.bias.copy_(torch_params[1])
            check(name + "/nn.Conv1d", probe.numpy(), module(torch.tensor(x)))
        if padding == "same":
            assert probe.shape[2] == -(-length // stride)
        G = normal(*probe.shape)
        output, grads = verify("conv1d/" + name, forward, {"x": x} | params, G)
        grads["input"] = grads.pop("x")
        cases.append(case(name, x, params, output, G, grads, filters=cout, kernel=kernel,
                          stride=stride, padding=padding, use_bias=bias, pad=list(pad)))
    return cases


# MARK: - maxpool1d and avgpool1d

def pool1d_cases(kind):
    if kind == "maxpool1d":
        specs = [("size2_stride2", (2, 2, 8), 2, 2), ("size2_stride2_odd", (1, 3, 7), 2, 2),
                 ("size3_stride1", (2, 2, 7), 3, 1)]
        torch_pool, reduce = F.max_pool1d, np.max
    else:
        specs = [("size2_stride2", (2, 2, 8), 2, 2), ("size3_stride2_odd", (1, 3, 7), 3, 2),
                 ("size4_stride3", (1, 2, 9), 4, 3)]
        torch_pool, reduce = F.avg_pool1d, np.mean
    cases = []
    for name, shape, size, stride in specs:
        x = distinct(*shape)

        def forward(x, size=size, stride=stride):
            return torch_pool(x, size, stride)     # floor mode, no padding

        out = (shape[2] - size) // stride + 1
        expected = np.stack([reduce(x[:, :, i * stride:i * stride + size], axis=2)
                             for i in range(out)], axis=2)
        check(name, expected, forward(torch.tensor(x)))
        G = normal(*forward(torch.tensor(x)).shape)
        output, grads = verify(f"{kind}/{name}", forward, {"x": x}, G)
        cases.append(case(name, x, {}, output, G, {"input": grads["x"]}, size=size,
                          stride=stride))
    return cases


# MARK: - global_avgpool and global_maxpool

def global_cases(kind):
    """A sequence [batch, time, features] pools over time; an image [batch, c, h, w] over h, w."""
    cases = []
    for name, shape in (("sequence", (2, 5, 3)), ("image", (2, 3, 4, 5))):
        x = distinct(*shape)
        axes = (1,) if len(shape) == 3 else (2, 3)
        if kind == "global_avgpool":
            def forward(x, axes=axes):
                return x.mean(dim=axes)
            expected = x.mean(axis=axes)
        else:
            def forward(x, axes=axes):
                if len(axes) == 1:
                    return x.max(dim=1).values
                return F.adaptive_max_pool2d(x, 1).flatten(1)
            expected = x.max(axis=axes)
        check(f"{kind}/{name}", expected, forward(torch.tensor(x)))
        G = normal(*expected.shape)
        output, grads = verify(f"{kind}/{name}", forward, {"x": x}, G)
        cases.append(case(name, x, {}, output, G, {"input": grads["x"]}))
    return cases


OPS = {
    "conv1d": conv1d_cases,
    "maxpool1d": lambda: pool1d_cases("maxpool1d"),
    "avgpool1d": lambda: pool1d_cases("avgpool1d"),
    "global_avgpool": lambda: global_cases("global_avgpool"),
    "global_maxpool": lambda: global_cases("global_maxpool"),
}


# MARK: - A PyTorch module's weights loaded by nn

GOLDEN = os.path.join(ROOT, "Tests", "NNScriptTests", "Golden", "sequences_conv")


def literal(a, depth=0):
    """A nested bracket literal of float32-exact numbers, each written exactly; one row of the
    innermost axis a line."""
    if np.ndim(a) == 0:
        return repr(float(a))
    if np.ndim(a) == 1:
        return "[" + ", ".join(literal(x) for x in a) + "]"
    return "[" + (",\n" + " " * (depth + 1)).join(literal(x, depth + 1) for x in a) + "]"


def torch_module_golden():
    from safetensors.torch import save_file
    conv = torch.nn.Conv1d(2, 3, 3, padding="same", dtype=torch.float32)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(normal(3, 2, 3, scale=0.5)))
        conv.bias.copy_(torch.tensor(normal(3, scale=0.5)))
    x = normal(2, 2, 6)
    y = torch.nn.MaxPool1d(2)(conv(torch.tensor(x, dtype=torch.float32))).detach().double()
    tensors = {"conv1d1." + k: v.detach().contiguous() for k, v in conv.state_dict().items()}
    script = (
        "# The weights of PyTorch's nn.Conv1d(2, 3, 3, padding='same') (then nn.MaxPool1d(2)),\n"
        "# written by scripts/make_conv1d_fixtures.py, give PyTorch's outputs in nn.\n"
        "model net([2, 6]) { conv1d(3, 3); maxpool1d(2) }\n"
        "load(\"sequences_conv/torch_conv1d.safetensors\", into: net)\n"
        f"let x = {literal(x)}\n"
        f"let expected = {literal(y.numpy())}\n"
        "print(net.conv1d1.weight.shape, net(x).shape)\n"
        "print(max(abs(net(x) - expected)) < 1e-6)\n")
    return tensors, script


def main():
    fixtures = {}
    for op, make in OPS.items():        # everything is checked before anything is written
        if common.SUMMARY:
            print(op)
        fixtures[op] = {"op": op, "tolerance": common.TOLERANCE, "cases": make()}
    tensors, script = torch_module_golden()
    os.makedirs(OUTPUT, exist_ok=True)
    for op, content in fixtures.items():
        path = os.path.join(OUTPUT, op + ".json")
        with open(path, "w") as file:
            json.dump(content, file, separators=(",", ":"), allow_nan=False)
            file.write("\n")
        print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, "
              f"{len(content['cases'])} cases)")
    from safetensors.torch import save_file
    save_file(tensors, os.path.join(GOLDEN, "torch_conv1d.safetensors"))
    with open(os.path.join(GOLDEN, "conv1d_loads_pytorch_weights.nn"), "w") as file:
        file.write(script)
    print("wrote the golden script sequences_conv/conv1d_loads_pytorch_weights.nn")


if __name__ == "__main__":
    main()
