"""The course's own runs that checks compare students' answers with.

Each trains through :func:`mnist_course.training.fit_and_evaluate`, the course's one
training pipeline, so a reference run trains exactly as the lessons and the command line do.

A run does not depend on the student: where the environment variable
``MNIST_COURSE_REFERENCE_CACHE`` names a folder (while nbgrader grades, the course's
``GradeOutside`` names ``grading/references/`` in nbgrader's process, where the test cells
run; the student's process never gets the variable), :func:`stored` keeps each run's result
there, keyed on everything the result depends on, and the next student's check reads it
instead of training again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

from ..preprocessing import wrong_labels
from ._inputs import prepared, train_subset

CACHE_VARIABLE = "MNIST_COURSE_REFERENCE_CACHE"
"""The environment variable that names the folder of stored reference results; unset or
empty, every reference run trains."""

KEYED_SOURCES = (
    "data.py",
    "preprocessing.py",
    "models.py",
    "training.py",
    "checks/_inputs.py",
    "checks/_reference.py",
)
"""The package's files whose code makes a reference run; a change to one changes the key."""


ACCURACY_TRAIN_SIZE = 10000
"""Training images (the first ones of the training set) that the accuracy check trains on."""

TEST_SIZE = 10000
"""The whole MNIST test set."""

TRAIN_SIZE = 60000
"""The whole MNIST training set."""

ACCURACY_EPOCHS = 1
"""Epochs that the accuracy check trains for."""


def _machine():
    """The processor's model and features: float results can differ between processors."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    wanted = ("model name", "flags", "Features", "CPU part")
    return platform.machine(), sorted({line for line in lines if line.startswith(wanted)})


def _run_dependencies():
    """What a reference run depends on besides its arguments: the package's code and version,
    Keras, TensorFlow and numpy, the backend, the threads, the processor and the data."""
    import keras
    import tensorflow as tf

    from .. import __version__, data

    package = Path(__file__).resolve().parents[1]
    sources = hashlib.sha256()
    for name in KEYED_SOURCES:
        sources.update((package / name).read_bytes())
    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS")
    return {
        "mnist_course": __version__,
        "sources": sources.hexdigest(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "backend": keras.backend.backend(),
        "threads": {name: os.environ.get(name) for name in names},
        "machine": hashlib.sha256(repr(_machine()).encode()).hexdigest(),
        "data": {name: file.sha256 for name, file in sorted(data.IDX_FILES.items())},
    }


def fingerprint(*arrays):
    """SHA-256 of arrays' dtypes, shapes and bytes: the data a run is given, in its key.

    Examples
    --------
    >>> fingerprint(np.zeros(3)) == fingerprint(np.zeros(3)), fingerprint(np.zeros(3)) == (
    ...     fingerprint(np.zeros(4)))
    (True, False)
    """
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()


def stored(name, arguments, run):
    """``run()``, or its result stored by an earlier call with the same key.

    Where :data:`CACHE_VARIABLE` names a folder, the key is ``name``, ``arguments`` (JSON;
    data as :func:`fingerprint`) and :func:`_run_dependencies`; the result, JSON too, is kept in
    ``<folder>/<name>-<SHA-256 of the key>.json``. An entry is used only if its key is the
    same and its content intact; anything else (another version, a damaged or half-written
    file) trains again and replaces it. Each file is written whole under a temporary name
    and renamed, so graders running side by side never read half an entry.

    Examples
    --------
    >>> stored("example", {"seed": 0}, lambda: {"relu": 0.5})
    {'relu': 0.5}
    """
    folder = os.environ.get(CACHE_VARIABLE)
    if not folder:
        return json.loads(json.dumps(run()))
    key = {"name": name, "arguments": arguments, "environment": _run_dependencies()}
    text = json.dumps(key, sort_keys=True)
    path = Path(folder) / f"{name}-{hashlib.sha256(text.encode()).hexdigest()}.json"
    try:
        entry = json.loads(path.read_text())
        value = entry["value"]
        if entry["key"] == key and entry["digest"] == _digest(value):
            return value
    except (OSError, ValueError, KeyError, TypeError):
        pass
    # As read back from the file: a stored result and a fresh one are the same values
    value = json.loads(json.dumps(run()))
    entry = {"key": key, "value": value, "digest": _digest(value)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp", delete=False
        ) as file:
            json.dump(entry, file)
        os.replace(file.name, path)
    except OSError:
        pass  # a folder that cannot be written only costs the next student this run
    return value


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def reference_model(seed=0):
    """The course's model, built with this seed."""
    from .. import models

    return models.build_mlp(seed=seed)


def deterministic(seed):
    """Seed Keras and ask TensorFlow for deterministic ops, so a grade repeats exactly."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def eager_loss(model, x, y):
    """Categorical cross-entropy of the model on (x, y), computed without tracing a function."""
    probabilities = np.asarray(model(x, training=False), dtype=np.float64)
    return float(np.mean(-np.log(np.clip(np.sum(y * probabilities, axis=1), 1e-7, 1))))


def measure_test_accuracy(compile_model, train, *, seed=0):
    """Train as exercise 5's ``check_test_accuracy`` does and return the test accuracy.

    Examples
    --------
    >>> from mnist_course import training
    >>> measure_test_accuracy(training.compile_model, lambda model, x, y, epochs, seed:
    ...     training.train(model, x, y, epochs=epochs, seed=seed, verbose=0))  # doctest: +SKIP
    0.9...
    """
    from ..training import fit_and_evaluate

    x_train, y_train = train_subset(ACCURACY_TRAIN_SIZE)
    x_test, y_test = prepared(TEST_SIZE, split="test")
    deterministic(seed)
    run = fit_and_evaluate(
        reference_model(seed),
        x_train,
        y_train,
        x_test,
        y_test,
        epochs=ACCURACY_EPOCHS,
        seed=seed,
        compile_model=compile_model,
        train=train,
    )
    return run.test_accuracy


def experiment_data():
    """Exercise 8's data: the first 2,000 training images to train on and the last 2,000 to
    validate on (never the test set), prepared."""
    x, y = prepared(TRAIN_SIZE, split="train")
    return x[:2000], y[:2000], x[-2000:], y[-2000:]


def reference_experiment(activations, x_train, y_train, x_val, y_val, *, epochs=1, seed=0):
    """The course's answer to the experiment: validation accuracy per activation.

    Examples
    --------
    >>> sorted(reference_experiment(["relu"], *experiment_data()))
    ['relu']
    """
    from ..models import build_mlp
    from ..training import fit_and_evaluate

    data = (x_train, y_train, x_val, y_val)
    return {
        activation: fit_and_evaluate(
            build_mlp(activation=activation, seed=seed), *data, epochs=epochs, seed=seed, verbose=0
        ).test_accuracy
        for activation in activations
    }


# Softmax regression in numpy (exercise 3): the course's own answer, in float64


def softmax(logits):
    """Each row of logits as probabilities; the row's max is subtracted first, so large
    logits do not overflow.

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(probabilities, y):
    """The mean over the examples of -log of the probability of the true class.

    Examples
    --------
    >>> round(cross_entropy(np.array([[0.5, 0.5], [0.1, 0.9]]), np.eye(2)), 4)  # -log .5, -log .9
    0.3993
    """
    return float(-np.mean(np.log(np.sum(probabilities * y, axis=1))))


def softmax_regression_loss(W, b, x, y):
    """Mean cross-entropy of softmax regression ``softmax(x @ W + b)`` on one-hot ``y``.

    Examples
    --------
    >>> round(softmax_regression_loss(np.zeros((2, 4)), np.zeros(4), np.ones((3, 2)),
    ...     np.eye(4)[:3]), 4)
    1.3863
    """
    return cross_entropy(softmax(x @ W + b), y)


def softmax_regression_gradients(W, b, x, y):
    """The gradient of :func:`softmax_regression_loss`: ``(dW, db)``.

    Examples
    --------
    >>> dW, db = softmax_regression_gradients(np.zeros((2, 4)), np.zeros(4), np.ones((3, 2)),
    ...     np.eye(4)[:3])
    >>> dW.shape, db.shape
    ((2, 4), (4,))
    """
    d = (softmax(x @ W + b) - y) / len(x)
    return x.T @ d, d.sum(axis=0)


def softmax_regression(x, y, *, epochs=3, batch_size=100, learning_rate=0.1, seed=0):
    """Train softmax regression by mini-batch gradient descent; return ``(W, b, losses)``.

    Zero initial weights; each epoch visits the examples in a new order drawn with
    ``np.random.default_rng(seed)``; one loss (before the step) per mini-batch.

    Examples
    --------
    >>> x, y = np.eye(3), np.eye(3)
    >>> W, b, losses = softmax_regression(x, y, epochs=10, batch_size=2, learning_rate=1.0)
    >>> W.shape, len(losses), losses[-1] < losses[0] / 2
    ((3, 3), 20, True)
    """
    rng = np.random.default_rng(seed)
    W, b = np.zeros((x.shape[1], y.shape[1])), np.zeros(y.shape[1])
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            losses.append(softmax_regression_loss(W, b, x[batch], y[batch]))
            dW, db = softmax_regression_gradients(W, b, x[batch], y[batch])
            W -= learning_rate * dW
            b -= learning_rate * db
    return W, b, losses


# Exercise 7: a network that memorises

OVERFITTING_UNITS = (128, 128)
"""Hidden layers of exercise 7's network: wide enough to memorise 1,000 images."""


WRONG_LABEL_FRACTION = 0.3
"""Share of exercise 7's training labels given a wrong class (its validation labels are right)."""


def overfitting_data(seed=0, *, train_size=1000, validation_size=2000):
    """Exercise 7's small problem: prepared training and validation images, disjoint.

    They come from the MNIST training set (never the test set), in an order drawn with
    ``seed``. A share :data:`WRONG_LABEL_FRACTION` of the training labels is wrong
    (:func:`mnist_course.wrong_labels` with ``seed``), so that memorising them costs
    validation accuracy; the validation labels are all right.

    Examples
    --------
    >>> (x_train, y_train), (x_val, y_val) = overfitting_data(train_size=10, validation_size=5)
    >>> x_train.shape, y_val.shape
    ((10, 784), (5, 10))
    """
    order = np.random.default_rng(seed).permutation(TRAIN_POOL)[: train_size + validation_size]
    x, y = prepared(TRAIN_POOL, split="train")
    train, val = order[:train_size], order[train_size:]
    y_train = wrong_labels(y[train], WRONG_LABEL_FRACTION, seed=seed)
    return (x[train], y_train), (x[val], y[val])


TRAIN_POOL = 10000
"""The first training images, from which exercise 7's checks draw their small problems."""


def epochs_run(x_train, y_train, x_val, y_val, *, max_epochs=20, seed=0, callbacks=None):
    """Exercise 7's run: the wide network trained ``max_epochs`` with validation each epoch.

    ``callbacks`` go to ``fit`` (``benchmarks/bench_overfitting_margin.py`` scores unseen
    images after each epoch with one).

    Returns
    -------
    dict
        ``history.history``: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``.

    Examples
    --------
    >>> (x, y), (xv, yv) = overfitting_data(train_size=64, validation_size=32)
    >>> sorted(epochs_run(x, y, xv, yv, max_epochs=1))
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """
    from ..models import build_mlp
    from ..training import compile_model, train

    model = compile_model(build_mlp(hidden_units=OVERFITTING_UNITS, seed=seed))
    history = train(
        model,
        x_train,
        y_train,
        epochs=max_epochs,
        seed=seed,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=0,
    )
    return history.history
