"""The students' self-check, ``pytest exercises``, laid out by which process runs what.

- :mod:`~mnist_course.selfcheck.plugin`: runs inside pytest (the hooks and one item per test
  cell); the only module here that imports pytest;
- :mod:`~mnist_course.selfcheck.launcher`: runs in the same process, beside pytest: launches
  a checking process per notebook and reads back its results;
- :mod:`~mnist_course.selfcheck.checker`: the checking process, ``python -m
  mnist_course.selfcheck.checker``, that runs one notebook as grading does: the checks in it,
  the student's cells in the sandbox's child process
  (:class:`mnist_course.sandbox.notebook_run.NotebookRun`);
- :mod:`~mnist_course.selfcheck.results`: what a test cell can come to, as both sides read it.

``exercises/conftest.py`` turns the plugin on for ``exercises/``.
"""

from .launcher import DEFAULT_TIMEOUT, check_notebook
from .results import Result

__all__ = ["DEFAULT_TIMEOUT", "Result", "check_notebook"]
