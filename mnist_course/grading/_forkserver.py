"""What the grading workers' forkserver loads once, for every worker it forks.

:class:`mnist_course.grading.pool.GradingPool` starts its workers from a forkserver
(``multiprocessing``'s "forkserver" start method) that imports this module, and Keras where
the assignments use it, before it forks any worker: each worker starts with nbgrader and the
course's grading modules loaded, and the pool pays for those imports once, not once per
worker. The forkserver runs nothing else: imported, TensorFlow starts no thread and no
runtime, so each worker, and each grader a worker forks, is as fresh as a new process.

Only the forkserver imports this module: it keeps ``rfc3987_syntax`` out of the importing
process (:func:`mnist_course.grading.pool.skip_unused_imports`), and pytest does not
collect it. The forkserver needs no environment of its own: what TensorFlow reads as it is
imported (its log level, oneDNN) is set by importing the package
(:func:`mnist_course._quiet.silence_tensorflow`), the rest it reads when it first computes,
which only a worker does, in the environment that the worker sets
(:func:`mnist_course.grading.pool._start_worker`).

The forkserver ends at once when the command ends (:func:`_end_at_once`).
"""

import atexit
import contextlib
import os
import sys

from .pool import skip_unused_imports


def _end_at_once():
    """End the forkserver without Python's clean-up of everything it imported.

    It holds no file, connection or output of its own, only imported modules, and undoing
    the imports of TensorFlow, Keras and nbgrader kept a core busy for about 1.5 s after the
    command had graded everyone; the forkserver shares the command's output, so whoever reads
    that output (a pipe, ``tee``, a script) waited for it too. Registered as it is imported,
    so it runs before any other clean-up (last in, first out); the workers and the graders it
    forks end with ``os._exit`` and never run it.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or gone: nothing to write
            stream.flush()
    os._exit(0)


atexit.register(_end_at_once)
skip_unused_imports()

import nbgrader.apps  # noqa: E402, F401

from ..sandbox import notebook_run  # noqa: E402, F401
from . import preprocessors  # noqa: E402, F401
