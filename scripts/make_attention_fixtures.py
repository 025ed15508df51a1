#!/usr/bin/env python3
"""Writes the PyTorch reference numbers for `attention` and `transformer` (issue 17).

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install numpy safetensors torch==2.5.1
    /tmp/torchenv/bin/python scripts/make_attention_fixtures.py

Outputs (relative to the repository root):
  Tests/NNRuntimeTests/Fixtures/layers/attention.json    torch.nn.MultiheadAttention cases
  Tests/NNRuntimeTests/Fixtures/layers/transformer.json  torch.nn.TransformerEncoderLayer cases
  Tests/NNScriptTests/Fixtures/torch/<case>.safetensors  each case's module state_dict, float32,
                                                         every name prefixed with the nn layer's
                                                         name (`attention1.`, `transformer1.`)
  Tests/NNScriptTests/Fixtures/torch/outputs.json        per case: the float32 input and the
                                                         output of the float32 PyTorch module in
                                                         eval mode (its fast path where PyTorch
                                                         takes it)

The JSON cases follow Tests/NNRuntimeTests/Fixtures/layers/README.md: `input` [batch, time,
features], `params` (PyTorch's state_dict names and layouts), `output`, `grad_output` (a fixed
random G) and `grads` (∂L/∂tensor for L = sum(output · G)), all in float64. Attention is
self-attention, `module(x, x, x)` with `need_weights=False`; a causal case passes PyTorch's
`generate_square_subsequent_mask` (−∞ above the diagonal; `is_causal=True` for the encoder
layer). Before writing, every case's gradients pass `torch.autograd.gradcheck`. Inputs and
parameters are float32-exact, so a Float plan reads the same numbers; reruns give the same bytes.
"""

import json
import os

import numpy as np
import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = os.path.join(ROOT, "Tests", "NNRuntimeTests", "Fixtures", "layers")
TORCH = os.path.join(ROOT, "Tests", "NNScriptTests", "Fixtures", "torch")
TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-9}, "float32": {"rtol": 1e-4, "atol": 1e-5}}

torch.manual_seed(20261203)
rng = np.random.default_rng(20261203)


def exact32(a):
    return torch.tensor(np.asarray(a, dtype=np.float32).astype(np.float64))


def encode(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def causal_mask(time, dtype):
    return torch.nn.Transformer.generate_square_subsequent_mask(time, dtype=dtype)


def make_module(kind, config):
    d, heads = config["features"], config["heads"]
    if kind == "attention":
        module = torch.nn.MultiheadAttention(d, heads, batch_first=True)
    else:
        module = torch.nn.TransformerEncoderLayer(
            d, heads, config["hidden"], dropout=0.0, activation=config["act"],
            batch_first=True, norm_first=config["norm_first"])
    # Random, float32-exact parameters (non-trivial biases and norm scales too).
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(exact32(rng.normal(0, 0.4, size=tuple(p.shape))))
    return module.double().eval()


def forward(kind, module, x, causal):
    time = x.shape[1]
    if kind == "attention":
        mask = causal_mask(time, x.dtype) if causal else None
        return module(x, x, x, attn_mask=mask, need_weights=False)[0]
    mask = causal_mask(time, x.dtype) if causal else None
    return module(x, src_mask=mask, is_causal=causal)


def case(kind, name, config, batch=3, time=5):
    module = make_module(kind, config)
    x = exact32(rng.normal(0, 1, size=(batch, time, config["features"]))).requires_grad_(True)
    params = dict(module.named_parameters())
    out = forward(kind, module, x, config["causal"])
    g = exact32(rng.normal(0, 1, size=tuple(out.shape)))
    names = list(params)
    loss = (out * g).sum()
    grads = torch.autograd.grad(loss, [x] + [params[n] for n in names])

    def as_function(inp, *values):
        with torch.no_grad():
            for n, v in zip(names, values):
                params[n].copy_(v)
        return forward(kind, module, inp, config["causal"])

    # gradcheck through the module's own code, on a small copy so it stays quick.
    small = x.detach()[:1].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda inp: forward(kind, module, inp, config["causal"]), (small,)), name
    entry = {"name": name, **config, "input": encode(x),
             "params": {n: encode(p) for n, p in params.items()},
             "output": encode(out), "grad_output": encode(g),
             "grads": {"input": encode(grads[0]),
                       **{n: encode(gr) for n, gr in zip(names, grads[1:])}}}
    # The float32 module, as a user's PyTorch would run the weights nn saved.
    module32 = make_copy32(kind, config, module)
    prefix = kind + "1."
    save_file({prefix + n: p.detach().to(torch.float32).contiguous()
               for n, p in module32.state_dict().items()},
              os.path.join(TORCH, name + ".safetensors"))
    with torch.no_grad():
        x32 = x.detach().to(torch.float32)
        out32 = forward(kind, module32, x32, config["causal"])
    return entry, {"name": name, "kind": kind, **config, "input": encode(x32),
                   "output": encode(out32)}


def make_copy32(kind, config, module):
    copy = make_module(kind, config).float()
    copy.load_state_dict({n: p.float() for n, p in module.state_dict().items()})
    return copy.eval()


def main():
    os.makedirs(TORCH, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    attention_cases = [
        ("attention_2_heads", {"features": 8, "heads": 2, "causal": False}),
        ("attention_4_heads_causal", {"features": 8, "heads": 4, "causal": True}),
        ("attention_1_head", {"features": 6, "heads": 1, "causal": False}),
    ]
    transformer_cases = [
        ("transformer_post_norm_relu", {"features": 8, "heads": 2, "hidden": 16,
                                        "causal": False, "norm_first": False, "act": "relu"}),
        ("transformer_pre_norm_gelu_causal", {"features": 8, "heads": 4, "hidden": 12,
                                              "causal": True, "norm_first": True,
                                              "act": "gelu"}),
    ]
    outputs = []
    for kind, cases in (("attention", attention_cases), ("transformer", transformer_cases)):
        entries = []
        for name, config in cases:
            entry, output = case(kind, name, config)
            entries.append(entry)
            outputs.append(output)
        with open(os.path.join(LAYERS, kind + ".json"), "w") as f:
            json.dump({"op": kind, "tolerance": TOLERANCE, "cases": entries}, f)
            f.write("\n")
    with open(os.path.join(TORCH, "outputs.json"), "w") as f:
        json.dump({"cases": outputs}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
