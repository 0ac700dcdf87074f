"""Checks for the exercises: one set, called by nbgrader's test cells and by ``pytest exercises``.

Each ``check_<name>(function, ...)`` calls a student's function on known inputs and compares
what it returns with the course's own functions. A wrong answer raises :class:`CheckFailed`
with what was expected, what the function returned and a hint; an answer written differently
but correct (a functional model instead of a Sequential, float64 instead of float32, ...)
passes. Test cells load the checks with :func:`fresh`, so that code in an answer cell that
patches this module, or the course functions it compares against, changes nothing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np

from . import data, preprocessing

MIN_TEST_ACCURACY = 0.84
"""Test accuracy that :func:`check_test_accuracy` asks for: the reference's worst of 10 seeds
minus a margin of about 0.02 (1.6 standard deviations of the seed-to-seed spread).

Measured with exercise 3's solution (``model.compile("adam", "categorical_crossentropy",
["accuracy"])``; ``keras.utils.set_random_seed(seed)`` then ``model.fit(..., batch_size=32)``),
trained as the check trains (first 10,000 training images, 1 epoch) and tested on the 10,000
test images; ``benchmarks/bench_accuracy_threshold.py`` repeats it::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.8700 0.8845 0.8882 0.8806 0.8717 0.8724 0.8902 0.8945 0.8676 0.8588

    mean 0.8779, standard deviation 0.0115, worst 0.8588 (seed 9), margin 0.0188 -> 0.84

The same seed gives the same accuracy in a new process (seeds 0 and 3 rechecked).
"""

REFERENCE_ACCURACY_RANGE = (0.8588, 0.8945)
"""The lowest and highest test accuracy of the reference over the 10 seeds above."""

ACCURACY_TRAIN_SIZE = 10000
"""Training images (the first ones of the training set) that the accuracy check trains on."""

ACCURACY_EPOCHS = 1
"""Epochs that the accuracy check trains for."""


class CheckFailed(AssertionError):
    """An answer does not do what the exercise asks; the message says what and how to fix it."""


def fresh():
    """Return these checks loaded anew from the course's files, in a private namespace.

    The copy has its own copies of the course modules it compares against, so code that
    replaces ``mnist_course.checks.check_normalize`` or ``mnist_course.normalize`` in the
    notebook does not reach it. Test cells call it as
    ``importlib.reload(mnist_course.checks).fresh()``: the reload first restores this module
    from its file, in case ``fresh`` itself was replaced. Keras, numpy and the standard
    library are shared: code that patches those is beyond what a test cell can defend.

    Returns
    -------
    module
        A private copy of this module.

    Examples
    --------
    >>> checks = fresh()
    >>> checks.check_normalize is check_normalize
    False
    """
    folder = Path(__file__).resolve().parent
    name = f"_mnist_course_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.checks")


def _quiet(check):
    """Run a check with Python warnings and TensorFlow's Python logger silenced.

    nbgrader scores a test cell with any stderr output as failed: a deprecation warning or a
    "retracing" note must not cost a correct answer its points.
    """

    @functools.wraps(check)
    def quiet_check(*args, **kwargs):
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check(*args, **kwargs)

    return quiet_check


# ---------------------------------------------------------------------------------------------
# Messages


def _fail(summary, *, expected, returned, hint=None):
    """Raise CheckFailed with a summary line, then expected / returned / hint lines."""
    lines = [summary, f"  expected: {expected}", f"  returned: {returned}"]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def _describe(value):
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


def _as_array(value, call, what):
    """Convert a returned value to a numpy array or fail with a message that says why."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception:  # a value numpy cannot convert
        array = None
    if array is None or array.dtype == object:
        _fail(
            f"{call} did not return {what} as an array.",
            expected=f"{what}: a numpy array",
            returned=_describe(value),
            hint="return a numpy array (np.asarray(...) converts lists)",
        )
    return array


# ---------------------------------------------------------------------------------------------
# Inputs


@functools.cache
def _mnist():
    return data.load_mnist()


def mnist_images(n, *, split="test"):
    """Return the first ``n`` MNIST images of a split, uint8 of shape (n, 28, 28).

    Examples
    --------
    >>> mnist_images(3).shape
    (3, 28, 28)
    """
    (x_train, _), (x_test, _) = _mnist()
    return (x_train if split == "train" else x_test)[:n].copy()


def mnist_labels(n, *, split="test"):
    """Return the first ``n`` MNIST labels of a split, uint8 of shape (n,).

    Examples
    --------
    >>> mnist_labels(5)
    array([7, 2, 1, 0, 4], dtype=uint8)
    """
    (_, y_train), (_, y_test) = _mnist()
    return (y_train if split == "train" else y_test)[:n].copy()


def mnist_rows(n, *, split="test"):
    """Return the first ``n`` lines of ``mnist_<split>.csv`` as integers of shape (n, 785).

    Examples
    --------
    >>> mnist_rows(2).shape
    (2, 785)
    """
    x, y = mnist_images(n, split=split), mnist_labels(n, split=split)
    return np.column_stack([y, x.reshape(n, -1)]).astype(np.int64)


def _prepared(n, *, split):
    return preprocessing.preprocess(mnist_images(n, split=split), mnist_labels(n, split=split))


# ---------------------------------------------------------------------------------------------
# Exercise 1: preparing the data


def _sample_rows():
    """Six CSV rows with labels and pixel values that differ everywhere."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(6, 784))
    labels = np.array([5, 0, 4, 1, 9, 2])
    return np.column_stack([labels, pixels])


@_quiet
def check_split_labels(split_labels, *, rows=None):
    """Check that ``split_labels(rows)`` returns pixels ``rows[:, 1:]`` and labels ``rows[:, 0]``.

    Examples
    --------
    >>> check_split_labels(lambda rows: (rows[:, 1:], rows[:, 0]))
    """
    rows = _sample_rows() if rows is None else np.asarray(rows)
    n = len(rows)
    call = "split_labels(rows)"
    result = split_labels(rows.copy())
    if not isinstance(result, tuple | list) or len(result) != 2:
        _fail(
            f"{call} should return two arrays, x and y.",
            expected=f"a tuple (x, y): x of shape ({n}, 784), y of shape ({n},)",
            returned=_describe(result),
            hint="end with `return x, y`",
        )
    x = _as_array(result[0], call, "x")
    y = _as_array(result[1], call, "y")
    if x.shape == (n,) and y.shape == (n, 784):
        _fail(
            f"{call} returned the labels first.",
            expected=f"x of shape ({n}, 784) first, then y of shape ({n},)",
            returned=f"first {_describe(x)}; second {_describe(y)}",
            hint="return the pixels first, then the labels: `return x, y`",
        )
    if x.shape != (n, 784):
        hint = "each row is the label, then 784 pixels: the pixels are rows[:, 1:]"
        if x.shape == (n, 785):
            hint = "x still holds the label column: take rows[:, 1:]"
        _fail(
            f"{call} returned x of the wrong shape.",
            expected=f"x of shape ({n}, 784)",
            returned=f"x: {_describe(x)}",
            hint=hint,
        )
    if y.shape != (n,):
        _fail(
            f"{call} returned y of the wrong shape.",
            expected=f"y of shape ({n},): one label per row",
            returned=f"y: {_describe(y)}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(y, rows[:, 0]):
        _fail(
            f"{call} returned the wrong labels.",
            expected=f"the first column, starting {rows[:4, 0].tolist()}",
            returned=f"labels starting {y[:4].tolist()}",
            hint="the label is the first column: rows[:, 0]",
        )
    if not np.array_equal(x, rows[:, 1:]):
        _fail(
            f"{call} returned the wrong pixel values.",
            expected=f"columns 1 to 784, the first row starting {rows[0, 1:5].tolist()}",
            returned=f"a first row starting {x[0, :4].tolist()}",
            hint="the pixels are every column after the label: rows[:, 1:]",
        )


@_quiet
def check_normalize(normalize, *, x=None):
    """Check that ``normalize(x)`` returns floats equal to ``x / 255 - 0.5`` (within 1e-6).

    float32 is what the course uses (Keras computes in float32); float64 is accepted too,
    Keras casts it. The input must be left unchanged and the shape kept.

    Examples
    --------
    >>> check_normalize(lambda x: (x - 127.5) / 255)
    """
    x = np.arange(256, dtype=np.uint8).reshape(16, 16) if x is None else np.asarray(x)
    original = x.copy()
    call = f"normalize(x) for x of shape {x.shape}, {x.dtype}"
    result = _as_array(normalize(x), call, "the normalised pixels")
    expected = x.astype(np.float64) / 255 - 0.5
    wanted = "floats from -0.5 to 0.5, x / 255 - 0.5"
    if not np.array_equal(x, original):
        _fail(
            f"{call} changed its input x.",
            expected="x left as it was, a new array returned",
            returned=f"x changed to {_describe(x)}",
            hint="compute a new array (x / 255 - 0.5) instead of changing x in place",
        )
    if result.shape != x.shape:
        _fail(
            f"{call} changed the shape.",
            expected=f"an array of shape {x.shape}, the same as x",
            returned=_describe(result),
            hint="normalising only scales the values; keep the shape",
        )
    if result.dtype.kind != "f":
        _fail(
            f"{call} returned {result.dtype} values, not floats.",
            expected=wanted,
            returned=_describe(result),
            hint="divide with / (not //) so that the result is float: x / 255 - 0.5",
        )
    if np.allclose(result, expected, rtol=0, atol=1e-6):
        return
    hint = "the course normalises to [-0.5, 0.5]: x / 255 - 0.5"
    values = result.astype(np.float64)
    for close_to, why in (
        (
            x / 255,
            "values are in [0, 1]; the course normalises to [-0.5, 0.5]: "
            "subtract 0.5 after dividing by 255",
        ),
        (x / 127.5 - 1, "values are in [-1, 1]; divide by 255, not 127.5, then subtract 0.5"),
        (x - 0.5, "the values were not divided by 255: x / 255 - 0.5"),
        (x / 255 + 0.5, "values are in [0.5, 1.5]: subtract 0.5, do not add it"),
        ((x - 0.5) / 255, "subtract 0.5 after dividing by 255, not before: x / 255 - 0.5"),
    ):
        if np.allclose(values, close_to, rtol=0, atol=1e-3):
            hint = why
            break
    else:
        if np.allclose(values, expected, rtol=0, atol=1e-3):
            hint = (
                f"the values are close but not within 1e-6 ({result.dtype} is too coarse): "
                "return float32 or float64"
            )
    worst = int(np.argmax(np.abs(values - expected)))
    _fail(
        f"{call} returned the wrong values.",
        expected=f"{wanted}; for grey level {x.flat[worst]}: {expected.flat[worst]:.6g}",
        returned=f"{_describe(result)}; for grey level {x.flat[worst]}: {values.flat[worst]:.6g}",
        hint=hint,
    )


@_quiet
def check_one_hot(one_hot, *, y=None, num_classes=10):
    """Check that ``one_hot(y, num_classes=...)`` returns one row per label with a 1 in column y.

    Any numeric dtype is accepted (Keras casts the labels to float32).

    Examples
    --------
    >>> check_one_hot(lambda y, num_classes=10: np.eye(num_classes)[y])
    """
    y = np.array([3, 0, 9, 1, 1, 7, 4]) if y is None else np.asarray(y)
    n = len(y)
    if num_classes == 10:
        call = "one_hot(y)"
        result = one_hot(y.copy())
    else:
        call = f"one_hot(y, num_classes={num_classes})"
        result = one_hot(y.copy(), num_classes=num_classes)
    result = _as_array(result, call, "the one-hot labels")
    expected = np.eye(num_classes)[y.astype(np.int64)]
    shown = f"y = {y[:4].tolist()}..." if n > 4 else f"y = {y.tolist()}"
    if result.shape != (n, num_classes):
        hint = f"make one row per label and one column per class: shape (N, {num_classes})"
        if result.shape == (num_classes, n):
            hint = "the array is transposed: one row per label, one column per class"
        elif result.shape == (n,):
            hint = "that is one number per label; one-hot makes a row of 0s with a 1 in column y"
        elif result.ndim == 2 and result.shape[0] == n:
            hint = f"use num_classes ({num_classes}) columns, not {result.shape[1]}"
        _fail(
            f"{call} returned the wrong shape for {shown}.",
            expected=f"an array of shape ({n}, {num_classes})",
            returned=_describe(result),
            hint=hint,
        )
    if result.dtype.kind not in "biuf":
        _fail(
            f"{call} returned {result.dtype} values.",
            expected="numbers 0 and 1",
            returned=_describe(result),
            hint="build the rows with numbers, e.g. np.eye(num_classes)[y]",
        )
    if not np.array_equal(result, expected):
        row = int(np.flatnonzero(np.any(result != expected, axis=1))[0])
        _fail(
            f"{call} returned a wrong row for label {y[row]} (row {row}).",
            expected=f"{expected[row].astype(int).tolist()}",
            returned=f"{np.asarray(result[row]).tolist()}",
            hint="each row is all 0 except a 1 in the column of its label: np.eye(num_classes)[y]",
        )


# ---------------------------------------------------------------------------------------------
# Exercise 2: building the model


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
            _fail(
                f"the model has a {type(layer).__name__} layer.",
                expected="only Dense layers (after keras.Input)",
                returned=f"layers {[type(item).__name__ for item in model.layers]}",
                hint="the course's model is keras.Input, then Dense layers only",
            )
    return [tuple(item) for item in structure]


@_quiet
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
        _fail(
            f"{call} did not return a Keras model.",
            expected="a keras.Model, for example keras.Sequential([...])",
            returned=_describe(model),
            hint="end with `return model`",
        )
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        input_shape = None
    if input_shape != (None, 784):
        _fail(
            f"{call} returned a model without the right input.",
            expected="inputs of shape (None, 784)",
            returned=f"input shape {input_shape}",
            hint="start the model with keras.Input(shape=(784,))",
        )
    found = _dense_structure(model)
    expected = [(n, activation) for n in units] + [(10, "softmax")]
    if found != expected:
        hint = "one Dense layer per entry of hidden_units, then Dense(10, activation='softmax')"
        if [n for n, _ in found] == [n for n, _ in expected]:
            hint = (
                f"the hidden layers use activation={activation!r} (the argument), "
                "the output layer 'softmax'"
            )
        elif len(found) == len(units):
            hint = "add the output layer: Dense(10, activation='softmax')"
        _fail(
            f"{call} returned the wrong Dense layers.",
            expected=f"(units, activation) = {expected}",
            returned=f"(units, activation) = {found}",
            hint=hint,
        )
    sizes = (784, *units, 10)
    params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
    if model.count_params() != params:
        _fail(
            f"{call} returned a model with {model.count_params():,} parameters.",
            expected=f"{params:,} parameters",
            returned=f"{model.count_params():,} parameters",
            hint="use Dense layers with biases (the default use_bias=True) and nothing else",
        )


@_quiet
def check_count_parameters(count_parameters, *, hidden_units=(64, 64)):
    """Check that ``count_parameters(hidden_units)`` counts the MLP's weights and biases.

    Examples
    --------
    >>> check_count_parameters(lambda hidden_units: 55050)
    """
    hidden_units = tuple(hidden_units)
    call = f"count_parameters({hidden_units})"
    result = count_parameters(hidden_units)
    sizes = (784, *hidden_units, 10)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    biases = sum(sizes[1:])
    expected = weights + biases
    if isinstance(result, bool) or not isinstance(result, int | np.integer):
        if isinstance(result, float | np.floating) and result == expected:
            return
        _fail(
            f"{call} did not return a whole number.",
            expected=f"the int {expected}",
            returned=_describe(result),
            hint="add up (inputs + 1) * units over the Dense layers",
        )
    if result == expected:
        return
    hint = "each Dense layer has inputs * units weights and units biases"
    if result == weights:
        hint = "count the biases too: each Dense layer has one per unit"
    elif result == expected - (sizes[-2] + 1) * 10:
        hint = "count the output layer too: Dense(10) after the last hidden layer"
    elif result == expected - (784 + 1) * sizes[1]:
        hint = "count the first layer too: it connects the 784 pixels to the first hidden layer"
    _fail(
        f"{call} returned {result}.",
        expected=f"{expected} ({weights} weights + {biases} biases)",
        returned=f"{result}",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Exercise 3: compiling and training


def _reference_model(seed=0):
    from . import models

    return models.build_mlp(seed=seed)


def _deterministic(seed):
    """Seed Keras and ask TensorFlow for deterministic ops, so a grade repeats exactly."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


@_quiet
def check_compile_model(compile_model):
    """Check that ``compile_model(model)`` compiles with Adam (0.001), cross-entropy, accuracy.

    The loss and metric are checked by what they compute, so ``"categorical_crossentropy"``,
    ``keras.losses.CategoricalCrossentropy()`` and the function all pass.

    Examples
    --------
    >>> from mnist_course.training import compile_model
    >>> check_compile_model(compile_model)
    """
    import keras

    model = _reference_model()
    call = "compile_model(model)"
    result = compile_model(model)
    if result is None:
        _fail(
            f"{call} returned None.",
            expected="the compiled model",
            returned="None",
            hint="end with `return model` (model.compile(...) itself returns None)",
        )
    if not isinstance(result, keras.Model) or not getattr(result, "compiled", False):
        _fail(
            f"{call} did not return a compiled model.",
            expected="the model, compiled",
            returned=_describe(result),
            hint="call model.compile(optimizer=..., loss=..., metrics=[...]), then return model",
        )
    optimizer = result.optimizer
    if not isinstance(optimizer, keras.optimizers.Adam):
        _fail(
            f"{call} compiled with the wrong optimizer.",
            expected="Adam",
            returned=type(optimizer).__name__,
            hint="optimizer='adam' or keras.optimizers.Adam(learning_rate=0.001)",
        )
    learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(learning_rate, 0.001, rtol=1e-6):
        _fail(
            f"{call} compiled Adam with learning rate {learning_rate:g}.",
            expected="learning_rate=0.001 (Adam's default)",
            returned=f"learning_rate={learning_rate:g}",
            hint="keep Adam's default: optimizer='adam'",
        )
    _check_loss_and_metric(result, call)


def _check_loss_and_metric(model, call):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, size=(64, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=64)]
    probabilities = model.predict(x, verbose=0).astype(np.float64)
    expected_loss = float(np.mean(-np.log(np.clip(np.sum(y * probabilities, 1), 1e-7, 1))))
    expected_accuracy = float(np.mean(np.argmax(probabilities, 1) == np.argmax(y, 1)))
    scores = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    if not np.isclose(scores["loss"], expected_loss, rtol=1e-3, atol=1e-4):
        _fail(
            f"{call} compiled the wrong loss.",
            expected=f"categorical cross-entropy: {expected_loss:.4f} on a test batch",
            returned=f"a loss of {scores['loss']:.4f} on that batch (loss={model.loss!r})",
            hint="loss='categorical_crossentropy' (the labels are one-hot)",
        )
    accuracies = {
        name: value
        for name, value in scores.items()
        if name in ("accuracy", "acc", "categorical_accuracy", "compile_metrics")
        and np.isclose(value, expected_accuracy, atol=1e-6)
    }
    if not accuracies:
        _fail(
            f"{call} compiled without the accuracy metric.",
            expected="metrics=['accuracy'], reported as 'accuracy'",
            returned=f"metrics {sorted(name for name in scores if name != 'loss')}",
            hint="metrics=['accuracy']",
        )


def _eager_loss(model, x, y):
    """Categorical cross-entropy of the model on (x, y), computed without tracing a function."""
    probabilities = np.asarray(model(x, training=False), dtype=np.float64)
    return float(np.mean(-np.log(np.clip(np.sum(y * probabilities, axis=1), 1e-7, 1))))


def _train_subset(n):
    x, y = _prepared(n, split="train")
    return x, y


@_quiet
def check_train(train, *, epochs=2, seed=0, compare_seed=None):
    """Check ``train(model, x_train, y_train, epochs=..., seed=...)``: a History, lower loss,
    and the same numbers again for the same seed.

    With ``compare_seed``, also check that another seed gives other numbers (the seed is used).

    Examples
    --------
    >>> from mnist_course.training import train
    >>> check_train(lambda model, x, y, epochs, seed: train(model, x, y, epochs=epochs,
    ...     seed=seed, verbose=0))
    """
    from . import training

    x_train, y_train = _train_subset(2000)
    call = f"train(model, x_train, y_train, epochs={epochs}, seed={seed})"

    def run(run_seed, attempt):
        model = training.compile_model(_reference_model(0), steps_per_execution=1)
        before = _eager_loss(model, x_train, y_train)
        # Leave the random generators in another state on each attempt: only a train that
        # seeds them itself repeats its numbers
        _deterministic(1000 + attempt)
        history = train(model, x_train, y_train, epochs=epochs, seed=run_seed)
        after = _eager_loss(model, x_train, y_train)
        return history, before, after

    history, before, after = run(seed, 0)
    losses = getattr(history, "history", {}).get("loss") if hasattr(history, "history") else None
    if losses is None:
        _fail(
            f"{call} did not return the History.",
            expected="the History that model.fit returns (history.history['loss'], ...)",
            returned=_describe(history),
            hint="return model.fit(...)",
        )
    if len(losses) != epochs:
        _fail(
            f"{call} trained for {len(losses)} epochs.",
            expected=f"{epochs} epochs: {epochs} values in history.history['loss']",
            returned=f"{len(losses)} values",
            hint="pass epochs=epochs to model.fit",
        )
    if not after < before:
        _fail(
            f"{call} did not lower the model's loss.",
            expected=f"the loss on x_train below its {before:.3f} before training",
            returned=f"a loss of {after:.3f} after training",
            hint="train the model you were given: model.fit(x_train, y_train, ...)",
        )
    again, _, _ = run(seed, 1)
    if not np.allclose(again.history["loss"], losses, rtol=1e-6, atol=0):
        _fail(
            f"{call} gave other losses when run again with the same seed.",
            expected=f"the same losses {np.round(losses, 5).tolist()}",
            returned=f"losses {np.round(again.history['loss'], 5).tolist()}",
            hint="call keras.utils.set_random_seed(seed) before model.fit",
        )
    if compare_seed is not None:
        other, _, _ = run(compare_seed, 2)
        if np.allclose(other.history["loss"], losses, rtol=1e-6, atol=0):
            _fail(
                f"{call} gave the same losses for seed={compare_seed}.",
                expected="other losses for another seed (the batches are shuffled differently)",
                returned=f"the same losses {np.round(losses, 5).tolist()}",
                hint="seed with the argument: keras.utils.set_random_seed(seed)",
            )


@_quiet
def check_test_accuracy(compile_model, train, *, seed=0):
    """Check that the course's model, compiled and trained by these functions, learns.

    It builds the course's model, compiles it with ``compile_model``, trains it with
    ``train`` on the first ``ACCURACY_TRAIN_SIZE`` training images for ``ACCURACY_EPOCHS``
    epoch(s) at batch size 32 and asks for ``MIN_TEST_ACCURACY`` on the 10,000 test images.

    Examples
    --------
    >>> from mnist_course import training
    >>> check_test_accuracy(training.compile_model, lambda model, x, y, epochs, seed:
    ...     training.train(model, x, y, epochs=epochs, seed=seed, verbose=0))  # doctest: +SKIP
    """
    accuracy = measure_test_accuracy(compile_model, train, seed=seed)
    if accuracy < MIN_TEST_ACCURACY:
        _fail(
            f"the model trained by your compile_model and train reached test accuracy "
            f"{accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY} (the course's reference reaches "
            f"{REFERENCE_ACCURACY_RANGE[0]:.4f} to {REFERENCE_ACCURACY_RANGE[1]:.4f})",
            returned=f"{accuracy:.4f}",
            hint="compile with Adam, categorical cross-entropy and accuracy; in train, "
            "model.fit(x_train, y_train, epochs=epochs, batch_size=32)",
        )


def measure_test_accuracy(compile_model, train, *, seed=0):
    """Train as :func:`check_test_accuracy` does and return the test accuracy.

    Examples
    --------
    >>> from mnist_course import training
    >>> measure_test_accuracy(training.compile_model, lambda model, x, y, epochs, seed:
    ...     training.train(model, x, y, epochs=epochs, seed=seed, verbose=0))  # doctest: +SKIP
    0.9...
    """
    from . import training

    x_train, y_train = _train_subset(ACCURACY_TRAIN_SIZE)
    x_test, y_test = _prepared(10000, split="test")
    _deterministic(seed)
    model = compile_model(_reference_model(seed))
    train(model, x_train, y_train, epochs=ACCURACY_EPOCHS, seed=seed)
    return training.evaluate(model, x_test, y_test)["accuracy"]


# ---------------------------------------------------------------------------------------------
# Exercise 4: testing


@functools.cache
def _tested_model():
    """A compiled model of the course (seeded, untrained: any weights do to compare the
    answers with Keras's own), and the first 1,000 test images and labels."""
    from . import training

    model = training.compile_model(_reference_model(0))
    x_test, y_test = _prepared(1000, split="test")
    return model, x_test, y_test


@_quiet
def check_evaluate(evaluate):
    """Check that ``evaluate(model, x_test, y_test)`` returns the test loss and accuracy.

    Examples
    --------
    >>> from mnist_course.training import evaluate
    >>> check_evaluate(evaluate)
    """
    model, x_test, y_test = _tested_model()
    call = "evaluate(model, x_test, y_test)"
    expected = model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)
    result = evaluate(model, x_test, y_test)
    wanted = f"{{'loss': {expected['loss']:.4f}, 'accuracy': {expected['accuracy']:.4f}}}"
    if not isinstance(result, dict) or not {"loss", "accuracy"} <= set(result):
        _fail(
            f"{call} did not return a dict with 'loss' and 'accuracy'.",
            expected=wanted,
            returned=_describe(result),
            hint="model.evaluate(x_test, y_test, return_dict=True) gives that dict",
        )
    try:
        loss, accuracy = float(result["loss"]), float(result["accuracy"])
    except (TypeError, ValueError):
        _fail(
            f"{call} returned values that are not numbers.",
            expected=wanted,
            returned=_describe(result),
            hint="return plain numbers: float(...)",
        )
    if np.isclose(accuracy, expected["accuracy"] * 100, atol=1e-2):
        _fail(
            f"{call} returned the accuracy as a percentage.",
            expected=wanted,
            returned=f"{{'loss': {loss:.4f}, 'accuracy': {accuracy:.4f}}}",
            hint="return the accuracy as a fraction between 0 and 1",
        )
    if not (
        np.isclose(loss, expected["loss"], rtol=1e-4, atol=1e-5)
        and np.isclose(accuracy, expected["accuracy"], atol=1e-6)
    ):
        hint = "evaluate the model you were given on x_test and y_test"
        if np.isclose(loss, expected["accuracy"]) and np.isclose(accuracy, expected["loss"]):
            hint = "'loss' and 'accuracy' are swapped"
        _fail(
            f"{call} returned other numbers than model.evaluate.",
            expected=wanted,
            returned=f"{{'loss': {loss:.4f}, 'accuracy': {accuracy:.4f}}}",
            hint=hint,
        )


@_quiet
def check_predict_labels(predict_labels):
    """Check that ``predict_labels(model, x)`` returns the most likely digit for each image.

    Examples
    --------
    >>> from mnist_course.training import predict_labels
    >>> check_predict_labels(predict_labels)
    """
    model, x_test, _ = _tested_model()
    call = "predict_labels(model, x)"
    expected = np.argmax(model.predict(x_test, batch_size=1000, verbose=0), axis=1)
    result = _as_array(predict_labels(model, x_test), call, "the labels")
    n = len(x_test)
    if result.shape != (n,):
        hint = "return one label per image"
        if result.shape == (n, 10):
            hint = "these are the probabilities; take the most likely digit: argmax(axis=1)"
        elif result.shape == (10,):
            hint = "take the argmax along axis=1 (over the 10 digits), not axis=0"
        _fail(
            f"{call} returned the wrong shape for {n} images.",
            expected=f"labels of shape ({n},)",
            returned=_describe(result),
            hint=hint,
        )
    if result.dtype.kind not in "iu" and not (
        result.dtype.kind == "f" and np.all(result == np.round(result))
    ):
        _fail(
            f"{call} did not return whole numbers.",
            expected="the digits 0..9",
            returned=_describe(result),
            hint="np.argmax(probabilities, axis=1) gives the digit of each row",
        )
    if not np.array_equal(result, expected):
        wrong = int(np.flatnonzero(result != expected)[0])
        _fail(
            f"{call} returned other labels than the model predicts.",
            expected=f"for image {wrong}, digit {expected[wrong]} (the highest probability)",
            returned=f"digit {result[wrong]}",
            hint="model.predict(x) gives probabilities; argmax(axis=1) picks each digit",
        )


@_quiet
def check_misclassified(misclassified, *, y_true=None, y_pred=None):
    """Check that ``misclassified(y_true, y_pred)`` returns the indices where they differ.

    Examples
    --------
    >>> check_misclassified(lambda y_true, y_pred: np.flatnonzero(y_true != y_pred))
    """
    if y_true is None:
        y_true = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        y_pred = np.array([7, 2, 1, 0, 9, 1, 4, 9, 6, 9])
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    call = f"misclassified(y_true, y_pred) for y_true={y_true.tolist()[:10]}, "
    call += f"y_pred={y_pred.tolist()[:10]}"
    expected = np.flatnonzero(y_true != y_pred)
    result = _as_array(misclassified(y_true.copy(), y_pred.copy()), call, "the indices")
    if result.dtype == bool and result.shape == y_true.shape:
        _fail(
            f"{call} returned a mask, not indices.",
            expected=f"the indices {expected.tolist()}",
            returned=_describe(result),
            hint="turn the mask into indices: np.flatnonzero(y_true != y_pred)",
        )
    if result.ndim != 1 or not np.array_equal(result.astype(np.int64), expected):
        _fail(
            f"{call} returned the wrong indices.",
            expected=f"{expected.tolist()}, the positions where the labels differ",
            returned=f"{result.tolist()[:20]}",
            hint="np.flatnonzero(y_true != y_pred)",
        )


# ---------------------------------------------------------------------------------------------
# Exercise 5: experimenting


EXPERIMENT_TOLERANCE = 0.02
"""How far an experiment's accuracy may be from the reference run with the same seed."""


def _experiment_data():
    x_train, y_train = _train_subset(2000)
    x_test, y_test = _prepared(2000, split="test")
    return x_train, y_train, x_test, y_test


def reference_experiment(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
    """The course's answer to the experiment: test accuracy per activation.

    Examples
    --------
    >>> sorted(reference_experiment(["relu"], *_experiment_data()))
    ['relu']
    """
    from . import models, training

    results = {}
    for activation in activations:
        model = training.compile_model(models.build_mlp(activation=activation, seed=seed))
        training.train(model, x_train, y_train, epochs=epochs, seed=seed, verbose=0)
        results[activation] = training.evaluate(model, x_test, y_test)["accuracy"]
    return results


@_quiet
def check_compare_activations(compare_activations, *, activations=("relu", "sigmoid"), epochs=1):
    """Check ``compare_activations(activations, x_train, y_train, x_test, y_test, ...)``.

    It must return ``{activation: test accuracy}`` within ``EXPERIMENT_TOLERANCE`` of the
    course's own run with the same seed.

    Examples
    --------
    >>> check_compare_activations(reference_experiment, activations=("relu",))
    """
    data = _experiment_data()
    activations = list(activations)
    call = f"compare_activations({activations}, x_train, y_train, x_test, y_test, epochs={epochs})"
    result = compare_activations(list(activations), *data, epochs=epochs, seed=0)
    expected = reference_experiment(activations, *data, epochs=epochs, seed=0)
    wanted = "{" + ", ".join(f"{a!r}: {v:.4f}" for a, v in expected.items()) + "}"
    if not isinstance(result, dict) or set(result) != set(activations):
        _fail(
            f"{call} did not return one accuracy per activation.",
            expected=f"a dict {wanted}",
            returned=_describe(result),
            hint="results[activation] = the test accuracy of the model with that activation",
        )
    for activation, value in expected.items():
        try:
            found = float(result[activation])
        except (TypeError, ValueError):
            found = None
        if found is None or not abs(found - value) <= EXPERIMENT_TOLERANCE:
            _fail(
                f"{call} returned {result[activation]!r} for {activation!r}.",
                expected=f"{wanted} (within {EXPERIMENT_TOLERANCE})",
                returned=_describe(result),
                hint="for each activation: build_mlp(activation=..., seed=seed), compile, "
                "train(..., epochs=epochs, seed=seed), then the accuracy on x_test, y_test",
            )


@_quiet
def check_best_activation(best_activation, *, results=None):
    """Check that ``best_activation(results)`` returns the activation with the highest accuracy.

    Examples
    --------
    >>> check_best_activation(lambda results: max(results, key=results.get))
    """
    results = {"sigmoid": 0.91, "relu": 0.95, "tanh": 0.93} if results is None else results
    call = f"best_activation({results})"
    expected = max(results, key=results.get)
    result = best_activation(dict(results))
    if result != expected:
        hint = "return the activation's name (the key), the one with the highest accuracy"
        if result == results[expected]:
            hint = "return the name of the activation (the key), not its accuracy"
        elif result == min(results, key=results.get):
            hint = "that is the lowest accuracy; return the highest"
        _fail(
            f"{call} returned {result!r}.",
            expected=repr(expected),
            returned=repr(result),
            hint=hint,
        )
