"""What the checks keep across :func:`mnist_course.checks.load`: the failure type, MNIST and
the inputs the checks derive from it.

:func:`~mnist_course.checks.load` reloads every other module of the checks from its file;
this one it leaves alone, so that a failure keeps one type for the whole process (the
self-check and the tests recognise it with ``isinstance``), MNIST is decoded once, and what a
check works out from the course's own files alone (:func:`kept`) is worked out once, not
once per test cell.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import data
from .._errors import CheckFailed

__all__ = ["CheckFailed", "kept", "mnist"]

_KEPT = {}


@functools.cache
def mnist():
    """The bundled MNIST, decoded once per process; the arrays are read-only.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = mnist()
    >>> x_test.shape, x_test.flags.writeable
    ((10000, 28, 28), False)
    """
    arrays = data.load_mnist()
    for pair in arrays:
        for array in pair:
            array.flags.writeable = False
    return arrays


def kept(key, compute):
    """``compute()``, worked out once per process and kept across
    :func:`~mnist_course.checks.load`, under ``key`` (a tuple that starts with the module's
    name).

    Only for what depends on the course's files alone, never on a student's function: the
    inputs a check calls with and the numbers it compares with. Arrays in it are made
    read-only, so a check hands out copies; a Keras model is not kept (a function given it
    could change it): keep its weights and build it in each check.

    Examples
    --------
    >>> kept(("doctest", 1), lambda: np.arange(3)).flags.writeable
    False
    >>> kept(("doctest", 1), lambda: "not computed again")
    array([0, 1, 2])
    """
    if key not in _KEPT:
        value = compute()
        for array in _arrays(value):
            array.flags.writeable = False
        _KEPT[key] = value
    return _KEPT[key]


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)
