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
    RESTART_MESSAGE,
    RETRIES,
    TIMEOUT_MESSAGE,
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

_LAZY = {
    "ClearHiddenTestsAndTracebacks": "preprocessors",
    "GradeOutside": "preprocessors",
    "notebook_problems": "screen",
    "tampering": "screen",
}
"""Names imported when first used: the command that drives nbgrader loads neither nbgrader's
preprocessors nor nbformat before it has started its workers."""


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)


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
