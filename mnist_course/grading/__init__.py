"""Grading with nbgrader, laid out by which process runs what.

- :mod:`~mnist_course.grading.preprocessors`: runs inside nbgrader's process, which loads
  the two preprocessors that nbgrader_config.py names;
- :mod:`~mnist_course.grading.autograde`: drives nbgrader (the worker pool that grades a
  class, and reading each run's outcome and score);
- :mod:`~mnist_course.grading.screen`: the submission screen, read before grading.

The report that ``mnist-course autograde`` prints is made in :mod:`mnist_course.cli`.
"""

from .autograde import (
    DB_URL_VARIABLE,
    RETRIES,
    TRANSIENT_ERRORS,
    GradingError,
    GradingPool,
    StudentResult,
    autograde_class,
    autograde_course,
    autograde_student,
    course_directory,
    grading_environment,
    parse_shard,
    read_outcome,
    shard_students,
    stopped_half_way,
)
from .preprocessors import (
    RESTART_MESSAGE,
    TIMEOUT_MESSAGE,
    ClearHiddenTestsAndTracebacks,
    GradeOutside,
)
from .screen import notebook_problems, tampering

__all__ = [
    "DB_URL_VARIABLE",
    "RESTART_MESSAGE",
    "RETRIES",
    "TRANSIENT_ERRORS",
    "ClearHiddenTestsAndTracebacks",
    "GradingError",
    "GradingPool",
    "GradeOutside",
    "TIMEOUT_MESSAGE",
    "StudentResult",
    "autograde_class",
    "autograde_course",
    "autograde_student",
    "course_directory",
    "grading_environment",
    "notebook_problems",
    "parse_shard",
    "read_outcome",
    "shard_students",
    "stopped_half_way",
    "tampering",
]
