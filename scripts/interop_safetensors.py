#!/usr/bin/env python3
"""Interoperability of nn's safetensors files with the reference `safetensors` package.

Modes (the Swift tests in Tests/NNScriptTests/PersistenceTests.swift run the first two):

  read FILE EXPECTED.json
      Reads a file nn's `save` wrote, with safetensors' own reader, and checks every tensor
      (name, dtype, shape, exact float32 values) and the metadata against EXPECTED.json, which
      the Swift test wrote: {"tensors": {name: {"shape": [...], "values": [...]}},
      "metadata": {key: value, ...}, "model_name": "net"}. Also checks that the header and
      data are what safetensors itself writes for the same tensors.

  write FILE OUT.json
      Writes weights for `model net(3) { dense(4, tanh); dense(2, sigmoid) }` as PyTorch would
      name them, in mixed dtypes (F32, F64, F16) plus a tensor nn has no use for, without nn
      metadata; computes the forward pass of a batch with NumPy and writes {"x": ..., "y": ...}.

  fixtures DIR
      Writes the small files the golden scripts under Tests/NNScriptTests/Golden/persistence*
      load (standard library only): hostile files, a plain weights file, and an nn-format file.

Needs numpy and safetensors for `read` and `write` (scripts/test installs them in a venv).
"""

import json
import struct
import sys


def fail(message):
    print(f"interop: {message}", file=sys.stderr)
    sys.exit(1)


# MARK: - read


def read(path, expected_path):
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save

    with open(expected_path, encoding="utf-8") as handle:
        expected = json.load(handle)
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata() or {}
    if sorted(tensors) != sorted(expected["tensors"]):
        fail(f"tensor names {sorted(tensors)} != {sorted(expected['tensors'])}")
    for name, want in expected["tensors"].items():
        got = tensors[name]
        if got.dtype != np.float32:
            fail(f"{name}: dtype {got.dtype}, expected float32")
        if list(got.shape) != want["shape"]:
            fail(f"{name}: shape {list(got.shape)}, expected {want['shape']}")
        values = np.array(want["values"], dtype=np.float64).astype(np.float32)
        if not np.array_equal(got.reshape(-1), values, equal_nan=True):
            fail(f"{name}: values {got.reshape(-1).tolist()} != {values.tolist()}")
    for key, value in expected["metadata"].items():
        if metadata.get(key) != value:
            fail(f"metadata {key!r} is {metadata.get(key)!r}, expected {value!r}")
    description = json.loads(metadata["model"])
    if description.get("name") != expected["model_name"]:
        fail(f"model description names {description.get('name')!r}")

    # The same tensors written by safetensors itself: same header (as JSON) and same data.
    with open(path, "rb") as handle:
        ours = handle.read()
    theirs = save(tensors, metadata=metadata)
    (ours_length,) = struct.unpack("<Q", ours[:8])
    (theirs_length,) = struct.unpack("<Q", theirs[:8])
    if ours_length % 8 != 0:
        fail(f"header length {ours_length} is not a multiple of 8")
    if json.loads(ours[8 : 8 + ours_length]) != json.loads(theirs[8 : 8 + theirs_length]):
        fail("the header differs from the one safetensors writes")
    if ours[8 + ours_length :] != theirs[8 + theirs_length :]:
        fail("the data buffer differs from the one safetensors writes")
    print("ok")


# MARK: - write


def write(path, out_path):
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(7)
    w1 = rng.normal(0, 0.8, (4, 3)).astype(np.float32)
    b1 = rng.normal(0, 0.3, (4,)).astype(np.float32)
    w2 = rng.normal(0, 0.8, (2, 4))  # float64: nn rounds it to float32
    b2 = rng.normal(0, 0.3, (2,)).astype(np.float16)
    save_file(
        {
            "dense1.weight": w1,
            "dense1.bias": b1,
            "dense2.weight": w2,
            "dense2.bias": b2,
            "dense2.num_batches_tracked": np.array(3, dtype=np.int64),
        },
        path,
        metadata={"format": "pt"},
    )
    x = rng.normal(0, 1, (5, 3)).astype(np.float32)
    # The forward pass with the weights as nn will hold them (float32), computed in float64.
    w2_32 = w2.astype(np.float32).astype(np.float64)
    b2_32 = b2.astype(np.float32).astype(np.float64)
    hidden = np.tanh(x.astype(np.float64) @ w1.astype(np.float64).T + b1)
    y = 1 / (1 + np.exp(-(hidden @ w2_32.T + b2_32)))
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump({"x": x.astype(np.float64).tolist(), "y": y.tolist()}, handle)
    print("ok")


# MARK: - fixtures


def header_file(header, data=b"", pad=True):
    """A file from a header (a dict, or raw text) and the data buffer."""
    text = header if isinstance(header, (str, bytes)) else json.dumps(header, separators=(",", ":"))
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def tensors_file(tensors, metadata=None):
    """A valid file, laid out as the reference writer lays it out: (name, dtype, shape, bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, payload in sorted(tensors):
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    return header_file(header, data)


def f32(*values):
    return struct.pack(f"<{len(values)}f", *values)


def fixtures(directory):
    import os

    weights = [
        ("dense1.weight", "F32", [2, 2], f32(0.5, -0.25, 1.0, 0.75)),
        ("dense1.bias", "F32", [2], f32(0.1, -0.1)),
        ("dense2.weight", "F32", [1, 2], f32(1.5, -2.0)),
        ("dense2.bias", "F32", [1], f32(0.25)),
    ]
    description = {
        "version": 1, "name": "saved", "input": [2],
        "layers": [
            {"kind": "dense", "name": "dense1", "units": 2, "activation": "tanh",
             "use_bias": True},
            {"kind": "dense", "name": "dense2", "units": 1, "activation": "identity",
             "use_bias": True},
        ],
    }
    nn_metadata = {"format": "nn", "nn_version": "0.1.0",
                   "model": json.dumps(description, separators=(",", ":"))}
    bad_description = dict(description, layers=[{"kind": "conv9d", "name": "c1"}])
    files = {
        # Plain weights, as PyTorch names them, without nn's metadata.
        "plain.safetensors": tensors_file(weights, {"format": "pt"}),
        # The same weights with nn's metadata, as `save` writes them.
        "saved.safetensors": tensors_file(weights, nn_metadata),
        "truncated.safetensors": b"\x10\x00\x00\x00\x00",
        "header_past_end.safetensors": struct.pack("<Q", 4096) + b"{}",
        "header_too_large.safetensors": struct.pack("<Q", 1 << 62) + b"{}",
        "not_json.safetensors": header_file("{dense1.weight: F32}"),
        "bad_offsets.safetensors": header_file(
            {"dense1.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}},
            f32(1, 2, 3)),
        "duplicate.safetensors": header_file(
            '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
            '"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)),
        "int_weights.safetensors": tensors_file(
            [(n, "I32", s, p) if n == "dense1.weight" else (n, d, s, p)
             for n, d, s, p in weights]),
        "bad_description.safetensors": tensors_file(
            weights, dict(nn_metadata, model=json.dumps(bad_description))),
        "metadata_not_strings.safetensors": header_file('{"__metadata__":{"model":{"a":1}}}'),
    }
    os.makedirs(directory, exist_ok=True)
    for name, contents in sorted(files.items()):
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(contents)
    print(f"wrote {len(files)} files to {directory}")


def main(arguments):
    if len(arguments) == 3 and arguments[0] == "read":
        read(arguments[1], arguments[2])
    elif len(arguments) == 3 and arguments[0] == "write":
        write(arguments[1], arguments[2])
    elif len(arguments) == 2 and arguments[0] == "fixtures":
        fixtures(arguments[1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
