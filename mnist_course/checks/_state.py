"""What the checks keep across :func:`mnist_course.checks.load`: the failure type and MNIST.

:func:`~mnist_course.checks.load` reloads every other module of the checks from its file;
this one it leaves alone, so that a failure keeps one type for the whole process (the
self-check and the tests recognise it with ``isinstance``) and MNIST is decoded once.
"""

from __future__ import annotations

import functools

from .. import data
from .._errors import CheckFailed

__all__ = ["CheckFailed", "mnist"]


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
