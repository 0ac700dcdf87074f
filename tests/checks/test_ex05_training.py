"""Exercise 5's checks (compiling and training): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import keras
import pytest

import mnist_course
from mnist_course.checks import ex05_training as checks


def plain_compile(model):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def object_compile(model):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy()],
    )
    return model


@pytest.mark.parametrize(
    "compile_model",
    [plain_compile, object_compile, mnist_course.compile_model],
    ids=["strings", "objects", "course"],
)
def test_compile_model_accepts_names_and_objects(compile_model):
    checks.check_compile_model(compile_model)


def test_compile_model_that_returns_none_says_return_the_model(fails_with):
    def compile_model(model):
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    fails_with(checks.check_compile_model, compile_model, match="returned None")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"optimizer": "sgd"}, "wrong optimizer"),
        ({"optimizer": keras.optimizers.Adam(0.1)}, "learning rate 0.1"),
        ({"loss": "mse"}, "wrong loss"),
        ({"metrics": []}, "without the accuracy metric"),
    ],
)
def test_compile_model_with_other_settings_fails(options, match, fails_with):
    settings = {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]}

    def compile_model(model):
        model.compile(**{**settings, **options})
        return model

    fails_with(checks.check_compile_model, compile_model, match=match)


def seeded_train(model, x_train, y_train, *, epochs=5, seed=0):
    keras.utils.set_random_seed(seed)
    return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)


@pytest.mark.training
def test_train_accepts_a_seeded_fit():
    checks.check_train(seeded_train)
    checks.check_train(seeded_train, epochs=1, seed=1, compare_seed=2)


@pytest.mark.training
def test_train_without_a_seed_fails_on_repeating(fails_with):
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)

    message = fails_with(checks.check_train, train, match="other losses when run again")
    assert "keras.utils.set_random_seed(seed)" in message


@pytest.mark.training
def test_train_with_a_fixed_seed_fails_when_the_seed_changes(fails_with):
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return seeded_train(model, x_train, y_train, epochs=epochs, seed=0)

    fails_with(
        checks.check_train, train, epochs=1, seed=1, compare_seed=2, match="same losses for seed=2"
    )


@pytest.mark.training
def test_train_that_ignores_epochs_fails(fails_with):
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return seeded_train(model, x_train, y_train, epochs=1, seed=seed)

    fails_with(checks.check_train, train, match="trained for 1 epochs")


@pytest.mark.training
def test_train_checked_without_repeating_trains_once_and_still_checks_epochs(fails_with):
    """The hidden test's form: one run, for the History, its epochs and a lower loss."""
    runs = []

    def train(model, x_train, y_train, *, epochs=5, seed=0):
        runs.append(seed)
        return seeded_train(model, x_train, y_train, epochs=epochs, seed=seed)

    checks.check_train(train, epochs=1, seed=1, repeat=False)
    assert runs == [1]

    def one_epoch(model, x_train, y_train, *, epochs=5, seed=0):
        return train(model, x_train, y_train, epochs=1, seed=seed)

    fails_with(
        checks.check_train, one_epoch, epochs=3, seed=1, repeat=False, match="trained for 1 epochs"
    )


@pytest.mark.training
def test_train_that_returns_nothing_says_return_the_history(fails_with):
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        seeded_train(model, x_train, y_train, epochs=epochs, seed=seed)

    fails_with(checks.check_train, train, match="did not return the History")


@pytest.mark.training
def test_accuracy_of_the_reference_meets_the_threshold_and_repeats_exactly():
    first = checks.measure_test_accuracy(plain_compile, seeded_train, seed=0)
    second = checks.measure_test_accuracy(plain_compile, seeded_train, seed=0)
    assert first == second
    assert first >= checks.MIN_TEST_ACCURACY
    checks.check_test_accuracy(plain_compile, seeded_train, seed=1)


@pytest.mark.training
def test_accuracy_of_a_model_trained_with_a_huge_batch_fails(fails_with):
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        keras.utils.set_random_seed(seed)
        return model.fit(x_train, y_train, epochs=epochs, batch_size=len(x_train), verbose=0)

    message = fails_with(
        checks.check_test_accuracy, plain_compile, train, match="reached test accuracy"
    )
    assert f"at least {checks.MIN_TEST_ACCURACY}" in message


def test_the_threshold_sits_below_the_worst_measured_seed():
    worst, best = checks.REFERENCE_ACCURACY_RANGE
    assert checks.MIN_TEST_ACCURACY < worst <= best
    assert checks.MIN_TEST_ACCURACY >= worst - 0.03


@pytest.mark.training
@pytest.mark.parametrize(
    ("returned", "hint"),
    [
        (lambda model, history: model, "that is the model"),
        (lambda model, history: history.history, "that is history.history"),
        (lambda model, history: None, "return model.fit(...)"),
    ],
    ids=["the-model", "the-dict", "nothing"],
)
def test_train_returning_something_else_says_what_came_back(returned, hint, fails_with):
    """Not a crash of the check blamed on the student: what came back, what was expected."""

    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return returned(model, seeded_train(model, x_train, y_train, epochs=epochs, seed=seed))

    message = fails_with(checks.check_train, train, match="did not return the History")
    assert hint in message


def test_compile_model_with_the_sparse_loss_names_it_and_the_one_hot_labels(fails_with):
    def compile_model(model):
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        return model

    message = fails_with(checks.check_compile_model, compile_model, match="sparse categorical")
    assert "loss='categorical_crossentropy'" in message and "one-hot" in message
    assert "rank" in message  # Keras's own words are kept, after the course's


@pytest.mark.training
def test_training_a_model_with_the_sparse_loss_fails_in_the_course_s_terms(fails_with):
    def compile_model(model):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    # Keras raises the rank error in train's fit; the model compile_model compiled fails the
    # same way, so the failure is blamed on compile_model, in one line, with the cause
    with pytest.raises(AssertionError) as failed:
        checks.check_test_accuracy(compile_model, seeded_train)
    message = str(failed.value)
    assert message.startswith("fails because of your compile_model()"), message
    assert "sparse categorical" in message and "test_compile_model" in message, message


# ---------------------------------------------------------------------------------------------
# Part C: how many times fit updates the weights (derived)

UPDATE_CONFIGURATIONS = [
    # (n, batch_size, epochs, validation_split): the notebook's visible and hidden tests
    (60000, 32, 1, 0.0),
    (10000, 128, 1, 0.0),
    (60000, 32, 5, 0.1),
    (54321, 100, 3, 0.0),
    (2000, 64, 2, 0.25),
    (50, 100, 4, 0.0),
]


def updates_by_ceil(n, batch_size=32, epochs=1, validation_split=0.0):
    import math

    return epochs * math.ceil(math.floor(n * (1 - validation_split)) / batch_size)


def updates_by_integer_division(n, batch_size=32, epochs=1, validation_split=0.0):
    trained = n - int(n * validation_split)
    return epochs * ((trained + batch_size - 1) // batch_size)


def updates_by_counting(n, batch_size=32, epochs=1, validation_split=0.0):
    """A student who counts the batches of range(0, trained, batch_size)."""
    import numpy as np

    trained = round(n * (1 - validation_split))
    return float(epochs * len(range(0, trained, batch_size))) + np.float32(0)


@pytest.mark.parametrize(
    "updates", [updates_by_ceil, updates_by_integer_division, updates_by_counting]
)
def test_weight_updates_accepts_any_correct_count(updates):
    for n, batch_size, epochs, split in UPDATE_CONFIGURATIONS:
        checks.check_weight_updates(
            updates, n=n, batch_size=batch_size, epochs=epochs, validation_split=split
        )


def keras_updates(n, batch_size=32, epochs=1, validation_split=0.0):
    """The number of updates Keras's optimizer makes in fit (on zeros, a tiny model: only the
    count matters)."""
    import numpy as np

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((n, 2), dtype=np.float32)
    model.fit(
        x,
        x,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=validation_split,
        verbose=0,
        shuffle=False,
    )
    return int(model.optimizer.iterations)


@pytest.mark.parametrize(("n", "batch_size", "epochs", "split"), UPDATE_CONFIGURATIONS[:5])
def test_weight_updates_is_what_keras_counts(n, batch_size, epochs, split):
    if n * epochs > 100000:
        n, epochs = n // 10, 1  # the same rounding, a tenth of the images
    assert keras_updates(n, batch_size, epochs, split) == checks._updates(
        n, batch_size, epochs, split
    )
    # and the check accepts Keras's own count, in each call it makes
    checks.check_weight_updates(
        keras_updates, n=n, batch_size=batch_size, epochs=epochs, validation_split=split
    )


@pytest.mark.parametrize(
    ("updates", "configuration", "says"),
    [
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: (
                epochs * (round(n * (1 - validation_split)) // batch_size)
            ),
            (10000, 128, 1, 0.0),
            "round up",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: epochs * -(-n // batch_size),
            (60000, 32, 5, 0.1),
            "fit never trains on them",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: (
                epochs
                * (
                    -(-round(n * (1 - validation_split)) // batch_size)
                    + -(-round(n * validation_split) // batch_size)
                )
            ),
            (60000, 32, 5, 0.1),
            "take no steps",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: (
                -(-round(n * (1 - validation_split)) // batch_size)
            ),
            (60000, 32, 5, 0.1),
            "epochs=5 times",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: (
                epochs * round(n * (1 - validation_split))
            ),
            (60000, 32, 1, 0.0),
            "not one per image",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: (
                epochs * n * (1 - validation_split) / batch_size
            ),
            (10000, 128, 1, 0.0),
            "a number of batches is whole",
        ),
        (
            lambda n, batch_size=32, epochs=1, validation_split=0.0: "1875",
            (60000, 32, 1, 0.0),
            "did not return a number",
        ),
    ],
    ids=[
        "floor",
        "split ignored",
        "validation counted",
        "epochs ignored",
        "per image",
        "float",
        "string",
    ],
)
def test_weight_updates_names_each_mistake(fails_with, updates, configuration, says):
    n, batch_size, epochs, split = configuration
    message = fails_with(
        checks.check_weight_updates,
        updates,
        n=n,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=split,
        match="weight_updates",
    )
    assert says in message, message


# ---------------------------------------------------------------------------------------------
# Part D: two predictions


@pytest.mark.parametrize("value", [2.3, 2.302585, 2.4748, 2.2950, 2.5])
def test_the_untrained_loss_passes_ln_10_and_what_the_seeds_give(value):
    checks.check_untrained_loss(value)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (0.1, "minus the log of that probability"),
        (1.0, "natural logarithm"),
        (0.3, "a loss after training"),
        (9.2, "too high"),
        (0, "a loss after training"),
    ],
)
def test_a_wrong_untrained_loss_says_why(fails_with, value, says):
    message = fails_with(checks.check_untrained_loss, value, match="PREDICTED_UNTRAINED_LOSS = ")
    assert says in message, message


@pytest.mark.parametrize("value", [0.1, 0.0563, 0.1364, 0.05, 0.15])
def test_the_shuffled_accuracy_passes_chance_and_what_the_seeds_give(value):
    checks.check_shuffled_accuracy(value)


@pytest.mark.parametrize(
    ("value", "says"),
    [(0.87, "does not carry over"), (0.5, "does not carry over"), (10, "not a percentage")],
)
def test_a_wrong_shuffled_accuracy_says_why(fails_with, value, says):
    message = fails_with(
        checks.check_shuffled_accuracy, value, match="PREDICTED_SHUFFLED_ACCURACY = "
    )
    assert says in message, message


@pytest.mark.parametrize("check", [checks.check_untrained_loss, checks.check_shuffled_accuracy])
def test_a_prediction_left_as_released_is_not_implemented(check):
    with pytest.raises(NotImplementedError, match="is still None"):
        check(None)


@pytest.mark.training
def test_the_bands_hold_the_notebook_s_own_experiments():
    """Part D's experiments, run as the notebook's last cell runs them, land in the bands."""
    import numpy as np

    (x_train, y_train), (x_test, y_test) = mnist_course.load_mnist()
    x_train, y_train = mnist_course.preprocess(x_train[:10000], y_train[:10000])
    x_test, y_test = mnist_course.preprocess(x_test, y_test)
    untrained = mnist_course.compile_model(mnist_course.build_mlp(seed=0))
    checks.check_untrained_loss(mnist_course.evaluate(untrained, x_test, y_test)["loss"])
    shuffled = y_train[np.random.default_rng(0).permutation(10000)]
    model = mnist_course.compile_model(mnist_course.build_mlp(seed=0))
    mnist_course.train(model, x_train, shuffled, epochs=1, seed=0, verbose=0)
    checks.check_shuffled_accuracy(mnist_course.evaluate(model, x_test, y_test)["accuracy"])


@pytest.mark.parametrize("seed", [0, None], ids=["the-course-model-seeded", "unseeded"])
def test_compile_model_that_compiles_a_model_of_its_own_fails(seed, fails_with):
    """An answer that ignores its argument (issue 20): it builds the course's network itself,
    with the check's first weights (seed 0) or with others, and compiles that."""

    def compile_model(model):
        own = mnist_course.build_mlp(seed=seed) if seed is not None else mnist_course.build_mlp()
        return mnist_course.compile_model(own)

    message = fails_with(checks.check_compile_model, compile_model, match="another model")
    assert "compile the model you are given" in message
