"""JAX (CPU, XLA-compiled) anchor for nn's benchmarks.

Trains exactly the models of nn's benchmark scripts. Adam and SGD are written by hand with
PyTorch's update rules (no optax). xor and linreg compile the WHOLE training loop (lax.scan
inside one jax.jit); digits and wide jit one optimizer step and loop over batches in Python.
Compilation happens before the clock starts and is reported as compile_seconds; the loop is
timed up to block_until_ready(). Prints one line of JSON on stdout (everything else goes to
stderr). The driver (scripts/bench) runs it as

    python jax_anchor.py WORKLOAD --threads N

WORKLOAD: xor | digits | wide | linreg | cnn | lstm | gru | attention; the last four jit one
step, as digits and wide do.

JSON keys: system, workload, threads, loop_seconds, steps, final_loss, test_accuracy,
import_seconds, compile_seconds, setup_seconds, cpus (the CPUs it ran on), plus per-workload
extras. --threads N below the machine's CPU count pins the process to its first N CPUs,
because XLA sizes its thread pool from the CPUs it may use (see below).
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository from anchor_common
from anchor_common import (ATTENTION_CLASSES, ATTENTION_SHAPE, CNN_CLASSES, CNN_SHAPE,
                           LSTM_CLASSES, LSTM_SHAPE, batch_starts, digits_split, emit,
                           make_projected, make_wide, note, parse_args, set_thread_env)

args = parse_args("jax")
set_thread_env(args.threads)
# XLA reads these when the CPU client starts, so they must be set before jax is imported.
# xla_cpu_multi_thread_eigen turns Eigen's multi-threaded kernels on or off; the bare
# intra_op_parallelism_threads=N token is the long-standing recipe from jax issues #743 and
# #1539 (XLA's flag parser tolerates it; the "--" spelling is rejected as an unknown flag).
os.environ["XLA_FLAGS"] = " ".join(filter(None, [
    os.environ.get("XLA_FLAGS", ""),
    "--xla_cpu_multi_thread_eigen=" + ("true" if args.threads > 1 else "false"),
    f"intra_op_parallelism_threads={args.threads}",
]))
os.environ["JAX_PLATFORMS"] = "cpu"
# With jaxlib 0.10 those flags do not cap anything: measured, the work still spreads over the
# CPU client's intra-op pool ("tf_XLAEigen" threads), which is sized from the CPUs the process
# may run on. Restricting the process to N CPUs before jax starts is what limits it to N.
allowed = sorted(os.sched_getaffinity(0))
if args.threads < len(allowed):
    os.sched_setaffinity(0, allowed[:args.threads])
cpus = sorted(os.sched_getaffinity(0))

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
jax.config.update("jax_enable_x64", False)  # the default; stated so that everything is float32
import_seconds = time.perf_counter() - t_import

key = jax.random.PRNGKey(0)
shuffle_rng = np.random.default_rng(0)  # batch order is host-side: batches are sliced in NumPy


def next_key():
    global key
    key, sub = jax.random.split(key)
    return sub


# --- the model: a list of (W [in, out], b [out]) pairs plus a static list of activations -----

def dense(fan_in, units, relu_follows):
    """He normal N(0, 2/fan_in) before a ReLU, Xavier uniform U(-a, a) otherwise; zero bias."""
    if relu_follows:
        w = jax.random.normal(next_key(), (fan_in, units), jnp.float32) * jnp.sqrt(2.0 / fan_in)
    else:
        a = (6.0 / (fan_in + units)) ** 0.5
        w = jax.random.uniform(next_key(), (fan_in, units), jnp.float32, -a, a)
    return (w, jnp.zeros(units, jnp.float32))


ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid,
               None: lambda z: z}


def forward(params, acts, x):
    for (w, b), act in zip(params, acts):
        x = ACTIVATIONS[act](x @ w + b)
    return x


def mse(pred, y):
    return jnp.mean((pred - y) ** 2)


def cross_entropy(logits, labels):
    log_probs = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))


# --- optimizers, PyTorch's update rules, as pure functions over pytrees ------------------------

def adam_init(params):
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return (zeros, zeros, jnp.zeros((), jnp.float32))  # m, v, step count


def adam_update(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v, t = state
    t = t + 1
    m = jax.tree_util.tree_map(lambda m, g: beta1 * m + (1 - beta1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: beta2 * v + (1 - beta2) * g * g, v, grads)
    bc1 = 1 - beta1 ** t
    bc2 = 1 - beta2 ** t
    # torch.optim.Adam: p -= lr / bc1 · m / (sqrt(v) / sqrt(bc2) + eps)
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - (lr / bc1) * m / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps), params, m, v)
    return params, (m, v, t)


def sgd_momentum_init(params):
    # A zero buffer makes the first step buf = g, as PyTorch's first step does.
    return jax.tree_util.tree_map(jnp.zeros_like, params)


def sgd_momentum_update(params, grads, bufs, lr, momentum):
    bufs = jax.tree_util.tree_map(lambda b, g: momentum * b + g, bufs, grads)
    params = jax.tree_util.tree_map(lambda p, b: p - lr * b, params, bufs)
    return params, bufs


# --- workloads -------------------------------------------------------------------------------

def result(workload, loop_seconds, steps, final_loss, setup_seconds, compile_seconds,
           test_accuracy=None, **extra):
    return dict(system="jax", workload=workload, threads=args.threads,
                loop_seconds=loop_seconds, steps=steps, final_loss=final_loss,
                test_accuracy=test_accuracy, import_seconds=import_seconds,
                compile_seconds=compile_seconds, setup_seconds=setup_seconds,
                cpus=cpus, **extra)


def run_compiled(train, *state):
    """AOT-compiles train for these arguments, then times one call; returns (out, compile, loop)."""
    t0 = time.perf_counter()
    compiled = train.lower(*state).compile()
    compile_seconds = time.perf_counter() - t0
    start = time.perf_counter()
    out = jax.block_until_ready(compiled(*state))
    return out, compile_seconds, time.perf_counter() - start


def xor():
    t0 = time.perf_counter()
    x = jnp.array([[0, 0], [0, 1], [1, 0], [1, 1]], jnp.float32)
    y = jnp.array([[0], [1], [1], [0]], jnp.float32)
    params = [dense(2, 8, False), dense(8, 1, False)]
    acts = ["tanh", "sigmoid"]
    opt_state = adam_init(params)
    setup = time.perf_counter() - t0
    steps = 5000

    @jax.jit
    def train(params, opt_state):
        def step(carry, _):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(lambda p: mse(forward(p, acts, x), y))(params)
            params, opt_state = adam_update(params, grads, opt_state, lr=0.05)
            return (params, opt_state), loss
        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), None, length=steps)
        return params, losses

    (params, losses), compile_s, loop = run_compiled(train, params, opt_state)
    # losses[-1] is the last step's loss, computed before its update.
    return result("xor", loop, steps, float(losses[-1]), setup, compile_s)


def train_classifier(step, params, opt_state, x, y, epochs, batch):
    """Python loop over batches of the jitted step, a fresh permutation each epoch.

    Returns (seconds, steps, last epoch's batch-size-weighted mean loss, params).
    """
    n = x.shape[0]
    steps = 0
    epoch_loss = float("nan")
    start = time.perf_counter()
    for _ in range(epochs):
        perm = shuffle_rng.permutation(n)
        xs, ys = x[perm], y[perm]
        losses, sizes = [], []
        for i in batch_starts(n, batch):
            xb, yb = xs[i:i + batch], ys[i:i + batch]
            params, opt_state, loss = step(params, opt_state, xb, yb)
            losses.append(loss)  # kept on device: converting each one would sync every step
            sizes.append(len(xb))
            steps += 1
        epoch_loss = float(jnp.dot(jnp.stack(losses), jnp.asarray(sizes, jnp.float32))) / n
    jax.block_until_ready(params)
    return time.perf_counter() - start, steps, epoch_loss, params


def warm_up(step, params, opt_state, x, y, batch):
    """Compiles step for the full batch shape and for the remainder's, outside the timed loop."""
    t0 = time.perf_counter()
    shapes = {batch, x.shape[0] % batch or batch}
    for size in sorted(shapes):
        # step is pure: the results are thrown away and the real state is left untouched.
        jax.block_until_ready(step(params, opt_state, x[:size], y[:size]))
    return time.perf_counter() - t0


def accuracy(params, acts, x, y):
    return float(jnp.mean(jnp.argmax(forward(params, acts, x), axis=1) == y))


def digits():
    t0 = time.perf_counter()
    xtr, ytr, xte, yte = digits_split()
    params = [dense(64, 128, True), dense(128, 64, True), dense(64, 10, False)]
    acts = ["relu", "relu", None]
    opt_state = adam_init(params)

    @jax.jit
    def step(params, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(lambda p: cross_entropy(forward(p, acts, xb), yb))(params)
        params, opt_state = adam_update(params, grads, opt_state, lr=1e-3)
        return params, opt_state, loss

    setup = time.perf_counter() - t0
    compile_s = warm_up(step, params, opt_state, xtr, ytr, batch=32)
    loop, steps, final_loss, params = train_classifier(step, params, opt_state, xtr, ytr,
                                                       epochs=30, batch=32)
    return result("digits", loop, steps, final_loss, setup, compile_s,
                  test_accuracy=accuracy(params, acts, xte, yte))


def wide():
    t0 = time.perf_counter()
    x, y = make_wide()
    params = [dense(784, 512, True), dense(512, 512, True), dense(512, 10, False)]
    acts = ["relu", "relu", None]
    opt_state = sgd_momentum_init(params)

    @jax.jit
    def step(params, bufs, xb, yb):
        loss, grads = jax.value_and_grad(lambda p: cross_entropy(forward(p, acts, xb), yb))(params)
        params, bufs = sgd_momentum_update(params, grads, bufs, lr=0.01, momentum=0.9)
        return params, bufs, loss

    setup = time.perf_counter() - t0
    compile_s = warm_up(step, params, opt_state, x, y, batch=128)
    loop, steps, final_loss, params = train_classifier(step, params, opt_state, x, y,
                                                       epochs=2, batch=128)
    return result("wide", loop, steps, final_loss, setup, compile_s,
                  train_accuracy=accuracy(params, acts, x, y))


def linreg():
    t0 = time.perf_counter()
    x = jnp.array([[0], [1], [2], [3], [4]], jnp.float32)
    y = x ** 2
    params = [(jnp.zeros((1, 1), jnp.float32), jnp.zeros(1, jnp.float32))]  # W = [[0]], b = [0]
    setup = time.perf_counter() - t0
    steps = 1000

    @jax.jit
    def train(params):
        def step(params, _):
            loss, grads = jax.value_and_grad(lambda p: mse(forward(p, [None], x), y))(params)
            params = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)  # plain SGD
            return params, loss
        return jax.lax.scan(step, params, None, length=steps)

    (params, losses), compile_s, loop = run_compiled(train, params)
    (w, b), = params
    return result("linreg", loop, steps, float(losses[-1]), setup, compile_s,
                  w=float(w[0, 0]), b=float(b[0]))


# --- cnn, lstm, attention: jit one step over a parameter pytree of the model's own shape -------

def uniform(shape, bound):
    return jax.random.uniform(next_key(), shape, jnp.float32, -bound, bound)


def jit_step(loss_fn, update):
    """One jitted training step: loss and gradients of loss_fn(params, xb, yb), then update."""
    @jax.jit
    def step(params, opt_state, xb, yb):
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        params, opt_state = update(params, grads, opt_state)
        return params, opt_state, loss
    return step


def classify(name, loss_fn, predict, params, opt_state, update, x, y, epochs, batch, t0):
    step = jit_step(loss_fn, update)
    setup = time.perf_counter() - t0
    compile_s = warm_up(step, params, opt_state, x, y, batch=batch)
    loop, steps, final_loss, params = train_classifier(step, params, opt_state, x, y,
                                                       epochs=epochs, batch=batch)
    logits = jax.jit(predict)(params, x)
    accuracy = float(jnp.mean(jnp.argmax(logits, axis=1) == y))
    return result(name, loop, steps, final_loss, setup, compile_s, train_accuracy=accuracy)


def cnn():
    t0 = time.perf_counter()
    x, y = make_projected(CNN_SHAPE, CNN_CLASSES, seed=1)

    def conv(cin, cout):  # He normal [out, in, 3, 3], zero bias, as nn's conv2d before relu
        w = jax.random.normal(next_key(), (cout, cin, 3, 3), jnp.float32)
        return (w * jnp.sqrt(2.0 / (cin * 9)), jnp.zeros(cout, jnp.float32))

    params = {"convs": [conv(3, 16), conv(16, 32)], "head": dense(32 * 8 * 8, 10, False)}

    def predict(p, xb):
        for w, b in p["convs"]:
            xb = jax.lax.conv_general_dilated(xb, w, (1, 1), "SAME",
                                              dimension_numbers=("NCHW", "OIHW", "NCHW"))
            xb = jax.nn.relu(xb + b[None, :, None, None])
            xb = jax.lax.reduce_window(xb, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                       "VALID")
        w, b = p["head"]
        return xb.reshape(xb.shape[0], -1) @ w + b

    return classify("cnn", lambda p, xb, yb: cross_entropy(predict(p, xb), yb), predict, params,
                    sgd_momentum_init(params),
                    lambda p, g, s: sgd_momentum_update(p, g, s, lr=0.01, momentum=0.9),
                    x, y, epochs=2, batch=64, t0=t0)


def lstm():
    t0 = time.perf_counter()
    x, y = make_projected(LSTM_SHAPE, LSTM_CLASSES, seed=2)
    features, units = LSTM_SHAPE[2], 64
    bound = 1 / units ** 0.5  # nn's and PyTorch's U(±1/√units); one bias, as nn's lstm
    params = {"wih": uniform((4 * units, features), bound),
              "whh": uniform((4 * units, units), bound),
              "b": uniform((4 * units,), bound), "head": dense(units, LSTM_CLASSES, False)}

    def predict(p, xb):
        projected = jnp.einsum("btf,gf->tbg", xb, p["wih"]) + p["b"]  # every step in one GEMM

        def cell(carry, z):
            h, c = carry
            i, f, g, o = jnp.split(z + h @ p["whh"].T, 4, axis=1)  # PyTorch's gate order
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((xb.shape[0], units), jnp.float32)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), projected)
        w, b = p["head"]
        return h @ w + b

    return classify("lstm", lambda p, xb, yb: cross_entropy(predict(p, xb), yb), predict, params,
                    adam_init(params), lambda p, g, s: adam_update(p, g, s, lr=1e-3),
                    x, y, epochs=3, batch=32, t0=t0)


def gru():
    """The lstm workload with a GRU (PyTorch's nn.GRU: gates r, z, n, two biases)."""
    t0 = time.perf_counter()
    x, y = make_projected(LSTM_SHAPE, LSTM_CLASSES, seed=2)
    features, units = LSTM_SHAPE[2], 64
    bound = 1 / units ** 0.5
    params = {"wih": uniform((3 * units, features), bound),
              "whh": uniform((3 * units, units), bound),
              "bih": uniform((3 * units,), bound), "bhh": uniform((3 * units,), bound),
              "head": dense(units, LSTM_CLASSES, False)}

    def predict(p, xb):
        projected = jnp.einsum("btf,gf->tbg", xb, p["wih"]) + p["bih"]

        def cell(h, xi):
            xr, xz, xn = jnp.split(xi, 3, axis=1)
            hr, hz, hn = jnp.split(h @ p["whh"].T + p["bhh"], 3, axis=1)
            r = jax.nn.sigmoid(xr + hr)
            z = jax.nn.sigmoid(xz + hz)
            n = jnp.tanh(xn + r * hn)
            return (1 - z) * n + z * h, None

        h, _ = jax.lax.scan(cell, jnp.zeros((xb.shape[0], units), jnp.float32), projected)
        w, b = p["head"]
        return h @ w + b

    return classify("gru", lambda p, xb, yb: cross_entropy(predict(p, xb), yb), predict, params,
                    adam_init(params), lambda p, g, s: adam_update(p, g, s, lr=1e-3),
                    x, y, epochs=3, batch=32, t0=t0)


def attention():
    t0 = time.perf_counter()
    x, y = make_projected(ATTENTION_SHAPE, ATTENTION_CLASSES, seed=3)
    _, steps, features = ATTENTION_SHAPE
    heads, hidden = 4, 128

    def linear(fan_in, fan_out):  # nn.Linear's U(±1/√fan_in) for weight and bias, [out, in]
        bound = 1 / fan_in ** 0.5
        return (uniform((fan_out, fan_in), bound), uniform((fan_out,), bound))

    xavier = (6.0 / (features + 3 * features)) ** 0.5
    params = {"in_w": uniform((3 * features, features), xavier),
              "in_b": jnp.zeros(3 * features, jnp.float32),
              "out_w": uniform((features, features), 1 / features ** 0.5),
              "out_b": jnp.zeros(features, jnp.float32),
              "linear1": linear(features, hidden), "linear2": linear(hidden, features),
              "norm1": (jnp.ones(features), jnp.zeros(features)),
              "norm2": (jnp.ones(features), jnp.zeros(features)),
              "head": dense(steps * features, ATTENTION_CLASSES, False)}

    def norm(xb, scale_shift):
        scale, shift = scale_shift
        mean = xb.mean(axis=-1, keepdims=True)
        var = ((xb - mean) ** 2).mean(axis=-1, keepdims=True)
        return (xb - mean) / jnp.sqrt(var + 1e-5) * scale + shift

    def self_attention(p, xb):
        b, t, f = xb.shape
        qkv = xb @ p["in_w"].T + p["in_b"]
        q, k, v = (a.reshape(b, t, heads, f // heads).transpose(0, 2, 1, 3)
                   for a in jnp.split(qkv, 3, axis=-1))
        weights = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(f / heads), axis=-1)
        out = (weights @ v).transpose(0, 2, 1, 3).reshape(b, t, f)
        return out @ p["out_w"].T + p["out_b"]

    def predict(p, xb):
        # torch.nn.TransformerEncoderLayer, post-norm, ReLU, no dropout (nn's transformer(4, 128)).
        xb = norm(xb + self_attention(p, xb), p["norm1"])
        (w1, b1), (w2, b2) = p["linear1"], p["linear2"]
        xb = norm(xb + jax.nn.relu(xb @ w1.T + b1) @ w2.T + b2, p["norm2"])
        w, b = p["head"]
        return xb.reshape(xb.shape[0], -1) @ w + b

    return classify("attention", lambda p, xb, yb: cross_entropy(predict(p, xb), yb), predict,
                    params, adam_init(params), lambda p, g, s: adam_update(p, g, s, lr=1e-3),
                    x, y, epochs=2, batch=32, t0=t0)


if __name__ == "__main__":
    note(f"jax {jax.__version__}, XLA_FLAGS={os.environ['XLA_FLAGS']!r}, "
         f"CPUs {cpus}, devices {jax.devices()}")
    emit({"xor": xor, "digits": digits, "wide": wide, "linreg": linreg, "cnn": cnn, "lstm": lstm,
          "gru": gru, "attention": attention}[args.workload]())
