"""Running a notebook's code cells without a kernel, as the sandbox's student process does
(and the grading side, for the test cells it runs): IPython's magics turned into calls of a
stand-in shell, each cell compiled under a name its tracebacks show, and a time limit raised
by an alarm.
"""

from __future__ import annotations

import importlib.util
import linecache
import signal
import sys


class TimeLimit(BaseException):
    """Raised in a cell that runs past its time limit (not caught by ``except Exception`` in
    student code)."""


def on_alarm(signum, frame):
    """The SIGALRM handler that stops a cell past its time."""
    raise TimeLimit


def has_alarm():
    """Whether a cell can be stopped from inside its process (SIGALRM and an interval timer;
    not on Windows). Where not, the grading process stops it: it kills the student's process
    a few seconds past the cell's time and starts it again with the cells before."""
    return hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")


def set_alarm(seconds):
    """Raise :class:`TimeLimit` in this thread after ``seconds`` (0 cancels), where
    :func:`has_alarm`; elsewhere do nothing."""
    if has_alarm():
        if seconds:
            signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)


def platform_gaps():
    """What the student's process cannot be limited by on this platform, as short phrases
    (none on Linux with bubblewrap's parts present); a call or a cell is stopped by the
    grading process past its time on every platform.

    >>> isinstance(platform_gaps(), list)
    True
    """
    gaps = []
    if importlib.util.find_spec("resource") is None:
        gaps.append("memory, CPU seconds and file size (no resource module)")
    if not has_alarm():
        gaps.append("a cell's own alarm (no SIGALRM): a cell past its time ends its process")
    if sys.platform != "linux":
        gaps.append(f"starting other processes (no seccomp on {sys.platform})")
    return gaps


class Shell:
    """Stands in for IPython's shell, so cells with magics (%matplotlib, !pip) still run."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def python_source(source):
    """The cell's source with IPython's magics turned into calls of ``get_ipython()``.

    Examples
    --------
    >>> python_source("x = 1")
    'x = 1'
    """
    if not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def compile_cell(filename, source):
    """Compile a cell's source under ``filename``, its lines kept for tracebacks."""
    source = python_source(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec")
