"""Running a notebook's code cells without a kernel, as the sandbox's student process does
(and the grading side, for the test cells it runs): IPython's magics turned into calls of a
stand-in shell, each cell compiled under a name its tracebacks show, and a time limit raised
by an alarm.
"""

from __future__ import annotations

import linecache


class TimeLimit(BaseException):
    """Raised in a cell that runs past its time limit (not caught by ``except Exception`` in
    student code)."""


def on_alarm(signum, frame):
    """The SIGALRM handler that stops a cell past its time."""
    raise TimeLimit


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
