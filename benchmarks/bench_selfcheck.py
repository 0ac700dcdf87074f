"""Time of the students' self-check, ``pytest exercises``, over the complete solutions.

The solutions are copied to a temporary ``exercises/`` folder with the course's
``exercises/conftest.py`` and checked there exactly as a student's notebooks would be, in a
fresh ``python -m pytest`` process (TensorFlow import, data loading, every test cell,
training included). The budget is 60 s on a 2-core CPU; the result is reported as the
measured seconds over the budget (below 1 is within it). Wall time depends on what else
the machine runs, so the CPU seconds of the whole process tree and the load average are
printed too: CPU seconds / cores is what the wall time would be on idle cores with the
work spread evenly over them.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_selfcheck.py            # 3 runs
    .venv/bin/python benchmarks/bench_selfcheck.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 60.0


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_selfcheck(folder: Path) -> tuple[float, float]:
    """Run ``pytest exercises`` in ``folder``; return (wall, CPU) seconds; fail on a failure."""
    command = [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider"]
    cpu, start = _cpu_seconds(), time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    if result.returncode != 0:
        raise SystemExit(f"the self-check did not pass the solutions:\n{result.stdout}")
    summary = result.stdout.strip().splitlines()[-1].strip("= ")
    load = os.getloadavg()[0]
    print(f"  run: {seconds:.1f} s wall, {cpu:.1f} s CPU, load {load:.2f} ({summary})")
    return seconds, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions (default 3)")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-selfcheck-") as folder:
        shutil.copytree(ROOT / "solutions", Path(folder) / "exercises")
        shutil.copy(ROOT / "exercises" / "conftest.py", Path(folder) / "exercises")
        runs = [time_selfcheck(Path(folder)) for _ in range(args.runs)]
    times = [wall for wall, _ in runs]
    median = statistics.median(times)
    cpu = statistics.median(cpu for _, cpu in runs)
    cores = os.cpu_count() or 1
    print(
        f"pytest exercises over the solutions: median {median:.1f} s wall of {args.runs} runs "
        f"(min {min(times):.1f}, max {max(times):.1f}); budget {BUDGET_SECONDS:.0f} s; "
        f"ratio {median / BUDGET_SECONDS:.2f} (best run {min(times) / BUDGET_SECONDS:.2f})"
    )
    print(
        f"CPU: median {cpu:.1f} s over {cores} cores = {cpu / cores:.1f} s on idle cores; "
        f"ratio {cpu / cores / BUDGET_SECONDS:.2f}"
    )


if __name__ == "__main__":
    main()
