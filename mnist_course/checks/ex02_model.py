"""Checks of exercise 2, building the model: build_mlp, count_parameters."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._messages import describe, fail, quiet


def _activation_name(activation):
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return name.lower()


def _dense_structure(model):
    """Return [(units, activation name), ...] of the model's Dense layers, in order.

    An activation given as its own layer (``Activation("relu")``, ``ReLU()``, ``Softmax()``)
    after a Dense layer without one counts as that Dense layer's activation.
    """
    import keras

    structure = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer | keras.layers.Flatten):
            continue
        if isinstance(layer, keras.layers.Dense):
            structure.append([layer.units, _activation_name(layer.activation)])
        elif isinstance(layer, keras.layers.Activation) and structure:
            structure[-1][1] = _activation_name(layer.activation)
        elif isinstance(layer, keras.layers.ReLU | keras.layers.Softmax) and structure:
            structure[-1][1] = "relu" if isinstance(layer, keras.layers.ReLU) else "softmax"
        else:
            fail(
                f"the model has a {type(layer).__name__} layer.",
                expected="only Dense layers (after keras.Input)",
                returned=f"layers {[type(item).__name__ for item in model.layers]}",
                hint="the course's model is keras.Input, then Dense layers only",
            )
    return [tuple(item) for item in structure]


@quiet
def check_build_mlp(build_mlp, *, hidden_units=None, activation=None):
    """Check the model that ``build_mlp(...)`` returns: input, Dense layers, activations, size.

    Any ``keras.Model`` passes (Sequential or functional) when its Dense layers have the
    expected units and activations, it takes inputs of shape (784,) and has the expected
    number of parameters (55,050 for the defaults).

    Examples
    --------
    >>> from mnist_course.models import build_mlp as reference
    >>> check_build_mlp(lambda hidden_units=(64, 64), activation="relu":
    ...     reference(hidden_units=hidden_units, activation=activation))
    """
    import keras

    options = {}
    if hidden_units is not None:
        options["hidden_units"] = tuple(hidden_units)
    if activation is not None:
        options["activation"] = activation
    units = tuple(options.get("hidden_units", (64, 64)))
    activation = options.get("activation", "relu")
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
    call = f"build_mlp({shown})"
    model = build_mlp(**options)
    if not isinstance(model, keras.Model):
        fail(
            f"{call} did not return a Keras model.",
            expected="a keras.Model, for example keras.Sequential([...])",
            returned=describe(model),
            hint="end with `return model`",
        )
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        input_shape = None
    if input_shape != (None, NUM_PIXELS):
        fail(
            f"{call} returned a model without the right input.",
            expected=f"inputs of shape (None, {NUM_PIXELS})",
            returned=f"input shape {input_shape}",
            hint=f"start the model with keras.Input(shape=({NUM_PIXELS},))",
        )
    found = _dense_structure(model)
    expected = [(n, activation) for n in units] + [(NUM_CLASSES, "softmax")]
    if found != expected:
        hint = "one Dense layer per entry of hidden_units, then Dense(10, activation='softmax')"
        if [n for n, _ in found] == [n for n, _ in expected]:
            hint = (
                f"the hidden layers use activation={activation!r} (the argument), "
                "the output layer 'softmax'"
            )
        elif len(found) == len(units):
            hint = "add the output layer: Dense(10, activation='softmax')"
        fail(
            f"{call} returned the wrong Dense layers.",
            expected=f"(units, activation) = {expected}",
            returned=f"(units, activation) = {found}",
            hint=hint,
        )
    sizes = (NUM_PIXELS, *units, NUM_CLASSES)
    params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
    if model.count_params() != params:
        fail(
            f"{call} returned a model with {model.count_params():,} parameters.",
            expected=f"{params:,} parameters",
            returned=f"{model.count_params():,} parameters",
            hint="use Dense layers with biases (the default use_bias=True) and nothing else",
        )


@quiet
def check_count_parameters(count_parameters, *, hidden_units=(64, 64)):
    """Check that ``count_parameters(hidden_units)`` counts the MLP's weights and biases.

    Examples
    --------
    >>> check_count_parameters(lambda hidden_units: 55050)
    """
    hidden_units = tuple(hidden_units)
    call = f"count_parameters({hidden_units})"
    result = count_parameters(hidden_units)
    sizes = (NUM_PIXELS, *hidden_units, NUM_CLASSES)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    biases = sum(sizes[1:])
    expected = weights + biases
    if isinstance(result, bool) or not isinstance(result, int | np.integer):
        if isinstance(result, float | np.floating) and result == expected:
            return
        fail(
            f"{call} did not return a whole number.",
            expected=f"the int {expected}",
            returned=describe(result),
            hint="return the number itself, an int, not its text (no str(...) or f-string)"
            if isinstance(result, str) and result.strip().isdigit()
            else "end with `return ...`: the function returned nothing"
            if result is None
            else "add up (inputs + 1) * units over the Dense layers",
        )
    if result == expected:
        return
    hint = "each Dense layer has inputs * units weights and units biases"
    if result == weights:
        hint = "count the biases too: each Dense layer has one per unit"
    elif result == expected - (sizes[-2] + 1) * NUM_CLASSES:
        hint = "count the output layer too: Dense(10) after the last hidden layer"
    elif result == expected - (NUM_PIXELS + 1) * sizes[1]:
        hint = "count the first layer too: it connects the 784 pixels to the first hidden layer"
    fail(
        f"{call} returned {result}.",
        expected=f"{expected} ({weights} weights + {biases} biases)",
        returned=f"{result}",
        hint=hint,
    )
