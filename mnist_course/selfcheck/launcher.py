"""The self-check's launcher: a checking process per notebook, and its results read back.

:func:`check_notebook` starts ``python -m mnist_course.selfcheck.checker`` for a notebook
and waits for it. That process runs the notebook as grading does (the checks in it, the
student's cells in the sandbox's child that it starts); a call that runs past the time limit
is stopped there, and the other checks go on. This module runs in the process that asked for
the check (pytest's, through :mod:`mnist_course.selfcheck.plugin`) and does not import pytest.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .._quiet import ONE_THREAD, SMALL_PAGES
from ..notebook import WRITTEN_PLACEHOLDER, read_notebook
from .results import Result, read_results

DEFAULT_TIMEOUT = 60.0
"""Seconds one of the notebook's cells, or one call of a student's function, may run."""

CHECKER = "mnist_course.selfcheck.checker"
"""The checking process's module, run as ``python -m``."""

_children = set()
_children_lock = threading.Lock()


@atexit.register
def _stop_children():
    with _children_lock:
        for process in list(_children):
            _stop(process)


def _stop(process):
    """Stop a checking process; it closes the student's process on its way out."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_notebook(path, *, timeout=DEFAULT_TIMEOUT, grade_ids=None):
    """Run a notebook's test cells against its answers, as grading does; return
    ``{grade_id: Result}``.

    Parameters
    ----------
    path : str or Path
        The notebook.
    timeout : float
        Seconds each of its cells, and each call of a student's function by a check, may
        take; a check whose call ran past it is reported as timed out.
    grade_ids : iterable of str, optional
        The test cells (and written answers) to check; all by default.

    Returns
    -------
    dict
        ``grade_id -> Result``, with written answers included.

    Examples
    --------
    >>> results = check_notebook("exercises/ex01_data/ex01_data.ipynb")  # doctest: +SKIP
    >>> results["test_normalize"].outcome  # doctest: +SKIP
    'not_implemented'
    """
    path = Path(path).resolve()
    tests, written = read_notebook(path)
    wanted = [t.grade_id for t in tests if grade_ids is None or t.grade_id in grade_ids]
    results = {}
    for answer in written:
        if grade_ids is None or answer.grade_id in grade_ids:
            results[answer.grade_id] = _check_written(answer)
    if wanted:
        results.update(_run_checker(path, timeout, wanted))
    return results


def _check_written(answer):
    if answer.source.strip() in ("", WRITTEN_PLACEHOLDER):
        return Result(
            "not_implemented",
            f"not implemented yet: write your answer in the cell '{answer.grade_id}' "
            f"(it replaces {WRITTEN_PLACEHOLDER}); your instructor grades it by hand",
        )
    return Result("passed")


def _run_checker(path, timeout, wanted):
    """Run the checking process; the test cells it did not decide say why."""
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as folder:
        results_file = Path(folder) / "results.jsonl"
        results_file.touch()
        log_file = Path(folder) / "output.log"
        # One TensorFlow thread each, as in grading: the notebooks are checked side by side;
        # numpy without huge pages, as in grading
        env = {**ONE_THREAD, **SMALL_PAGES, **os.environ}
        env.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", CHECKER, str(path), str(results_file), str(timeout)]
        with open(log_file, "wb") as log:
            process = subprocess.Popen(
                [*command, *wanted], stdout=log, stderr=subprocess.STDOUT, env=env
            )
        with _children_lock:
            _children.add(process)
        try:
            process.wait()
        finally:
            _stop(process)
            with _children_lock:
                _children.discard(process)
        results = read_results(results_file)
        if any(grade_id not in results for grade_id in wanted):
            output = log_file.read_text(errors="replace").strip()
            last = output.splitlines()[-1] if output else f"exit code {process.returncode}"
            lost = Result("error", f"the check stopped before this test cell ran ({last})")
            results.update({g: lost for g in wanted if g not in results})
    return {grade_id: results[grade_id] for grade_id in wanted}
