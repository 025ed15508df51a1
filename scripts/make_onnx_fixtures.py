#!/usr/bin/env python3
"""Writes the PyTorch-exported ONNX fixtures for nn's ONNX importer (issue 19).

    python scripts/make_onnx_fixtures.py [OUTDIR]   # default Tests/NNScriptTests/Fixtures/onnx

Needs torch (written with 2.13.0+cpu), onnx and onnxruntime, numpy and safetensors, e.g.

    python3 -m venv ~/.cache/nn/venv-onnx
    ~/.cache/nn/venv-onnx/bin/pip install torch onnx onnxruntime numpy safetensors

For every model NAME below it writes, relative to OUTDIR:
  torch_NAME.onnx         torch.onnx.export(..., dynamo=False, opset_version=17) of the model in
                          eval() mode, graph input "input" and output "output", both with a
                          dynamic first axis "batch"
  torch_NAME.safetensors  "input" (float32, batch 3; for the embedding model the token ids as
                          float32 values, the ONNX input itself is int64) and "output" (float32,
                          PyTorch's output on that input)
and README.md, which lists each graph's nodes, attributes and initialisers as exported.

The classic TorchScript exporter (dynamo=False) is used: it gives compact graphs (Gemm, Conv,
LSTM, GRU nodes). Every model is checked before anything is written: onnx.checker (full check,
with shape inference), ONNX Runtime's output against PyTorch's to 1e-5 at batch 3 and batch 1,
and for the recurrent models that the exported W, R and B are PyTorch's weights in ONNX's gate
order. Seeds and inputs are fixed; rerunning gives the same files.
"""

import io
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
from safetensors.numpy import save_file
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "NNScriptTests", "Fixtures", "onnx")
BATCH = 3
OPSET = 17


class LastStep(nn.Module):
    """An LSTM or GRU over [B, T, F] (batch_first) and a Linear on the last step's output."""

    def __init__(self, rnn, units, outputs):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(units, outputs)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


class EveryStep(nn.Module):
    """An LSTM or GRU over [B, T, F] (batch_first) and a Linear applied at every step."""

    def __init__(self, rnn, units, outputs):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(units, outputs)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)


def warm_batchnorm(model, shape):
    """A few train-mode forwards so the running statistics are not 0 and 1."""
    model.train()
    with torch.no_grad():
        for i in range(4):
            model(torch.randn(8, *shape) * (1.5 + 0.25 * i) + 0.7)
    model.eval()


def build_models():
    """(name, model, input, note), each model seeded on its own so one edit moves no other."""
    models = []

    def add(name, make, shape, note, ids=None, warm=False):
        torch.manual_seed(1900 + len(models))
        model = make()
        if warm:
            warm_batchnorm(model, shape)
        model.eval()
        if ids is not None:
            x = torch.randint(0, ids, (BATCH, *shape), dtype=torch.int64)
        else:
            x = torch.randn(BATCH, *shape)
        models.append((name, model, x, note))

    add("mlp", lambda: nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 6), nn.Sigmoid(),
        nn.Linear(6, 5), nn.LeakyReLU(0.1), nn.Linear(5, 3), nn.Softmax(dim=1)), (4,),
        "Linear(4,8)-ReLU-Linear(8,8)-Tanh-Linear(8,6)-Sigmoid-Linear(6,5)-LeakyReLU(0.1)-"
        "Linear(5,3)-Softmax(dim=1); input [B,4], output [B,3].")
    add("mlp_act", lambda: nn.Sequential(
        nn.Linear(4, 6), nn.ELU(), nn.Linear(6, 6), nn.GELU(), nn.Linear(6, 5), nn.SiLU(),
        nn.Linear(5, 4), nn.ELU(alpha=0.5), nn.Linear(4, 3)), (4,),
        "Linear(4,6)-ELU-Linear(6,6)-GELU-Linear(6,5)-SiLU-Linear(5,4)-ELU(alpha=0.5)-"
        "Linear(4,3); input [B,4], output [B,3]. Opset 17 has no Gelu op (it is opset 20) "
        "and no SiLU op: both arrive decomposed, see the nodes.")
    add("cnn", lambda: nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=1, padding=0), nn.BatchNorm2d(6), nn.ReLU(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6, 5)), (3, 8, 8),
        "Conv2d(3,4,3,padding=1)-ReLU-MaxPool2d(2)-Conv2d(4,6,3)-BatchNorm2d(6)-ReLU-"
        "AvgPool2d(2)-Flatten-Linear(6,5); input [B,3,8,8] -> [B,4,8,8] -> [B,4,4,4] -> "
        "[B,6,2,2] -> [B,6,1,1] -> [B,6] -> [B,5]. The BatchNorm is folded into the second "
        "Conv by the exporter (eval mode, constant folding): there is no BatchNormalization "
        "node.", warm=True)
    add("conv1d", lambda: nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(4, 3, 3),
        nn.AvgPool1d(2), nn.Flatten(), nn.Linear(6, 2)), (2, 12),
        "Conv1d(2,4,3,padding=1)-ReLU-MaxPool1d(2)-Conv1d(4,3,3)-AvgPool1d(2)-Flatten-"
        "Linear(6,2); input [B,2,12] -> [B,4,12] -> [B,4,6] -> [B,3,4] -> [B,3,2] -> [B,6] "
        "-> [B,2].")
    add("batchnorm1d", lambda: nn.Sequential(
        nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 2)), (5,),
        "Linear(5,6)-BatchNorm1d(6)-ReLU-Dropout(0.3)-Linear(6,2); input [B,5], output [B,2]. "
        "Dropout (eval) is not exported at all.", warm=True)
    add("batchnorm2d", lambda: nn.Sequential(
        nn.Conv2d(2, 3, 3), nn.ReLU(), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2)),
        (2, 4, 4),
        "Conv2d(2,3,3)-ReLU-BatchNorm2d(3)-Flatten-Linear(12,2); input [B,2,4,4] -> "
        "[B,3,2,2] -> [B,12] -> [B,2]. A BatchNorm after a ReLU cannot be folded into the Conv, "
        "so this one stays a BatchNormalization node.", warm=True)
    add("layernorm", lambda: nn.Sequential(
        nn.Linear(5, 6), nn.LayerNorm(6), nn.Tanh(), nn.Linear(6, 2)), (5,),
        "Linear(5,6)-LayerNorm(6)-Tanh-Linear(6,2); input [B,5], output [B,2]. The "
        "LayerNorm's weight and bias were perturbed from 1 and 0 so they matter.")
    add("embedding", lambda: nn.Sequential(
        nn.Embedding(10, 4), nn.Flatten(), nn.Linear(24, 3)), (6,),
        "Embedding(10,4) over 6 ids-Flatten-Linear(24,3); ONNX input is int64 [B,6] "
        "(safetensors \"input\" holds the ids as float32), [B,6,4] -> [B,24] -> [B,3].",
        ids=10)
    add("lstm", lambda: LastStep(nn.LSTM(3, 5, batch_first=True), 5, 2), (4, 3),
        "LSTM(3,5,batch_first=True) over [B,T=4,F=3], then Linear(5,2) on out[:, -1, :]; "
        "output [B,2].")
    add("lstm_seq", lambda: EveryStep(nn.LSTM(3, 5, batch_first=True), 5, 2), (4, 3),
        "LSTM(3,5,batch_first=True) over [B,4,3], then Linear(5,2) at every step; output "
        "[B,4,2].")
    add("gru", lambda: LastStep(nn.GRU(3, 5, batch_first=True), 5, 2), (4, 3),
        "GRU(3,5,batch_first=True) over [B,4,3], then Linear(5,2) on out[:, -1, :]; output "
        "[B,2].")
    add("gru_seq", lambda: EveryStep(nn.GRU(3, 5, batch_first=True), 5, 2), (4, 3),
        "GRU(3,5,batch_first=True) over [B,4,3], then Linear(5,2) at every step; output "
        "[B,4,2].")
    add("unsupported", lambda: nn.Sequential(nn.Linear(4, 3), nn.Hardswish()), (4,),
        "Linear(4,3)-Hardswish: HardSwish is an op nn does not map (for the importer's "
        "diagnostic test); input [B,4], output [B,3].")

    # LayerNorm: non-trivial affine parameters (they start at 1 and 0).
    for name, model, _, _ in models:
        if name == "layernorm":
            with torch.no_grad():
                model[1].weight.copy_(1 + 0.3 * torch.randn(6, generator=torch.Generator()
                                                            .manual_seed(7)))
                model[1].bias.copy_(0.2 * torch.randn(6, generator=torch.Generator()
                                                      .manual_seed(8)))
    return models


def export(model, x):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated (2.9 made dynamo the default) but still there.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buffer, dynamo=False, opset_version=OPSET,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    return onnx.load_from_string(buffer.getvalue())


def run_ort(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def close(actual, expected, what):
    if actual.shape != expected.shape:
        sys.exit(f"{what}: shape {actual.shape} != {expected.shape}")
    bound = 1e-5 * np.maximum(1, np.abs(expected))
    if not np.all(np.abs(actual - expected) <= bound):
        sys.exit(f"{what}: max |diff| {np.max(np.abs(actual - expected))}")


def check_rnn_weights(name, model, proto):
    """The exported W, R, B are PyTorch's weights with the gates reordered for ONNX."""
    rnn = model.rnn
    units = rnn.hidden_size
    if isinstance(rnn, nn.LSTM):
        op, order = "LSTM", [0, 3, 1, 2]          # PyTorch i, f, g, o  ->  ONNX i, o, f, c
    else:
        op, order = "GRU", [1, 0, 2]              # PyTorch r, z, n     ->  ONNX z, r, h

    def reorder(t):
        t = t.detach().numpy()
        return np.concatenate([t[g * units:(g + 1) * units] for g in order])

    node = next(n for n in proto.graph.node if n.op_type == op)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    w, r, b = (inits[node.input[k]] for k in (1, 2, 3))
    np.testing.assert_array_equal(w[0], reorder(rnn.weight_ih_l0), err_msg=f"{name} W")
    np.testing.assert_array_equal(r[0], reorder(rnn.weight_hh_l0), err_msg=f"{name} R")
    np.testing.assert_array_equal(
        b[0], np.concatenate([reorder(rnn.bias_ih_l0), reorder(rnn.bias_hh_l0)]),
        err_msg=f"{name} B")


# ---------------------------------------------------------------------------- README


def fmt_attr(a):
    v = onnx.helper.get_attribute_value(a)
    if a.type == onnx.AttributeProto.TENSOR:
        arr = onnx.numpy_helper.to_array(v)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(v.data_type)
        if arr.size <= 8:
            values = [str(np.float32(v)) if arr.dtype.kind == "f" else str(v)
                      for v in arr.reshape(-1).tolist()]
            shown = values[0] if arr.ndim == 0 else f"[{', '.join(values)}]"
            return f"{a.name}={dtype.name}{list(arr.shape)} {shown}"
        return f"{a.name}={dtype.name}{list(arr.shape)}"
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, float):
        return f"{a.name}={str(np.float32(v))}"   # the float32 the file holds, shortest digits
    return f"{a.name}={v!r}" if isinstance(v, str) else f"{a.name}={v}"


def fmt_value_info(v):
    t = v.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]
    dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name
    return f"`{v.name}` {dtype} [{', '.join(str(d) for d in dims)}]"


def describe(name, proto, note):
    g = proto.graph
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    lines = [f"### torch_{name}", "", note, "",
             f"Input {', '.join(fmt_value_info(v) for v in g.input)}; output "
             f"{', '.join(fmt_value_info(v) for v in g.output)}; opset {opset}; "
             f"{len(g.node)} nodes: {' → '.join(n.op_type for n in g.node)}.", "",
             "| # | op_type | name | inputs → outputs | attributes |",
             "|---|---|---|---|---|"]
    for i, n in enumerate(g.node):
        ins = ", ".join(f"`{s}`" if s else "''" for s in n.input)
        outs = ", ".join(f"`{s}`" for s in n.output)
        attrs = "; ".join(fmt_attr(a) for a in n.attribute) or "–"
        lines.append(f"| {i} | {n.op_type} | `{n.name}` | {ins} → {outs} | {attrs} |")
    lines += ["", "Initialisers: " + (", ".join(
        f"`{t.name}` {onnx.helper.tensor_dtype_to_np_dtype(t.data_type).name}"
        f"{list(t.dims)}" for t in g.initializer) or "none") + ".", ""]
    return "\n".join(lines)


README_HEAD = """\
# PyTorch-exported ONNX fixtures

Written by `scripts/make_onnx_fixtures.py` (PyTorch {torch}, onnx {onnx}, onnxruntime {ort});
do not edit by hand, rerun the script. Each `torch_NAME.onnx` is
`torch.onnx.export(model.eval(), x, dynamo=False, opset_version=17, input_names=["input"],
output_names=["output"], dynamic_axes={{"input": {{0: "batch"}}, "output": {{0: "batch"}}}})`
(the classic TorchScript exporter, deprecated since 2.9 but present in 2.13; it gives compact
graphs). `torch_NAME.safetensors` holds `input` (float32, batch 3; the embedding model's ids as
float32 values) and `output` (float32, PyTorch's output). ONNX Runtime reproduces every output
to 1e-5 at batch 3 and batch 1; onnx.checker (full check) passes on every file.

Layouts are PyTorch's: images [B,C,H,W], conv1d [B,C,L], sequences batch_first [B,T,F].

## What the importer has to know

- **Linear** on a 2-D tensor is `Gemm` with `alpha=1.0, beta=1.0, transB=1` (no transA
  attribute): inputs (x, `N.weight` [out,in], `N.bias` [out]), PyTorch's weight layout
  unchanged. On a 3-D tensor (the `_seq` models) it is `MatMul(x, W)` with an initialiser W
  [in,out] (the weight **transposed**, named `onnx::MatMul_*`) then `Add(N.bias, ·)`: note the
  bias is the Add's **first** input.
- **Initialiser names** are PyTorch's state-dict names (`0.weight`, `fc.bias`) where a
  parameter is used as is; folded or rearranged tensors get generated names (`onnx::Conv_22`,
  `onnx::LSTM_109`, `onnx::MatMul_112`) that depend on the trace: match on structure, not names.
  Node names are `/<module path>/<Op>[_k]` (e.g. `/0/Gemm`, `/rnn/LSTM`), one exception
  `Constant_10`.
- **Activations**: `Relu`, `Tanh`, `Sigmoid`, `LeakyRelu(alpha=0.1)`, `Elu(alpha)` (alpha
  always written, 1.0 by default), `Softmax(axis=1)` (opset-13 semantics: along that one
  axis). **GELU** (exact) is `Constant(√2) → Div(x, c) → Erf → Constant(1) → Add(·, c) →
  Mul(x, ·) → Constant(0.5) → Mul(·, c)` with float32 scalar `Constant` nodes; **SiLU** is
  `Sigmoid(x) → Mul(x, ·)`. **Hardswish** is `HardSwish` (the unsupported fixture).
- **Dropout** in eval mode leaves no node. **BatchNorm2d straight after a Conv** is folded
  into that Conv's weight and bias (no `BatchNormalization` node; the Conv's initialisers get
  generated names); BatchNorm1d after a Gemm and BatchNorm2d after a ReLU stay
  `BatchNormalization(epsilon=1e-05, momentum=0.9, training_mode=0)` with inputs (x,
  `N.weight`, `N.bias`, `N.running_mean`, `N.running_var`).
- **LayerNorm** is a single `LayerNormalization(axis=-1, epsilon=1e-05)` node (opset 17) with
  inputs (x, `N.weight`, `N.bias`); one output (no Mean/InvStdDev outputs).
- **Flatten** is `Flatten(axis=1)`, also on the embedding's 3-D tensor. **Embedding** is
  `Gather(N.weight [10,4], input)` with no axis attribute (axis 0): the table is the first
  input and the int64 graph input the indices.
- **Pools**: `MaxPool(ceil_mode=0, dilations, kernel_shape, pads=0, strides)`;
  `AveragePool(ceil_mode=0, count_include_pad=1, kernel_shape, pads=0, strides)`
  (PyTorch's default count_include_pad=True; irrelevant with zero pads). No storage_order,
  no auto_pad. **Conv**: `Conv(dilations, group=1, kernel_shape, pads, strides)`, inputs
  (x, weight [out,in,k…], bias [out]); pads are [begin…, end…].
- **LSTM/GRU (batch_first)**, 14 nodes before the head (see the tables):
  nodes 0–8 build zero initial states of shape [1,B,H] from the input's batch size
  (`Shape → Gather(0) → Unsqueeze → Concat([1], B, [H]) → ConstantOfShape(0.0)`);
  `Transpose(perm=[1,0,2])` makes the input [T,B,F]; the `LSTM`/`GRU` node has only
  `hidden_size=5` (+ `linear_before_reset=1` for GRU; no direction, activations, clip or
  layout attributes: forward, layout 0, default activations), inputs (X, W, R, B, '' for
  sequence_lens, initial_h[, initial_c] — LSTM feeds the same zeros tensor to both, no P),
  outputs Y [T,1,B,H], Y_h, (Y_c) of which only Y is used; `Squeeze(axes=[1])` (axes as a
  Constant input) gives [T,B,H] and `Transpose(perm=[1,0,2])` gives [B,T,H]. Then
  `out[:, -1, :]` is `Constant(int64 scalar -1) → Gather(axis=1)` → [B,H] and a Gemm; the
  `_seq` models go straight to MatMul + Add. W [1,G·H,F], R [1,G·H,H], B [1,2·G·H] (Wb then
  Rb), G = 4 (LSTM) or 3 (GRU), are **already in ONNX gate order**: LSTM i,o,f,c (PyTorch's
  i,f,g,o reordered), GRU z,r,h (PyTorch's r,z,n reordered); the script checks this
  reordering bit for bit. `linear_before_reset=1` is PyTorch's GRU formula
  (n = tanh(W_n x + b_in + r ⊙ (R_n h + b_hn))).

## Fixtures

"""


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    os.makedirs(out, exist_ok=True)
    sections = []
    written = []
    for name, model, x, note in build_models():
        with torch.no_grad():
            y = model(x).numpy().astype(np.float32)
        proto = export(model, x)
        onnx.checker.check_model(proto, full_check=True)
        onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
        feed = x.numpy()
        close(run_ort(proto, feed), y, f"{name} batch {BATCH}")
        close(run_ort(proto, feed[:1]), y[:1], f"{name} batch 1")
        if name.startswith(("lstm", "gru")):
            check_rnn_weights(name, model, proto)
        data = proto.SerializeToString()
        with open(os.path.join(out, f"torch_{name}.onnx"), "wb") as f:
            f.write(data)
        tensors = os.path.join(out, f"torch_{name}.safetensors")
        save_file({"input": feed.astype(np.float32), "output": y}, tensors)
        os.chmod(tensors, 0o644)                  # safetensors writes 0600
        sections.append(describe(name, proto, note))
        written.append((name, len(data)))
    head = README_HEAD.format(torch=torch.__version__, onnx=onnx.__version__,
                              ort=ort.__version__)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(head + "\n".join(sections))
    for name, size in written:
        print(f"torch_{name}.onnx  {size} bytes")


if __name__ == "__main__":
    main()
