"""Check exercise notebooks from pytest: ``pytest exercises`` from the course folder.

For each notebook it runs the locked setup cells and the answer cells (nbgrader's
``solution`` cells) in a fresh Python process, then each test cell, and reports one pytest
item per test cell: passed, or failed with what was expected, what the function returned and
a hint. A function that does not return within the time limit is stopped and reported; the
other test cells still run. ``exercises/conftest.py`` turns this on for ``exercises/``.
"""

from __future__ import annotations

import atexit
import json
import linecache
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 60.0
"""Seconds a test cell (or a setup or answer cell) may run before it is stopped."""

HARD_KILL_GRACE = 10.0
"""Seconds past the time limit after which a cell that ignores the stop is killed."""

WRITTEN_PLACEHOLDER = "YOUR ANSWER HERE"
"""What nbgrader puts in a written-answer cell for the student to replace."""


@dataclass(frozen=True)
class GradeCell:
    """A graded test cell: its grade_id, the first line of its docstring, points and code."""

    grade_id: str
    description: str
    points: float
    source: str


@dataclass(frozen=True)
class WrittenAnswer:
    """A markdown answer that the instructor grades by hand."""

    grade_id: str
    points: float
    source: str


@dataclass(frozen=True)
class Result:
    """The outcome of one test cell: passed, failed, not_implemented, timeout or error."""

    outcome: str
    message: str = ""

    @property
    def passed(self):
        return self.outcome == "passed"


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def read_notebook(path):
    """Split an exercise notebook into the cells to run, its test cells and written answers.

    Parameters
    ----------
    path : str or Path
        An exercise (or solution) notebook with nbgrader metadata.

    Returns
    -------
    code : list of (str, str)
        ``(name, source)`` of the setup and answer cells, in notebook order.
    tests : list of GradeCell
    written : list of WrittenAnswer

    Examples
    --------
    >>> from mnist_course.selfcheck import read_notebook
    >>> code, tests, written = read_notebook("solutions/ex01_data/ex01_data.ipynb")
    >>> [test.grade_id for test in tests]
    ['test_split_labels', 'test_normalize', 'test_one_hot']
    """
    # Plain JSON rather than nbformat: importing nbformat costs a second in every worker
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        raise ValueError(f"{path}: nbformat {notebook.get('nbformat')}; expected 4.")
    code, tests, written = [], [], []
    for cell in notebook["cells"]:
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id", "")
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            if meta.get("solution") and meta.get("grade"):
                written.append(WrittenAnswer(grade_id, meta.get("points", 0), source))
        elif cell["cell_type"] != "code":
            continue
        elif meta.get("grade") and not meta.get("solution"):
            first = source.strip().splitlines()[0] if source.strip() else ""
            description = first.strip('"').strip("'").strip() or grade_id
            tests.append(GradeCell(grade_id, description, meta.get("points", 0), source))
        elif meta.get("solution"):
            code.append((f"answer cell {grade_id}", source))
        elif meta.get("locked"):
            code.append((f"setup cell {grade_id}", source))
    return code, tests, written


# ---------------------------------------------------------------------------------------------
# The worker: a fresh process that runs one notebook's cells and test cells


class _TimeLimit(BaseException):
    """Raised in the worker when a cell runs past its time limit (not caught by `except
    Exception` in student code)."""


def _on_alarm(signum, frame):
    raise _TimeLimit


class _Shell:
    """Stands in for IPython's shell, so cells with magics (%matplotlib, !pip) still run."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def _python_source(source):
    if not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _compile(name, source):
    filename = f"<{name}>"
    source = _python_source(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec")


def _answer_frames(error):
    """The traceback frames that run the student's answer cells, innermost last."""
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if frame.filename.startswith("<answer cell ")]


def _where(error):
    frames = _answer_frames(error)
    if not frames:
        return ""
    frame = frames[-1]
    cell = frame.filename[len("<answer cell ") : -1]
    line = (frame.line or "").strip()
    return f"\n  at {frame.name}() in answer cell '{cell}', line {frame.lineno}: {line}"


def _function_name(error, default="your function"):
    frames = _answer_frames(error)
    return f"{frames[-1].name}()" if frames else default


def _describe_error(error, cell_errors):
    """Turn an exception from a test cell into a Result with a short message."""
    name = type(error).__name__
    if name == "CheckFailed":
        return Result("failed", str(error))
    if isinstance(error, NotImplementedError):
        function = _function_name(error, "this exercise")
        return Result(
            "not_implemented",
            f"not implemented yet: write the body of {function} in its answer cell "
            "(replace `raise NotImplementedError()`), then run pytest exercises again",
        )
    if isinstance(error, _TimeLimit):
        return Result("timeout", "")  # the message is added by the caller, who knows the limit
    if isinstance(error, NameError) and cell_errors:
        earlier = "; ".join(f"{cell}: {message}" for cell, message in cell_errors)
        return Result(
            "error",
            f"{error}: an earlier cell did not run to the end ({earlier}). Fix that cell first.",
        )
    if isinstance(error, NameError):
        return Result(
            "error",
            f"{error}. Keep the function's name and arguments as the exercise gives them.",
        )
    return Result(
        "error",
        f"{_function_name(error)} raised {name}: {error}{_where(error)}\n"
        "  hint: fix the error, then run pytest exercises again",
    )


def _run_worker(notebook, results_file, timeout, grade_ids):
    """Run a notebook's setup and answer cells, then the chosen test cells, writing JSON lines."""
    code, tests, _ = read_notebook(notebook)
    out = open(results_file, "a", buffering=1)  # noqa: SIM115 (kept open for the whole run)

    def emit(**event):
        out.write(json.dumps(event) + "\n")
        out.flush()

    os.chdir(Path(notebook).resolve().parent)
    signal.signal(signal.SIGALRM, _on_alarm)
    module = types.ModuleType("__main__")
    module.__dict__.update(get_ipython=_Shell, display=lambda *args, **kwargs: None)
    namespace = module.__dict__
    cell_errors = []

    def run(compiled):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(compiled, namespace)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    for name, source in code:
        emit(event="start", kind="cell", id=name)
        try:
            run(_compile(name, source))
        except _TimeLimit:
            cell_errors.append((name, f"did not finish within {timeout:g} s"))
        except BaseException as error:  # the student's code may raise anything
            cell_errors.append((name, f"{type(error).__name__}: {error}"))
    for test in tests:
        if test.grade_id not in grade_ids:
            continue
        emit(event="start", kind="test", id=test.grade_id)
        try:
            run(_compile(f"test cell {test.grade_id}", test.source))
            result = Result("passed")
        except BaseException as error:  # the student's code may raise anything
            result = _describe_error(error, cell_errors)
            if result.outcome == "timeout":
                result = Result("timeout", _timeout_message(timeout, _function_name(error)))
        emit(event="result", id=test.grade_id, outcome=result.outcome, message=result.message)
    emit(event="done")
    out.close()


def _timeout_message(timeout, function="your function"):
    return (
        f"timed out: {function} did not return within {timeout:g} s and was stopped. "
        "Look for a loop that never ends (while True, a condition that never changes)."
    )


# ---------------------------------------------------------------------------------------------
# The parent: start workers, watch the time, restart after a cell that had to be killed

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
        env = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", **os.environ}
        env.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "mnist_course.selfcheck", str(path)]
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
                return results, (kind, name, Result("timeout", _timeout_message(timeout)))
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


# ---------------------------------------------------------------------------------------------
# pytest: one item per test cell


def pytest_addoption(parser):
    """Add ``--check-timeout``: seconds each exercise cell may run (default 60)."""
    parser.addoption(
        "--check-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds each exercise cell may run before it is stopped (default 60)",
    )


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


import pytest  # noqa: E402 (only the pytest front end needs it)


class CheckFailure(Exception):
    """A test cell did not pass; carries the message to show instead of a traceback."""


class NotebookFile(pytest.File):
    """An exercise notebook: one item per test cell and per written answer."""

    def collect(self):
        _, tests, written = read_notebook(self.path)
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
            raise CheckFailure(f"{self.name}: no result (the check did not run)")
        if not result.passed:
            raise CheckFailure(result.message)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"


if __name__ == "__main__":
    _run_worker(sys.argv[1], sys.argv[2], float(sys.argv[3]), set(sys.argv[4:]))
