"""Measure the test accuracy behind exercise 5's (or 9's) ``MIN_TEST_ACCURACY``.

It runs exercise 5's solution (``compile_model`` and ``train``, taken from the solution
notebook's answer cells) through ``measure_test_accuracy``, which trains exactly as
the test cell does, once per seed, and prints the table, the worst seed and the margin to the
threshold. The table beside ``MIN_TEST_ACCURACY`` in ``mnist_course/checks/ex05_training.py``
was made with it. ``--exercise ex09_convolution`` does the same for exercise 9's CNN
(``build_cnn`` of its solution, through ``measure_cnn_accuracy``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_accuracy_threshold.py             # seeds 0..9
    .venv/bin/python benchmarks/bench_accuracy_threshold.py --seeds 20
    .venv/bin/python benchmarks/bench_accuracy_threshold.py --exercise ex09_convolution
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import mnist_course  # noqa: F401 (first: it keeps TensorFlow quiet)
from mnist_course.checks import ex05_training, ex09_convolution
from mnist_course.checks._reference import (
    ACCURACY_EPOCHS,
    ACCURACY_TRAIN_SIZE,
    measure_test_accuracy,
)
from mnist_course.notebook import ANSWER, cells_to_run, read_notebook_json

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "ex05_training" / "ex05_training.ipynb"


def solution_functions(notebook=NOTEBOOK):
    """Return the answer cells' functions of a solution notebook (exercise 5's by default)."""
    namespace = {}
    exec("import keras", namespace)
    for cell in cells_to_run(read_notebook_json(notebook)):
        if cell.kind == ANSWER:
            exec(compile(cell.source, str(notebook), "exec"), namespace)
    return namespace


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument(
        "--exercise", choices=["ex05_training", "ex09_convolution"], default="ex05_training"
    )
    args = parser.parse_args(argv)
    if args.exercise == "ex09_convolution":
        checks = ex09_convolution
        build_cnn = solution_functions(
            ROOT / "solutions" / args.exercise / f"{args.exercise}.ipynb"
        )["build_cnn"]

        def measure(seed):
            return checks.measure_cnn_accuracy(build_cnn(seed=seed), seed=seed)

        print(f"training: first {checks.CNN_TRAIN_SIZE} images, 1 epoch")
    else:
        checks = ex05_training
        functions = solution_functions()

        def measure(seed):
            return measure_test_accuracy(functions["compile_model"], functions["train"], seed=seed)

        print(f"training: first {ACCURACY_TRAIN_SIZE} images, {ACCURACY_EPOCHS} epoch(s)")
    print("seed  accuracy  seconds")
    accuracies = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        accuracy = measure(seed)
        accuracies.append(accuracy)
        print(f"{seed:>4}  {accuracy:.4f}    {time.perf_counter() - start:.2f}", flush=True)
    worst = min(accuracies)
    print(
        f"mean {statistics.mean(accuracies):.4f}, standard deviation "
        f"{statistics.stdev(accuracies):.4f}, worst {worst:.4f} "
        f"(seed {accuracies.index(worst)}), best {max(accuracies):.4f}"
    )
    print(
        f"threshold MIN_TEST_ACCURACY = {checks.MIN_TEST_ACCURACY}: margin below the worst "
        f"{worst - checks.MIN_TEST_ACCURACY:.4f}"
    )


if __name__ == "__main__":
    main()
