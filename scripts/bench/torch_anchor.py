"""PyTorch (CPU, eager) anchor for nn's benchmarks.

Trains exactly the models of nn's benchmark scripts with idiomatic eager PyTorch, times the
training loop alone, and prints one line of JSON on stdout (everything else goes to stderr).
The driver (scripts/bench) runs it as

    python torch_anchor.py WORKLOAD --threads N

WORKLOAD: xor | digits | wide | linreg | cnn | lstm | gru | attention.

JSON keys: system, workload, threads, loop_seconds, steps, final_loss, test_accuracy,
import_seconds, compile_seconds (always 0 here), setup_seconds, plus per-workload extras.
setup_seconds (data and model building) includes about 1 s that torch spends the first time an
optimizer is built (torch.optim lazily imports torch._dynamo); every torch user pays it too.
"""

import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository from anchor_common
from anchor_common import (ATTENTION_CLASSES, ATTENTION_SHAPE, CNN_CLASSES, CNN_SHAPE,
                           LSTM_CLASSES, LSTM_SHAPE, batch_starts, digits_split, emit,
                           make_projected, make_wide, note, parse_args, set_thread_env)

args = parse_args("torch")
set_thread_env(args.threads)

t_import = time.perf_counter()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
import_seconds = time.perf_counter() - t_import

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)


def dense(fan_in, units, relu_follows):
    """nn's dense layer: He normal N(0, 2/fan_in) before a ReLU, else Xavier uniform; zero bias.

    nn.Linear stores its weight as [out, in] and computes x · Wᵀ + b: the same model as nn's
    y = x · W + b with W [in, out]; both initialisers are symmetric in the two layouts.
    """
    layer = nn.Linear(fan_in, units)
    with torch.no_grad():
        if relu_follows:
            nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
        else:
            nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return layer


def result(workload, loop_seconds, steps, final_loss, setup_seconds, test_accuracy=None, **extra):
    return dict(system="torch", workload=workload, threads=args.threads,
                loop_seconds=loop_seconds, steps=steps, final_loss=final_loss,
                test_accuracy=test_accuracy, import_seconds=import_seconds,
                compile_seconds=0.0, setup_seconds=setup_seconds, **extra)


def train_classifier(model, opt, x, y, epochs, batch):
    """Mini-batch training with a fresh permutation each epoch; returns (seconds, steps, last loss).

    The last epoch's loss is the batch-size-weighted mean of its batch losses, as nn's h.loss.
    """
    n = x.shape[0]
    steps = 0
    epoch_loss = float("nan")
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for i in batch_starts(n, batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            steps += 1
        epoch_loss = total / n
    return time.perf_counter() - start, steps, epoch_loss


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def xor():
    t0 = time.perf_counter()
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    model = nn.Sequential(dense(2, 8, False), nn.Tanh(), dense(8, 1, False), nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    setup = time.perf_counter() - t0

    steps = 5000
    start = time.perf_counter()
    for _ in range(steps):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    loop = time.perf_counter() - start
    # loss still holds the last step's loss, computed before its update.
    return result("xor", loop, steps, loss.item(), setup)


def digits():
    t0 = time.perf_counter()
    xtr, ytr, xte, yte = (torch.from_numpy(a) for a in digits_split())
    ytr, yte = ytr.long(), yte.long()  # cross_entropy wants int64 class indices
    model = nn.Sequential(dense(64, 128, True), nn.ReLU(), dense(128, 64, True), nn.ReLU(),
                          dense(64, 10, False))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    setup = time.perf_counter() - t0

    loop, steps, final_loss = train_classifier(model, opt, xtr, ytr, epochs=30, batch=32)
    return result("digits", loop, steps, final_loss, setup,
                  test_accuracy=accuracy(model, xte, yte))


def wide():
    t0 = time.perf_counter()
    x_np, y_np = make_wide()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
    model = nn.Sequential(dense(784, 512, True), nn.ReLU(), dense(512, 512, True), nn.ReLU(),
                          dense(512, 10, False))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    setup = time.perf_counter() - t0

    loop, steps, final_loss = train_classifier(model, opt, x, y, epochs=2, batch=128)
    return result("wide", loop, steps, final_loss, setup,
                  train_accuracy=accuracy(model, x, y))


def linreg():
    t0 = time.perf_counter()
    x = torch.tensor([[0], [1], [2], [3], [4]], dtype=torch.float32)
    y = x ** 2
    model = nn.Linear(1, 1)
    with torch.no_grad():  # the tutorial starts from W = [[0]], b = [0]
        model.weight.zero_()
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    setup = time.perf_counter() - t0

    steps = 1000
    start = time.perf_counter()
    for _ in range(steps):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    loop = time.perf_counter() - start
    return result("linreg", loop, steps, loss.item(), setup,
                  w=model.weight.item(), b=model.bias.item())


def conv(in_channels, filters):
    """nn's conv2d(filters, 3, act: relu): "same" padding, He normal weights, zero bias."""
    layer = nn.Conv2d(in_channels, filters, 3, padding="same")
    with torch.no_grad():
        nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(layer.bias)
    return layer


def cnn():
    t0 = time.perf_counter()
    x_np, y_np = make_projected(CNN_SHAPE, CNN_CLASSES, seed=1)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
    model = nn.Sequential(conv(3, 16), nn.ReLU(), nn.MaxPool2d(2), conv(16, 32), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), dense(32 * 8 * 8, 10, False))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    setup = time.perf_counter() - t0

    loop, steps, final_loss = train_classifier(model, opt, x, y, epochs=2, batch=64)
    return result("cnn", loop, steps, final_loss, setup, train_accuracy=accuracy(model, x, y))


class LastStep(nn.Module):
    """lstm(64) (or gru(64)) then dense(4): the last hidden state into a linear layer."""

    def __init__(self, features, units, classes, recurrence=nn.LSTM):
        super().__init__()
        self.lstm = recurrence(features, units, batch_first=True)
        self.head = dense(units, classes, False)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def lstm(workload="lstm", recurrence=nn.LSTM):
    t0 = time.perf_counter()
    x_np, y_np = make_projected(LSTM_SHAPE, LSTM_CLASSES, seed=2)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
    model = LastStep(LSTM_SHAPE[2], 64, LSTM_CLASSES, recurrence)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    setup = time.perf_counter() - t0

    loop, steps, final_loss = train_classifier(model, opt, x, y, epochs=3, batch=32)
    return result(workload, loop, steps, final_loss, setup, train_accuracy=accuracy(model, x, y))


def gru():
    """The lstm workload with nn.GRU in place of nn.LSTM (scripts/bench/gru.nn)."""
    return lstm("gru", nn.GRU)


def attention():
    t0 = time.perf_counter()
    x_np, y_np = make_projected(ATTENTION_SHAPE, ATTENTION_CLASSES, seed=3)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np).long()
    _, time_steps, features = ATTENTION_SHAPE
    # nn's transformer(4, 128): post-norm, ReLU, dropout 0 (nn's default; PyTorch's is 0.1).
    block = nn.TransformerEncoderLayer(features, 4, 128, dropout=0.0, batch_first=True)
    model = nn.Sequential(block, nn.Flatten(),
                          dense(time_steps * features, ATTENTION_CLASSES, False))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    setup = time.perf_counter() - t0

    loop, steps, final_loss = train_classifier(model, opt, x, y, epochs=2, batch=32)
    return result("attention", loop, steps, final_loss, setup,
                  train_accuracy=accuracy(model, x, y))


if __name__ == "__main__":
    note(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    emit({"xor": xor, "digits": digits, "wide": wide, "linreg": linreg, "cnn": cnn, "lstm": lstm,
          "gru": gru, "attention": attention}[args.workload]())
