"""How a check speaks: it raises CheckFailed with what was expected, what came back and a hint."""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np

from .._quiet import silence_tensorflow
from ._state import CheckFailed

KERAS_MISTAKES = [
    (
        r"must have rank \(ndim\) `target\.ndim - 1`|sparse_categorical",
        "the loss is sparse categorical cross-entropy, which expects labels as integers 0..9",
        "the course's labels are one-hot rows of 10 (y_train has shape (N, 10)): use "
        "loss='categorical_crossentropy'",
    ),
    (
        r"`target` and `output` must have the same shape|Shapes .* are incompatible",
        "the labels and the model's output have different shapes",
        "one-hot labels of shape (N, 10) need an output layer Dense(10, activation='softmax') "
        "and loss='categorical_crossentropy'",
    ),
    (
        r"expected axis -1 of input shape to have value (\d+)",
        "the model was given inputs of another size than it expects",
        "flatten each image to 784 values (x.reshape(len(x), -1)) and start the model with "
        "keras.Input(shape=(784,))",
    ),
    (
        r"must call `compile\(\)`|You must compile",
        "the model was used before it was compiled",
        "call model.compile(optimizer=..., loss=..., metrics=[...]) before fit or evaluate",
    ),
]
"""Keras errors that a course-level mistake causes: (pattern, what happened, the fix)."""


def keras_mistake(error):
    """Say a Keras error in the course's terms, or return None for another error.

    Examples
    --------
    >>> keras_mistake(ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`"))
    ('the loss is sparse categorical cross-entropy, ...', "the course's labels are one-hot ...")
    """
    for pattern, what, fix in KERAS_MISTAKES:
        if re.search(pattern, str(error)):
            return what, fix
    return None


def quiet(check):
    """Run a check with Python warnings and TensorFlow's Python logger silenced, and Keras's
    errors for course-level mistakes said in the course's terms.

    nbgrader scores a test cell with any stderr output as failed: a deprecation warning or a
    "retracing" note must not cost a correct answer its points. A ``ValueError`` that Keras
    raises for a mistake in :data:`KERAS_MISTAKES` (whether in the student's code or in the
    check's call into Keras) becomes a :class:`CheckFailed` that names the mistake.
    """

    @functools.wraps(check)
    def quiet_check(*args, **kwargs):
        silence_tensorflow()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return check(*args, **kwargs)
            except ValueError as error:
                mistake = keras_mistake(error)
                if mistake is None:
                    raise
                what, fix = mistake
                first = str(error).strip().splitlines()[0][:160]
                name = getattr(args[0] if args else None, "__name__", "your function")
                fail(
                    f"Keras stopped with ValueError when the check used {name}(): {what}.",
                    expected="a model, loss and labels that fit together",
                    returned=f"Keras's error: {first}",
                    hint=fix,
                )

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
