"""How a check speaks: it raises CheckFailed with what was expected, what came back and a hint."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._quiet import silence_tensorflow
from ._state import CheckFailed


def quiet(check):
    """Run a check with Python warnings and TensorFlow's Python logger silenced.

    nbgrader scores a test cell with any stderr output as failed: a deprecation warning or a
    "retracing" note must not cost a correct answer its points.
    """

    @functools.wraps(check)
    def quiet_check(*args, **kwargs):
        silence_tensorflow()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check(*args, **kwargs)

    return quiet_check


def fail(summary, *, expected, returned, hint=None):
    """Raise CheckFailed with a summary line, then expected / returned / hint lines."""
    lines = [summary, f"  expected: {expected}", f"  returned: {returned}"]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def describe(value):
    """A short description of a value: arrays by shape, dtype and range."""
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}, dtype {value.dtype}"
        if value.size and value.dtype.kind in "biuf":
            text += f", values from {value.min():.6g} to {value.max():.6g}"
        return text
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}" if not isinstance(value, str | type(None)) else text


def as_array(value, call, what):
    """Convert a returned value to a numpy array or fail with a message that says why."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception:  # a value numpy cannot convert
        array = None
    if array is None or array.dtype == object:
        fail(
            f"{call} did not return {what} as an array.",
            expected=f"{what}: a numpy array",
            returned=describe(value),
            hint="return a numpy array (np.asarray(...) converts lists)",
        )
    return array
