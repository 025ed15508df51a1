"""The benchmark driver behind scripts/bench/run: nn against PyTorch, JAX and NumPy.

Every workload runs on every system in the same run, the systems alternating: one round runs
each system once, the first round is a warm-up that is thrown away, and each figure is the
median of the remaining rounds. Training workloads time only the training loop (each program
reports its own loop time: nn's `h.seconds`, the anchors' perf_counter around their loop);
`startup` and `script` time whole processes from here.

nn and NumPy run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their environment, as
on a user's machine (TOOLCHAIN.md: this machine sets both to work around old OpenBLAS builds,
and they force a slower kernel); the OpenBLAS kernel each one uses is printed with the table.

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

TRAINING = ["xor", "digits", "wide", "linreg"]
WORKLOADS = TRAINING + ["startup", "script"]
ANCHORS = ["torch", "jax", "numpy"]

# Parameters of the wide workload's 784-512-512-10 network: 6 · parameters · samples FLOPs.
WIDE_PARAMETERS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
WIDE_SAMPLES = 16384 * 2


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


def run(command, env, timeout=1800):
    """Runs a command; (wall seconds, stdout). Fails loudly: a benchmark that did not run
    must not turn into a number."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)
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

    def command(self, system, workload, threads):
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
        raise ValueError(workload)

    @staticmethod
    def systems(workload):
        if workload == "script":
            return ["nn", "torch"]
        return ["nn"] + ANCHORS


def measure(systems, workload, threads, rounds, wanted):
    """Runs every system `rounds` + 1 times, alternating; returns {system: [reports]} without
    the warm-up round. A report is the program's JSON (training) or {"wall_seconds": …}."""
    names = [s for s in Systems.systems(workload) if s in wanted]
    reports = {name: [] for name in names}
    for round_index in range(rounds + 1):
        for name in names:
            env = environment(threads, user_blas=name in ("nn", "numpy"))
            seconds, out = run(systems.command(name, workload, threads), env)
            report = last_json(out) if workload in TRAINING else {}
            report["wall_seconds"] = seconds
            if round_index > 0:
                reports[name].append(report)
        sys.stderr.write(f"  {workload} · {threads} thread{'s' if threads > 1 else ''} · "
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
    if workload == "digits":
        return loop, "s", True, extra
    if workload == "wide":
        extra["samples_per_second"] = WIDE_SAMPLES / loop
        return 6 * WIDE_PARAMETERS * WIDE_SAMPLES / loop / 1e9, "GFLOP/s", False, extra
    if workload == "startup":
        return median(reports, "wall_seconds") * 1e3, "ms", True, extra
    if workload == "script":
        return median(reports, "wall_seconds"), "s", True, extra
    raise ValueError(workload)


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
        checks.append(("wide: nn 2 threads ≥ 1.7× nn 1 thread", fmt_ratio(ratio),
                       ratio >= 1.7))
    startup = get("startup", 1)
    if startup and "nn" in startup["systems"]:
        value = startup["systems"]["nn"]["value"]
        checks.append(("startup < 20 ms", f"{value:.1f} ms", value < 20))
    script = get("script", 1)
    if script and "torch" in script["systems"]:
        ratio = script["speedup"].get("torch")
        checks.append(("script ≥ 10× the PyTorch script", fmt_ratio(ratio),
                       ratio is not None and ratio >= 10))
    return checks


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


def table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(cell).ljust(widths[i]) if i < 3 else str(cell).rjust(widths[i])
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
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    threads_list = [int(t) for t in args.threads.split(",")]
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    wanted = set(args.systems.split(","))

    systems = Systems(args.nn, args.python)
    info = machine()
    kernels = blas_kernels(args.nn, args.python, 1)
    results = {}
    for threads in threads_list:
        for workload in workloads:
            # Start-up and the end-to-end script do not depend on threads: once is enough.
            if workload in ("startup", "script") and threads != threads_list[0]:
                continue
            reports = measure(systems, workload, threads, args.runs, wanted)
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

    checks = targets(results)
    if args.json:
        out = {
            "machine": info, "openblas": kernels, "runs": args.runs,
            "results": [{"workload": w, "threads": t, **e} for (w, t), e in results.items()],
            "targets": [{"target": n, "measured": m, "met": ok} for n, m, ok in checks],
        }
        print(json.dumps(out, indent=2))
        return

    rows = [["workload", "threads", "unit", "nn", "torch", "jax", "numpy",
             "nn vs torch", "nn vs jax", "nn vs numpy"]]
    for (workload, threads), entry in results.items():
        s = entry["systems"]
        rows.append([workload, str(threads), entry["unit"]]
                    + [fmt(s[n]["value"]) if n in s else "—" for n in ["nn"] + ANCHORS]
                    + [fmt_ratio(entry["speedup"].get(a)) for a in ANCHORS])
    print(f"nn benchmarks — median of {args.runs} runs after 1 warm-up, systems alternating")
    print(f"machine: {info['cpu']}, {info['cores']} cores, load {info['load_average_1min_at_start']:.2f} "
          f"at start")
    print(f"OpenBLAS: nn {kernels['nn']}; numpy {kernels['numpy']}")
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
