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

    message = fails_with(
        checks.check_test_accuracy, compile_model, seeded_train, match="sparse categorical"
    )
    assert "use loss='categorical_crossentropy'" in message
