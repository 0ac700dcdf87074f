"""What checking one test cell can come to, as the checking process writes it and the parent
reads it.

The checking process (:mod:`mnist_course.selfcheck.checker`) writes one JSON object a line
to a results file as each test cell is decided (:func:`result_line`); the parent reads them
back when it is done (:func:`read_results`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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


def result_line(grade_id, result):
    """Return one line of the results file: a test cell's grade_id and its :class:`Result`.

    Examples
    --------
    >>> result_line("test_normalize", Result("passed"))
    '{"id": "test_normalize", "outcome": "passed", "message": ""}\\n'
    """
    return json.dumps({"id": grade_id, "outcome": result.outcome, "message": result.message}) + "\n"


def read_results(path):
    """Read a results file back: ``{grade_id: Result}``, a last line cut short ignored.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as file:
    ...     _ = file.write(result_line("test_one_hot", Result("failed", "hint: ...")) + '{"id"')
    >>> read_results(file.name)
    {'test_one_hot': Result(outcome='failed', message='hint: ...')}
    """
    results = {}
    for line in Path(path).read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        results[event["id"]] = Result(event["outcome"], event["message"])
    return results


def timeout_message(timeout, function="your function"):
    """The message for a test cell whose function ran past the time limit.

    Examples
    --------
    >>> timeout_message(3, "normalize()")[:52]
    'timed out: normalize() did not return within 3 s and'
    """
    return (
        f"timed out: {function} did not return within {timeout:g} s and was stopped. "
        "Look for a loop that never ends (while True, a condition that never changes); "
        "if it only trains slowly (a busy computer), give each call more time: "
        "pytest exercises --check-timeout 120."
    )
