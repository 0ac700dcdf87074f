"""What checking one test cell can come to, as the worker writes it and the parent reads it.

The worker writes one JSON object a line to a results file (:func:`event_line`); the parent
reads them back as they come. Events: ``start`` (a cell or test cell begins, with ``kind``
and ``id``), ``result`` (a test cell's :class:`Result`) and ``done``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

OUTCOMES = ("passed", "failed", "not_implemented", "timeout", "error")
"""Every outcome a test cell (or written answer) can have."""


@dataclass(frozen=True)
class Result:
    """The outcome of one test cell: passed, failed, not_implemented, timeout or error.

    Examples
    --------
    >>> Result("failed", "expected [-0.5, 0.5]").passed
    False
    """

    outcome: str
    message: str = ""

    @property
    def passed(self):
        return self.outcome == "passed"


def event_line(event, **fields):
    """Return one line of the results file: the event and its fields as JSON.

    Examples
    --------
    >>> event_line("result", id="test_normalize", outcome="passed", message="")
    '{"event": "result", "id": "test_normalize", "outcome": "passed", "message": ""}\\n'
    """
    return json.dumps({"event": event, **fields}) + "\n"


def timeout_message(timeout, function="your function"):
    """The message for a test cell whose function ran past the time limit.

    Examples
    --------
    >>> timeout_message(3, "normalize()")[:52]
    'timed out: normalize() did not return within 3 s and'
    """
    return (
        f"timed out: {function} did not return within {timeout:g} s and was stopped. "
        "Look for a loop that never ends (while True, a condition that never changes)."
    )
