"""Run the student's functions in a contained child process and read back only data.

The base of grading outside the student's process: :class:`StudentProcess` runs a notebook's
setup and answer cells in a child (under bubblewrap where it works, with rlimits always) and
calls its functions; arguments and results cross as data (:mod:`.wire`), so a check can
decide in a process that never ran the student's code.

- :mod:`.notebook_run`, in the grading process: a notebook run as grading runs it, its test
  cells here with each student function as a :class:`~.notebook_run.StudentFunction`;
- :mod:`.student_process`, in the grading process: :class:`StudentProcess`, which starts the
  student's process and calls into it;
- :mod:`.child`, the student's process itself (``python -m mnist_course.sandbox.child``);
- :mod:`.zygote`, in a grading worker: the contained process that imported Keras once and
  forks the worker's students' processes, one at a time;
- :mod:`.wire`, the protocol both sides speak; :mod:`.watch`, the contexts a check may ask
  the child to run a call in.
"""

from .student_process import (
    CallTimedOut,
    NoSuchFunction,
    ProcessDied,
    RefusedValue,
    StudentCodeError,
    StudentProcess,
    StudentRaised,
    bubblewrap_status,
)

__all__ = [
    "CallTimedOut",
    "NoSuchFunction",
    "ProcessDied",
    "RefusedValue",
    "StudentCodeError",
    "StudentProcess",
    "StudentRaised",
    "bubblewrap_status",
]
