"""The course's own runs that checks compare students' answers with.

Each trains through :func:`mnist_course.training.fit_and_evaluate`, the course's one
training pipeline, so a reference run trains exactly as the lessons and the command line do.
"""

from __future__ import annotations

import numpy as np

from ._inputs import prepared, train_subset

ACCURACY_TRAIN_SIZE = 10000
"""Training images (the first ones of the training set) that the accuracy check trains on."""

TEST_SIZE = 10000
"""The whole MNIST test set."""

ACCURACY_EPOCHS = 1
"""Epochs that the accuracy check trains for."""


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
    """Train as exercise 3's ``check_test_accuracy`` does and return the test accuracy.

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
    """The data of exercise 5's experiment: 2,000 training and 2,000 test images, prepared."""
    x_train, y_train = train_subset(2000)
    x_test, y_test = prepared(2000, split="test")
    return x_train, y_train, x_test, y_test


def reference_experiment(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
    """The course's answer to the experiment: test accuracy per activation.

    Examples
    --------
    >>> sorted(reference_experiment(["relu"], *experiment_data()))
    ['relu']
    """
    from ..models import build_mlp
    from ..training import fit_and_evaluate

    data = (x_train, y_train, x_test, y_test)
    return {
        activation: fit_and_evaluate(
            build_mlp(activation=activation, seed=seed), *data, epochs=epochs, seed=seed, verbose=0
        ).test_accuracy
        for activation in activations
    }
