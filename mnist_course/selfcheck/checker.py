"""The self-check's checking process: one notebook run as grading runs it.

Started by :mod:`mnist_course.selfcheck.launcher` as ``python -m mnist_course.selfcheck.checker
NOTEBOOK RESULTS_FILE TIMEOUT GRADE_ID...``. It goes through the notebook's code cells in
order with the grader's own :class:`~mnist_course.sandbox.notebook_run.NotebookRun`, as
``mnist_course.grading.preprocessors.GradeOutside`` does inside nbgrader: the setup, answer and
other code cells run in the sandbox's child process, each chosen test cell runs here, calling
the student's functions in that child. So a visible check decides here what it decides in
grading, and nothing the notebook's code changes in its own process (numpy, Keras, the
checks) changes how a check judges.

The same cells run as in grading: every code cell but the demonstration cells the student
left exactly as released (they show the student's functions at work, and no test cell reads
what they compute). Grading knows them from the released notebook; here the notebook is the
release the student edits, so they are known by the digests that the notebook's metadata
lists (:func:`mnist_course.notebook.released_demonstrations`). A demonstration the student
changed, and any cell the student added, runs.

Each test cell's outcome is worded for the student (:func:`describe`) and written to
``RESULTS_FILE`` as a JSON line (:mod:`mnist_course.selfcheck.results`). This process never
imports pytest.
"""

from __future__ import annotations

import re
import signal
import sys
from dataclasses import dataclass

from mnist_course.checks import CheckFailed
from mnist_course.notebook import (
    OWN,
    TEST,
    cells_to_run,
    read_notebook_json,
    released_demonstrations,
)
from mnist_course.sandbox import CallTimedOut, ProcessDied, StudentCodeError, StudentRaised
from mnist_course.selfcheck.results import Result, result_line, timeout_message

WHERE = re.compile(
    r" \(in (?P<function>.+?)\(\), cell (?P<cell>\d+), line (?P<line>\d+): (?P<code>.*)\)\Z",
    re.DOTALL,
)
"""Where the student's process says an error happened (``mnist_course.sandbox.child.where``):
the function, the cell (numbered among the cells it ran), the line and its code."""

HINT = "\n  hint: fix the error, then run pytest exercises again"


@dataclass(frozen=True)
class Cell:
    """A code cell of the notebook: its kind, its name in messages and its source.

    A test cell's ``name`` is its grade_id. The others run in the student's process and are
    named ``"answer cell normalize"``, ``"setup cell setup"`` or, without a grade_id of their
    own, ``"the code cell after answer cell normalize"``; ``label`` is the same with the
    grade_id quoted (``answer cell 'normalize'``).
    """

    kind: str
    name: str
    source: str
    label: str = ""


def split_where(message):
    """Split a message from the student's process into its text and where it happened.

    Examples
    --------
    >>> text, where = split_where("boom (in f(), cell 2, line 3: x = 1 / 0)")
    >>> text, where["function"], where["cell"], where["code"]
    ('boom', 'f', '2', 'x = 1 / 0')
    >>> split_where("name 'x' is not defined")
    ("name 'x' is not defined", None)
    """
    found = WHERE.search(message)
    if found is None:
        return message, None
    return message[: found.start()], found.groupdict()


def _at(where, cells):
    """``"\\n  at f() in answer cell 'f', line 3: ..."``, or ``""`` when it is not known."""
    if where is None:
        return ""
    index = int(where["cell"])
    cell = cells[index].label if index < len(cells) else f"cell {index}"
    return f"\n  at {where['function']}() in {cell}, line {where['line']}: {where['code']}"


def _cell_failure(cell, error, cells):
    """``"answer cell f: ValueError: boom"``: a student cell that did not run to the end."""
    kind, message = error
    text, where = split_where(message)
    text = re.sub(r"\(<cell \d+>, line (\d+)\)", r"(line \1)", text)  # a SyntaxError's place
    if kind == "TimeoutError":
        return f"{cell.name}: {text}"
    return f"{cell.name}: {kind}: {text}{_at(where, cells)}"


def _defines(cell, name):
    return re.search(rf"(^|\W)(def\s+{re.escape(name)}\W|{re.escape(name)}\s*=[^=])", cell.source)


def _earlier(failed, name, cells):
    """The failed cells that may explain why ``name`` is missing: setup and answer cells, and
    any other cell that assigns it."""
    return [
        _cell_failure(cell, error, cells)
        for cell, error in failed
        if cell.kind != OWN or (name and _defines(cell, name))
    ]


def not_implemented(function):
    """The message for an exercise whose answer still raises ``NotImplementedError``.

    Examples
    --------
    >>> print(not_implemented("normalize()"))  # doctest: +ELLIPSIS
    not implemented yet: write the body of normalize() in its answer cell (replace ...
    """
    return (
        f"not implemented yet: write the body of {function} in its answer cell "
        "(replace `raise NotImplementedError()`), then run pytest exercises again"
    )


def describe(result, *, timeout, cells=(), failed=()):
    """Word a test cell's :class:`~mnist_course.sandbox.notebook_run.CellResult` for the student.

    Parameters
    ----------
    result : CellResult
        What ``NotebookRun.test_cell`` returned.
    timeout : float
        The time limit of each cell and call, for the message of a call that ran past it.
    cells : sequence of Cell
        The cells run in the student's process so far, in order (the child numbers them so).
    failed : sequence of (Cell, (str, str))
        Those that did not run to the end, with their error's name and message.

    Returns
    -------
    Result
        ``passed`` exactly when grading would pass the cell (``result.error is None``).

    Examples
    --------
    >>> from mnist_course.sandbox.notebook_run import CellResult
    >>> describe(CellResult(), timeout=60).outcome
    'passed'
    >>> raised = StudentRaised("f", "NotImplementedError", "")
    >>> describe(CellResult(error=("NotImplementedError", str(raised)), exception=raised),
    ...          timeout=60).message[:50]
    'not implemented yet: write the body of f() in its '
    """
    if result.error is None:
        return Result("passed")
    kind, message = result.error
    error = result.exception
    if isinstance(error, CheckFailed):
        return Result("failed", message)
    if isinstance(error, StudentRaised):
        return _student_raised(error, cells, failed)
    if isinstance(error, CallTimedOut):
        call = re.match(r"(\w+)\(\) took longer", message)
        if call is None:  # the cells, run again after a restart, took too long
            return Result("timeout", f"timed out: {message}. Look for a loop that never ends.")
        return Result("timeout", timeout_message(timeout, f"{call[1]}()"))
    if isinstance(error, ProcessDied):
        message = message.replace("the student's process", "the process that runs your code")
        return Result("error", f"the notebook's code stopped the check: {message}")
    if isinstance(error, StudentCodeError):
        return Result("error", message + HINT)
    if isinstance(error, NameError):
        earlier = _earlier(failed, getattr(error, "name", None), cells)
        if earlier:
            return Result(
                "error",
                f"{message}: an earlier cell did not run to the end ({'; '.join(earlier)}). "
                "Fix that cell first.",
            )
        return Result(
            "error",
            f"{message}. Keep the function's name and arguments as the exercise gives them.",
        )
    if isinstance(error, NotImplementedError):
        return Result("not_implemented", not_implemented("this exercise"))
    return Result("error", f"the test cell raised {kind}: {message}{HINT}")


def _student_raised(error, cells, failed):
    text, where = split_where(error.message)
    function = f"{where['function']}()" if where else f"{error.function}()"
    if error.type_name == "NotImplementedError":
        return Result("not_implemented", not_implemented(function))
    message = f"{function} raised {error.type_name}: {text}{_at(where, cells)}"
    if error.type_name == "NameError":
        earlier = _earlier(failed, None, cells)
        if earlier:
            message += f"\n  an earlier cell did not run to the end: {'; '.join(earlier)}"
    return Result("error", message + HINT)


def code_cells(path):
    """The code cells that grading runs (:func:`mnist_course.notebook.cells_to_run`), in
    order, as :class:`Cell`.

    Examples
    --------
    >>> cells = code_cells("solutions/ex01_data/ex01_data.ipynb")
    >>> [cell.name for cell in cells[:4]]  # doctest: +NORMALIZE_WHITESPACE
    ['setup cell install_course', 'setup cell setup', 'answer cell split_labels',
     'test_split_labels']
    """
    notebook = read_notebook_json(path)
    cells = []
    for cell in cells_to_run(notebook, released_demonstrations(notebook)):
        if cell.kind == TEST:
            cells.append(Cell(TEST, cell.grade_id, cell.source))
            continue
        if cell.kind != OWN and cell.grade_id:
            name, label = _names(cell.kind, cell.grade_id)
        else:
            before = _names(*cell.after) if cell.after else ("the first code cell",) * 2
            name, label = (f"the code cell after {text}" for text in before)
        cells.append(Cell(cell.kind, name, cell.source, label))
    return cells


def _names(kind, grade_id):
    """A cell's name and label: ``("answer cell f", "answer cell 'f'")``."""
    return f"{kind} cell {grade_id}", f"{kind} cell '{grade_id}'"


def check_cells(path, *, timeout, grade_ids=None, sandbox="auto"):
    """Run a notebook as grading does; yield ``(grade_id, Result)`` for each chosen test cell.

    Code cells run in order: the cells up to a test cell in the student's process, then the
    test cell here. Cells after the last chosen test cell do not run.

    Parameters
    ----------
    path : str or Path
    timeout : float
        Seconds one of the student's cells, or one call of a student's function, may take.
    grade_ids : set of str, optional
        The test cells to run; all by default.
    sandbox : {"auto", "bubblewrap", "rlimits"}
        How the student's process is contained, as in grading.
    """
    from mnist_course.sandbox.notebook_run import NotebookRun

    cells = code_cells(path)
    chosen = {cell.name for cell in cells if cell.kind == TEST}
    if grade_ids is not None:
        chosen &= set(grade_ids)
    if not chosen:
        return
    last = max(i for i, cell in enumerate(cells) if cell.kind == TEST and cell.name in chosen)
    wanted = [cell for cell in cells[: last + 1] if cell.kind != TEST or cell.name in chosen]
    ran, failed = [], []
    with NotebookRun(timeout=timeout, sandbox=sandbox) as run:
        for cell, result in run.run(wanted):
            if cell.kind == TEST:
                yield cell.name, describe(result, timeout=timeout, cells=ran, failed=failed)
                continue
            ran.append(cell)
            if result.error is not None:
                failed.append((cell, result.error))


def _stop(signum, frame):
    # KeyboardInterrupt, not SystemExit: a test cell records any other exception as its
    # error and the run goes on; this one ends it, and the student's process is closed
    raise KeyboardInterrupt


def main(argv):
    """``NOTEBOOK RESULTS_FILE TIMEOUT GRADE_ID...``: check, writing a JSON line per result."""
    notebook, results_file, timeout, *grade_ids = argv
    signal.signal(signal.SIGTERM, _stop)
    with open(results_file, "a", buffering=1) as out:
        for grade_id, result in check_cells(
            notebook, timeout=float(timeout), grade_ids=set(grade_ids)
        ):
            out.write(result_line(grade_id, result))
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
