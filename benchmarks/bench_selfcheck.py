"""Time of the students' self-check, ``pytest exercises``, over the complete solutions.

The solutions are copied to a temporary ``exercises/`` folder with the course's
``exercises/conftest.py`` and checked there exactly as a student's notebooks would be, in a
fresh ``python -m pytest`` process (TensorFlow import, data loading, every test cell,
training included). The budget is 60 s on a 2-core CPU; the result is reported as the
measured seconds over the budget (below 1 is within it).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_selfcheck.py            # 3 runs
    .venv/bin/python benchmarks/bench_selfcheck.py --runs 1
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
BUDGET_SECONDS = 60.0


def time_selfcheck(folder: Path) -> float:
    """Run ``pytest exercises`` in ``folder``; return the wall time, failing on any failure."""
    command = [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the self-check did not pass the solutions:\n{result.stdout}")
    print(f"  run: {seconds:.1f} s ({result.stdout.strip().splitlines()[-1].strip('= ')})")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions (default 3)")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-selfcheck-") as folder:
        shutil.copytree(ROOT / "solutions", Path(folder) / "exercises")
        shutil.copy(ROOT / "exercises" / "conftest.py", Path(folder) / "exercises")
        times = [time_selfcheck(Path(folder)) for _ in range(args.runs)]
    median = statistics.median(times)
    print(
        f"pytest exercises over the solutions: median {median:.1f} s of {args.runs} runs "
        f"(min {min(times):.1f}, max {max(times):.1f}); budget {BUDGET_SECONDS:.0f} s; "
        f"ratio {median / BUDGET_SECONDS:.2f}"
    )


if __name__ == "__main__":
    main()
