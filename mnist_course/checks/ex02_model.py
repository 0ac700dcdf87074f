"""Checks of exercise 2, building the model: build_mlp, count_parameters, the widest hidden
layer within a budget (derived), and two predictions (the parameters of a sigmoid network, the
test accuracy of an untrained one)."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._messages import check_recorded, describe, fail, quiet

GRADING_SECONDS = 1  # alone, as graded: see mnist_course.checks.grading_seconds

UNTRAINED_ACCURACY = (0.04, 0.16)
"""The predictions of the untrained network's test accuracy that pass: chance, 1 in 10, and
every accuracy the course's untrained networks reach, with a margin of about 0.015.

``mnist_course.build_mlp(seed=seed)``, not trained, on the 10,000 test images::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.0758 0.1043 0.0523 0.0877 0.0866 0.1118 0.0715 0.0985 0.1072 0.0901
    seed      10     11     12     13     14     15     16     17     18     19
    accuracy  0.1173 0.1138 0.1371 0.1087 0.0878 0.1129 0.0871 0.1432 0.1024 0.1256
    seed      20     21     22     23     24     25     26     27     28     29
    accuracy  0.0750 0.0935 0.0945 0.1045 0.0818 0.0962 0.1178 0.0791 0.0878 0.1008

    mean 0.0984, standard deviation 0.0196, lowest 0.0523 (seed 2), highest 0.1432 (seed 17)
"""


def _parameters(hidden_units, *, inputs=NUM_PIXELS, classes=NUM_CLASSES, biases=True):
    sizes = (inputs, *hidden_units, classes)
    return sum((a + biases) * b for a, b in zip(sizes, sizes[1:], strict=False))


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
    try:
        result = count_parameters(hidden_units)
    except TypeError as error:
        if 'can only concatenate list (not "tuple") to list' not in str(error):
            raise
        fail(
            f'{call} raised TypeError: can only concatenate list (not "tuple") to list.',
            expected="hidden_units taken as it comes: a tuple such as (64, 64), or a list",
            returned="an error: a list and a tuple joined with +",
            hint="hidden_units may be a tuple: turn it into a list before joining it to "
            "lists, [784] + list(hidden_units) + [10]",
        )
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


def _widest(budget, depth, count):
    """The largest H >= 1 whose network of ``depth`` layers of H units ``count``s at most
    ``budget`` parameters (0 if none does)."""
    low, high = 0, 1
    while count((high,) * depth) <= budget:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count((middle,) * depth) <= budget else (low, middle)
    return low


WIDEST_MISTAKES = (
    (
        lambda units: _parameters(units, biases=False),
        "that is the width if the layers had no biases: each unit has one bias too",
    ),
    (
        lambda units: _parameters(units[:-1], classes=units[-1]),
        "that is the width without the output layer: Dense(10) after the last hidden layer "
        "has parameters too",
    ),
    (
        lambda units: (NUM_PIXELS + 1) * units[0],
        "that counts the first layer only: every hidden layer, and the output layer, count",
    ),
)
"""Ways to count wrong, each with what it shows when an answer is the widest layer it gives."""


@quiet
def check_widest_hidden_layer(widest_hidden_layer, *, budget=55050, depth=2):
    """Check ``widest_hidden_layer(budget, depth=...)``: the largest number of units H such that
    ``build_mlp(hidden_units=(H,) * depth)`` has at most ``budget`` parameters.

    Examples
    --------
    >>> check_widest_hidden_layer(lambda budget, depth=2: max(
    ...     h for h in range(1, 2000)
    ...     if 785 * h + (depth - 1) * (h + 1) * h + 10 * (h + 1) <= budget))
    """
    call = f"widest_hidden_layer({budget}, depth={depth})"
    result = widest_hidden_layer(budget, depth=depth)
    expected = _widest(budget, depth, _parameters)
    if isinstance(result, bool) or not isinstance(result, int | np.integer | float | np.floating):
        fail(
            f"{call} did not return a whole number.",
            expected=f"an int: the largest number of units per hidden layer within {budget:,} "
            "parameters",
            returned=describe(result),
            hint="return the number of units, e.g. `return units`",
        )
    if result == expected:
        return
    if result != int(result):
        fail(
            f"{call} returned {result}, not a whole number.",
            expected="a whole number of units",
            returned=f"{result}",
            hint="a layer has a whole number of units: round down to the largest H that fits "
            "the budget",
        )
    units = int(result)
    shown = f"({units},)" if depth == 1 else f"({units},) * {depth}"
    if units < 1:
        fail(
            f"{call} returned {units}.",
            expected="at least 1 unit (the budget here pays for more)",
            returned=f"{units}",
            hint="count the parameters of hidden_units=(H,) * depth for growing H",
        )
    found = _parameters((units,) * depth)
    if found > budget:
        summary = f"{call} returned {units}: hidden_units={shown} has {found:,} parameters, "
        summary += f"more than {budget:,}."
    else:
        wider = _parameters((units + 1,) * depth)
        summary = f"{call} returned {units}, but {units + 1} units per layer also fit: "
        summary += f"{wider:,} parameters, at most {budget:,}."
    hint = "count each layer's (inputs + 1) * units, the output layer's too, and add them up"
    depths = [other for other in (1, 2) if other != depth]
    counted = [
        (lambda b, count=count: _widest(b, depth, count), why) for count, why in WIDEST_MISTAKES
    ]
    counted += [
        (
            lambda b, other=other: _widest(b, other, _parameters),
            f"that is the width for {other} hidden layer{'s' * (other > 1)}: use depth={depth}, "
            "the argument",
        )
        for other in depths
    ]
    counted += [
        (lambda b: expected + 1, "one unit too many: return the largest H that still fits"),
        (lambda b: expected - 1, "one unit too few: the budget pays for one more unit per layer"),
    ]
    for widest, why in counted:
        if units == widest(budget):
            hint = why
            break
    fail(
        summary,
        expected=f"the largest H such that build_mlp(hidden_units=(H,) * {depth}) has at most "
        f"{budget:,} parameters",
        returned=f"{units}",
        hint=hint,
    )


@quiet
def check_sigmoid_parameters(value):
    """Check the prediction ``PREDICTED_SIGMOID_PARAMETERS``: the parameters of
    ``build_mlp(activation="sigmoid")``, exactly.

    Examples
    --------
    >>> check_sigmoid_parameters(55050)
    """
    expected = _parameters((64, 64))
    check_recorded(
        value,
        name="PREDICTED_SIGMOID_PARAMETERS",
        question="the number of parameters of build_mlp(activation='sigmoid'), exactly",
        accepted=(expected, expected),
        mistakes=[
            (
                expected + 1,
                np.inf,
                "more parameters than with relu? An activation is a fixed function applied to "
                "each unit's sum: what would it have to learn?",
            ),
        ],
        hint="an activation is a fixed function applied to each unit's sum: think about what "
        "changes in the Dense layers when only the activation changes",
    )


@quiet
def check_untrained_accuracy(value):
    """Check the prediction ``PREDICTED_UNTRAINED_ACCURACY``: the test accuracy of the course's
    network before any training, within :data:`UNTRAINED_ACCURACY`.

    Examples
    --------
    >>> check_untrained_accuracy(0.1)
    """
    check_recorded(
        value,
        name="PREDICTED_UNTRAINED_ACCURACY",
        question="the test accuracy of build_mlp()'s network before training, a fraction "
        "between 0 and 1",
        accepted=UNTRAINED_ACCURACY,
        mistakes=[
            (1.5, 100, "write the accuracy as a fraction between 0 and 1, not a percentage"),
            (
                0,
                0.01,
                "an accuracy of 0 would mean the network avoids the true digit on purpose: "
                "how often is an answer that knows nothing about the image right?",
            ),
            (
                UNTRAINED_ACCURACY[1],
                1,
                "the untrained network's weights are random: it has learned nothing about "
                "digits yet, so how often is its answer right by chance alone?",
            ),
        ],
        hint="how often is an answer that knows nothing about the image right, with 10 digits?",
    )
