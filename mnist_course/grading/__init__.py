"""Grading with nbgrader, one module per job:

- :mod:`~mnist_course.grading.coursedir`: the course's folders and its gradebook (where the
  submissions are, which students a shard grades, what the gradebook holds);
- :mod:`~mnist_course.grading.pool`: the worker processes that run nbgrader, one student
  after another, and the environment they run in;
- :mod:`~mnist_course.grading.autograde`: the ``mnist-course autograde`` command's
  orchestration (every student of every assignment through the pool, retries, outcomes),
  and :mod:`~mnist_course.grading.report`, what it prints;
- :mod:`~mnist_course.grading.preprocessors`: what runs inside nbgrader's process (the two
  preprocessors that nbgrader_config.py names), with the log lines they write;
- :mod:`~mnist_course.grading.screen`: the submission screen, read before grading;
- :mod:`~mnist_course.grading.deadlines`, :mod:`~mnist_course.grading.export` and
  :mod:`~mnist_course.grading.formgrade`: due dates and the late policy, the grades for an
  LMS, Formgrader's model answers.

This package exports what the command line uses; nbgrader_config.py names the preprocessors
by their modules. Importing it loads neither nbgrader nor nbformat: the command starts its
workers first.
"""

from .coursedir import GradingError, course_directory, parse_shard
from .pool import grading_environment, skip_unused_imports
from .report import autograde_and_report

__all__ = [
    "GradingError",
    "autograde_and_report",
    "course_directory",
    "grading_environment",
    "parse_shard",
    "skip_unused_imports",
]
