"""The self-check's pytest plugin: ``pytest exercises`` from the course folder.

It collects each exercise notebook as a file with one item per test cell (and per written
answer), starts checking every notebook with selected items in the background, a few at a
time, each in a checking process of its own that runs it as grading does
(:func:`mnist_course.selfcheck.check_notebook`), and reports each item: passed, or failed
with what was expected, what the function returned and a hint, never a traceback.
``exercises/conftest.py`` turns it on for ``exercises/``. This is the only module of the
self-check that imports pytest.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..notebook import read_notebook
from .launcher import DEFAULT_TIMEOUT, check_notebook


def pytest_addoption(parser):
    """Add ``--check-timeout``: seconds each exercise cell, and each call of an exercise's
    function by a check, may run (default 60)."""
    parser.addoption(
        "--check-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds each exercise cell, and each call of your function by a check, may run "
        "before it is stopped (default 60)",
    )


def pytest_report_header(config):
    """Say what the student's process cannot be limited by here (nothing on Linux with
    bubblewrap); past its time a call or a cell is stopped on every platform."""
    from .. import _cells
    from ..sandbox import student_process

    works, why = student_process.bubblewrap_status()
    gaps = ([] if works else [f"a sandbox ({why})"]) + _cells.platform_gaps()
    if not gaps:
        return None
    return [
        "self-check: your code runs in a process of its own, stopped past its time limit; "
        "not limited on this computer: " + "; ".join(gaps)
    ]


def pytest_collect_file(file_path, parent):
    """Collect each exercise notebook (not Jupyter's checkpoint copies)."""
    if file_path.suffix == ".ipynb" and ".ipynb_checkpoints" not in file_path.parts:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_finish(session):
    """Start checking every notebook with selected items, a few at a time, in the background."""
    by_notebook = {}
    for item in session.items:
        if isinstance(item, CheckItem):
            by_notebook.setdefault(item.parent, []).append(item.name)
    for notebook, names in by_notebook.items():
        notebook.start(names)


_pool = None


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    return _pool


class CellNotPassed(Exception):
    """A test cell (or written answer) came to anything but passed: failed, not implemented,
    timed out or an error; carries the message pytest shows instead of a traceback.

    Raised by pytest's item, in pytest's process, from the result the checking process sent
    back; not :class:`~mnist_course.checks.CheckFailed`, which a check raises there when an
    answer is wrong.
    """


class NotebookFile(pytest.File):
    """An exercise notebook: one item per test cell and per written answer."""

    def collect(self):
        tests, written = read_notebook(self.path)
        for test in tests:
            yield CheckItem.from_parent(self, name=test.grade_id, description=test.description)
        for answer in written:
            yield CheckItem.from_parent(self, name=answer.grade_id, description="written answer")

    def start(self, names):
        if getattr(self, "_future", None) is None:
            timeout = self.config.getoption("check_timeout", DEFAULT_TIMEOUT)
            self._future = _executor().submit(
                check_notebook, self.path, timeout=timeout, grade_ids=set(names)
            )

    def results(self):
        self.start([item.name for item in self.collect()])
        return self._future.result()


class CheckItem(pytest.Item):
    """One test cell (or written answer) of a notebook."""

    def __init__(self, *, description, **kwargs):
        super().__init__(**kwargs)
        self.description = description

    def runtest(self):
        result = self.parent.results().get(self.name)
        if result is None:
            raise CellNotPassed(f"{self.name}: no result (the check did not run)")
        if not result.passed:
            raise CellNotPassed(result.message)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CellNotPassed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"
