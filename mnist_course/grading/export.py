"""Grades out of the gradebook, for a spreadsheet and for an LMS.

:func:`grade_rows` reads every student and exercise of an nbgrader gradebook (SQLite or
PostgreSQL) into plain rows, one per graded item, with a status that never hides a gap:

- ``graded``: the item's points, as nbgrader scored them (by the checks, or by hand);
- ``needs manual grading``: a written answer nobody has graded yet (no points shown);
- ``not submitted``: the student has no submission of this exercise (no points shown).

:func:`write_items` writes them as a long table (``student_id, exercise, item, points,
max_points, status``) with each exercise's ``late penalty`` and ``total`` as items of their own;
:func:`write_lms` writes one row per student and one column per exercise in the layout of
Canvas's gradebook import (``Student, ID, SIS User ID, SIS Login ID, Section``, then one column
an exercise), which Moodle's "Import grades from CSV" also reads (map ``SIS Login ID`` to the
username). An exercise that is not submitted or not fully graded is left empty there, never 0.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
NOT_SUBMITTED = "not submitted"

LMS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
"""Canvas's identity columns, in its order; the exercises follow."""


@dataclass(frozen=True)
class ItemRow:
    """One graded item (a test cell or a written answer) of one student's exercise."""

    student_id: str
    exercise: str
    item: str
    points: float | None
    max_points: float
    status: str


@dataclass(frozen=True)
class ExerciseRow:
    """One student's exercise: the total after the late penalty, or why there is none."""

    student_id: str
    name: str
    exercise: str
    total: float | None
    max_points: float
    late_penalty: float
    status: str
    items: tuple[ItemRow, ...]


def grade_rows(coursedir):
    """Read the gradebook of ``coursedir`` into one :class:`ExerciseRow` per student and
    exercise, students and exercises sorted by id and name."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        exercises = sorted(gradebook.assignments, key=lambda assignment: assignment.name)
        for student in sorted(gradebook.students, key=lambda student: student.id):
            name = ", ".join(part for part in (student.last_name, student.first_name) if part)
            for exercise in exercises:
                try:
                    submission = gradebook.find_submission(exercise.name, student.id)
                except MissingEntry:
                    rows.append(_missing(student.id, name, exercise))
                    continue
                rows.append(_submitted(student.id, name, exercise.name, submission))
    return rows


def _missing(student_id, name, exercise):
    items = tuple(
        ItemRow(student_id, exercise.name, cell.name, None, cell.max_score, NOT_SUBMITTED)
        for notebook in exercise.notebooks
        for cell in notebook.grade_cells
    )
    return ExerciseRow(
        student_id, name, exercise.name, None, exercise.max_score, 0.0, NOT_SUBMITTED, items
    )


def _submitted(student_id, name, exercise, submission):
    items, penalty = [], 0.0
    for notebook in submission.notebooks:
        penalty += notebook.late_submission_penalty or 0.0
        for grade in notebook.grades:
            manual = grade.needs_manual_grade
            items.append(
                ItemRow(
                    student_id,
                    exercise,
                    grade.cell.name,
                    None if manual else grade.score,
                    grade.max_score,
                    NEEDS_MANUAL if manual else GRADED,
                )
            )
    if any(item.status == NEEDS_MANUAL for item in items):
        total, status = None, NEEDS_MANUAL
    else:
        total, status = max(0.0, submission.score - penalty), GRADED
    return ExerciseRow(
        student_id,
        name,
        exercise,
        total,
        submission.max_score,
        penalty,
        status,
        tuple(sorted(items, key=lambda item: item.item)),
    )


def _number(value):
    """A number as a spreadsheet reads it (``2`` not ``2.0``); None as an empty cell."""
    return "" if value is None else f"{value:g}"


def write_items(rows, path):
    """Write the long table of items: one line per graded item, then the exercise's late
    penalty and total, for every student and exercise."""
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student_id", "exercise", "item", "points", "max_points", "status"])
        for row in rows:
            for item in row.items:
                writer.writerow(
                    [
                        item.student_id,
                        item.exercise,
                        item.item,
                        _number(item.points),
                        _number(item.max_points),
                        item.status,
                    ]
                )
            penalty = None if row.status == NOT_SUBMITTED else row.late_penalty
            writer.writerow(
                [row.student_id, row.exercise, "late penalty", _number(penalty), "", row.status]
            )
            writer.writerow(
                [
                    row.student_id,
                    row.exercise,
                    "total",
                    _number(row.total),
                    _number(row.max_points),
                    row.status,
                ]
            )


def write_lms(rows, path):
    """Write the LMS's gradebook: one row per student, one column per exercise (its total after
    the late penalty), empty where the exercise is not submitted or not fully graded.

    Canvas's import reads a "Points Possible" row after the header: it holds each exercise's
    maximum points."""
    exercises = sorted({row.exercise for row in rows})
    maxima = {row.exercise: row.max_points for row in rows}
    students = {}
    for row in rows:
        students.setdefault((row.student_id, row.name), {})[row.exercise] = row.total
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*LMS_COLUMNS, *exercises])
        writer.writerow(
            ["Points Possible", "", "", "", "", *(_number(maxima[e]) for e in exercises)]
        )
        for (student_id, name), totals in sorted(students.items()):
            writer.writerow(
                [
                    name or student_id,
                    "",
                    "",
                    student_id,
                    "",
                    *(_number(totals.get(e)) for e in exercises),
                ]
            )


def gaps(rows):
    """Lines that say which totals the LMS file leaves empty, and why."""
    return [
        f"{row.student_id} {row.exercise}: {row.status}, left empty"
        for row in rows
        if row.status != GRADED
    ]
