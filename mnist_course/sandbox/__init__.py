"""Run the student's functions in a contained child process and read back only data.

The base of grading outside the student's process: :class:`StudentProcess` runs a notebook's
setup and answer cells in a child (under bubblewrap where it works, with rlimits always) and
calls its functions; arguments and results cross as data (:mod:`.wire`), so a check can
decide in a process that never ran the student's code. ``parent`` runs in the grading
process, ``child`` in the student's.
"""

from .parent import (
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
