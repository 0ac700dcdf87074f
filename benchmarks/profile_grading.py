"""Where the time of grading one student goes: kernel start, then each cell of the notebook.

Each exercise's complete submission (the released notebook with the model answers) is run
as nbgrader's autograde runs it: a fresh kernel in the grading environment, every cell in
order. Printed per exercise: the kernel's start, the setup cell (imports and data), the
student's answer and own cells, and each test cell, in wall seconds, then the sum per kind.

``--as-graded`` runs the cells as the course's grading does: the demonstration cells left as
released are skipped (``RestartingExecute.skip_unchanged_demonstrations``) and the reference
runs are stored in a temporary folder; each exercise runs twice, the second time as a student
after the first (the reference runs stored), and the second is printed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/profile_grading.py                 # every exercise
    .venv/bin/python benchmarks/profile_grading.py ex03_training   # one
    .venv/bin/python benchmarks/profile_grading.py --as-graded
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mnist_course.checks._reference import CACHE_VARIABLE
from mnist_course.grading import grading_environment
from mnist_course.notebook import (
    cell_kind,
    demonstration_digests,
    find_cell,
    is_unchanged_demonstration,
    load_notebook,
    model_answers,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())


def complete_submission(exercise):
    """The released notebook with every answer cell replaced by the model answer."""
    answers = model_answers(load_notebook(ROOT / "solutions" / exercise / f"{exercise}.ipynb"))
    nb = nbformat.read(ROOT / "exercises" / exercise / f"{exercise}.ipynb", as_version=4)
    for grade_id, answer in answers.items():
        find_cell(nb, grade_id).source = answer
    return nb


def label(cell):
    kind = cell_kind(cell)
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"{kind} {grade_id}" if grade_id else f"{kind} {cell.source.splitlines()[0][:40]!r}"


def profile(exercise, skipped=frozenset()):
    """[(what, seconds), ...] for one complete submission, kernel start first; the code cells
    whose digest is in ``skipped`` are not run."""
    nb = complete_submission(exercise)
    with tempfile.TemporaryDirectory(prefix="profile-grading-") as folder:
        client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": folder}})
        os.environ.update(grading_environment())
        rows = []
        start = time.perf_counter()
        with client.setup_kernel(cwd=folder):
            rows.append(("kernel start", time.perf_counter() - start))
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or is_unchanged_demonstration(cell, skipped):
                    continue
                start = time.perf_counter()
                client.execute_cell(cell, index)
                errors = [o for o in cell.outputs if o.output_type == "error"]
                streams = [o for o in cell.outputs if o.get("name") == "stderr"]
                note = " ERROR" if errors else " STDERR" if streams else ""
                rows.append((label(cell) + note, time.perf_counter() - start))
    return rows


def as_graded(exercise):
    """The rows of a second student graded as the course grades (see the module's doc)."""
    released = nbformat.read(ROOT / "exercises" / exercise / f"{exercise}.ipynb", as_version=4)
    skipped = frozenset(demonstration_digests(released))
    with tempfile.TemporaryDirectory(prefix="profile-references-") as folder:
        os.environ[CACHE_VARIABLE] = folder
        try:
            profile(exercise, skipped)
            return profile(exercise, skipped)
        finally:
            del os.environ[CACHE_VARIABLE]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=EXERCISES)
    parser.add_argument("--as-graded", action="store_true", help="as the course grades")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}", flush=True)
    kinds = {}
    for exercise in args.exercises:
        rows = as_graded(exercise) if args.as_graded else profile(exercise)
        total = sum(seconds for _, seconds in rows)
        print(f"\n{exercise}: {total:.1f} s, load average {os.getloadavg()[0]:.2f}")
        for what, seconds in rows:
            print(f"  {seconds:7.2f} s  {what}")
            kind = what.split()[0] if what != "kernel start" else what
            kinds[kind] = kinds.get(kind, 0.0) + seconds
        sys.stdout.flush()
    print("\nEvery exercise, by kind of cell:")
    for kind, seconds in kinds.items():
        print(f"  {seconds:7.1f} s  {kind}")


if __name__ == "__main__":
    main()
