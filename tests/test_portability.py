"""The student's path without Unix-only parts (as on Windows): with no ``resource`` module,
no SIGALRM, no ``os.fork``, no process groups, no bubblewrap and no ``select()`` on pipes, the
self-check still runs, stops what hangs from the grading side and says what it could not
limit."""

import os
import signal
import sys
import types

import nbformat
import pytest
from helpers import solution_notebook

from mnist_course import _cells, notebook
from mnist_course.sandbox import student_process
from mnist_course.selfcheck import checker, plugin

HIDE_UNIX_PARTS = """
import os
import signal
import sys

sys.modules["resource"] = None  # import resource -> ImportError, as on Windows
for name in ("SIGALRM", "setitimer", "ITIMER_REAL"):
    if hasattr(signal, name):
        delattr(signal, name)
for name in ("fork", "forkpty"):
    if hasattr(os, name):
        delattr(os, name)
"""
"""A sitecustomize for the student's process: the parts Windows lacks, made unavailable."""


@pytest.fixture
def no_unix_parts(tmp_path, monkeypatch):
    """This process and the student's processes it starts, without the Unix-only parts."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_UNIX_PARTS)
    environment = student_process.child_environment

    def child_environment(scratch, tmp):
        env = environment(scratch, tmp)
        env["PYTHONPATH"] = f"{site}{os.pathsep}{env['PYTHONPATH']}"
        return env

    monkeypatch.setattr(student_process, "child_environment", child_environment)
    monkeypatch.setattr(
        student_process, "bubblewrap_status", lambda: (False, "bubblewrap not found")
    )
    for name in ("SIGALRM", "setitimer"):
        monkeypatch.delattr(signal, name)
    for name in ("fork", "killpg"):
        monkeypatch.delattr(os, name)
    monkeypatch.setitem(sys.modules, "resource", None)
    # Windows's select() waits on sockets only: the pipes are read and written by threads
    monkeypatch.setattr(student_process, "SELECT_ON_PIPES", False)
    monkeypatch.setattr(
        student_process, "select", types.SimpleNamespace(select=_no_select_on_pipes)
    )


def _no_select_on_pipes(*args):
    raise OSError("select() on a pipe, which Windows does not support")


def _with_answers(tmp_path, answers):
    nb = nbformat.read(str(solution_notebook("ex01_data")), as_version=4)
    for grade_id, source in answers.items():
        notebook.find_cell(nb, grade_id).source = source
    path = tmp_path / "ex01_data.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.sandbox
@pytest.mark.full_data
def test_the_self_check_stops_what_hangs_without_alarm_rlimits_fork_or_bubblewrap(
    no_unix_parts, tmp_path
):
    """A function that never returns and a cell that never ends are both stopped by the
    checking process; the correct answer still passes, and the student's process said which
    limits it could not set."""
    path = _with_answers(
        tmp_path,
        {
            "normalize": "def normalize(x):\n    while True:\n        pass\n",
            "one_hot": "while True:\n    pass\n",
        },
    )
    results = dict(checker.check_cells(path, timeout=2, sandbox="auto"))
    assert results["test_split_labels"].passed, results
    assert results["test_normalize"].outcome == "timeout", results
    assert "normalize() did not return within 2 s" in results["test_normalize"].message
    assert results["test_one_hot"].outcome == "error", results
    assert "did not finish within 2 s" in results["test_one_hot"].message


@pytest.mark.sandbox
def test_the_students_process_says_which_limits_it_could_not_set(no_unix_parts):
    with student_process.StudentProcess(
        ["def double(x):\n    return 2 * x"], timeout=20
    ) as student:
        assert student.containment == "rlimits only (bubblewrap not found)"
        assert student.call("double", 21) == 42
        log = student.output()
    assert "has no RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE here" in log, log


def test_the_self_checks_header_says_what_is_not_limited(no_unix_parts):
    gaps = _cells.platform_gaps()
    assert "memory, CPU seconds and file size (no resource module)" in gaps
    assert any("no SIGALRM" in gap for gap in gaps)
    (line,) = plugin.pytest_report_header(None)
    assert "stopped past its time limit" in line
    assert "a sandbox (bubblewrap not found)" in line and "no resource module" in line


def test_on_linux_with_bubblewrap_the_header_says_nothing(monkeypatch):
    monkeypatch.setattr(student_process, "bubblewrap_status", lambda: (True, ""))
    monkeypatch.setattr(_cells, "platform_gaps", lambda: [])
    assert plugin.pytest_report_header(None) is None
