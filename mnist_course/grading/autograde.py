"""The ``mnist-course autograde`` command: grade a class, several students at once, and report.

nbgrader grades one student at a time. :func:`autograde_course` grades ``jobs`` students at
once, in ``jobs`` worker processes (a :class:`~mnist_course.grading.pool.GradingPool`) that
each run nbgrader's autograde for one student after another, over the course's one gradebook,
and reports each student: graded (with the score), skipped (already graded), failed (with
nbgrader's reason) or missing notebooks. It never writes into the submitted folder.
:func:`autograde_and_report` is the command: it prints a line per student as each is done,
then the scores and a summary.

A class larger than one machine is split into shards
(:func:`~mnist_course.grading.coursedir.shard_students`): each machine grades every N-th student
into one gradebook on a database server. A student whose grading was cut off (a machine or
job that died) is graded again on the next run
(:func:`~mnist_course.grading.coursedir.stopped_half_way`).

Where the course's folders and gradebook are is read in :mod:`mnist_course.grading.coursedir`;
what nbgrader runs inside its own process while it grades is in
:mod:`mnist_course.grading.preprocessors`; what is looked at before, in
:mod:`mnist_course.grading.screen`.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .coursedir import (
    GradingError,
    assignment_notebooks,
    config_folder,
    course_directory,
    gradebook_assignments,
    read_scores,
    shard_students,
    stopped_half_way,
    submitted_students,
)
from .pool import GradingPool

TRANSIENT_ERRORS = (
    # SQLite: another process holds the write lock
    "database is locked",
    # SQLite: two runs created the same new student at once (nbgrader's update_or_create_student)
    "UNIQUE constraint failed",
    # PostgreSQL: two transactions that waited on each other, or created the same row at once
    "deadlock detected",
    "could not serialize access",
    "duplicate key value violates unique constraint",
    # a kernel's port taken between choosing it and binding it
    "Address already in use",
)
"""Failures of an nbgrader run that say nothing about the submission: the run is repeated."""

RETRIES = 2
"""How many times a run that failed with a :data:`TRANSIENT_ERRORS` message is repeated."""


@dataclass
class StudentResult:
    """How autograding one student went."""

    student: str
    status: str
    """``graded``, ``skipped`` (graded before; --force regrades), ``failed`` or ``missing``."""
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    notes: list[str] = field(default_factory=list)
    log: Path | None = None
    assignment: str | None = None


def read_outcome(student, returncode, output):
    """Turn an nbgrader autograde run's exit status and log into a :class:`StudentResult`.

    Examples
    --------
    >>> read_outcome("bob", 0, "[AutogradeApp | WARNING] Skipping existing assignment").status
    'skipped'
    >>> read_outcome("eve", 1, "[AutogradeApp | ERROR] No notebooks found, ...").notes
    ['No notebooks found, ...']
    >>> read_outcome("ann", 0, "[INFO] The student's code runs contained by rlimits only "
    ...     "(bubblewrap not found)").notes
    ["the student's code ran with rlimits only (bubblewrap not found), not in a sandbox"]
    """
    # the lines GradeOutside logs; imported once the workers have started, as nbgrader's
    # preprocessors load with it
    from .preprocessors import RESTART_MESSAGE, TIMEOUT_MESSAGE

    if returncode == 0:
        status = "skipped" if "Skipping existing assignment" in output else "graded"
        result = StudentResult(student, status)
    else:
        errors = re.findall(r"\[(?:AutogradeApp \| )?ERROR\] (.*)", output)
        generic = ("There was an error processing", "Please see", "Traceback")
        reasons = [line for line in errors if not line.startswith(generic)]
        if not reasons:
            tail = [line for line in output.strip().splitlines() if line.strip()][-1:]
            reasons = tail or [f"nbgrader exited with status {returncode}"]
        return StudentResult(student, "failed", notes=reasons[-3:])
    missing_cells = re.findall(r"Missing grade cell (\S+) encountered", output)
    if missing_cells:
        result.notes.append(f"test cells put back: {', '.join(missing_cells)}")
    timeouts = output.count(TIMEOUT_MESSAGE)
    if timeouts:
        result.notes.append(f"{timeouts} cell(s) ran past the timeout and were stopped")
    containment = re.search(r"The student's code runs contained by rlimits only \((.*)\)", output)
    if containment:
        result.notes.append(
            f"the student's code ran with rlimits only ({containment.group(1)}), not in a sandbox"
        )
    restarts = output.count(RESTART_MESSAGE)
    if restarts:
        result.notes.append(f"the student's process died {restarts} time(s) and was restarted")
    return result


def autograde_student(assignment, student, *, coursedir, expected, grader, force=False, log_dir):
    """Autograde one student with ``grader``; return a :class:`StudentResult`.

    A run that fails with a :data:`TRANSIENT_ERRORS` message (a busy gradebook) is repeated
    up to :data:`RETRIES` times. A student whose earlier grading was cut off
    (:func:`stopped_half_way`) is graded again as with ``force``.
    """
    from .screen import notebook_problems, tampering

    folder = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    missing = notebook_problems(folder, expected)
    problems = list(missing)
    for name in expected:
        cells = tampering(Path(folder) / f"{name}.ipynb")
        if cells:
            problems.append(
                f"{name}.ipynb: answer code reaches the checks or the import system "
                f"({'; '.join(cells)}): look at it by hand"
            )
    resumed = not force and stopped_half_way(coursedir, assignment, student)
    if resumed:
        problems.append("an earlier run stopped while grading this student: graded again")
    start = time.perf_counter()
    for attempt in range(RETRIES + 1):
        returncode, output = grader(assignment, student, force=force or resumed or attempt > 0)
        if returncode == 0 or not any(error in output for error in TRANSIENT_ERRORS):
            break
    result = read_outcome(student, returncode, output)
    result.seconds = time.perf_counter() - start
    result.assignment = assignment
    if attempt:
        result.notes.append(f"run {attempt + 1} times (the gradebook was busy)")
    result.notes[:0] = problems
    if len(missing) == len(expected) and result.status == "failed":
        result.status = "missing"
    log_dir.mkdir(parents=True, exist_ok=True)
    result.log = log_dir / f"{student}.log"
    result.log.write_text(f"autograde {assignment} --student {student}\n{output}")
    return result


def autograde_class(
    assignment,
    *,
    root=".",
    students=None,
    jobs=None,
    force=False,
    timeout=None,
    shard=None,
    grader=None,
    on_result=None,
):
    """Autograde every submission of an assignment, ``jobs`` students at a time.

    ``jobs`` worker processes (a :class:`GradingPool`) each run nbgrader's autograde for one
    student after another; they share the gradebook that nbgrader_config.py names. With
    ``shard``, this machine grades only its share of the class (:func:`shard_students`).

    Parameters
    ----------
    assignment : str
        The assignment's name, e.g. ``"ex01_data"``.
    root : path-like, default "."
        The course's root folder (with nbgrader_config.py).
    students : list of str, optional
        Whom to grade; default every student with a submitted folder for the assignment.
    jobs : int, optional
        How many students to grade at once; default the number of CPUs.
    force : bool, default False
        Grade again students that were graded before (nbgrader's ``--force``).
    timeout : float, optional
        Seconds a cell may run (``Execute.timeout``); default nbgrader_config.py's value.
    shard : tuple of int, optional
        ``(K, N)``: grade only the K-th of N shards of ``students`` (K from 1).
    grader : callable, optional
        ``grader(assignment, student, force=...) -> (returncode, log)``; default a
        :class:`GradingPool` of ``jobs`` workers.
    on_result : callable, optional
        Called with each :class:`StudentResult` as soon as that student is done, one call
        at a time (a report printed from it keeps its lines whole).

    Returns
    -------
    list of StudentResult
        One per student, in the order of ``students`` (sorted ids by default, and with
        ``shard``); empty for a shard without students.
    """
    return autograde_course(
        [assignment],
        root=root,
        students=students,
        jobs=jobs,
        force=force,
        timeout=timeout,
        shard=shard,
        grader=grader,
        on_result=on_result,
    )[assignment]


def autograde_course(
    assignments,
    *,
    root=".",
    students=None,
    jobs=None,
    force=False,
    timeout=None,
    shard=None,
    grader=None,
    on_result=None,
):
    """Autograde several assignments with one pool of workers.

    As :func:`autograde_class` for each assignment, but the workers (and what they loaded:
    nbgrader, Keras) serve them all: the tasks, every student of the assignment that takes
    longest to grade (:func:`mnist_course.checks.grading_seconds`), then of the next, ...,
    go to the workers in that order, ``jobs`` at a time, so one student's exercises are
    graded at once too, and the last to end is a short one. Every assignment is checked
    before any is graded (it is in the gradebook and has submissions).

    Parameters
    ----------
    assignments : list of str, optional
        The assignments' names, e.g. ``["ex01_data", "ex02_model"]``; default every
        assignment of the gradebook that has submissions, by name.
    root, students, jobs, force, timeout, shard, grader, on_result
        As for :func:`autograde_class`.

    Returns
    -------
    dict
        ``{assignment: [StudentResult, ...]}``, in the order of ``assignments``.
    """
    jobs = max(1, jobs or os.cpu_count() or 1)
    starting = None
    if grader is None:
        from ..checks import uses_keras

        # the pool starts in a thread: its forkserver imports nbgrader and Keras (about 6 s on
        # one core) while this process imports nbgrader and looks the course up on the other
        keras = assignments is None or any(uses_keras(name) for name in assignments)
        starting = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="grading-pool")
        grader = starting.submit(
            GradingPool, config_folder(root), jobs=jobs, timeout=timeout, keras=keras
        )
    try:
        coursedir = course_directory(root)
        return _autograde_course(
            coursedir, assignments, students, jobs, force, shard, grader, on_result
        )
    finally:
        if starting is not None:
            starting.shutdown()
            if grader.exception() is None:
                grader.result().close()


def _autograde_course(coursedir, assignments, students, jobs, force, shard, grader, on_result):
    if assignments is None:
        assignments = [
            name for name in gradebook_assignments(coursedir) if submitted_students(coursedir, name)
        ]
        if not assignments:
            folder = coursedir.format_path(coursedir.submitted_directory, "<student>", "<name>")
            raise GradingError(
                f"no submissions of any assignment found; expected folders like {folder}"
            )
    classes = {}
    for assignment in assignments:
        expected = assignment_notebooks(coursedir, assignment)
        whom = students
        if whom is None:
            whom = submitted_students(coursedir, assignment)
            if not whom:
                folder = coursedir.format_path(
                    coursedir.submitted_directory, "<student>", assignment
                )
                raise GradingError(
                    f"no submissions of {assignment!r} found; expected folders like {folder} "
                    "(nbgrader collect or zip_collect puts them there)"
                )
        if shard is not None:
            whom = shard_students(whom, *shard)
        classes[assignment] = (expected, whom)
    # every student of every assignment, the longest to grade first, ``jobs`` at a time: a
    # worker that is done takes the next task, of whichever assignment; it forks ahead for
    # the one it will likely take after that
    from ..checks import grading_seconds

    longest_first = sorted(classes, key=grading_seconds, reverse=True)
    if isinstance(grader, concurrent.futures.Future):  # the pool, started beside this
        grader = grader.result()
    tasks = [
        (assignment, student) for assignment in longest_first for student in classes[assignment][1]
    ]

    def then(index):
        return tasks[index + jobs][0] if index + jobs < len(tasks) else None

    reporting = threading.Lock()

    def grade(index):
        assignment, student = tasks[index]
        expected = classes[assignment][0]
        log_dir = Path(coursedir.root) / Path(coursedir.autograded_directory).parent
        bound = grader
        if isinstance(grader, GradingPool):
            bound = functools.partial(grader, then=then(index))
        result = autograde_student(
            assignment,
            student,
            coursedir=coursedir,
            expected=expected,
            grader=bound,
            force=force,
            log_dir=log_dir / "logs" / assignment,
        )
        read_scores(coursedir, assignment, [result])
        if on_result is not None:
            with reporting:
                on_result(result)
        return result

    results = {assignment: [] for assignment in classes}
    if tasks:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(tasks))) as threads:
            for result in threads.map(grade, range(len(tasks))):
                results[result.assignment].append(result)
    return results
