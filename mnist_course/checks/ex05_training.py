"""Checks of exercise 5, compiling and training: compile_model, train, and the test accuracy
that the two reach together."""

from __future__ import annotations

import numpy as np

from ..data import NUM_CLASSES, NUM_PIXELS
from ._inputs import train_subset
from ._messages import blame, describe, fail, keras_mistake, quiet
from ._reference import (
    deterministic,
    eager_loss,
    measure_test_accuracy,
    reference_model,
)
from ._state import CheckFailed

MIN_TEST_ACCURACY = 0.84
"""Test accuracy that :func:`check_test_accuracy` asks for: the reference's worst of 10 seeds
minus a margin of about 0.02 (1.6 standard deviations of the seed-to-seed spread).

Measured with exercise 5's solution (``model.compile("adam", "categorical_crossentropy",
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


@quiet
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

    model = reference_model()
    call = "compile_model(model)"
    result = compile_model(model)
    if result is None:
        fail(
            f"{call} returned None.",
            expected="the compiled model",
            returned="None",
            hint="end with `return model` (model.compile(...) itself returns None)",
        )
    if not isinstance(result, keras.Model) or not getattr(result, "compiled", False):
        fail(
            f"{call} did not return a compiled model.",
            expected="the model, compiled",
            returned=describe(result),
            hint="call model.compile(optimizer=..., loss=..., metrics=[...]), then return model",
        )
    optimizer = result.optimizer
    if not isinstance(optimizer, keras.optimizers.Adam):
        fail(
            f"{call} compiled with the wrong optimizer.",
            expected="Adam",
            returned=type(optimizer).__name__,
            hint="optimizer='adam' or keras.optimizers.Adam(learning_rate=0.001)",
        )
    learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(learning_rate, 0.001, rtol=1e-6):
        fail(
            f"{call} compiled Adam with learning rate {learning_rate:g}.",
            expected="learning_rate=0.001 (Adam's default)",
            returned=f"learning_rate={learning_rate:g}",
            hint="keep Adam's default: optimizer='adam'",
        )
    _check_loss_and_metric(result, call)


def _check_loss_and_metric(model, call):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, size=(64, NUM_PIXELS)).astype(np.float32)
    y = np.eye(NUM_CLASSES, dtype=np.float32)[rng.integers(0, NUM_CLASSES, size=64)]
    probabilities = model.predict(x, verbose=0).astype(np.float64)
    expected_loss = float(np.mean(-np.log(np.clip(np.sum(y * probabilities, 1), 1e-7, 1))))
    expected_accuracy = float(np.mean(np.argmax(probabilities, 1) == np.argmax(y, 1)))
    scores = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    if not np.isclose(scores["loss"], expected_loss, rtol=1e-3, atol=1e-4):
        fail(
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
        fail(
            f"{call} compiled without the accuracy metric.",
            expected="metrics=['accuracy'], reported as 'accuracy'",
            returned=f"metrics {sorted(name for name in scores if name != 'loss')}",
            hint="metrics=['accuracy']",
        )


@quiet
def check_train(train, *, epochs=2, seed=0, compare_seed=None, repeat=True):
    """Check ``train(model, x_train, y_train, epochs=..., seed=...)``: a History, lower loss,
    and the same numbers again for the same seed.

    With ``compare_seed``, also check that another seed gives other numbers (the seed is used).
    With ``repeat=False``, train once: the History and the lower loss only (a hidden test
    that only varies ``epochs`` and ``seed`` after a visible one checked the seeding).

    Examples
    --------
    >>> from mnist_course.training import train
    >>> check_train(lambda model, x, y, epochs, seed: train(model, x, y, epochs=epochs,
    ...     seed=seed, verbose=0))
    """
    from .. import training

    x_train, y_train = train_subset(2000)
    call = f"train(model, x_train, y_train, epochs={epochs}, seed={seed})"

    def run(run_seed, attempt):
        model = training.compile_model(reference_model(0), steps_per_execution=1)
        before = eager_loss(model, x_train, y_train)
        # Leave the random generators in another state on each attempt: only a train that
        # seeds them itself repeats its numbers
        deterministic(1000 + attempt)
        history = train(model, x_train, y_train, epochs=epochs, seed=run_seed)
        after = eager_loss(model, x_train, y_train)
        return history, before, after

    history, before, after = run(seed, 0)
    losses = _losses(history, call)
    if len(losses) != epochs:
        fail(
            f"{call} trained for {len(losses)} epochs.",
            expected=f"{epochs} epochs: {epochs} values in history.history['loss']",
            returned=f"{len(losses)} values",
            hint="pass epochs=epochs to model.fit",
        )
    if not after < before:
        fail(
            f"{call} did not lower the model's loss.",
            expected=f"the loss on x_train below its {before:.3f} before training",
            returned=f"a loss of {after:.3f} after training",
            hint="train the model you were given: model.fit(x_train, y_train, ...)",
        )
    if not repeat:
        return
    again, _, _ = run(seed, 1)
    if not np.allclose(again.history["loss"], losses, rtol=1e-6, atol=0):
        fail(
            f"{call} gave other losses when run again with the same seed.",
            expected=f"the same losses {np.round(losses, 5).tolist()}",
            returned=f"losses {np.round(again.history['loss'], 5).tolist()}",
            hint="call keras.utils.set_random_seed(seed) before model.fit",
        )
    if compare_seed is not None:
        other, _, _ = run(compare_seed, 2)
        if np.allclose(other.history["loss"], losses, rtol=1e-6, atol=0):
            fail(
                f"{call} gave the same losses for seed={compare_seed}.",
                expected="other losses for another seed (the batches are shuffled differently)",
                returned=f"the same losses {np.round(losses, 5).tolist()}",
                hint="seed with the argument: keras.utils.set_random_seed(seed)",
            )


def _losses(history, call):
    """The per-epoch losses of the History that train returned, or fail saying what came back."""
    import keras

    if isinstance(history, keras.callbacks.History) and "loss" in history.history:
        return history.history["loss"]
    hint = "return model.fit(...): fit returns the History"
    if isinstance(history, keras.Model):
        hint = "that is the model; return what model.fit(...) returns, the History"
    elif isinstance(history, dict) and "loss" in history:
        hint = "that is history.history; return the History itself: return model.fit(...)"
    fail(
        f"{call} did not return the History.",
        expected="the History that model.fit returns (history.history['loss'], ...)",
        returned=describe(history),
        hint=hint,
    )


@quiet
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
    compiled = _compiled_by(compile_model)
    try:
        accuracy = measure_test_accuracy(compiled, train, seed=seed)
    except (ValueError, TypeError) as error:
        _blame_compile_arguments(error, compiled.models)
        raise
    if accuracy < MIN_TEST_ACCURACY:
        fail(
            f"the model trained by your compile_model and train reached test accuracy "
            f"{accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY} (the course's reference reaches "
            f"{REFERENCE_ACCURACY_RANGE[0]:.4f} to {REFERENCE_ACCURACY_RANGE[1]:.4f})",
            returned=f"{accuracy:.4f}",
            hint="compile with Adam, categorical cross-entropy and accuracy; in train, "
            "model.fit(x_train, y_train, epochs=epochs, batch_size=32)",
        )


def _compiled_by(compile_model):
    """``compile_model``, whose failures are blamed on it: a later check that trains the model
    it returns says in one line that compile_model is at fault, not train."""
    import keras

    def compiled(model):
        try:
            result = compile_model(model)
        except (NotImplementedError, CheckFailed):
            raise
        except Exception as error:
            blame("compile_model", "test_compile_model", f"raised {type(error).__name__}")
        if not isinstance(result, keras.Model) or not getattr(result, "compiled", False):
            what = "returned None" if result is None else f"returned {describe(result)}"
            if isinstance(result, keras.Model):
                what = "returned a model that is not compiled"
            blame("compile_model", "test_compile_model", f"{what}, not the compiled model")
        compiled.models.append(result)
        return result

    compiled.models = []
    return compiled


def _blame_compile_arguments(error, models):
    """Blame compile_model for a Keras error that train met because of what compile_model
    compiled (an unknown metric name, say): Keras compiles lazily, so such an error is raised
    at model.fit, in train. Only when the compiled model itself fails the same way."""
    if not models or keras_mistake(error) is None:
        return
    x = np.zeros((2, NUM_PIXELS), dtype=np.float32)
    y = np.eye(NUM_CLASSES, dtype=np.float32)[:2]
    try:
        models[-1].evaluate(x, y, verbose=0)
    except (ValueError, TypeError) as own:
        mistake = keras_mistake(own)
        if mistake is not None:
            blame(
                "compile_model",
                "test_compile_model",
                f"compiled a model that Keras cannot train ({mistake[0]})",
            )
