#!/usr/bin/env python3
"""Writes Tests/NNRuntimeTests/Fixtures/optimizers.json from torch.optim.

Each case starts from one fixed parameter vector and applies one fixed sequence of gradient
vectors (pre-generated here, independent of any model), recording the parameters after
selected steps, in float32 and in float64. OptimizerTests replays the same sequence through
OptimizerState<Float> and <Double>.

Needs PyTorch (CPU build), in a virtualenv outside the repository:
    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install numpy torch==2.13.0+cpu
    /tmp/venv-torch/bin/python scripts/make_optimizer_fixtures.py
"""

import json
import math
import pathlib
import re

import numpy as np
import torch

COUNT = 7
STEPS = 50
RECORDED = [1, 2, 10, 50]
OUTPUT = (pathlib.Path(__file__).resolve().parent.parent
          / "Tests" / "NNRuntimeTests" / "Fixtures" / "optimizers.json")

# (name, torch class, keyword arguments in torch's spelling). Every option is exercised.
CASES = [
    ("sgd", torch.optim.SGD, {}),
    ("sgd", torch.optim.SGD, {"lr": 0.05}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.1}),
    ("sgd", torch.optim.SGD,
     {"lr": 0.02, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05}),
    ("adam", torch.optim.Adam, {}),
    ("adam", torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6}),
    ("adam", torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
    ("adam", torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    ("adam", torch.optim.Adam,
     {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.05, "amsgrad": True}),
    ("adamw", torch.optim.AdamW, {}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.0}),
    ("adamw", torch.optim.AdamW,
     {"lr": 0.02, "betas": (0.7, 0.99), "eps": 1e-5, "weight_decay": 0.2, "amsgrad": True}),
    ("rmsprop", torch.optim.RMSprop, {}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.005, "momentum": 0.9}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.005, "centered": True}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.005, "weight_decay": 0.1}),
    ("rmsprop", torch.optim.RMSprop,
     {"lr": 0.003, "alpha": 0.95, "momentum": 0.5, "centered": True, "weight_decay": 0.02}),
    ("adagrad", torch.optim.Adagrad, {}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.05}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "weight_decay": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("adagrad", torch.optim.Adagrad,
     {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1,
      "eps": 1e-6}),
    ("nadam", torch.optim.NAdam, {}),
    ("nadam", torch.optim.NAdam, {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6}),
    ("nadam", torch.optim.NAdam, {"lr": 0.01, "weight_decay": 0.1}),
    ("nadam", torch.optim.NAdam, {"lr": 0.01, "momentum_decay": 0.05}),
    ("nadam", torch.optim.NAdam,
     {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.05, "momentum_decay": 0.0}),
]

# Cases whose learning rate changes every step, as a schedule would change it.
SCHEDULED = [
    ("sgd", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("adam", torch.optim.Adam, {"lr": 0.01}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.5}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.02}),
    ("nadam", torch.optim.NAdam, {"lr": 0.01, "weight_decay": 0.01}),
]


def schedule(base_lr):
    """A cosine-with-wiggle rate for each step, never zero, different every step."""
    return [base_lr * (0.55 + 0.45 * math.cos(math.pi * s / STEPS)) * (1 + 0.1 * (s % 3))
            for s in range(STEPS)]


def rule(name, options):
    """The OptimizerRule hyper-parameters, all spelled out with torch's defaults filled in."""
    defaults = {
        "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
                "weight_decay": 0.0},
        "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                 "amsgrad": False},
        "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                  "amsgrad": False},
        "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0,
                    "centered": False, "weight_decay": 0.0},
        "adagrad": {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0,
                    "initial_accumulator_value": 0.0, "eps": 1e-10},
        "nadam": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                  "momentum_decay": 4e-3},
    }[name]
    merged = {**defaults, **options}
    if "betas" in merged:
        merged["beta1"], merged["beta2"] = merged.pop("betas")
    return {key: (float(value) if not isinstance(value, bool) else value)
            for key, value in merged.items()}


def run(cls, options, dtype, start, gradients, rates):
    parameter = torch.nn.Parameter(torch.tensor(start, dtype=dtype))
    # foreach=False: the single-tensor path, which CPU tensors take by default anyway.
    optimizer = cls([parameter], foreach=False, **options)
    recorded = {}
    for index in range(STEPS):
        if rates is not None:
            for group in optimizer.param_groups:
                group["lr"] = rates[index]
        parameter.grad = torch.tensor(gradients[index], dtype=dtype)
        optimizer.step()
        if index + 1 in RECORDED:
            recorded[str(index + 1)] = [float(x) for x in parameter.detach().tolist()]
    return recorded


def main():
    generator = np.random.default_rng(20240611)
    # Values exactly representable in float32, so both precisions start from the same numbers.
    start = generator.normal(0, 1, COUNT).astype(np.float32).astype(np.float64)
    # Gradients of varied scale, a few exact zeros (an Adagrad/Adam corner) and a slowly
    # drifting mean, so momentum and moment estimates do something non-trivial.
    gradients = generator.normal(0, 1, (STEPS, COUNT)) * np.array([1, 0.1, 3, 1, 0.01, 2, 1])
    gradients += np.linspace(-0.5, 0.5, STEPS)[:, None]
    gradients[3, 1] = 0.0
    gradients[7, 4] = 0.0
    gradients = gradients.astype(np.float32).astype(np.float64)

    cases = []
    for scheduled, table in ((False, CASES), (True, SCHEDULED)):
        for name, cls, options in table:
            hyper = rule(name, options)
            rates = schedule(hyper["lr"]) if scheduled else None
            cases.append({
                "optimizer": name,
                "options": hyper,
                "learning_rates": rates,
                "float32": run(cls, options, torch.float32, start, gradients, rates),
                "float64": run(cls, options, torch.float64, start, gradients, rates),
            })

    document = {
        "generator": "scripts/make_optimizer_fixtures.py",
        "torch": torch.__version__,
        "start": start.tolist(),
        "gradients": gradients.tolist(),
        "recorded_steps": RECORDED,
        "cases": cases,
    }
    text = json.dumps(document, indent=1)
    # One line per vector of numbers keeps the file short and its diffs readable.
    text = re.sub(r"\[[-0-9.e,\s]*\]",
                  lambda match: re.sub(r"\s+", " ", match.group(0)).replace("[ ", "[")
                  .replace(" ]", "]"), text)
    OUTPUT.write_text(text + "\n")
    print(f"wrote {len(cases)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
