"""The self-check's parent side: start a worker per notebook, watch it, start it again.

:func:`check_notebook` runs a notebook's test cells in a fresh worker process
(:mod:`mnist_course.selfcheck.worker`) and reads its results as they come. A cell that runs
past the time limit and ignores the worker's own stop is killed after a grace period; the
worker then starts again for the test cells that are left, so the other checks still run.
This module runs in the process that asked for the check (pytest's, through
:mod:`mnist_course.selfcheck.plugin`) and does not import pytest.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .._quiet import ONE_THREAD
from ..notebook import WRITTEN_PLACEHOLDER, read_notebook
from .results import Result, timeout_message

DEFAULT_TIMEOUT = 60.0
"""Seconds a test cell (or a setup or answer cell) may run before it is stopped."""

HARD_KILL_GRACE = 10.0
"""Seconds past the time limit after which a cell that ignores the stop is killed."""

WORKER = "mnist_course.selfcheck.worker"
"""The worker's module, run as ``python -m``."""

_children = set()
_children_lock = threading.Lock()


@atexit.register
def _kill_children():
    with _children_lock:
        for process in list(_children):
            if process.poll() is None:
                process.kill()


def check_notebook(path, *, timeout=DEFAULT_TIMEOUT, grade_ids=None, grace=HARD_KILL_GRACE):
    """Run a notebook's test cells against its answers; return ``{grade_id: Result}``.

    Parameters
    ----------
    path : str or Path
        The notebook.
    timeout : float
        Seconds each cell may run; a test cell past it is reported as timed out.
    grade_ids : iterable of str, optional
        The test cells to run; all by default.
    grace : float
        Seconds past ``timeout`` after which a cell that ignores the stop is killed; the
        worker then starts again for the remaining test cells.

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
    while wanted:
        done, stopped = _run_once(path, timeout, grace, wanted)
        results.update(done)
        missing = [g for g in wanted if g not in results]
        if stopped is not None and stopped[0] == "test" and stopped[1] in missing:
            results[stopped[1]] = stopped[2]  # the others run again in a new process
        else:
            lost = Result("error", "the check stopped before this test cell ran")
            results.update({g: stopped[2] if stopped else lost for g in missing})
        wanted = [g for g in wanted if g not in results]
    return results


def _check_written(answer):
    if answer.source.strip() in ("", WRITTEN_PLACEHOLDER):
        return Result(
            "not_implemented",
            f"not implemented yet: write your answer in the cell '{answer.grade_id}' "
            f"(it replaces {WRITTEN_PLACEHOLDER}); your instructor grades it by hand",
        )
    return Result("passed")


def _run_once(path, timeout, grace, wanted):
    """Run one worker; return (results, None) or, when it was killed or died in a cell,
    (results, (kind, name, Result for that cell))."""
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as folder:
        results_file = Path(folder) / "results.jsonl"
        results_file.touch()
        log_file = Path(folder) / "output.log"
        # One TensorFlow thread each: the workers run side by side, one per core
        env = {**ONE_THREAD, **os.environ}
        env.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", WORKER, str(path)]
        command += [str(results_file), str(timeout), *wanted]
        with open(log_file, "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        with _children_lock:
            _children.add(process)
        try:
            return _watch(process, results_file, log_file, timeout, grace)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            with _children_lock:
                _children.discard(process)


def _watch(process, results_file, log_file, timeout, grace):
    results, current, started, position = {}, None, time.monotonic(), 0
    while True:
        with open(results_file) as stream:
            stream.seek(position)
            chunk = stream.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        position += len(complete.encode())
        for line in complete.splitlines():
            event = json.loads(line)
            if event["event"] == "start":
                current, started = (event["kind"], event["id"]), time.monotonic()
            elif event["event"] == "result":
                results[event["id"]] = Result(event["outcome"], event["message"])
                current = None
            elif event["event"] == "done":
                return results, None
        if current and time.monotonic() - started > timeout + grace:
            process.kill()
            process.wait()
            kind, name = current
            if kind == "test":
                return results, (kind, name, Result("timeout", timeout_message(timeout)))
            message = (
                f"timed out: {name} did not finish within {timeout:g} s and was stopped, "
                "so this check could not run. Look for a loop that never ends."
            )
            return results, (kind, name, Result("timeout", message))
        if process.poll() is not None and not complete:
            output = log_file.read_text(errors="replace").strip()
            last = output.splitlines()[-1] if output else f"exit code {process.returncode}"
            message = f"the notebook's code stopped the check ({last})"
            kind, name = current or ("cell", "")
            return results, (kind, name, Result("error", message))
        time.sleep(0.05)
