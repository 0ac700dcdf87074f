"""Time of autograding with nbgrader: one student per exercise, and a class of 20 in parallel.

A temporary course is made from solutions/ and the repository's nbgrader_config.py, every
simulated student submitting the complete solution. Measured:

- per student: ``nbgrader autograde <exercise> --student s00`` for each exercise, as an
  instructor runs it (nbgrader's process and the student's process that the course's
  ``GradeOutside`` starts, TensorFlow imported, every test cell, training included; a course
  in ``--baseline`` runs with its own ``nbgrader_config.py``, before commit cc7725e a kernel);
  then ``--student s01`` in the same course, a student after the first (the course's
  reference runs are then stored in ``grading/references/``);
- with ``--baseline DIR`` (a checkout of an earlier commit, e.g. ``git worktree add
  /tmp/grading-base <commit>``), first one student over every exercise, each side graded
  the way its course is graded: the baseline with ``nbgrader autograde <exercise> --student``
  per exercise (as the course was graded before ``mnist-course autograde`` took several
  exercises), this course with one ``mnist-course autograde <every exercise> --student <id>
  --jobs 1``; per exercise and for the whole course, s00 then s01, and the ratio, after /
  before (``--whole-course``: only this);
- or, with ``--baseline DIR --alternate JOBS...``, only one student over every exercise
  graded by ``mnist-course autograde`` on both sides, in one course made from this one,
  before, after, before, after (``--rounds`` each, default 2), with each of the ``--jobs``
  given: the per-student time and the ratio, after / before, for a change that leaves the
  exercises and their checks alone (the workers, the orchestration);
- then, unless ``--whole-course`` or ``--alternate``, the same exercise by exercise with
  ``nbgrader autograde`` on both sides, alternating which goes first, and the ratio of the
  whole course's time per student, after / before;
- a class: ``nbgrader autograde <exercise>`` (nbgrader grades the students one after
  another) against ``mnist-course autograde <exercise> --jobs N`` (N students at once over
  the same gradebook), with the ratio of the two wall times; both must give every student
  every point autograding can give (ex08's written answer is graded by hand);
  ``--class-exercise all``: a class that submitted every exercise, graded with ``mnist-course
  autograde all --jobs N`` only.

Wall time depends on what else the machine runs, so the CPU seconds and the load average
are printed too. The CPU seconds are the machine's busy time while a command ran (all cores,
from ``/proc/stat``): every process of the command counts, the students' processes under
bubblewrap and the grading workers forked from a forkserver included (neither is a child
that this process waits for), and so does anything else the machine ran meanwhile. Compare
wall times, and CPU seconds only from a quiet machine.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_grading.py                       # all, 20 students
    .venv/bin/python benchmarks/bench_grading.py --students 4 --exercises ex01_data
    .venv/bin/python benchmarks/bench_grading.py --baseline /tmp/grading-base --students 0
    .venv/bin/python benchmarks/bench_grading.py --baseline /tmp/grading-base --whole-course \
        --students 0
    .venv/bin/python benchmarks/bench_grading.py --baseline /tmp/grading-base --alternate 2 1 \
        --students 0
    .venv/bin/python benchmarks/bench_grading.py --exercises --students 30 --class-exercise all
"""

from __future__ import annotations

import argparse
import csv
import os
import re
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
    model_answers,
    nbgrader_metadata,
    read_notebook_json,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())


def _cpu_seconds():
    """The machine's busy CPU seconds so far, all cores (user, nice, system, irq, softirq,
    steal), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    user, nice, system, _, _, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def environment(root=ROOT):
    """The grading environment, with the course package of ``root`` first on the path."""
    env = grading_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(root), env["PYTHONPATH"]])
    return env


def kept_logs(folder):
    """Copy the course's grading logs (each test cell passed or failed, and why) out of its
    temporary folder, which a failure removes; return where they are."""
    kept = Path(tempfile.mkdtemp(prefix="bench-grading-logs-"))
    logs = Path(folder) / "grading" / "logs"
    if logs.exists():
        shutil.copytree(logs, kept, dirs_exist_ok=True)
    return kept


def timed(folder, *command, root=ROOT):
    """Run a command in the course folder; return (wall, CPU) seconds and what it printed;
    stop on a failure."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    result = subprocess.run(
        command, cwd=folder, env=environment(root), capture_output=True, text=True
    )
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed (grading logs kept in {kept_logs(folder)}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return seconds, cpu, result.stdout


def run(folder, *command, root=ROOT):
    """Run a command in the course folder; return (wall, CPU) seconds; stop on a failure."""
    return timed(folder, *command, root=root)[:2]


def nbgrader(folder, *args, root=ROOT):
    return run(folder, sys.executable, "-m", "nbgrader", *args, root=root)


def make_course(folder, exercises, students, root=ROOT):
    """A course in ``folder`` with ``exercises`` (a name or a list) released and submitted
    complete by students, from the course in ``root`` (its solutions and nbgrader_config.py)."""
    shutil.copy(root / "nbgrader_config.py", folder)
    for exercise in [exercises] if isinstance(exercises, str) else exercises:
        shutil.copytree(root / "solutions" / exercise, folder / "solutions" / exercise)
        nbgrader(folder, "generate_assignment", exercise, root=root)
        name = f"{exercise}.ipynb"
        answers = model_answers(read_notebook_json(folder / "solutions" / exercise / name))
        released = nbformat.read(folder / "exercises" / exercise / name, as_version=4)
        for grade_id, answer in answers.items():
            find_cell(released, grade_id).source = answer
        for student in students:
            submitted = folder / "grading" / "submitted" / student / exercise
            submitted.mkdir(parents=True)
            nbformat.write(released, submitted / name)


def manual_points(folder, exercise):
    """Points of the exercise's written answers, which a person grades (not autograding)."""
    source = read_notebook_json(folder / "solutions" / exercise / f"{exercise}.ipynb")
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
        raise SystemExit(
            f"{exercise}: not every student got full marks: {short or rows} (grading logs "
            f"kept in {kept_logs(folder)})"
        )


def per_student(exercise, root=ROOT):
    """(wall, CPU) seconds to autograde one complete submission of an exercise: the first
    student of a class, then the next one."""
    students = ["s00", "s01"]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercise, students, root)
        times = [
            nbgrader(folder, "autograde", exercise, "--student", student, root=root)
            for student in students
        ]
        full_marks(folder, exercise, students)
    return times


def load_average():
    return os.getloadavg()[0]


def compare(exercises, baseline):
    """Per exercise, (wall, CPU) of the first and the next student, for this course and for
    ``baseline`` if given, measured back to back, alternating which goes first."""
    sides = {"after": ROOT} if baseline is None else {"before": baseline, "after": ROOT}
    print("\nOne student, `nbgrader autograde <exercise> --student s00`, then s01:")
    header = "".join(f"{f'{side} s00':>13}{f'{side} s01':>13}" for side in sides)
    print(f"  {'exercise':<22}{header}{'CPU s01':>10}{'load':>7}")
    results = {side: {} for side in sides}
    for index, exercise in enumerate(exercises):
        order = list(sides) if index % 2 == 0 else list(sides)[::-1]
        for side in order:
            results[side][exercise] = per_student(exercise, sides[side])
        cells = "".join(
            f"{results[side][exercise][0][0]:>12.1f}s{results[side][exercise][1][0]:>12.1f}s"
            for side in sides
        )
        cpu = "/".join(f"{results[side][exercise][1][1]:.1f}" for side in sides)
        print(f"  {exercise:<22}{cells}{cpu:>10}{load_average():>7.2f}", flush=True)
    totals = {
        side: [sum(times[exercise][i][j] for exercise in exercises) for i in (0, 1) for j in (0, 1)]
        for side, times in results.items()
    }
    cells = "".join(f"{totals[side][0]:>12.1f}s{totals[side][2]:>12.1f}s" for side in sides)
    print(f"  {'whole course':<22}{cells}")
    for side in sides:
        wall_first, cpu_first, wall_next, cpu_next = totals[side]
        print(
            f"  {side}: whole course per student {wall_next:.1f} s wall, {cpu_next:.1f} s CPU "
            f"(first student of a class {wall_first:.1f} s wall, {cpu_first:.1f} s CPU)"
        )
    if baseline is not None:
        before, after = totals["before"], totals["after"]
        print(
            f"  ratio after / before, per student: {after[2] / before[2]:.3f} wall, "
            f"{after[3] / before[3]:.3f} CPU; first student of a class: "
            f"{after[0] / before[0]:.3f} wall, {after[1] / before[1]:.3f} CPU"
        )
    return results


def whole_course_by_nbgrader(exercises, root):
    """Per student (s00, then s01), ``{exercise: (wall, CPU)}`` of ``nbgrader autograde
    <exercise> --student`` for each exercise, in one course holding them all."""
    students = ["s00", "s01"]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercises, students, root)
        times = [
            {
                exercise: nbgrader(folder, "autograde", exercise, "--student", student, root=root)
                for exercise in exercises
            }
            for student in students
        ]
        for exercise in exercises:
            full_marks(folder, exercise, students)
    return times


def autograde_student(folder, exercises, student, root=ROOT, jobs=1):
    """``(wall, CPU, {exercise: seconds})`` of one ``mnist-course autograde <every exercise>
    --student <id> --jobs N`` with the course package of ``root``; the seconds of each
    exercise are those its report prints."""
    command = [sys.executable, "-m", "mnist_course", "autograde", *exercises]
    command += ["--student", student, "--jobs", str(jobs)]
    wall, cpu, output = timed(folder, *command, root=root)
    # a report of one exercise does not name it on each line
    found = re.findall(rf"^(?:(\S+), )?{student}: graded.*\(([\d.]+) s\)$", output, re.M)
    seconds = {exercise or exercises[0]: float(value) for exercise, value in found}
    if sorted(seconds) != sorted(exercises):
        raise SystemExit(f"not every exercise was graded:\n{output}")
    return wall, cpu, seconds


def whole_course_by_the_course(exercises, root, jobs=1):
    """Per student (s00, then s01), ``(wall, CPU, {exercise: seconds})`` of one ``mnist-course
    autograde <every exercise> --student <id> --jobs 1``: one worker grades the student's
    exercises one after another."""
    students = ["s00", "s01"]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercises, students, root)
        times = [autograde_student(folder, exercises, student, root, jobs) for student in students]
        for exercise in exercises:
            full_marks(folder, exercise, students)
    return times


def compare_whole_course(exercises, baseline):
    """One student over every exercise: the baseline graded as it was (``nbgrader autograde``
    per exercise), this course with its command (``mnist-course autograde`` of them all, with
    ``--jobs 1`` and with ``--jobs`` the number of CPUs, its default); all measured back to
    back in this run, the baseline first."""
    cpus = os.cpu_count() or 1
    print(
        "\nOne student, every exercise: before, `nbgrader autograde <exercise> --student` per "
        "exercise (the baseline); after, one `mnist-course autograde <every exercise> "
        f"--student <id>`, with --jobs 1 and with --jobs {cpus}:"
    )
    # each side grades its own course: the baseline's exercises are those of its solutions/
    base_exercises = sorted(path.name for path in (baseline / "solutions").glob("ex*"))
    loads = [load_average()]
    before = whole_course_by_nbgrader(base_exercises, baseline)
    loads.append(load_average())
    sides = {1: whole_course_by_the_course(exercises, ROOT, jobs=1)}
    loads.append(load_average())
    if cpus > 1:
        sides[cpus] = whole_course_by_the_course(exercises, ROOT, jobs=cpus)
        loads.append(load_average())
    heads = ["before s00", "before s01"]
    heads += [f"j{jobs} {student}" for jobs in sides for student in ("s00", "s01")]
    print(f"  {'exercise':<22}" + "".join(f"{head:>12}" for head in heads))
    for exercise in sorted({*base_exercises, *exercises}):
        cells = [before[i][exercise][0] if exercise in before[i] else None for i in (0, 1)]
        cells += [side[i][2].get(exercise) for side in sides.values() for i in (0, 1)]
        print(
            f"  {exercise:<22}"
            + "".join("-".rjust(12) if value is None else f"{value:>11.1f}s" for value in cells)
        )
    walls = [sum(wall for wall, _ in student.values()) for student in before]
    cpu_before = [sum(cpu for _, cpu in student.values()) for student in before]
    cells = [*walls, *(side[i][0] for side in sides.values() for i in (0, 1))]
    print(f"  {'whole course (wall)':<22}" + "".join(f"{value:>11.1f}s" for value in cells))
    cells = [*cpu_before, *(side[i][1] for side in sides.values() for i in (0, 1))]
    print(f"  {'whole course (CPU)':<22}" + "".join(f"{value:>11.1f}s" for value in cells))
    for jobs, side in sides.items():
        print(
            f"  ratio after (--jobs {jobs}) / before, per student (s01): "
            f"{side[1][0] / walls[1]:.3f} wall, {side[1][1] / cpu_before[1]:.3f} CPU; first "
            f"student of a class (s00): {side[0][0] / walls[0]:.3f} wall, "
            f"{side[0][1] / cpu_before[0]:.3f} CPU"
        )
    loads = ", ".join(f"{load:.2f}" for load in loads)
    print(f"  load average at the start and after each side: {loads}")
    return before, sides


def compare_alternating(exercises, baseline, jobs_list, rounds):
    """One student over every exercise, ``mnist-course autograde <every exercise> --student
    <id> --jobs N`` with the baseline's package and with this course's in turn (before,
    after, before, after, ...), ``rounds`` times each, in one course made from this course: a
    new student each time (s01, s02, ...), after s00, who trains the reference runs (not
    timed). For a change that leaves the exercises and their checks alone (the workers, the
    orchestration); every student must get full marks."""
    sides = {"before": baseline, "after": ROOT}
    students = [f"s{i:02d}" for i in range(1 + rounds * len(sides) * len(jobs_list))]
    print(
        "\nOne student, every exercise, `mnist-course autograde <every exercise> --student <id>`"
        " of the baseline (before) and of this course (after), alternating:"
    )
    loads = [load_average()]
    walls = {(jobs, side): [] for jobs in jobs_list for side in sides}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, exercises, students)
        autograde_student(folder, exercises, students[0], jobs=max(jobs_list))
        print(
            f"  {'jobs':>4}{'round':>6}  {'side':<7}{'student':>8}{'wall':>9}{'CPU':>9}{'load':>7}"
        )
        turn = iter(students[1:])
        for jobs in jobs_list:
            for round_ in range(1, rounds + 1):
                for side, root in sides.items():
                    student = next(turn)
                    wall, cpu, _ = autograde_student(folder, exercises, student, root, jobs)
                    walls[jobs, side].append(wall)
                    print(
                        f"  {jobs:>4}{round_:>6}  {side:<7}{student:>8}{wall:>8.1f}s{cpu:>8.1f}s"
                        f"{load_average():>7.2f}",
                        flush=True,
                    )
            loads.append(load_average())
        for exercise in exercises:
            full_marks(folder, exercise, students)
    for jobs in jobs_list:
        before, after = (sum(walls[jobs, side]) / rounds for side in sides)
        pairs = zip(walls[jobs, "before"], walls[jobs, "after"], strict=True)
        each = ", ".join(f"{b / a:.3f}" for a, b in pairs)
        print(
            f"  --jobs {jobs}: per student {before:.1f} s before, {after:.1f} s after; ratio "
            f"after / before {after / before:.3f} (each round: {each})"
        )
    loads = ", ".join(f"{load:.2f}" for load in loads)
    print(f"  load average at the start and after each --jobs: {loads}")
    return walls


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


def whole_class(n, jobs):
    """(wall, CPU) of ``mnist-course autograde all --jobs N`` for a class of n students who
    each submitted every exercise complete (the first student trains the reference runs)."""
    students = [f"s{i:02d}" for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        folder = Path(name)
        make_course(folder, EXERCISES, students)
        wall, cpu = run(
            folder,
            *(sys.executable, "-m", "mnist_course", "autograde", "all", "--jobs", str(jobs)),
        )
        for exercise in EXERCISES:
            full_marks(folder, exercise, students)
    return wall, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students", type=int, default=20, help="class size (default 20; 0: no class)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="students at once (default 2)")
    parser.add_argument(
        "--exercises", nargs="*", default=EXERCISES, help="exercises to time one student of"
    )
    parser.add_argument(
        "--class-exercise",
        default="ex01_data",
        help="exercise the class submits (ex01_data); `all`: every exercise, graded with "
        "`mnist-course autograde all` only (a sequential nbgrader would take hours)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of the course to compare with (its package, solutions and config)",
    )
    parser.add_argument(
        "--whole-course",
        action="store_true",
        help="with --baseline: only one student over every exercise, the baseline's nbgrader "
        "against this course's mnist-course autograde (no per-exercise nbgrader comparison)",
    )
    parser.add_argument(
        "--alternate",
        nargs="+",
        type=int,
        metavar="JOBS",
        help="with --baseline: one student over every exercise, graded by the baseline's "
        "`mnist-course autograde` and by this course's in turn, --rounds times each, with "
        "each of these --jobs (e.g. 2 1), in one course (nothing else is compared)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="--alternate: runs of each side (default 2)"
    )
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {load_average():.2f}")
    if args.alternate and args.baseline is not None and args.exercises:
        compare_alternating(args.exercises, args.baseline, args.alternate, args.rounds)
    elif args.baseline is not None and args.exercises:
        compare_whole_course(args.exercises, args.baseline)
    if args.exercises and not (args.whole_course or args.alternate):
        compare(args.exercises, args.baseline)
    print(f"load average at the end: {load_average():.2f}")
    if args.students <= 0:
        return

    n, jobs = args.students, args.jobs
    if args.class_exercise == "all":
        load = load_average()
        wall, cpu = whole_class(n, jobs)
        print(
            f"\nA class of {n}, every exercise, `mnist-course autograde all --jobs {jobs}`: "
            f"{wall:.1f} s wall ({wall / n:.1f} s a student), {cpu:.1f} s CPU "
            f"(load average {load:.2f} at the start, {load_average():.2f} at the end)"
        )
        return
    (seq_wall, seq_cpu), (par_wall, par_cpu) = class_of(args.class_exercise, n, jobs)
    print(f"\nA class of {n}, {args.class_exercise}, load average {load_average():.2f}:")
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
