"""Speed and memory of the course package against the original material's pipeline.

Every measurement runs in a fresh subprocess, so imports are paid alike and peak memory
belongs to one phase. Phases, each run for the original pipeline (original_pipeline.py)
and for ours (mnist_course), back to back on the same machine:

- load: read MNIST into arrays. Original: readlines, split, ``np.asarray`` per line, for
  both CSV files. Ours: ``load_mnist()`` from the bundled gzip files, SHA-256 checked; and,
  as an extra row, ``read_csv`` on the same CSV files. Time, and peak resident memory of the
  process (VmHWM) including the interpreter and numpy.
- fit: 5 epochs, batch 32, Adam, one process and one model per seed, the pipelines
  alternating seed by seed. Original: float64 inputs and Keras's default compile. Ours:
  ``compile_model`` + ``train``. Fit seconds (wall and CPU) and test accuracy.
- e2e: wall time from process start to the printed test accuracy of
  ``python original_pipeline.py DIR`` and of ``mnist-course train``; median of the repeats.

Ours runs with each backend given by ``--backend`` (the KERAS_BACKEND variable in the child);
by default TensorFlow, plus JAX when it is installed. The original always runs on TensorFlow.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_pipeline.py            # full run, several minutes
    .venv/bin/python benchmarks/bench_pipeline.py --quick    # 1 seed, 1 repeat
    .venv/bin/python benchmarks/bench_pipeline.py --tf-variants --phases fit

The parent process imports only the standard library.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORIGINAL = HERE / "original_pipeline.py"
EPOCHS = 5
BATCH_SIZE = 32
# fit and e2e: at most 1/2 on the TensorFlow backend, which the lessons teach `fit` with
TARGETS = {"load_speedup": 50, "load_memory": 1 / 5, "fit": 1 / 2, "e2e": 1 / 2}

# TensorFlow-side options tried for ours: (label, extra environment, worker options).
TF_VARIANTS = [
    ("steps_per_execution=1 (plain compile)", {}, ["--steps-per-execution", "1"]),
    ("steps_per_execution=200 (course default)", {}, []),
    ("steps_per_execution=1875 (one epoch)", {}, ["--steps-per-execution", "1875"]),
    ("spe=200 + jit_compile=True (XLA)", {}, ["--jit-compile"]),
    ("spe=1875 + jit_compile=True (XLA)", {}, ["--jit-compile", "--steps-per-execution", "1875"]),
    ("spe=200 + TF_ENABLE_ONEDNN_OPTS=1", {"TF_ENABLE_ONEDNN_OPTS": "1"}, []),
    ("spe=200 + threads intra=1 inter=1", {}, ["--threads", "1", "1"]),
    ("spe=200 + threads intra=2 inter=1", {}, ["--threads", "2", "1"]),
    ("spe=200 + tf.data shuffle/batch/prefetch", {}, ["--tf-data"]),
    ("hand-written tf.function epoch loop, not model.fit", {}, ["--hand-loop"]),
]


# --------------------------------------------------------------------------------------
# Workers: run in a child process, write one JSON object to --result.


def _peak_mib():
    """Peak resident memory of this process (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_load(args):
    import numpy as np

    if args.pipeline == "original":
        import original_pipeline

        start = time.perf_counter()
        (x_train, y_train), (x_test, y_test) = original_pipeline.load_data(args.csv)
    elif args.pipeline == "ours":
        from mnist_course import load_mnist

        start = time.perf_counter()
        (x_train, y_train), (x_test, y_test) = load_mnist()
    else:  # ours reading the original's CSV files
        from mnist_course import read_csv

        start = time.perf_counter()
        x_train, y_train = read_csv(Path(args.csv) / "mnist_train.csv")
        x_test, y_test = read_csv(Path(args.csv) / "mnist_test.csv")
    seconds = time.perf_counter() - start
    pixels = int(np.prod(x_train.shape[1:]))
    if (len(x_train), len(x_test), pixels) != (60000, 10000, 784):
        raise SystemExit(f"unexpected shapes {x_train.shape} {x_test.shape}")
    return {"seconds": seconds, "peak_mib": _peak_mib(), "dtype": str(x_train.dtype)}


def _worker_fit(args):
    if args.pipeline != "original":
        import mnist_course  # noqa: F401  (first, as a user would: it sets TensorFlow's env)
    import keras

    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads[0])
        tf.config.threading.set_inter_op_parallelism_threads(args.threads[1])
    if args.pipeline == "original":
        import original_pipeline

        (x_train, y_train), (x_test, y_test) = _original_arrays(args)
        start = time.perf_counter()
        x_train, y_train = original_pipeline.prepare(x_train, y_train)
        x_test, y_test = original_pipeline.prepare(x_test, y_test)
    else:
        from mnist_course import load_mnist, preprocess

        (x_train, y_train), (x_test, y_test) = load_mnist()
        start = time.perf_counter()
        x_train, y_train = preprocess(x_train, y_train)
        x_test, y_test = preprocess(x_test, y_test)
    prepare_seconds = time.perf_counter() - start
    fit_seconds, fit_cpu_seconds, accuracies = [], [], []
    for seed in args.seeds:
        seconds, cpu, accuracy = _fit_once(args, seed, x_train, y_train, x_test, y_test)
        fit_seconds.append(seconds)
        fit_cpu_seconds.append(cpu)
        accuracies.append(accuracy)
        print(f"seed {seed}: fit {seconds:.2f} s, test accuracy {accuracy:.4f}", flush=True)
    return {
        "backend": keras.backend.backend(),
        "dtype": str(x_train.dtype),
        "prepare_seconds": prepare_seconds,
        "fit_seconds": fit_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "accuracy": accuracies,
        "seeds": args.seeds,
        "peak_mib": _peak_mib(),
    }


def _original_arrays(args):
    """The original's parsed CSV arrays; parsed once, then reused from .npy files."""
    import numpy as np
    import original_pipeline

    names = ("x_train", "y_train", "x_test", "y_test")
    paths = [args.cache / f"{name}.npy" for name in names] if args.cache else []
    if paths and all(path.exists() for path in paths):
        x_train, y_train, x_test, y_test = (np.load(path) for path in paths)
        return (x_train, y_train), (x_test, y_test)
    (x_train, y_train), (x_test, y_test) = original_pipeline.load_data(args.csv)
    for path, array in zip(paths, (x_train, y_train, x_test, y_test), strict=False):
        np.save(path, array)
    return (x_train, y_train), (x_test, y_test)


def _fit_once(args, seed, x_train, y_train, x_test, y_test):
    import keras

    if args.pipeline == "original":
        import original_pipeline

        keras.utils.set_random_seed(seed)
        model = original_pipeline.compile_default(original_pipeline.build_model())
        seconds, cpu = _timed(model.fit, x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE)
        return seconds, cpu, float(model.evaluate(x_test, y_test, verbose=0)[1])

    from mnist_course import build_mlp, compile_model, evaluate, fit_and_evaluate

    options = {}
    if args.steps_per_execution is not None:
        options["steps_per_execution"] = args.steps_per_execution

    def compile_for_run(model):
        model = compile_model(model, **options)
        if args.jit_compile:
            model.jit_compile = True
        return model

    if not (args.tf_data or args.hand_loop):
        # The course's own pipeline, as the command line and the checks train
        run = fit_and_evaluate(
            build_mlp(seed=seed),
            x_train,
            y_train,
            x_test,
            y_test,
            epochs=EPOCHS,
            seed=seed,
            compile_model=compile_for_run,
            batch_size=BATCH_SIZE,
        )
        return run.fit_seconds, run.fit_cpu_seconds, run.test_accuracy
    model = compile_for_run(build_mlp(seed=seed))
    if args.tf_data:
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        dataset = (
            tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(len(x_train), seed=seed)
            .batch(BATCH_SIZE)
            .prefetch(tf.data.AUTOTUNE)
        )
        seconds, cpu = _timed(model.fit, dataset, epochs=EPOCHS)
    else:
        keras.utils.set_random_seed(seed)
        seconds, cpu = _timed(_hand_loop, model, x_train, y_train, seed)
    return seconds, cpu, evaluate(model, x_test, y_test)["accuracy"]


def _hand_loop(model, x_train, y_train, seed):
    """The same training (Adam, cross-entropy, shuffled batches of 32, 5 epochs) without fit.

    Each epoch is one ``tf.function`` call with a graph loop over the batches; no metrics,
    no callbacks, no ``tf.data``. It shows how much of the fit time is TensorFlow's kernels
    and how much is ``fit``'s machinery around them. It is not a course feature.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    x, y = tf.constant(x_train), tf.constant(y_train)
    weights = model.trainable_variables
    model.optimizer.build(weights)
    loss_function = keras.losses.get(model.loss)
    steps = -(-len(x_train) // BATCH_SIZE)

    @tf.function
    def one_epoch(order):
        x_epoch, y_epoch = tf.gather(x, order), tf.gather(y, order)
        for step in tf.range(steps):
            batch = slice(step * BATCH_SIZE, (step + 1) * BATCH_SIZE)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(
                    loss_function(y_epoch[batch], model(x_epoch[batch], training=True))
                )
            model.optimizer.apply(tape.gradient(loss, weights), weights)
        return loss

    generator = np.random.default_rng(seed)
    for _ in range(EPOCHS):
        one_epoch(tf.constant(generator.permutation(len(x_train)), dtype=tf.int32))


def _timed(function, *args, **kwargs):
    """Call function; return its wall seconds and the process's CPU seconds (all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    function(*args, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu


def _worker(argv):
    parser = argparse.ArgumentParser(prog="bench_pipeline.py --worker")
    parser.add_argument("phase", choices=["load", "fit"])
    parser.add_argument("pipeline", choices=["original", "ours", "ours-csv"])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps-per-execution", type=int)
    parser.add_argument("--jit-compile", action="store_true")
    parser.add_argument("--threads", type=int, nargs=2, metavar=("INTRA", "INTER"))
    parser.add_argument("--tf-data", action="store_true")
    parser.add_argument("--hand-loop", action="store_true")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    result = _worker_load(args) if args.phase == "load" else _worker_fit(args)
    args.result.write_text(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------
# Parent: spawn the workers and the end-to-end runs, then summarise.


def _child_env(backend=None, extra=None):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("KERAS_BACKEND", None)
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    env.update(extra or {})
    return env


def _run(command, env, *, marker=None, log=None):
    """Run a command; return wall seconds to exit (and to the marker line) and its rusage."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker and seen is None and line.startswith(marker):
            seen = time.perf_counter() - start
    _, status, usage = os.wait4(process.pid, 0)
    total = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if log is not None:
        log.write(f"$ {' '.join(map(str, command))}\n{''.join(lines)}\n")
        log.flush()
    if process.returncode != 0:
        tail = "".join(lines[-20:])
        raise SystemExit(f"{command} exited with {process.returncode}:\n{tail}")
    return {
        "seconds": total,
        "to_marker": seen,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "output": "".join(lines),
    }


def _worker_run(phase, pipeline, csv, *, backend=None, env_extra=None, options=(), log=None):
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--worker", phase, pipeline, "--csv", csv]
        command += ["--result", result, *options]
        backend = "tensorflow" if pipeline == "original" else backend
        _run(command, _child_env(backend, env_extra), log=log)
        return json.loads(result.read_text())


def _cli_command():
    script = Path(sys.executable).with_name("mnist-course")
    return [script] if script.exists() else [sys.executable, "-m", "mnist_course"]


def _stats(values):
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def measure(args, log):
    """Run the selected phases; return a dict of raw results."""
    results = {"load": {}, "fit": {}, "e2e": {}, "variants": []}
    csv = str(args.csv)
    if "load" in args.phases:
        for repeat in range(args.repeats):
            for pipeline in ("original", "ours", "ours-csv"):
                print(f"load {pipeline} ({repeat + 1}/{args.repeats})", flush=True)
                result = _worker_run("load", pipeline, csv, backend="tensorflow", log=log)
                results["load"].setdefault(pipeline, []).append(result)
    if "fit" in args.phases:
        # One process per seed and pipeline, alternating, so that a change in the machine's
        # load falls on both sides; the original's parsed arrays are reused after the first.
        pipelines = [("original", "tensorflow")] + [(f"ours ({b})", b) for b in args.backend]
        for seed in range(args.seeds):
            for name, backend in pipelines:
                pipeline = "original" if name == "original" else "ours"
                print(f"fit {name}, seed {seed}", flush=True)
                options = ["--seeds", str(seed), "--cache", args.cache]
                result = _worker_run(
                    "fit", pipeline, csv, backend=backend, options=options, log=log
                )
                merged = results["fit"].setdefault(name, {})
                for key, value in result.items():
                    if isinstance(value, list):
                        merged.setdefault(key, []).extend(value)
                    elif key in ("prepare_seconds", "peak_mib"):
                        merged.setdefault(key, []).append(value)
                    else:
                        merged[key] = value
    if "e2e" in args.phases:
        commands = {"original": ([sys.executable, ORIGINAL, csv], "tensorflow")}
        for backend in args.backend:
            commands[f"ours ({backend})"] = ([*_cli_command(), "train"], backend)
        for repeat in range(args.repeats):
            for name, (command, backend) in commands.items():
                print(f"e2e {name} ({repeat + 1}/{args.repeats})", flush=True)
                run = _run(command, _child_env(backend), marker="test accuracy", log=log)
                run["accuracy_line"] = next(
                    line for line in run.pop("output").splitlines() if "test accuracy" in line
                )
                results["e2e"].setdefault(name, []).append(run)
    if args.tf_variants:
        for label, env_extra, options in TF_VARIANTS:
            print(f"variant: {label}", flush=True)
            result = _worker_run(
                "fit",
                "ours",
                csv,
                backend="tensorflow",
                env_extra=env_extra,
                options=["--seeds", "0", *options],
                log=log,
            )
            results["variants"].append({"label": label, **result})
    return results


def _fmt_mean_std(values, unit="", digits=2):
    mean, std = _stats(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}{unit}"


def summarise(results):
    """Return rows (phase, original, ours, ratio, target, met) from the raw results."""
    rows = []
    load = results["load"]
    if load:
        original = statistics.median(r["seconds"] for r in load["original"])
        ours = statistics.median(r["seconds"] for r in load["ours"])
        csv = statistics.median(r["seconds"] for r in load["ours-csv"])
        rows.append(
            (
                "load MNIST: time (median)",
                f"{original:.2f} s",
                f"{ours:.3f} s",
                f"1/{original / ours:.0f}",
                f"≤ 1/{TARGETS['load_speedup']} ({TARGETS['load_speedup']}x faster)",
                original / ours >= TARGETS["load_speedup"],
            )
        )
        original_mib = max(r["peak_mib"] for r in load["original"])
        ours_mib = max(r["peak_mib"] for r in load["ours"])
        rows.append(
            (
                "load MNIST: peak memory (process)",
                f"{original_mib:.0f} MiB",
                f"{ours_mib:.0f} MiB",
                f"{ours_mib / original_mib:.3f}",
                "≤ 1/5 = 0.2",
                ours_mib / original_mib <= TARGETS["load_memory"],
            )
        )
        csv_mib = max(r["peak_mib"] for r in load["ours-csv"])
        rows.append(
            (
                "extra: same CSV files via read_csv",
                f"{original:.2f} s, {original_mib:.0f} MiB",
                f"{csv:.2f} s, {csv_mib:.0f} MiB",
                f"1/{original / csv:.1f} time, {csv_mib / original_mib:.2f} memory",
                "-",
                None,
            )
        )
    fit = results["fit"]
    if fit:
        original = fit["original"]
        original_fit = statistics.fmean(original["fit_seconds"])
        original_acc, original_acc_std = _stats(original["accuracy"])
        for name, ours in fit.items():
            if name == "original":
                continue
            ours_fit = statistics.fmean(ours["fit_seconds"])
            rows.append(
                (
                    f"fit 5 epochs, {name}",
                    _fmt_mean_std(original["fit_seconds"], " s"),
                    _fmt_mean_std(ours["fit_seconds"], " s"),
                    f"{ours_fit / original_fit:.2f}",
                    f"≤ {TARGETS['fit']:.2f}",
                    ours_fit / original_fit <= TARGETS["fit"],
                )
            )
            original_cpu = statistics.fmean(original["fit_cpu_seconds"])
            ours_cpu = statistics.fmean(ours["fit_cpu_seconds"])
            rows.append(
                (
                    f"extra: fit CPU time (all threads), {name}",
                    f"{original_cpu:.1f} s",
                    f"{ours_cpu:.1f} s",
                    f"{ours_cpu / original_cpu:.2f}",
                    "-",
                    None,
                )
            )
            ours_acc, ours_acc_std = _stats(ours["accuracy"])
            n = len(ours["accuracy"])
            error = (original_acc_std**2 / len(original["accuracy"]) + ours_acc_std**2 / n) ** 0.5
            rows.append(
                (
                    f"test accuracy, {name} (n={n} seeds)",
                    _fmt_mean_std(original["accuracy"], digits=4),
                    _fmt_mean_std(ours["accuracy"], digits=4),
                    f"{ours_acc - original_acc:+.4f} (SE {error:.4f})",
                    "no worse: diff ≥ -2 SE",
                    ours_acc - original_acc >= -2 * error if n > 1 else None,
                )
            )
        first_ours = next(name for name in fit if name != "original")
        rows.append(
            (
                "extra: prepare (normalise, one-hot)",
                f"{statistics.median(original['prepare_seconds']):.2f} s",
                f"{statistics.median(fit[first_ours]['prepare_seconds']):.2f} s",
                "",
                "-",
                None,
            )
        )
    e2e = results["e2e"]
    if e2e:
        original = statistics.median(r["to_marker"] for r in e2e["original"])
        for name, runs in e2e.items():
            if name == "original":
                continue
            ours = statistics.median(r["to_marker"] for r in runs)
            rows.append(
                (
                    f"end to end, {name} (median of {len(runs)})",
                    f"{original:.1f} s",
                    f"{ours:.1f} s",
                    f"{ours / original:.2f}",
                    f"≤ {TARGETS['e2e']:.2f}",
                    ours / original <= TARGETS["e2e"],
                )
            )
        original_cpu = statistics.median(r["cpu_seconds"] for r in e2e["original"])
        for name, runs in e2e.items():
            if name == "original":
                continue
            ours_cpu = statistics.median(r["cpu_seconds"] for r in runs)
            rows.append(
                (
                    f"extra: end to end CPU time, {name}",
                    f"{original_cpu:.1f} s",
                    f"{ours_cpu:.1f} s",
                    f"{ours_cpu / original_cpu:.2f}",
                    "-",
                    None,
                )
            )
        original_rss = max(r["max_rss_mib"] for r in e2e["original"])
        for name, runs in e2e.items():
            if name == "original":
                continue
            ours_rss = max(r["max_rss_mib"] for r in runs)
            rows.append(
                (
                    f"extra: end to end peak memory, {name}",
                    f"{original_rss:.0f} MiB",
                    f"{ours_rss:.0f} MiB",
                    f"{ours_rss / original_rss:.2f}",
                    "-",
                    None,
                )
            )
    return rows


def markdown_table(rows):
    lines = ["| phase | original | ours | ratio (ours/original) | target | met? |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for phase, original, ours, ratio, target, met in rows:
        verdict = "-" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {phase} | {original} | {ours} | {ratio} | {target} | {verdict} |")
    return "\n".join(lines)


def plain_table(rows):
    header = ("phase", "original", "ours", "ratio", "target", "met?")
    body = [(*row[:5], "-" if row[5] is None else ("yes" if row[5] else "NO")) for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(6)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(r, widths, strict=True))
        for r in [header, *body]
    )


def variants_table(results):
    lines = ["| ours, TensorFlow, seed 0 | fit s | fit CPU s | test accuracy |"]
    lines.append("| --- | --- | --- | --- |")
    for variant in results["variants"]:
        fit, cpu = variant["fit_seconds"][0], variant["fit_cpu_seconds"][0]
        accuracy = variant["accuracy"][0]
        lines.append(f"| {variant['label']} | {fit:.2f} | {cpu:.2f} | {accuracy:.4f} |")
    return "\n".join(lines)


def conditions(start_load, end_load):
    versions = []
    for package in ("numpy", "tensorflow-cpu", "keras", "jax"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return (
        f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) "
        f"{' '.join(f'{v:.2f}' for v in start_load)} at start, "
        f"{' '.join(f'{v:.2f}' for v in end_load)} at end; "
        f"Python {sys.version.split()[0]}; {', '.join(versions)}"
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed and 1 repeat")
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the fit phase (5)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of load and e2e (3)")
    parser.add_argument(
        "--backend",
        nargs="+",
        choices=["tensorflow", "jax"],
        help="Keras backends for ours (default: tensorflow, and jax if installed)",
    )
    parser.add_argument(
        "--phases", nargs="*", choices=["load", "fit", "e2e"], default=["load", "fit", "e2e"]
    )
    parser.add_argument(
        "--tf-variants", action="store_true", help="also time TensorFlow-side options for ours"
    )
    parser.add_argument("--csv", type=Path, help="folder with the exported CSV files to reuse")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--markdown", type=Path, help="write the markdown tables here")
    parser.add_argument("--log", type=Path, help="write every child's output here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.repeats = 1, 1
    if args.backend is None:
        args.backend = ["tensorflow"]
        if importlib.util.find_spec("jax") is not None:
            args.backend.append("jax")
    start_load = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="mnist_bench_"))
    args.cache = tmp / "original_arrays"
    args.cache.mkdir()
    if args.csv is None:
        args.csv = tmp / "csv"
    with open(args.log or os.devnull, "w") as log:
        if not (args.csv / "mnist_train.csv").exists():
            print(f"exporting the CSV files to {args.csv} (not timed)", flush=True)
            _run([*_cli_command(), "data", "export-csv", args.csv], _child_env(), log=log)
        try:
            results = measure(args, log)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = summarise(results)
    results["conditions"] = conditions(start_load, os.getloadavg())
    results["command"] = " ".join(["python benchmarks/bench_pipeline.py", *argv])
    print()
    print(plain_table(rows))
    print(f"\n{results['conditions']}")
    text = f"{markdown_table(rows)}\n"
    if results["variants"]:
        text += f"\n{variants_table(results)}\n"
        print(f"\n{variants_table(results)}")
    text += f"\nConditions: {results['conditions']}.\nCommand: `{results['command']}`\n"
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
