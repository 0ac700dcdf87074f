"""The exercises' checks: one module per exercise, named like its folder in ``exercises/``.

Each ``check_<name>(function, ...)`` calls a student's function on known inputs and compares
what it returns with what the course expects. A wrong answer raises :class:`CheckFailed` with
what was expected, what the function returned and a hint; an answer written differently but
correct (a functional model instead of a Sequential, float64 instead of float32, ...) passes.
nbgrader's test cells and ``pytest exercises`` call the same checks; hidden tests call them
with more inputs.

A test cell loads an exercise's checks with one call, ``mnist_course.checks.load("ex01_data")``.

Layout: ``ex01_data`` ... one module per exercise; ``_messages`` (how a check fails),
``_inputs`` (what checks call functions with), ``_reference`` (the course's own runs that
checks compare with), ``_state`` (what survives :func:`load`).
"""

from __future__ import annotations

import importlib
import pkgutil

from ._state import CheckFailed

RELOADED = ("_messages", "_inputs", "_reference")
"""The shared modules that :func:`load` reloads, in this order, before the exercise's own."""


def exercises():
    """Return the names of the exercises that have checks, sorted.

    Examples
    --------
    >>> exercises()[:2]
    ['ex01_data', 'ex02_model']
    """
    return sorted(
        module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")
    )


def uses_keras(exercise):
    """Whether an exercise's checks use Keras: unless its module says ``USES_KERAS = False``.

    Grading starts importing Keras early for such an exercise, while the student's cells run.

    Examples
    --------
    >>> uses_keras("ex01_data"), uses_keras("ex02_model")
    (False, True)
    """
    if exercise not in exercises():
        return False
    return getattr(importlib.import_module(f"{__name__}.{exercise}"), "USES_KERAS", True)


def grading_seconds(exercise):
    """About how long grading one complete submission of an exercise takes: its module's
    ``GRADING_SECONDS``, or 0 for an assignment without checks.

    Each module's figure is the wall time of one complete submission graded alone, as a
    student after the first (``benchmarks/profile_grading.py --as-graded <exercise>`` on a
    quiet 2-core CPU, the student's process forked from a zygote as a grading worker's is;
    all nine last measured on 7 December 2026, load average 1.0 to 1.2, rounded up to whole
    seconds). ``mnist-course autograde`` hands out the longest exercises
    first, so that the workers do not wait at the end on one long exercise started last: one
    student over all nine exercises at ``--jobs 2`` took about 85 s with the exercises in
    their order, the longest (exercise 7, 45 s there) among the last.

    Examples
    --------
    >>> grading_seconds("ex07_overfitting") > grading_seconds("ex01_data"), grading_seconds("ps1")
    (True, 0)
    """
    if exercise not in exercises():
        return 0
    return getattr(importlib.import_module(f"{__name__}.{exercise}"), "GRADING_SECONDS", 0)


def load(exercise):
    """Return the checks of one exercise, as the course's files define them.

    The isolation that a test cell gets: the exercise's module and the shared modules it
    uses are reloaded from their files, so whatever earlier cells assigned to them (a check
    replaced by ``lambda *args: None``, a message helper that stays silent, other inputs) is
    undone before the check runs. Only ``_state`` is kept, so MNIST is decoded once per
    process and :class:`CheckFailed` keeps one type. It does not restore the rest of the
    process (numpy, Keras, the course's other modules, the import system, IPython), and
    nothing stops an answer cell from rebinding ``load`` itself. In grading and the
    self-check that does not matter: test cells run in a process where none of the
    student's code runs (:mod:`mnist_course.sandbox`). In a student's own Jupyter kernel,
    code that patches those runs beside the check, which is one reason a result there is
    only advice; ``docs/grading-guarantees.md`` says what grading leaves open.

    Parameters
    ----------
    exercise : str
        The exercise's folder name, e.g. ``"ex01_data"``.

    Returns
    -------
    module
        ``mnist_course.checks.<exercise>``, freshly reloaded.

    Examples
    --------
    >>> checks = load("ex01_data")
    >>> checks.check_normalize(lambda x: x / 255 - 0.5)
    >>> load("ex99_nothing")
    Traceback (most recent call last):
    ...
    ValueError: there are no checks for 'ex99_nothing'; expected one of ['ex01_data', ...]
    """
    known = exercises()
    if exercise not in known:
        shown = known[:1] + ["..."] if len(known) > 1 else known
        raise ValueError(
            f"there are no checks for {exercise!r}; expected one of {shown}".replace("'...'", "...")
        )
    for name in (*RELOADED, exercise):
        module = importlib.reload(importlib.import_module(f"{__name__}.{name}"))
    return module


__all__ = ["CheckFailed", "exercises", "grading_seconds", "load", "uses_keras"]
