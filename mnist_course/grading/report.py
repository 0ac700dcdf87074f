"""What ``mnist-course autograde`` prints: a line per student as each is done, then the
scores and a summary line, for each assignment graded."""

from __future__ import annotations

import time
from pathlib import Path

from .autograde import autograde_course


def autograde_and_report(
    assignments, *, root=".", students=None, jobs=None, force=False, timeout=None, shard=None
):
    """Autograde a class and print the report: a line per student as each is done, the scores
    and a summary, for each assignment. Return the exit status: 1 if a grading run failed,
    else 0.

    ``assignments`` is an assignment's name, a list of them, or None for every assignment of
    the gradebook with submissions; the options are those of
    :func:`~mnist_course.grading.autograde.autograde_course`.
    """
    several = not isinstance(assignments, str) and (assignments is None or len(assignments) > 1)
    if isinstance(assignments, str):
        assignments = [assignments]
    start = time.perf_counter()
    course = autograde_course(
        assignments,
        root=root,
        students=students,
        jobs=jobs,
        force=force,
        timeout=timeout,
        shard=shard,
        on_result=lambda result: print(format_result(result, several), flush=True),
    )
    print()
    width = max(map(len, course), default=0)
    for assignment, results in course.items():
        for result in results:
            if result.score is not None:
                name = f"{result.student:>20}"
                if several:
                    name = f"{assignment:<{width}}  {name}"
                print(f"{name}  {result.score:g} / {result.max_score:g}")
    results = [result for results in course.values() for result in results]
    seconds = time.perf_counter() - start
    if several:
        students = len({result.student for result in results})
        summary = format_summary(results, seconds, "submission")
        summary = f"{len(course)} assignments, {_count(students, 'student')}, {summary}"
    else:
        summary = format_summary(results, seconds)
    print(f"shard {shard[0]}/{shard[1]}: {summary}" if shard else summary)
    return 1 if any(result.status == "failed" for result in results) else 0


def format_result(result, with_assignment=False):
    """One line of the autograde report for a student (a ``StudentResult``), which starts
    with the assignment when asked (a report of several).

    Examples
    --------
    >>> from mnist_course.grading.autograde import StudentResult
    >>> print(format_result(StudentResult("alice", "graded", 12.3, 4.0, 6.0)))
    alice: graded, 4 of 6 points (12.3 s)
    >>> result = StudentResult("bob", "skipped", 0.1, 6.0, 6.0, assignment="ex01_data")
    >>> print(format_result(result, with_assignment=True))
    ex01_data, bob: skipped, 6 of 6 points (0.1 s)
    """
    line = f"{result.student}: {result.status}"
    if with_assignment:
        line = f"{result.assignment}, {line}"
    if result.score is not None:
        line += f", {result.score:g} of {result.max_score:g} points"
    line += f" ({result.seconds:.1f} s)"
    for note in result.notes:
        line += f"\n    {note}"
    if result.status in ("failed", "missing") and result.log is not None:
        log = result.log
        if log.is_relative_to(Path.cwd()):
            log = log.relative_to(Path.cwd())
        line += f"\n    nbgrader's log: {log}"
    return line


def format_summary(results, seconds, what="student"):
    """The autograde report's last line: how many students (or, of several assignments,
    submissions) in each state, and the wall time.

    Examples
    --------
    >>> from mnist_course.grading.autograde import StudentResult
    >>> print(format_summary([StudentResult("a", "graded"), StudentResult("b", "failed")], 9.5))
    2 students in 9.5 s: 1 graded, 1 failed
    >>> print(format_summary([StudentResult("a", "graded")], 2.0, "submission"))
    1 submission in 2.0 s: 1 graded
    """
    counts = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    states = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{_count(len(results), what)} in {seconds:.1f} s" + (f": {states}" if states else "")


def _count(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
