"""Time of autograding with nbgrader: one student per exercise, and a class of 20 in parallel.

A temporary course is made from solutions/ and the repository's nbgrader_config.py, every
simulated student submitting the complete solution. Measured:

- per student: ``nbgrader autograde <exercise> --student s00`` for each exercise, as an
  instructor runs it (a new kernel, TensorFlow imported, every test cell, training included);
- a class: ``nbgrader autograde <exercise>`` (nbgrader grades the students one after
  another) against ``mnist-course autograde <exercise> --jobs N`` (N students at once over
  the same gradebook), with the ratio of the two wall times; both must give every student
  every point autograding can give (ex05's written answer is graded by hand).

Wall time depends on what else the machine runs, so the CPU seconds of the process tree and
the load average are printed too.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_grading.py                       # all, 20 students
    .venv/bin/python benchmarks/bench_grading.py --students 4 --exercises ex01_data
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from mnist_course.grading import grading_environment
from mnist_course.notebook import (
    WRITTEN,
    cell_kind,
    find_cell,
    load_notebook,
    model_answers,
    nbgrader_metadata,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(folder, *command):
    """Run a command in the course folder; return (wall, CPU) seconds; stop on a failure."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    result = subprocess.run(
        command, cwd=folder, env=grading_environment(), capture_output=True, text=True
    )
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, cpu


def nbgrader(folder, *args):
    return run(folder, sys.executable, "-m", "nbgrader", *args)


def make_course(folder, exercise, students):
    """A course in ``folder`` with ``exercise`` released and submitted complete by students."""
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions" / exercise, folder / "solutions" / exercise)
    nbgrader(folder, "generate_assignment", exercise)
    name = f"{exercise}.ipynb"
    answers = model_answers(load_notebook(folder / "solutions" / exercise / name))
    released = nbformat.read(folder / "exercises" / exercise / name, as_version=4)
    for grade_id, answer in answers.items():
        find_cell(released, grade_id).source = answer
    for student in students:
        submitted = folder / "grading" / "submitted" / student / exercise
        submitted.mkdir(parents=True)
        nbformat.write(released, submitted / name)


def manual_points(folder, exercise):
    """Points of the exercise's written answers, which a person grades (not autograding)."""
    source = load_notebook(folder / "solutions" / exercise / f"{exercise}.ipynb")
    written = [cell for cell in source["cells"] if cell_kind(cell) == WRITTEN]
    return sum(nbgrader_metadata(cell).get("points", 0) for cell in written)


def full_marks(folder, exercise, students):
    """Stop unless every student has every point that autograding can give."""
    nbgrader(folder, "export", "--to", "grades.csv")
    with open(folder / "grades.csv", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["assignment"] == exercise]
    auto = {
        row["student_id"]: float(row["max_score"]) - manual_points(folder, exercise) for row in rows
    }
    short = [row["student_id"] for row in rows if float(row["score"]) != auto[row["student_id"]]]
    if short or len(rows) != len(students):
        raise SystemExit(f"{exercise}: not every student got full marks: {short or rows}")


def per_student(exercise):
    """Seconds (wall, CPU) to autograde one complete submission of an exercise."""
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercise, ["s00"])
        seconds = nbgrader(folder, "autograde", exercise, "--student", "s00")
        full_marks(folder, exercise, ["s00"])
    return seconds


def class_of(exercise, n, jobs):
    """(wall, CPU) of sequential nbgrader and of mnist-course --jobs for n students."""
    students = [f"s{i:02d}" for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercise, students)
        sequential = nbgrader(folder, "autograde", exercise)
        full_marks(folder, exercise, students)
        shutil.rmtree(folder / "grading" / "autograded")
        parallel = run(
            folder,
            *(sys.executable, "-m", "mnist_course", "autograde", exercise),
            *("--jobs", str(jobs), "--force"),
        )
        full_marks(folder, exercise, students)
    return sequential, parallel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="class size (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="students at once (default 2)")
    parser.add_argument(
        "--exercises", nargs="*", default=EXERCISES, help="exercises to time one student of"
    )
    parser.add_argument(
        "--class-exercise", default="ex01_data", help="exercise the class submits (ex01_data)"
    )
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")

    print("\nOne student, `nbgrader autograde <exercise> --student s00`:")
    print(f"  {'exercise':<18}{'wall':>9}{'CPU':>9}")
    for exercise in args.exercises:
        wall, cpu = per_student(exercise)
        print(f"  {exercise:<18}{wall:>8.1f}s{cpu:>8.1f}s", flush=True)

    n, jobs = args.students, args.jobs
    (seq_wall, seq_cpu), (par_wall, par_cpu) = class_of(args.class_exercise, n, jobs)
    print(f"\nA class of {n}, {args.class_exercise}, load average {os.getloadavg()[0]:.2f}:")
    print(f"  {'command':<44}{'wall':>9}{'per student':>13}{'CPU':>9}")
    rows = [
        (f"nbgrader autograde {args.class_exercise}", seq_wall, seq_cpu),
        (f"mnist-course autograde ... --jobs {jobs}", par_wall, par_cpu),
    ]
    for label, wall, cpu in rows:
        print(f"  {label:<44}{wall:>8.1f}s{wall / n:>12.1f}s{cpu:>8.1f}s")
    print(f"  ratio sequential / parallel: {seq_wall / par_wall:.2f} (ideal {jobs})")


if __name__ == "__main__":
    main()
