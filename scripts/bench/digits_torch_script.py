"""The "script" benchmark: examples/digits.nn written as an ordinary PyTorch program.

End to end, as nn's script does: load the 8×8 digits CSV, scale the pixels by 1/16, split
80/20 after a seeded shuffle, train a 64-128-64-10 MLP for 30 epochs (Adam 1e-3, batch 32)
with per-epoch training loss, validation loss and accuracy on both sets, evaluate on the test
set and print a report, write the loss curves to an SVG, save the weights, load them into a
fresh model and check it predicts the same. The driver (scripts/bench) times the whole process:

    python digits_torch_script.py --threads N
"""

import argparse
import os
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)

CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "..", "Sources", "NNScript", "Resources", "digits.csv")


def load_digits():
    table = np.loadtxt(CSV, delimiter=",", skiprows=1, dtype=np.float32)  # 64 pixels, label
    x = torch.from_numpy(table[:, :64] / 16)
    y = torch.from_numpy(table[:, 64]).long()
    return x, y


def split(x, y, fraction, seed):
    """A shuffled split; like nn's split, the training part has round(fraction · n) rows."""
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_train = round(fraction * len(x))
    tr, te = perm[:n_train], perm[n_train:]
    return (x[tr], y[tr]), (x[te], y[te])


def make_model():
    """The 64-128-64-10 MLP, initialised as nn does.

    He normal before a ReLU, Xavier uniform otherwise, zero biases.
    """
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    with torch.no_grad():
        for layer, relu_follows in ((model[0], True), (model[2], True), (model[4], False)):
            if relu_follows:
                nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


@torch.no_grad()
def loss_and_accuracy(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def train(model, train_set, test_set, epochs, batch, lr):
    """Returns the history: per-epoch loss, val_loss, accuracy, val_accuracy.

    As nn does, loss is the mean of the epoch's batch losses weighted by batch size, and the
    accuracies are measured on the whole training and validation sets after each epoch.
    """
    x, y = train_set
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), batch):  # the last batch is the remainder
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        val_loss, val_acc = loss_and_accuracy(model, *test_set)
        _, acc = loss_and_accuracy(model, x, y)
        for key, value in zip(history, (total / len(x), val_loss, acc, val_acc)):
            history[key].append(value)
        print(f"epoch {epoch:2d}/{epochs}  loss {history['loss'][-1]:.4g}  val_loss {val_loss:.4g}"
              f"  accuracy {acc:.4g}  val_accuracy {val_acc:.4g}"
              f"  {(time.perf_counter() - start) * 1000:.3g}ms")
    return history


@torch.no_grad()
def evaluate(model, x, y, classes=10):
    pred = model(x).argmax(1)
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    confusion.index_put_((y, pred), torch.ones_like(y), accumulate=True)  # rows: true class
    tp = confusion.diag().double()
    precision = tp / confusion.sum(0).clamp(min=1)
    recall = tp / confusion.sum(1).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return {"loss": F.cross_entropy(model(x), y).item(),
            "accuracy": (pred == y).double().mean().item(),
            "precision": precision.mean().item(), "recall": recall.mean().item(),
            "f1": f1.mean().item(), "confusion": confusion}


def plot_svg(path, series, title, width=640, height=360, pad=40):
    """Writes the curves as SVG polylines on shared axes (no plotting library)."""
    top = max(max(values) for values in series.values())
    colors = ["#1f77b4", "#ff7f0e"]
    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">',
             f'<text x="{width / 2}" y="20" text-anchor="middle">{title}</text>',
             f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}"'
             ' fill="none" stroke="#888"/>']
    for k, (name, values) in enumerate(series.items()):
        step = (width - 2 * pad) / max(len(values) - 1, 1)
        points = " ".join(f"{pad + i * step:.1f},{height - pad - v / top * (height - 2 * pad):.1f}"
                          for i, v in enumerate(values))
        lines.append(f'<polyline fill="none" stroke="{colors[k % 2]}" points="{points}"/>')
        lines.append(f'<text x="{width - pad - 80}" y="{pad + 20 + 16 * k}"'
                     f' fill="{colors[k % 2]}">{name}</text>')
    lines.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    x, y = load_digits()
    train_set, test_set = split(x, y, 0.8, seed=0)
    net = make_model()
    history = train(net, train_set, test_set, epochs=30, batch=32, lr=1e-3)

    report = evaluate(net, *test_set)
    print(f"test accuracy {report['accuracy']}")
    print({k: v for k, v in report.items() if k != "confusion"})
    print("confusion (rows: true class, columns: predicted):")
    print(report["confusion"].numpy())

    with tempfile.TemporaryDirectory() as tmp:
        svg = os.path.join(tmp, "digits_loss.svg")
        plot_svg(svg, {"loss": history["loss"], "val_loss": history["val_loss"]},
                 title="digits: loss per epoch")
        print(f"wrote {svg} ({os.path.getsize(svg)} bytes)")

        path = os.path.join(tmp, "digits.pt")
        torch.save(net.state_dict(), path)
        again = make_model()
        again.load_state_dict(torch.load(path))
        with torch.no_grad():
            same = torch.equal(again(test_set[0]), net(test_set[0]))  # every output, exactly
        print(f"reloaded model predicts the same: {str(same).lower()}")


if __name__ == "__main__":
    main()
