#!/usr/bin/env python3
"""Checks nn's ONNX exports with the onnx checker and ONNX Runtime (issue 19).

    python scripts/onnx_check.py DIR

For every X.onnx in DIR with an X.safetensors beside it (tensors "input" and "output", written
by nn: the model's input at some batch size and nn's output on it):
  - onnx.checker.check_model(model, full_check=True) passes (it runs strict shape inference);
  - the default-domain opset is 17 or later;
  - there is one graph input whose first dimension is symbolic (dim_param: the dynamic batch);
  - metadata_props has the key "nn_model" whose value parses as JSON (nn's model description);
  - ONNX Runtime (CPUExecutionProvider) on "input", cast to the graph input's element type
    (int64 for an embedding model, whose ids nn writes as float32 values), gives "output":
    |ort - nn| <= 1e-5 * max(1, |nn|) elementwise, shapes equal;
  - the same on the first row alone (batch 1) against output[0:1].
Prints `ok NAME max_abs_diff=...` or `FAIL NAME reason` per model and a summary line; exits 1
when any model fails or DIR holds none. Needs numpy, safetensors, onnx and onnxruntime.
"""

import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file

MIN_OPSET = 17
TOLERANCE = 1e-5


class Failure(Exception):
    pass


def short(error):
    """The first line of an exception's message, at most 300 characters."""
    text = str(error).strip().splitlines()
    text = text[0] if text else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def compare(actual, expected, what):
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        raise Failure(f"{what}: ONNX Runtime's output has shape {list(actual.shape)}, "
                      f"nn's {list(expected.shape)}")
    actual = actual.astype(np.float64)
    expected = expected.astype(np.float64)
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(expected))):
        if not np.array_equal(actual, expected, equal_nan=True):
            raise Failure(f"{what}: non-finite values differ")
        finite = np.isfinite(expected)
        actual, expected = actual[finite], expected[finite]
    diff = np.abs(actual - expected)
    worst = float(diff.max()) if diff.size else 0.0
    bad = diff > TOLERANCE * np.maximum(1.0, np.abs(expected))
    if np.any(bad):
        i = int(np.argmax(np.where(bad, diff, -1)))
        raise Failure(f"{what}: max_abs_diff={worst:.3g} exceeds 1e-5·max(1,|nn|) "
                      f"({int(bad.sum())} of {bad.size} elements; e.g. ort "
                      f"{actual.reshape(-1)[i]:.9g} vs nn {expected.reshape(-1)[i]:.9g})")
    return worst


def check(onnx_path, tensors_path):
    try:
        model = onnx.load(onnx_path)
    except Exception as e:  # noqa: BLE001 - any decoding error is the model's failure
        raise Failure(f"onnx.load: {short(e)}") from None
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"check_model: {short(e)}") from None

    opsets = {o.domain: o.version for o in model.opset_import}
    opset = opsets.get("", opsets.get("ai.onnx"))
    if opset is None or opset < MIN_OPSET:
        raise Failure(f"default-domain opset {opset}, want >= {MIN_OPSET}")

    meta = {p.key: p.value for p in model.metadata_props}
    if "nn_model" not in meta:
        raise Failure(f"metadata_props has no \"nn_model\" (keys: {sorted(meta) or 'none'})")
    try:
        json.loads(meta["nn_model"])
    except ValueError as e:
        raise Failure(f"metadata_props \"nn_model\" is not JSON: {short(e)}") from None

    initializers = {t.name for t in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in initializers]
    if len(inputs) != 1:
        raise Failure(f"{len(inputs)} graph inputs, want 1")
    graph_input = inputs[0]
    tensor_type = graph_input.type.tensor_type
    dims = tensor_type.shape.dim
    if not dims or not dims[0].HasField("dim_param") or not dims[0].dim_param:
        shown = [d.dim_param or d.dim_value for d in dims]
        raise Failure(f"graph input {graph_input.name!r} shape {shown}: first dimension is "
                      f"not symbolic (no dynamic batch)")

    try:
        tensors = load_file(tensors_path)
    except Exception as e:  # noqa: BLE001
        raise Failure(f"safetensors: {short(e)}") from None
    for key in ("input", "output"):
        if key not in tensors:
            raise Failure(f"{os.path.basename(tensors_path)} has no tensor {key!r}")
    x, expected = tensors["input"], tensors["output"]
    if x.ndim == 0 or x.shape[0] < 1:
        raise Failure(f"input has shape {list(x.shape)}: no batch")
    if expected.ndim == 0 or expected.shape[0] != x.shape[0]:
        raise Failure(f"output shape {list(expected.shape)} does not match input batch "
                      f"{x.shape[0]}")

    dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type)
    if np.issubdtype(dtype, np.integer):
        if not np.array_equal(x, np.round(x)):
            raise Failure(f"graph input is {dtype.name} but \"input\" holds non-integers")
        fed = np.round(x).astype(dtype)
    else:
        fed = x.astype(dtype)

    options = ort.SessionOptions()
    options.log_severity_level = 4                # errors come back as exceptions, not logs
    try:
        session = ort.InferenceSession(model.SerializeToString(), sess_options=options,
                                       providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001
        raise Failure(f"onnxruntime session: {short(e)}") from None
    output_name = session.get_outputs()[0].name

    def run(batch, what):
        try:
            return session.run([output_name], {graph_input.name: batch})[0]
        except Exception as e:  # noqa: BLE001
            raise Failure(f"onnxruntime ({what}): {short(e)}") from None

    full = run(fed, f"batch {x.shape[0]}")
    one = run(fed[0:1], "batch 1")
    worst = compare(full, expected, f"batch {x.shape[0]}")
    worst_one = compare(one, expected[0:1], "batch 1")
    return max(worst, worst_one), opset, x.shape[0]


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = argv[1]
    if not os.path.isdir(directory):
        print(f"FAIL {directory}: not a directory")
        return 1
    names = sorted(f[:-len(".onnx")] for f in os.listdir(directory) if f.endswith(".onnx")
                   and os.path.isfile(os.path.join(directory, f[:-len(".onnx")]
                                                   + ".safetensors")))
    failures = 0
    for name in names:
        try:
            worst, opset, batch = check(os.path.join(directory, name + ".onnx"),
                                        os.path.join(directory, name + ".safetensors"))
            print(f"ok {name} max_abs_diff={worst:.3g} opset={opset} batch={batch}+1")
        except Failure as e:
            failures += 1
            print(f"FAIL {name} {e}")
    if not names:
        print(f"FAIL no X.onnx with X.safetensors beside it in {directory}")
        return 1
    print(f"{len(names) - failures} of {len(names)} ONNX models ok"
          + (f", {failures} failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
