"""The students' self-check, ``pytest exercises``, laid out by which process runs what.

- :mod:`~mnist_course.selfcheck.plugin`: runs inside pytest (the hooks and one item per test
  cell); the only module here that imports pytest;
- :mod:`~mnist_course.selfcheck.parent`: runs in the same process, beside pytest: starts a
  worker per notebook, watches its time and starts it again after a cell had to be killed;
- :mod:`~mnist_course.selfcheck.worker`: the child process, ``python -m
  mnist_course.selfcheck.worker``, that runs one notebook's cells and test cells;
- :mod:`~mnist_course.selfcheck.results`: what a test cell can come to, as both sides read it.

``exercises/conftest.py`` turns the plugin on for ``exercises/``.
"""

from .parent import DEFAULT_TIMEOUT, HARD_KILL_GRACE, check_notebook
from .results import Result

__all__ = ["DEFAULT_TIMEOUT", "HARD_KILL_GRACE", "Result", "check_notebook"]
