"""What several test files share: the course's paths and running its commands.

pyproject.toml puts ``tests/`` on ``sys.path`` (pytest's ``pythonpath``), so a test file
reads them with ``from helpers import ROOT``; with ``--import-mode=importlib``,
``conftest.py`` itself cannot be imported that way. These are constants and plain functions
that other helpers call too, which fixtures would not fit; shared fixtures are in
``conftest.py``.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root folder."""

ASSIGNMENTS = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())
"""The exercises' names, e.g. ``ex01_data``, in order."""


def in_ci():
    """Whether this is CI's run: ``.ci/run``'s caller sets ``CI=true`` (``.ci/py313`` reads
    it the same way)."""
    return os.environ.get("CI") == "true"


def skip_or_fail_in_ci(reason):
    """Skip the test here for want of what ``reason`` names; in CI fail it instead.

    CI installs everything the tests need (``.ci/run``: Chromium, PostgreSQL, bubblewrap,
    the ``dev`` and ``site`` extras, PyPI reachable), so there a skip would hide something
    that broke.
    """
    if in_ci():
        pytest.fail(f"required in CI (CI=true): {reason}", pytrace=False)
    pytest.skip(reason)


def import_or_fail_in_ci(name, install):
    """Import module ``name``; without it, skip here and fail in CI (``install`` says how to
    get it; CI installs the ``dev`` extra, which has it)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        skip_or_fail_in_ci(f"{name} is not installed: {install}")


def solution_notebook(assignment, root=ROOT):
    """The nbgrader source notebook of an assignment: ``solutions/<a>/<a>.ipynb``."""
    return Path(root) / "solutions" / assignment / f"{assignment}.ipynb"


def release_notebook(assignment, root=ROOT):
    """The students' notebook of an assignment: ``exercises/<a>/<a>.ipynb``."""
    return Path(root) / "exercises" / assignment / f"{assignment}.ipynb"


def run_course(*args, cwd=None, env=None, timeout=600):
    """Run ``python -m mnist_course ARGS`` as a user runs it; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "mnist_course", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def run_nbgrader(root, *args):
    """Run ``nbgrader ARGS`` in a course folder as grading does; fail unless it succeeds.

    Returns its output (stdout, then stderr).
    """
    from mnist_course.grading import grading_environment

    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=grading_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def run_pytest(args, cwd, env=None):
    """Run pytest in a fresh process, as a student would; return (exit code, output)."""
    command = [sys.executable, "-m", "pytest", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    return result.returncode, result.stdout + result.stderr
