"""The self-check's child process: run one notebook's cells, then its test cells.

Started by :mod:`mnist_course.selfcheck.parent` as ``python -m mnist_course.selfcheck.worker
NOTEBOOK RESULTS_FILE TIMEOUT GRADE_ID...``. It runs the notebook's setup and answer cells
in one namespace, as a kernel would, then each chosen test cell, and writes what happens to
``RESULTS_FILE`` as JSON lines (:mod:`mnist_course.selfcheck.results`). A cell that runs past
``TIMEOUT`` seconds is stopped by an alarm; one that ignores it is the parent's to kill.

It never imports pytest: a worker starts for every notebook, and pytest is the parent's.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
import types
from pathlib import Path

from mnist_course._cells import Shell, TimeLimit, compile_cell, on_alarm
from mnist_course.checks import CheckFailed
from mnist_course.notebook import read_notebook
from mnist_course.selfcheck.results import Result, event_line, timeout_message


def _compile(name, source):
    return compile_cell(f"<{name}>", source)


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


def describe_error(error, cell_errors):
    """Turn an exception from a test cell into a :class:`Result` with a short message.

    Parameters
    ----------
    error : BaseException
        What the test cell raised.
    cell_errors : list of (str, str)
        ``(cell name, message)`` of the setup and answer cells that did not run to the end.

    Returns
    -------
    Result

    Examples
    --------
    >>> describe_error(NotImplementedError(), []).outcome
    'not_implemented'
    """
    name = type(error).__name__
    if isinstance(error, CheckFailed):
        return Result("failed", str(error))
    if isinstance(error, NotImplementedError):
        function = _function_name(error, "this exercise")
        return Result(
            "not_implemented",
            f"not implemented yet: write the body of {function} in its answer cell "
            "(replace `raise NotImplementedError()`), then run pytest exercises again",
        )
    if isinstance(error, TimeLimit):
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


def run_worker(notebook, results_file, timeout, grade_ids):
    """Run a notebook's setup and answer cells, then the chosen test cells, writing JSON lines.

    Parameters
    ----------
    notebook : str or Path
    results_file : str or Path
        Where the events go, one JSON object a line, appended and flushed as they happen.
    timeout : float
        Seconds each cell may run.
    grade_ids : set of str
        The test cells to run.
    """
    code, tests, _ = read_notebook(notebook)
    out = open(results_file, "a", buffering=1)  # noqa: SIM115 (kept open for the whole run)

    def emit(event, **fields):
        out.write(event_line(event, **fields))
        out.flush()

    os.chdir(Path(notebook).resolve().parent)
    signal.signal(signal.SIGALRM, on_alarm)
    module = types.ModuleType("__main__")
    module.__dict__.update(get_ipython=Shell, display=lambda *args, **kwargs: None)
    namespace = module.__dict__
    cell_errors = []

    def run(compiled):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(compiled, namespace)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    for name, source in code:
        emit("start", kind="cell", id=name)
        try:
            run(_compile(name, source))
        except TimeLimit:
            cell_errors.append((name, f"did not finish within {timeout:g} s"))
        except BaseException as error:  # the student's code may raise anything
            cell_errors.append((name, f"{type(error).__name__}: {error}"))
    for test in tests:
        if test.grade_id not in grade_ids:
            continue
        emit("start", kind="test", id=test.grade_id)
        try:
            run(_compile(f"test cell {test.grade_id}", test.source))
            result = Result("passed")
        except BaseException as error:  # the student's code may raise anything
            result = describe_error(error, cell_errors)
            if result.outcome == "timeout":
                result = Result("timeout", timeout_message(timeout, _function_name(error)))
        emit("result", id=test.grade_id, outcome=result.outcome, message=result.message)
    emit("done")
    out.close()


if __name__ == "__main__":
    run_worker(sys.argv[1], sys.argv[2], float(sys.argv[3]), set(sys.argv[4:]))
