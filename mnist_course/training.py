"""Compile, train and evaluate a model the way the course does."""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from .data import NUM_CLASSES, load_mnist
from .models import build_mlp
from .preprocessing import preprocess

STEPS_PER_EXECUTION = 200
"""Batches run per call into TensorFlow: same maths, less Python overhead per step.

Measured on a quiet 2-core CPU (``benchmarks/bench_pipeline.py --tf-variants``): 5 epochs
at batch 32 took 12.1 s with the default of 1 and 5.5 s with 200; the learned weights are
identical.
"""


def compile_model(model, *, learning_rate=0.001, steps_per_execution=STEPS_PER_EXECUTION):
    """Compile as the course does: Adam, categorical cross-entropy, accuracy.

    Parameters
    ----------
    model : keras.Model
    learning_rate : float or keras.optimizers.schedules.LearningRateSchedule, default 0.001
        Adam's step size (0.001 is Adam's default); a schedule changes it as training goes.
    steps_per_execution : int, default 200
        Batches per call into the backend; it changes speed, not results.

    Returns
    -------
    keras.Model
        The same model, compiled.

    Examples
    --------
    >>> model = compile_model(build_mlp())
    >>> model.loss, type(model.optimizer).__name__
    ('categorical_crossentropy', 'Adam')
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model is a {type(model).__name__}; expected a keras.Model.")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


def train(
    model,
    x_train,
    y_train,
    *,
    epochs=5,
    batch_size=32,
    seed=0,
    validation_split=0.0,
    validation_data=None,
    callbacks=None,
    verbose="auto",
):
    """Fit a compiled model, seeding Keras first so that a rerun gives the same numbers.

    Parameters
    ----------
    model : keras.Model
        A compiled model (see :func:`compile_model`).
    x_train : numpy.ndarray of shape (N, 784)
    y_train : numpy.ndarray of shape (N, 10), one-hot
    epochs : int, default 5
    batch_size : int, default 32
    seed : int or None, default 0
        Passed to ``keras.utils.set_random_seed``; None leaves the generators alone.
    validation_split : float, default 0.0
        Fraction of the training data held out to validate after each epoch.
    validation_data : tuple, optional
    callbacks : list, optional
    verbose : "auto", 0, 1 or 2

    Returns
    -------
    keras.callbacks.History
        ``history.history`` maps "loss", "accuracy" (and "val_..." ones) to lists per epoch.

    Examples
    --------
    >>> model = compile_model(build_mlp(seed=0))
    >>> x, y = np.zeros((64, 784), "float32"), np.eye(10, dtype="float32")[np.arange(64) % 10]
    >>> history = train(model, x, y, epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
    """
    if not getattr(model, "compiled", False):
        raise ValueError("model is not compiled; call compile_model(model) before train().")
    if len(x_train) != len(y_train):
        raise ValueError(
            f"x_train has {len(x_train)} rows but y_train {len(y_train)}; they must match."
        )
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=verbose,
    )


def evaluate(model, x_test, y_test):
    """Return the model's loss and accuracy on test data.

    Parameters
    ----------
    model : keras.Model
        A compiled, trained model.
    x_test : numpy.ndarray of shape (N, 784)
    y_test : numpy.ndarray of shape (N, 10), one-hot

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float}``.

    Examples
    --------
    >>> model = compile_model(build_mlp(seed=0))
    >>> sorted(evaluate(model, np.zeros((10, 784)), np.eye(10)))
    ['accuracy', 'loss']
    """
    scores = model.evaluate(x_test, y_test, batch_size=1024, verbose=0, return_dict=True)
    if "accuracy" in scores:
        accuracy = scores["accuracy"]
    else:  # compiled with the metric under another name (CategoricalAccuracy(), "acc", ...)
        predicted = np.argmax(model.predict(x_test, batch_size=1024, verbose=0), axis=1)
        accuracy = np.mean(predicted == _labels(np.asarray(y_test)))
    return {"loss": float(scores["loss"]), "accuracy": float(accuracy)}


def predict_labels(model, x):
    """Predict the most likely digit for each image.

    Parameters
    ----------
    model : keras.Model
    x : numpy.ndarray of shape (N, 784)

    Returns
    -------
    numpy.ndarray of shape (N,), int64

    Examples
    --------
    >>> predict_labels(build_mlp(seed=0), np.zeros((3, 784))).shape
    (3,)
    """
    probabilities = model.predict(x, batch_size=1024, verbose=0)
    return np.argmax(probabilities, axis=1)


def confusion_matrix(y_true, y_pred, *, num_classes=NUM_CLASSES):
    """Count how often each true digit (row) was predicted as each digit (column).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (N,)
        Integer labels; one-hot rows are reduced with argmax.
    num_classes : int, default 10

    Returns
    -------
    numpy.ndarray of shape (num_classes, num_classes), int64

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 1, 0], num_classes=2)
    array([[1, 0],
           [1, 1]])
    """
    y_true, y_pred = (_labels(np.asarray(y)) for y in (y_true, y_pred))
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; they must match."
        )
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def _labels(y):
    return np.argmax(y, axis=1) if y.ndim == 2 else y.astype(np.int64)


@dataclass
class Run:
    """One model trained and tested by :func:`fit_and_evaluate`."""

    model: keras.Model
    history: keras.callbacks.History
    test_loss: float
    test_accuracy: float
    fit_seconds: float
    """Wall time of the training alone."""
    fit_cpu_seconds: float
    """CPU time of this process during the training (all threads)."""


def fit_and_evaluate(
    model,
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    epochs=5,
    seed=0,
    compile_model=compile_model,
    train=train,
    **train_options,
):
    """Compile, train and test a model: the course's one training pipeline.

    The command line, the reference runs of the exercise checks, the experimenting lesson and
    the benchmarks all train through this function, so they train the same way.

    Parameters
    ----------
    model : keras.Model
        An uncompiled model, for example ``build_mlp(seed=seed)``.
    x_train, y_train, x_test, y_test : numpy.ndarray
        Prepared data (see :func:`mnist_course.preprocessing.preprocess`).
    epochs : int, default 5
    seed : int, default 0
    compile_model : callable, default :func:`compile_model`
        ``compile_model(model) -> model``; a student's own function in the checks.
    train : callable, default :func:`train`
        ``train(model, x_train, y_train, epochs=..., seed=..., **train_options) -> History``.
    **train_options
        Passed on to ``train`` (``batch_size``, ``validation_split``, ``verbose``, ...).

    Returns
    -------
    Run
        The trained model, its History, the test loss and accuracy, and the fit time.

    Examples
    --------
    >>> x, y = np.zeros((64, 784), "float32"), np.eye(10, dtype="float32")[np.arange(64) % 10]
    >>> run = fit_and_evaluate(build_mlp(seed=0), x, y, x, y, epochs=1, verbose=0)
    >>> len(run.history.history["loss"]), 0 <= run.test_accuracy <= 1
    (1, True)
    """
    model = compile_model(model)
    start, cpu_start = time.perf_counter(), time.process_time()
    history = train(model, x_train, y_train, epochs=epochs, seed=seed, **train_options)
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = time.process_time() - cpu_start
    scores = evaluate(model, x_test, y_test)
    return Run(model, history, scores["loss"], scores["accuracy"], fit_seconds, fit_cpu_seconds)


def load_course_data():
    """Load the bundled MNIST and prepare it as the course does.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Prepared arrays: (60000, 784) float32 and (60000, 10) one-hot, then the test set.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_course_data()
    >>> x_train.shape, y_test.shape
    ((60000, 784), (10000, 10))
    """
    (x_train, y_train), (x_test, y_test) = load_mnist()
    return preprocess(x_train, y_train), preprocess(x_test, y_test)


def run_course(
    *,
    epochs=5,
    batch_size=32,
    hidden_units=(64, 64),
    activation="relu",
    seed=0,
    validation_split=0.0,
    verbose="auto",
    data=None,
):
    """Run the whole course pipeline on the bundled MNIST: prepare, build, train, test.

    Parameters
    ----------
    epochs, batch_size, seed, validation_split, verbose
        As in :func:`train`.
    hidden_units, activation
        As in :func:`mnist_course.models.build_mlp`.
    data : tuple, optional
        ``((x_train, y_train), (x_test, y_test))`` as :func:`load_course_data` returns them;
        loaded when not given.

    Returns
    -------
    model : keras.Model
        The trained model.
    history : keras.callbacks.History
    metrics : dict
        ``test_loss``, ``test_accuracy``, ``epochs``, ``batch_size``, ``seed``,
        ``hidden_units``, ``activation`` and ``fit_seconds``.

    Examples
    --------
    >>> model, history, metrics = run_course(epochs=1, verbose=0)  # doctest: +SKIP
    >>> metrics["test_accuracy"] > 0.9  # doctest: +SKIP
    True
    """
    (x_train, y_train), (x_test, y_test) = data if data is not None else load_course_data()
    run = fit_and_evaluate(
        build_mlp(hidden_units=hidden_units, activation=activation, seed=seed),
        x_train,
        y_train,
        x_test,
        y_test,
        epochs=epochs,
        seed=seed,
        batch_size=batch_size,
        validation_split=validation_split,
        verbose=verbose,
    )
    metrics = {
        "test_loss": run.test_loss,
        "test_accuracy": run.test_accuracy,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "hidden_units": list(hidden_units),
        "activation": activation,
        "fit_seconds": round(run.fit_seconds, 3),
    }
    return run.model, run.history, metrics
