"""Where the time of grading one student goes, cell by cell.

Each exercise's complete submission (the released notebook with the model answers) is run
two ways:

- by default, in a Jupyter kernel, as nbgrader's own ``Execute`` would run it (and as the
  course graded before ``GradeOutside``): a fresh kernel in the grading environment, every
  cell in order. Printed: the kernel's start, the setup cell (imports and data), the
  student's answer and own cells, and each test cell;
- ``--as-graded``, as the course grades now (``GradeOutside``, through
  :class:`mnist_course.sandbox.notebook_run.NotebookRun`): the student's process started, the
  student's cells run there one by one (grading sends them in batches: the same work; the
  demonstration cells left as released skipped),
  each test cell run in this process as the gradebook holds it (hidden tests included, taken
  from ``solutions/``), the reference runs stored in a temporary folder, each exercise in a
  fork of this process that imported Keras, its student's process forked from a zygote (as a
  grading worker grades). Each exercise runs
  twice, the second time as a student after the first (the reference runs stored), and the
  second is printed. Each test cell's line also says how many calls it made into the
  student's process, their round trips (the student's function included), and the time this
  process spent writing and reading Keras models as ``.keras`` files; the last line, the CPU
  seconds of this process and of the student's (read from /proc before it ends).

Printed in wall seconds, then the sum per kind.

Usage (from the repository root)::

    .venv/bin/python benchmarks/profile_grading.py                 # every exercise
    .venv/bin/python benchmarks/profile_grading.py ex05_training   # one
    .venv/bin/python benchmarks/profile_grading.py --as-graded
"""

from __future__ import annotations

import argparse
import contextlib
import json
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
    TEST,
    cell_kind,
    cell_source,
    cells_to_run,
    demonstration_digests,
    find_cell,
    model_answers,
    nbgrader_metadata,
    read_notebook_json,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())


def complete_submission(exercise):
    """The released notebook with every answer cell replaced by the model answer."""
    answers = model_answers(read_notebook_json(ROOT / "solutions" / exercise / f"{exercise}.ipynb"))
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
            index = {id(cell): i for i, cell in enumerate(nb.cells)}
            for cell in (item.cell for item in cells_to_run(nb, skipped)):
                start = time.perf_counter()
                client.execute_cell(cell, index[id(cell)])
                errors = [o for o in cell.outputs if o.output_type == "error"]
                streams = [o for o in cell.outputs if o.get("name") == "stderr"]
                note = " ERROR" if errors else " STDERR" if streams else ""
                rows.append((label(cell) + note, time.perf_counter() - start))
    return rows


def gradebook_tests(exercise):
    """``{grade_id: source}`` of the exercise's test cells as nbgrader's gradebook holds them
    (from ``solutions/``, hidden tests included)."""
    source = read_notebook_json(ROOT / "solutions" / exercise / f"{exercise}.ipynb")
    return {
        nbgrader_metadata(cell)["grade_id"]: cell_source(cell)
        for cell in source["cells"]
        if cell_kind(cell) == TEST
    }


@contextlib.contextmanager
def timed_transfers():
    """Count the calls into the student's process and time them, and the time this process
    spends writing and reading Keras models (``wire.save_model`` and ``wire.load_model``)."""
    from mnist_course.sandbox import StudentProcess, wire

    totals = {"calls": 0, "call": 0.0, "save": 0.0, "load": 0.0}
    originals = {
        (StudentProcess, "_call"): "call",
        (StudentProcess, "value"): "call",
        (wire, "save_model"): "save",
        (wire, "load_model"): "load",
    }
    kept = {key: getattr(*key) for key in originals}

    def timing(function, what):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[what] += time.perf_counter() - start
                totals["calls"] += what == "call"

        return timed

    try:
        for (owner, name), what in originals.items():
            setattr(owner, name, timing(kept[owner, name], what))
        yield totals
    finally:
        for (owner, name), function in kept.items():
            setattr(owner, name, function)


def profile_outside(exercise, skipped=frozenset()):
    """[(what, seconds), ...] for one complete submission graded as ``GradeOutside`` grades it:
    the student's process started first, each student's cell run there (those whose digest is
    in ``skipped`` not run), each test cell here."""
    from mnist_course.sandbox import student_process
    from mnist_course.sandbox.notebook_run import NotebookRun

    zygote = student_process._ZYGOTE  # its bubblewrap process: the zygote's tree
    zygote_pid = zygote._process.pid if zygote is not None else None
    zygote_cpu = _tree_cpu_seconds(zygote_pid) if zygote_pid else 0.0
    nb = complete_submission(exercise)
    tests = gradebook_tests(exercise)
    os.environ.update(grading_environment())
    rows = []
    cpu = time.process_time()
    with timed_transfers() as totals:
        start = time.perf_counter()
        with NotebookRun(timeout=120) as run:
            seconds = time.perf_counter() - start
            rows.append((f"start of the student's process ({run.containment})", seconds))
            for item in cells_to_run(nb, skipped):
                before = dict(totals)
                had_keras = "keras" in sys.modules
                start = time.perf_counter()
                if item.kind == TEST:
                    result = run.test_cell(tests[item.grade_id])
                else:
                    (result,) = run.student_cells([item.source])
                seconds = time.perf_counter() - start
                note = f" ERROR {result.error[0]}" if result.error else ""
                if item.kind == TEST:
                    note += _transfers(before, totals, not had_keras and "keras" in sys.modules)
                rows.append((label(item.cell) + note, seconds))
            if run.process.forked:  # the zygote's tree, less what it had used before
                student_cpu = _tree_cpu_seconds(zygote_pid) - zygote_cpu
            else:
                student_cpu = _tree_cpu_seconds(run.process._process.pid)
    rows.append(
        (
            f"CPU: {time.process_time() - cpu:.1f} s here, {student_cpu:.1f} s in the "
            "student's process",
            None,
        )
    )
    return rows


def _tree_cpu_seconds(pid):
    """CPU seconds of ``pid``'s descendants, read from /proc while they run (Linux)."""
    parents, times = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return sum(times[process] for process in tree - {pid})


def _transfers(before, after, imported_keras):
    """`` [2 call(s) 1.20 s; .keras write 0.10 s, read 0.30 s here]`` for one test cell."""
    change = {what: after[what] - before[what] for what in after}
    return (
        f" [{change['calls']} call(s) {change['call']:.2f} s; .keras write {change['save']:.2f}"
        f" s, read {change['load']:.2f} s here{'; Keras imported here' if imported_keras else ''}]"
    )


def in_a_fork(function, *args):
    """``function(*args)`` run in a fork of this process, as a grading worker runs each
    student: what one exercise's checks ran does not reach the next (a reference run depends
    on what its process ran before). Returns its result, which must be JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            with os.fdopen(write, "w") as out:
                json.dump(function(*args), out)
            code = 0
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    if not text:
        raise SystemExit(f"{function.__name__}{args} failed in its fork")
    return [tuple(row) for row in json.loads(text)]


def as_graded(exercise):
    """The rows of a second student graded as the course grades (see the module's doc)."""
    released = nbformat.read(ROOT / "exercises" / exercise / f"{exercise}.ipynb", as_version=4)
    skipped = frozenset(demonstration_digests(released))
    with tempfile.TemporaryDirectory(prefix="profile-references-") as folder:
        os.environ[CACHE_VARIABLE] = folder
        try:
            profile_outside(exercise, skipped)
            return profile_outside(exercise, skipped)
        finally:
            del os.environ[CACHE_VARIABLE]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=EXERCISES)
    parser.add_argument("--as-graded", action="store_true", help="as the course grades")
    args = parser.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}", flush=True)
    kinds = {}
    if args.as_graded:  # as a grading worker, before its forks
        import keras  # noqa: F401

        from mnist_course.sandbox.student_process import use_zygote

        use_zygote(("keras",))
    for exercise in args.exercises:
        rows = in_a_fork(as_graded, exercise) if args.as_graded else profile(exercise)
        total = sum(seconds for _, seconds in rows if seconds is not None)
        print(f"\n{exercise}: {total:.1f} s, load average {os.getloadavg()[0]:.2f}")
        for what, seconds in rows:
            if seconds is None:  # a note, not a time
                print(f"  {what}")
                continue
            print(f"  {seconds:7.2f} s  {what}")
            kind = what if what == "kernel start" else what.split()[0]
            kinds[kind] = kinds.get(kind, 0.0) + seconds
        sys.stdout.flush()
    print("\nEvery exercise, by kind of cell:")
    for kind, seconds in kinds.items():
        print(f"  {seconds:7.1f} s  {kind}")


if __name__ == "__main__":
    main()
