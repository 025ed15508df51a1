"""The benchmark driver behind scripts/bench/run: nn against PyTorch, JAX and NumPy.

Every workload runs on every system in the same run, the systems alternating: one round runs
each system once at each thread count (so the 1- and 2-thread figures of a workload, and their
ratio, come from the same minutes), the first round is a warm-up that is thrown away, and each figure is the
median of the remaining rounds. Training workloads time only the training loop (each program
reports its own loop time: nn's `h.seconds`, the anchors' perf_counter around their loop);
`startup`, `script` and `piped` (10,000 lines on nn's standard input, nn only) time whole
processes from here.

The layered workloads `cnn`, `lstm`, `gru` and `attention` (a convolutional network, an LSTM, a
GRU and a transformer block; scripts/bench/WORKLOAD.nn says what each trains) run nn against PyTorch eager
and JAX jit; their figure is the training loop's seconds, with the final loss beside it as
equal-work evidence. Every run with fewer threads than the machine has CPUs is pinned to that
many CPUs with taskset (nn, PyTorch and JAX alike): XLA ignores its thread flags and spreads
over every CPU it may use, and spare BLAS threads would otherwise borrow the idle core.

nn and NumPy run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their environment, as
on a user's machine (TOOLCHAIN.md: this machine sets both to work around old OpenBLAS builds,
and they force a slower kernel); the OpenBLAS kernel each one uses is printed with the table.

The workload `mpi` (in the default list) is the data-parallel section, nn alone: for `digits`
and `wide` it runs the MPI build (--nn-mpi) as 1 rank with the workload's batch B, as N ranks
(--ranks, default 2) under scripts/mpirun-local with B/N rows per rank (the same global batch,
so the same math and equal work), and, for reference, as 1 rank with N OpenBLAS threads (the
other way to use N cores). Every rank runs with OPENBLAS_NUM_THREADS=1 (except the reference);
all three alternate per round like the systems above (1 warm-up, median of --runs). It reports
the training loop's seconds (`h.seconds`, printed by rank 0) and the whole job's wall seconds,
the speed-ups over 1 rank, and every run's final loss and accuracy (they should agree closely).
Then an all-reduce probe: the 784-W-W-10 network on 512 rows at a global batch of 2 (256 steps
of almost no compute), 1 rank × 2 rows against 2 ranks × 1, for W = 512 (wide's 669,706
parameters), W = 21 (17,167, about digits' 17,226) and W = 1 (807); the difference per step is
what a distributed step's all-reduce and synchronisation cost. With 1 rank on half the batch
(a rank's compute per step, not equal work) it makes a step budget: compute + all-reduce
predicts the 2-rank step, printed beside the measured one. The section is skipped, saying
why, when mpirun or the MPI build is missing (scripts/bench/run passes --nn-mpi only when it
could build it); it ignores --threads and --systems and is run once.

Standard library only: this file runs under the system python3; the anchors run under the
benchmark virtualenv's python, given by --python.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

TRAINING = ["xor", "digits", "wide", "linreg", "cnn", "lstm", "gru", "attention"]
# Workloads off the MLP path: nn against PyTorch eager and JAX jit (no hand-written NumPy).
LAYERED = ["cnn", "lstm", "gru", "attention"]
WORKLOADS = TRAINING + ["startup", "script", "piped", "mpi"]
ANCHORS = ["torch", "jax", "numpy"]

# The data-parallel section: each workload's batch (its script's default) and parameters.
MPI_WORKLOADS = {"digits": 32, "wide": 128}
DIGITS_PARAMETERS = 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
MPIRUN_LOCAL = os.path.join(ROOT, "scripts", "mpirun-local")
# Two ranks must train wide at least this much faster than one process (docs/performance.md).
MPI_TARGET = 1.6

# Parameters of the wide workload's 784-512-512-10 network: 6 · parameters · samples FLOPs.
WIDE_PARAMETERS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
WIDE_SAMPLES = 16384 * 2

# The piped workload: this many lines on standard input, run entry by entry as the REPL runs
# them (bindings, arithmetic, an echoed value every tenth line).
PIPED_LINES = 10_000


# MARK: - Running one program


def environment(threads, user_blas):
    """The environment of one run: `threads` everywhere; OpenBLAS left to pick its own kernel
    when `user_blas` (nn and NumPy), as it would on a user's machine."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if user_blas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    env["NO_COLOR"] = "1"
    return env


def pinned(command, threads):
    """The command restricted to the first `threads` CPUs when that is fewer than the machine
    has: every system, nn included, runs on the same cores. XLA ignores its thread flags and
    takes every core it may run on (which once made JAX look twice as fast as it is), and
    OpenBLAS's or torch's spare threads would otherwise borrow the idle core."""
    allowed = sorted(os.sched_getaffinity(0))
    if threads >= len(allowed) or shutil.which("taskset") is None:
        return command
    cpus = ",".join(str(c) for c in allowed[:threads])
    return ["taskset", "-c", cpus] + command


def run(command, env, timeout=1800, stdin=None):
    """Runs a command, standard input from the file `stdin` (else none); (wall seconds,
    stdout). Fails loudly: a benchmark that did not run must not turn into a number."""
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source:
        done = subprocess.run(command, env=env, stdin=source, capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench: {' '.join(command)} failed (status {done.returncode})")
    return seconds, done.stdout


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("bench: a workload printed no JSON line:\n" + text)


class Systems:
    """How each system runs each workload."""

    def __init__(self, nn, python):
        self.nn = nn
        self.python = python
        self.scratch = None

    def scratch_script(self):
        """examples/digits.nn copied into a temporary folder: it writes its model and plot
        beside itself, and the repository is no place for benchmark leftovers."""
        if self.scratch is None:
            self.scratch = tempfile.mkdtemp(prefix="nn-bench-")
            shutil.copy(os.path.join(ROOT, "examples", "digits.nn"), self.scratch)
        return os.path.join(self.scratch, "digits.nn")

    def stdin(self, workload):
        """The file a workload reads on standard input, or None."""
        if workload != "piped":
            return None
        if self.scratch is None:
            self.scratch = tempfile.mkdtemp(prefix="nn-bench-")
        path = os.path.join(self.scratch, "piped.nn")
        if not os.path.exists(path):
            with open(path, "w") as out:
                for i in range(PIPED_LINES):
                    echo = i % 10 == 9
                    out.write(f"v{(i - 1) % 100} + 1\n" if echo else f"let v{i % 100} = {i} * 2\n")
        return path

    def command(self, system, workload, threads):
        return pinned(self.unpinned(system, workload, threads), threads)

    def unpinned(self, system, workload, threads):
        if workload in TRAINING:
            if system == "nn":
                return [self.nn, os.path.join(HERE, workload + ".nn")]
            script = os.path.join(HERE, f"{system}_anchor.py")
            return [self.python, script, workload, "--threads", str(threads)]
        if workload == "startup":
            if system == "nn":
                return [self.nn, "-e", "print(1)"]
            return [self.python, "-c", f"import {system}"]
        if workload == "script":
            if system == "nn":
                return [self.nn, "run", self.scratch_script()]
            return [self.python, os.path.join(HERE, "digits_torch_script.py"),
                    "--threads", str(threads)]
        if workload == "piped":
            return [self.nn]
        raise ValueError(workload)

    @staticmethod
    def systems(workload):
        if workload == "script":
            return ["nn", "torch"]
        if workload == "piped":
            return ["nn"]
        if workload in LAYERED:
            return ["nn", "torch", "jax"]
        return ["nn"] + ANCHORS


def measure(systems, workload, threads_list, rounds, wanted):
    """Runs every system at every thread count `rounds` + 1 times, alternating both within each
    round (so a ratio of two thread counts, or of two systems, compares runs of the same
    minutes: this VM's neighbours move two-core figures by 10–40 % between quarter hours);
    returns {threads: {system: [reports]}} without the warm-up round. A report is the
    program's JSON (training) or {"wall_seconds": …}."""
    names = [s for s in Systems.systems(workload) if s in wanted]
    reports = {threads: {name: [] for name in names} for threads in threads_list}
    label = ",".join(str(t) for t in threads_list)
    for round_index in range(rounds + 1):
        for threads in threads_list:
            for name in names:
                env = environment(threads, user_blas=name in ("nn", "numpy"))
                seconds, out = run(systems.command(name, workload, threads), env,
                                   stdin=systems.stdin(workload))
                report = last_json(out) if workload in TRAINING else {}
                report["wall_seconds"] = seconds
                if round_index > 0:
                    reports[threads][name].append(report)
        plural = "s" if threads_list != [1] else ""
        sys.stderr.write(f"  {workload} · {label} thread{plural} · "
                         f"round {round_index}/{rounds}{' (warm-up)' if round_index == 0 else ''}\n")
    return reports


# MARK: - Figures


def median(reports, key):
    values = [r[key] for r in reports if r.get(key) is not None]
    return statistics.median(values) if values else None


def figure(workload, reports):
    """The headline figure of one system on one workload: (value, unit, lower_is_better), plus
    the side figures worth printing (final loss, accuracy)."""
    extra = {}
    if workload in TRAINING:
        extra["final_loss"] = median(reports, "final_loss")
        for key in ("test_accuracy", "train_accuracy", "w", "b"):
            value = median(reports, key)
            if value is not None:
                extra[key] = value
    loop = median(reports, "loop_seconds")
    if workload == "xor":
        return loop / reports[0]["steps"] * 1e6, "µs/step", True, extra
    if workload == "linreg":
        return loop / reports[0]["steps"] * 1e6, "µs/epoch", True, extra
    if workload == "digits" or workload in LAYERED:
        return loop, "s", True, extra
    if workload == "wide":
        extra["samples_per_second"] = WIDE_SAMPLES / loop
        return 6 * WIDE_PARAMETERS * WIDE_SAMPLES / loop / 1e9, "GFLOP/s", False, extra
    if workload == "startup":
        return median(reports, "wall_seconds") * 1e3, "ms", True, extra
    if workload in ("script", "piped"):
        return median(reports, "wall_seconds"), "s", True, extra
    raise ValueError(workload)


# "Equal final loss" for the workloads whose systems draw their own data and initial weights:
# nn's final loss no more than this fraction above the anchor's (the same training reaching a
# lower loss is not less work).
LOSS_TOLERANCE = 0.15


def equal_loss(nn, anchor):
    return nn is not None and anchor is not None and nn <= (1 + LOSS_TOLERANCE) * anchor


def speedup(nn, anchor, lower_is_better):
    """How many times better nn is than the anchor (> 1: nn wins)."""
    if nn is None or anchor is None or nn == 0 or anchor == 0:
        return None
    return anchor / nn if lower_is_better else nn / anchor


# MARK: - Targets (docs/performance.md)


def targets(results):
    """Each target of the performance issue: (name, measured text, met)."""
    checks = []

    def get(workload, threads):
        return results.get((workload, threads))

    xor = get("xor", 1)
    if xor and "torch" in xor["systems"]:
        ratio = xor["speedup"].get("torch")
        checks.append(("xor ≥ 50× PyTorch eager per step", fmt_ratio(ratio),
                       ratio is not None and ratio >= 50))
    if xor and "jax" in xor["systems"]:
        ratio = xor["speedup"].get("jax")
        checks.append(("xor faster than JAX (lax.scan)", fmt_ratio(ratio),
                       ratio is not None and ratio > 1))
    digits = get("digits", 1)
    if digits:
        accuracy = {s: digits["systems"][s]["extra"].get("test_accuracy")
                    for s in digits["systems"]}
        for anchor, needed in (("torch", 4.0), ("jax", 1.3)):
            if anchor not in digits["systems"]:
                continue
            ratio = digits["speedup"].get(anchor)
            equal = (accuracy.get("nn") is not None and accuracy.get(anchor) is not None
                     and abs(accuracy["nn"] - accuracy[anchor]) <= 0.01)
            checks.append((f"digits ≥ {needed:g}× {anchor}, accuracy within 0.01",
                           f"{fmt_ratio(ratio)}, accuracy {fmt(accuracy.get('nn'))} vs "
                           f"{fmt(accuracy.get(anchor))}",
                           ratio is not None and ratio >= needed and equal))
    wide1, wide2 = get("wide", 1), get("wide", 2)
    if wide1 and "jax" in wide1["systems"]:
        ratio = wide1["speedup"].get("jax")
        checks.append(("wide ≥ 0.9× JAX throughput (1 thread)", fmt_ratio(ratio),
                       ratio is not None and ratio >= 0.9))
    if wide1 and wide2 and "nn" in wide1["systems"] and "nn" in wide2["systems"]:
        ratio = wide2["systems"]["nn"]["value"] / wide1["systems"]["nn"]["value"]
        checks.append(("wide: nn 2 threads ≥ 1.85× nn 1 thread", fmt_ratio(ratio),
                       ratio >= 1.85))
    for workload in LAYERED:
        entry = get(workload, 1)
        if not entry or "nn" not in entry["systems"]:
            continue
        loss = {s: entry["systems"][s]["extra"].get("final_loss") for s in entry["systems"]}
        for anchor, needed in (("torch", 1.5), ("jax", 1.0)):
            if anchor not in entry["systems"]:
                continue
            ratio = entry["speedup"].get(anchor)
            equal = equal_loss(loss.get("nn"), loss.get(anchor))
            checks.append((f"{workload} ≥ {needed:g}× {anchor}, final loss at most "
                           f"{LOSS_TOLERANCE:.0%} above", f"{fmt_ratio(ratio)}, final loss "
                           f"{fmt(loss.get('nn'))} vs {fmt(loss.get(anchor))}",
                           ratio is not None and ratio >= needed and equal))
    cnn1, cnn2 = get("cnn", 1), get("cnn", 2)
    if cnn1 and cnn2 and "nn" in cnn1["systems"] and "nn" in cnn2["systems"]:
        ratio = cnn1["systems"]["nn"]["value"] / cnn2["systems"]["nn"]["value"]
        checks.append(("cnn: nn 2 threads ≥ 1.85× nn 1 thread", fmt_ratio(ratio),
                       ratio >= 1.85))
    startup = get("startup", 1)
    if startup and "nn" in startup["systems"]:
        value = startup["systems"]["nn"]["value"]
        checks.append(("startup < 20 ms", f"{value:.1f} ms", value < 20))
    script = get("script", 1)
    if script and "torch" in script["systems"]:
        ratio = script["speedup"].get("torch")
        checks.append(("script ≥ 10× the PyTorch script", fmt_ratio(ratio),
                       ratio is not None and ratio >= 10))
    piped = get("piped", 1)
    if piped and "nn" in piped["systems"]:
        value = piped["systems"]["nn"]["value"]
        checks.append((f"{PIPED_LINES:,} piped lines < 1 s", f"{value:.2f} s", value < 1))
    return checks


# MARK: - Data-parallel (MPI)

# The all-reduce probe: the wide network's shape at width W on a few rows, a step of almost
# no compute, so that 2 ranks against 1 shows what a step's all-reduce (and the ranks'
# synchronisation) costs at that parameter count. Arguments: width, rows, batch per rank.
PROBE_SCRIPT = """\
seed(0)
let width = num(args[0])
let rows = num(args[1])
let batch = num(args[2])
let x = randn(rows, 784)
let data = dataset(x, argmax(x @ randn(784, 10), axis: 1), classes: 10)
model net(784) {
  dense(width, relu)
  dense(width, relu)
  dense(10)
}
let h = train net on data {
  loss: cross_entropy
  optimizer: sgd(lr: 0.01, momentum: 0.9)
  epochs: 1
  batch: batch
  progress: false
}
print(json({loop_seconds: h.seconds, steps: ceil(rows / (batch * ranks())),
            final_loss: h.loss[-1]}))
"""
PROBE_ROWS = 512
PROBE_GLOBAL_BATCH = 2
# Widths whose 784-W-W-10 network has (about) the parameters of each workload, and a tiny one.
PROBE_WIDTHS = {"wide": 512, "digits": 21, "tiny": 1}


def probe_parameters(width):
    return 784 * width + width + width * width + width + width * 10 + 10


def mpi_unavailable(nn_mpi, mpirun):
    """Why the data-parallel section cannot run, or None."""
    if not shutil.which("mpirun"):
        return "Open MPI is not installed (mpirun not found; scripts/nn --mpi installs it)"
    if not nn_mpi:
        return "no MPI build of nn (scripts/bench/run passes --nn-mpi when it can build one)"
    if not os.access(nn_mpi, os.X_OK):
        return f"{nn_mpi} is not an executable"
    if not os.access(mpirun, os.X_OK):
        return f"{mpirun} is not an executable"
    try:
        version = run([nn_mpi, "--version"], environment(1, user_blas=True))[1]
    except SystemExit:
        return f"{nn_mpi} --version failed"
    if "MPI" not in version:
        return f"{nn_mpi} was built without MPI ({version.strip()})"
    return None


def mpi_configurations(nn_mpi, mpirun, ranks, scratch):
    """Every run of the section: dicts with workload, kind ("main": equal work, compared with
    1 rank; "share": 1 rank with one rank's batch, the compute of a rank's step; "probe"),
    label, ranks, threads, batch (per rank) and command."""
    configs = []

    def job(n, script, script_args):
        command = [nn_mpi, "run", script] + [str(a) for a in script_args]
        if n == 1:
            return command
        return [mpirun, "-np", str(n), "-x", "OPENBLAS_NUM_THREADS", "-x", "OMP_NUM_THREADS"] \
            + command

    def add(workload, kind, label, n, threads, batch, command):
        configs.append({"workload": workload, "kind": kind, "label": label, "ranks": n,
                        "threads": threads, "batch": batch, "command": command})

    for workload, batch in MPI_WORKLOADS.items():
        script = os.path.join(HERE, workload + ".nn")
        add(workload, "main", "1 rank", 1, 1, batch, job(1, script, [batch]))
        for n in ranks:
            add(workload, "main", f"{n} ranks", n, 1, batch // n, job(n, script, [batch // n]))
            add(workload, "main", f"1 rank, {n} threads", 1, n, batch, job(1, script, [batch]))
            add(workload, "share", f"1 rank, batch {batch // n}", 1, 1, batch // n,
                job(1, script, [batch // n]))
    probe = os.path.join(scratch, "allreduce_probe.nn")
    with open(probe, "w") as f:
        f.write(PROBE_SCRIPT)
    for name, width in PROBE_WIDTHS.items():
        for n in (1, 2):
            add(name, "probe", "1 rank" if n == 1 else "2 ranks", n, 1, PROBE_GLOBAL_BATCH // n,
                job(n, probe, [width, PROBE_ROWS, PROBE_GLOBAL_BATCH // n]))
    return configs


def measure_mpi(configs, rounds):
    """Runs every configuration `rounds` + 1 times, alternating; sets each one's "runs" (the
    reports without the warm-up round)."""
    for config in configs:
        config["runs"] = []
    for round_index in range(rounds + 1):
        for config in configs:
            seconds, out = run(config["command"], environment(config["threads"], user_blas=True))
            report = last_json(out)
            report["wall_seconds"] = seconds
            if round_index > 0:
                config["runs"].append(report)
        sys.stderr.write(f"  mpi · round {round_index}/{rounds}"
                         f"{' (warm-up)' if round_index == 0 else ''}\n")


def data_parallel(nn_mpi, mpirun, ranks, rounds, scratch):
    """The section's results: {"skipped": why} or the rows, the probe and the step budget."""
    why = mpi_unavailable(nn_mpi, mpirun)
    if why:
        return {"skipped": why}
    configs = mpi_configurations(nn_mpi, mpirun, ranks, scratch)
    measure_mpi(configs, rounds)
    base = {}
    for c in configs:
        runs = c["runs"]
        c.update({"batch_per_rank": c.pop("batch"), "steps": runs[0].get("steps"),
                  "loop_seconds": median(runs, "loop_seconds"),
                  "wall_seconds": median(runs, "wall_seconds"),
                  "final_loss": median(runs, "final_loss")})
        c["global_batch"] = c["batch_per_rank"] * c["ranks"]
        c["seconds_per_step"] = c["loop_seconds"] / c["steps"]
        for key in ("test_accuracy", "train_accuracy"):
            if median(runs, key) is not None:
                c["accuracy"], c["accuracy_kind"] = median(runs, key), key.split("_")[0]
        if c["kind"] == "main":
            if c["label"] == "1 rank":
                base[c["workload"]] = c
            c["speedup_loop"] = base[c["workload"]]["loop_seconds"] / c["loop_seconds"]
            c["speedup_wall"] = base[c["workload"]]["wall_seconds"] / c["wall_seconds"]

    def find(workload, kind, label):
        return next(c for c in configs
                    if c["workload"] == workload and c["kind"] == kind and c["label"] == label)

    probes = []
    for name, width in PROBE_WIDTHS.items():
        one, two = find(name, "probe", "1 rank"), find(name, "probe", "2 ranks")
        probes.append({"name": name, "width": width, "parameters": probe_parameters(width),
                       "steps": one["steps"],
                       "one_rank_seconds_per_step": one["seconds_per_step"],
                       "two_ranks_seconds_per_step": two["seconds_per_step"],
                       "cost_seconds_per_step":
                           two["seconds_per_step"] - one["seconds_per_step"]})
    # The step budget of 2 ranks: a rank's compute (1 rank on its batch share) plus what the
    # probe of the same size says a distributed step costs, against the measured 2-rank step.
    budget = []
    if 2 in ranks:
        for workload, batch in MPI_WORKLOADS.items():
            whole = find(workload, "main", "1 rank")["seconds_per_step"]
            share = find(workload, "share", f"1 rank, batch {batch // 2}")["seconds_per_step"]
            cost = next(p for p in probes if p["name"] == workload)["cost_seconds_per_step"]
            measured = find(workload, "main", "2 ranks")["seconds_per_step"]
            budget.append({"workload": workload, "one_rank_step": whole, "rank_compute": share,
                           "allreduce_cost": cost, "predicted_step": share + cost,
                           "predicted_speedup": whole / (share + cost),
                           "measured_step": measured, "measured_speedup": whole / measured})
    return {"rows": [c for c in configs if c["kind"] == "main"],
            "shares": [c for c in configs if c["kind"] == "share"],
            "probe": probes, "budget": budget,
            "parameters": {"digits": DIGITS_PARAMETERS, "wide": WIDE_PARAMETERS},
            "probe_rows": PROBE_ROWS, "probe_global_batch": PROBE_GLOBAL_BATCH}


def print_data_parallel(section, rounds):
    print()
    if "skipped" in section:
        print(f"data-parallel (MPI): skipped — {section['skipped']}")
        return
    print(f"data-parallel (MPI) — nn's MPI build, median of {rounds} runs after 1 warm-up, "
          "configurations alternating")
    print("same global batch in every row (equal work); OPENBLAS_NUM_THREADS=1 per rank unless "
          "threads > 1; speed-up = 1 rank's seconds / this row's")
    rows = [["workload", "configuration", "batch/rank", "loop s", "wall s", "µs/step",
             "speed-up loop", "speed-up wall", "final loss", "accuracy"]]
    for r in section["rows"]:
        rows.append([r["workload"], r["label"], str(r["batch_per_rank"]),
                     fmt(r["loop_seconds"]), fmt(r["wall_seconds"]),
                     fmt(r["seconds_per_step"] * 1e6), fmt_ratio(r["speedup_loop"]),
                     fmt_ratio(r["speedup_wall"]), f"{r['final_loss']:.6g}",
                     f"{r.get('accuracy_kind', '')} {r['accuracy']:.4f}"
                     if "accuracy" in r else "—"])
    print()
    print(table(rows, left=3))
    print(f"\nall-reduce probe: 784-W-W-10 on {section['probe_rows']} rows, global batch "
          f"{section['probe_global_batch']} ({section['probe'][0]['steps']} steps of almost no "
          "compute), 1 rank against 2; cost = the difference")
    rows = [["size of", "W", "parameters", "all-reduce KiB", "1 rank µs/step",
             "2 ranks µs/step", "cost µs/step"]]
    for p in section["probe"]:
        rows.append([p["name"], str(p["width"]), f"{p['parameters']:,}",
                     f"{p['parameters'] * 4 / 1024:,.1f}",
                     fmt(p["one_rank_seconds_per_step"] * 1e6),
                     fmt(p["two_ranks_seconds_per_step"] * 1e6),
                     fmt(p["cost_seconds_per_step"] * 1e6)])
    print()
    print(table(rows, left=2))
    if section["budget"]:
        print("\nstep budget, 2 ranks (µs per step): a rank's compute (1 rank on half the batch) "
              "+ the probe's cost, against the measured step")
        rows = [["workload", "1 rank", "rank's compute", "+ all-reduce", "= predicted",
                 "measured", "predicted speed-up", "measured speed-up"]]
        for b in section["budget"]:
            rows.append([b["workload"]] + [fmt(b[k] * 1e6) for k in
                                           ("one_rank_step", "rank_compute", "allreduce_cost",
                                            "predicted_step", "measured_step")]
                        + [fmt_ratio(b["predicted_speedup"]), fmt_ratio(b["measured_speedup"])])
        print()
        print(table(rows, left=1))
    wide = next((r for r in section["rows"]
                 if r["workload"] == "wide" and r["label"] == "2 ranks"), None)
    if wide is not None:
        met = wide["speedup_loop"] >= MPI_TARGET
        print(f"\ntarget: [{'met' if met else 'MISSED'}] wide, 2 ranks ≥ {MPI_TARGET:g}× 1 rank "
              f"(training loop): {fmt_ratio(wide['speedup_loop'])}")


# MARK: - Printing


def fmt(value):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.3g}" if magnitude < 10 else f"{value:.2f}"
    return f"{value:.3g}"


def fmt_ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def table(rows, left=3):
    """Rows as aligned columns: the first `left` columns to the left, the rest to the right."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(cell).ljust(widths[i]) if i < left else str(cell).rjust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def blas_kernels(nn, python, threads):
    """The OpenBLAS kernel nn and NumPy use, each under its benchmark environment."""
    env = environment(threads, user_blas=True)
    kernels = {}
    try:
        # `nn --version` prints "nn 0.1.0 (OpenBLAS Cooperlake)".
        version = run([nn, "--version"], env)[1].strip()
        kernels["nn"] = version[version.find("(") + 1:].rstrip(")") if "(" in version else version
    except SystemExit:
        kernels["nn"] = "unknown"
    probe = os.path.join(HERE, "blas_probe.py")
    try:
        kernels["numpy"] = run([python, probe], env)[1].strip()
    except SystemExit:
        kernels["numpy"] = "unknown"
    return kernels


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpu": model, "cores": os.cpu_count(), "system": platform.platform(),
            "load_average_1min_at_start": load}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nn", required=True, help="the release nn binary")
    parser.add_argument("--python", required=True, help="the benchmark virtualenv's python")
    parser.add_argument("--runs", type=int, default=5, help="measured rounds (after 1 warm-up)")
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--systems", default=",".join(["nn"] + ANCHORS))
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--nn-mpi", help="the release nn binary built with MPI (workload mpi)")
    parser.add_argument("--ranks", default="2",
                        help="rank counts the mpi workload compares with 1 rank, e.g. 2 or 2,4")
    parser.add_argument("--mpirun", default=MPIRUN_LOCAL,
                        help="the mpirun wrapper (default scripts/mpirun-local)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    threads_list = [int(t) for t in args.threads.split(",")]
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    wanted = set(args.systems.split(","))
    try:
        ranks = [int(n) for n in args.ranks.split(",") if n]
    except ValueError:
        parser.error(f"--ranks {args.ranks!r}: expected rank counts such as 2 or 2,4")
    for n in ranks:
        for workload, batch in MPI_WORKLOADS.items():
            if n < 2 or batch % n:
                parser.error(f"--ranks {n}: {workload}'s batch {batch} must split evenly over "
                             "2 or more ranks")

    systems = Systems(args.nn, args.python)
    info = machine()
    kernels = blas_kernels(args.nn, args.python, 1)
    results = {}
    for workload in workloads:
        if workload == "mpi":
            continue
        # Start-up, the end-to-end script and piped input do not depend on threads.
        counts = threads_list[:1] if workload in ("startup", "script", "piped") else threads_list
        for threads, reports in measure(systems, workload, counts, args.runs, wanted).items():
            entry = {"systems": {}, "speedup": {}}
            for name, runs in reports.items():
                value, unit, lower, extra = figure(workload, runs)
                entry["systems"][name] = {"value": value, "unit": unit, "extra": extra,
                                          "runs": runs}
                entry["unit"], entry["lower_is_better"] = unit, lower
            if "nn" in entry["systems"]:
                nn_value = entry["systems"]["nn"]["value"]
                for anchor in ANCHORS:
                    if anchor in entry["systems"]:
                        entry["speedup"][anchor] = speedup(
                            nn_value, entry["systems"][anchor]["value"], entry["lower_is_better"])
            results[(workload, threads)] = entry

    section = None
    if "mpi" in workloads:
        if systems.scratch is None:
            systems.scratch = tempfile.mkdtemp(prefix="nn-bench-")
        section = data_parallel(args.nn_mpi, args.mpirun, ranks, args.runs, systems.scratch)
        if "skipped" in section:
            sys.stderr.write(f"  mpi · skipped: {section['skipped']}\n")
    info["load_average_1min_at_end"] = (os.getloadavg()[0] if hasattr(os, "getloadavg")
                                        else float("nan"))

    checks = targets(results)
    if args.json:
        out = {
            "machine": info, "openblas": kernels, "runs": args.runs,
            "results": [{"workload": w, "threads": t, **e} for (w, t), e in results.items()],
            "targets": [{"target": n, "measured": m, "met": ok} for n, m, ok in checks],
        }
        if section is not None:
            out["data_parallel"] = section
        print(json.dumps(out, indent=2))
        return

    print(f"nn benchmarks — median of {args.runs} runs after 1 warm-up, systems alternating")
    print(f"machine: {info['cpu']}, {info['cores']} cores, load (1 min) "
          f"{info['load_average_1min_at_start']:.2f} at start, "
          f"{info['load_average_1min_at_end']:.2f} at the end")
    print(f"OpenBLAS: nn {kernels['nn']}; numpy {kernels['numpy']}")
    if results:
        print_results(results, checks)
    if section is not None:
        print_data_parallel(section, args.runs)


def print_results(results, checks):
    rows = [["workload", "threads", "unit", "nn", "torch", "jax", "numpy",
             "nn vs torch", "nn vs jax", "nn vs numpy"]]
    for (workload, threads), entry in results.items():
        s = entry["systems"]
        rows.append([workload, str(threads), entry["unit"]]
                    + [fmt(s[n]["value"]) if n in s else "—" for n in ["nn"] + ANCHORS]
                    + [fmt_ratio(entry["speedup"].get(a)) for a in ANCHORS])
    print("ratios: how many times faster (or, for GFLOP/s, higher) nn is than each anchor")
    print()
    print(table(rows))
    side = []
    for (workload, threads), entry in results.items():
        for name, system in entry["systems"].items():
            extra = system["extra"]
            parts = [f"{k} {fmt(v)}" for k, v in extra.items() if k != "samples_per_second"]
            if "samples_per_second" in extra:
                parts.append(f"{extra['samples_per_second']:,.0f} samples/s")
            if parts:
                side.append(f"  {workload} ({threads}t) {name}: " + ", ".join(parts))
    if side:
        print("\nequal work (medians):")
        print("\n".join(side))
    if checks:
        print("\ntargets:")
        for name, measured, met in checks:
            print(f"  [{'met' if met else 'MISSED'}] {name}: {measured}")


if __name__ == "__main__":
    main()
