"""Each lesson's run time against ``mnist-course train``, measured back to back in one run.

The lessons' budget: each lesson, executed top to bottom in a fresh kernel from a fresh copy
(nothing cached), takes at most 15 times as long as ``mnist-course train`` (the course's
model, 5 epochs on the full MNIST), and all of them on average at most 10 times as long.

The machine's speed changes from minute to minute, so the yardstick is measured around every
lesson: ``train``, lesson 1, ``train``, lesson 2, ..., ``train``. A lesson's ratio is its time
over the mean of the two ``train`` runs on either side of it. Each run is a fresh process;
the load average is printed with every line.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_lessons.py                 # every lesson, ~30 min
    .venv/bin/python benchmarks/bench_lessons.py 03 09           # lessons whose name starts so
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON_BUDGET = 15.0
AVERAGE_BUDGET = 10.0

EXECUTE = """
import sys
from mnist_course import lessons
lessons.execute_notebook(sys.argv[1])
"""


def _timed(command, cwd):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{result.stderr[-3000:]}")
    return seconds


def time_train(folder):
    """Seconds of ``mnist-course train`` (the README's main job), in a fresh process."""
    out = Path(folder) / "train-run"
    shutil.rmtree(out, ignore_errors=True)
    return _timed([sys.executable, "-m", "mnist_course", "train", "--out", str(out)], folder)


def time_lesson(path, folder):
    """Seconds to execute a fresh copy of the lesson ``path`` in a new kernel."""
    work = Path(folder) / path.stem
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    copy = shutil.copy(path, work / path.name)
    return _timed([sys.executable, "-c", EXECUTE, str(copy)], work)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only lessons whose name starts so")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if args.prefixes:
        paths = [p for p in paths if p.stem.startswith(tuple(args.prefixes))]
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-lessons-") as folder:
        before = time_train(folder)
        print(f"  train: {before:.1f} s (load {os.getloadavg()[0]:.2f})")
        for path in paths:
            seconds = time_lesson(path, folder)
            print(f"  {path.stem}: {seconds:.1f} s (load {os.getloadavg()[0]:.2f})")
            after = time_train(folder)
            print(f"  train: {after:.1f} s (load {os.getloadavg()[0]:.2f})")
            rows.append((path.stem, seconds, (before + after) / 2))
            before = after
    print()
    print("| lesson | seconds | train (mean of both sides) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds, train in rows:
        print(f"| {name} | {seconds:.0f} | {train:.1f} | {seconds / train:.1f}x |")
    ratios = [seconds / train for _, seconds, train in rows]
    worst, mean = max(ratios), statistics.mean(ratios)
    print(
        f"\nworst {worst:.1f}x (budget {LESSON_BUDGET:.0f}x), mean {mean:.1f}x "
        f"(budget {AVERAGE_BUDGET:.0f}x); load average at the end {os.getloadavg()[0]:.2f}"
    )
    return 0 if worst <= LESSON_BUDGET and mean <= AVERAGE_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
