"""Due dates and the late policy: when each exercise is due, and what lateness costs.

The instructor writes the due dates in one TOML file (``due_dates.toml`` at the course's
root; ``due_dates.example.toml`` shows the form), and ``mnist-course register`` puts them into
the gradebook with the exercises. nbgrader's ``AssignLatePenalties`` then asks the policy,
:class:`PerDayPenalty` (named in ``nbgrader_config.py``), what a late notebook loses:
``fraction_per_day`` of the notebook's maximum points for each day or part of a day late,
never more than the notebook scored (the score's floor is zero).
"""

from __future__ import annotations

import datetime
import math
import tomllib
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

from .coursedir import GradingError

DUE_DATES_FILE = "due_dates.toml"
"""The due dates' file, in the course's root folder."""

SECONDS_PER_DAY = 24 * 60 * 60


def read_due_dates(path, *, exercises=None):
    """Read a due-dates file: one line ``exercise = date`` each, in TOML.

    A date is a TOML date-time; one without a time zone is read as UTC, the gradebook's own.

    Parameters
    ----------
    path : path-like
        The TOML file.
    exercises : list of str, optional
        The course's exercises: a name outside them is an error (a typo would otherwise leave
        an exercise without its due date).

    Returns
    -------
    dict of str to datetime.datetime
        Each exercise's due date, in UTC without a time zone, as nbgrader stores it.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "due_dates.toml"
    >>> _ = path.write_text("ex01_data = 2027-02-01T23:59:00+01:00\\n")
    >>> read_due_dates(path)
    {'ex01_data': datetime.datetime(2027, 2, 1, 22, 59)}
    """
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise GradingError(
            f"{path} does not exist; write one line `exercise = 2027-02-01T23:59:00+01:00` "
            "per exercise (due_dates.example.toml shows the form)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise GradingError(f"{path} is not valid TOML ({error}); fix that line") from None
    dates = {}
    for name, value in table.items():
        if exercises is not None and name not in exercises:
            raise GradingError(
                f"{path} gives a due date to {name!r}, which is not an exercise of the course; "
                f"expected one of {', '.join(exercises)}"
            )
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            raise GradingError(
                f"{path}: {name} = {value} has no time of day; write {value}T23:59:00 and the "
                "offset of your time zone, e.g. +01:00"
            )
        if not isinstance(value, datetime.datetime):
            raise GradingError(
                f"{path}: {name} = {value!r} is not a date and time; write it as "
                "2027-02-01T23:59:00+01:00 (no quotes)"
            )
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        dates[name] = value
    return dates


def set_due_dates(coursedir, dates):
    """Give each exercise of ``dates`` its due date in the gradebook of ``coursedir``.

    Parameters
    ----------
    coursedir : nbgrader.coursedir.CourseDirectory
        The course, as :func:`~mnist_course.grading.course_directory` reads it.
    dates : dict of str to datetime.datetime
        As :func:`read_due_dates` returns them.
    """
    from nbgrader.api import Gradebook

    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for name, due in dates.items():
            gradebook.update_or_create_assignment(name, duedate=due)


def days_late(seconds_late):
    """The days a submission is late, counting a started day as a whole one.

    Examples
    --------
    >>> days_late(0), days_late(1), days_late(SECONDS_PER_DAY), days_late(SECONDS_PER_DAY + 1)
    (0, 1, 1, 2)
    """
    return math.ceil(seconds_late / SECONDS_PER_DAY) if seconds_late > 0 else 0


def late_penalty(score, max_score, seconds_late, *, fraction_per_day):
    """Points lost: ``fraction_per_day`` of ``max_score`` per day late, at most ``score``.

    Examples
    --------
    >>> late_penalty(6, 6, 3600, fraction_per_day=0.1)  # an hour late: one day
    0.6
    >>> late_penalty(2, 6, 5 * SECONDS_PER_DAY, fraction_per_day=0.1)  # never below zero
    2
    """
    return min(score, round(fraction_per_day * max_score * days_late(seconds_late), 6))


class PerDayPenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin for the course: a share of the points per day late.

    Set in ``nbgrader_config.py``::

        c.AssignLatePenalties.plugin_class = "mnist_course.grading.deadlines.PerDayPenalty"
        c.PerDayPenalty.fraction_per_day = 0.1

    A notebook submitted one second to 24 hours late loses 0.1 of its maximum points, up to
    48 hours 0.2, and so on; its score never goes below zero (after 10 days it is 0).
    """

    fraction_per_day = Float(
        0.1, help="Share of a notebook's maximum points lost per day (or part of a day) late."
    ).tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        max_score = self._max_score()
        if max_score is None:  # not called by AssignLatePenalties: the score is the base
            max_score = score
        return late_penalty(
            score, max_score, total_seconds_late, fraction_per_day=self.fraction_per_day
        )

    def _max_score(self):
        """The notebook's maximum points, read from the gradebook of the calling
        ``AssignLatePenalties`` (which passes only the score it reached)."""
        parent = self.parent
        gradebook = getattr(parent, "gradebook", None)
        if gradebook is None:
            return None
        notebook = gradebook.find_notebook(parent.notebook_id, parent.assignment_id)
        return notebook.max_score
