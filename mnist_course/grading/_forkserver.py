"""What the grading workers' forkserver loads once, for every worker it forks.

:class:`mnist_course.grading.autograde.GradingPool` starts its workers from a forkserver
(``multiprocessing``'s "forkserver" start method) that imports this module, and Keras where
the assignments use it, before it forks any worker: each worker starts with nbgrader, the
course's grading modules and Keras loaded, and the class pays for those imports once, not
once per worker. The forkserver runs nothing else: imported, TensorFlow starts no thread and
no runtime, so each worker, and each grader a worker forks, is as fresh as a new process.

The grading environment comes first: TensorFlow reads some of it (its log level, oneDNN) as
it is imported.
"""

import os

from .autograde import grading_environment, skip_unused_imports

os.environ.update(grading_environment())
skip_unused_imports()

import nbgrader.apps  # noqa: E402, F401

from ..sandbox import grader  # noqa: E402, F401
from . import preprocessors  # noqa: E402, F401
