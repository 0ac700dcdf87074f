"""The self-check's parent side: checking processes, notebooks handed to them, results read.

:func:`check_notebook` hands a notebook to a checking process (``python -m
mnist_course.selfcheck.checker``) and reads back its results. That process runs the notebook
as grading does (the checks in it, the student's cells in the sandbox's child that it starts);
a call that runs past the time limit is stopped there, and the other checks go on. A checking
process that finished a notebook waits for the next one, as a grading worker does, so Keras
and MNIST are loaded once per process rather than once per notebook; one that died is
replaced. This module runs in the process that asked for the check (pytest's, through
:mod:`mnist_course.selfcheck.plugin`) and does not import pytest.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .._quiet import ONE_THREAD
from ..notebook import WRITTEN_PLACEHOLDER, read_notebook
from .results import Result, read_results

DEFAULT_TIMEOUT = 60.0
"""Seconds one of the notebook's cells, or one call of a student's function, may run."""

CHECKER = "mnist_course.selfcheck.checker"
"""The checking process's module, run as ``python -m``."""


class Checker:
    """A checking process: it checks the notebooks it is given, one after another."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="selfcheck-"))
        self.log = self.folder / "output.log"
        # One TensorFlow thread each, as in grading: the notebooks are checked side by side
        env = {**ONE_THREAD, **os.environ}
        env.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", CHECKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
            )

    def check(self, path, timeout, wanted):
        """``{grade_id: Result}`` for the test cells ``wanted``; those it did not decide say why."""
        results_file = self.folder / "results.jsonl"
        results_file.write_text("")
        request = {"notebook": str(path), "results": str(results_file), "timeout": timeout}
        request["grade_ids"] = list(wanted)
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except (BrokenPipeError, ValueError):  # it had died, or was closed at exit
            answer = ""
        results = read_results(results_file)
        if answer != "done\n":
            output = self.log.read_text(errors="replace").strip()
            self.close()
            last = output.splitlines()[-1] if output else f"exit code {self.process.returncode}"
            lost = Result("error", f"the check stopped before this test cell ran ({last})")
            results.update({g: lost for g in wanted if g not in results})
        return {grade_id: results[grade_id] for grade_id in wanted}

    def alive(self):
        return self.process.poll() is None

    def close(self):
        """Stop the process (it closes the student's process on its way out)."""
        if self.folder is None:
            return
        if self.alive():
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


_idle = []
_started = []
_lock = threading.Lock()


@atexit.register
def _close_all():
    with _lock:
        checkers = list(_started)
    for checker in checkers:
        checker.close()


def _run_checker(path, timeout, wanted):
    """Check a notebook in an idle checking process, or a new one; keep it for the next."""
    with _lock:
        checker = _idle.pop() if _idle else None
    if checker is None:
        checker = Checker()
        with _lock:
            _started.append(checker)
    results = checker.check(path, timeout, wanted)
    if checker.alive():
        with _lock:
            _idle.append(checker)
    return results


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
    _, tests, written = read_notebook(path)
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
