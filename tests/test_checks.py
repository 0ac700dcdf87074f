"""The exercise checks: correct answers written any reasonable way pass, wrong ones fail with
a message that says what was expected, what came back and how to fix it."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import mnist_course
from mnist_course import checks
from mnist_course.checks import CheckFailed

ROOT = Path(__file__).resolve().parents[1]


def fails_with(check, *args, match, **kwargs):
    """Run a check that must fail; return its message after checking it teaches."""
    with pytest.raises(CheckFailed, match=match) as info:
        check(*args, **kwargs)
    message = str(info.value)
    assert "\n  expected: " in message and "\n  returned: " in message
    return message


def test_check_failed_is_an_assertion_error():
    """nbgrader and pytest both treat it as a failed test."""
    assert issubclass(CheckFailed, AssertionError)


# Exercise 1 -----------------------------------------------------------------------------------


def test_split_labels_accepts_the_course_function():
    checks.check_split_labels(mnist_course.split_labels)


def test_split_labels_accepts_a_list_pair_of_any_integer_dtype():
    checks.check_split_labels(lambda rows: [rows[:, 1:].astype(np.uint8), list(rows[:, 0])])


def test_split_labels_with_labels_first_says_so():
    fails_with(
        checks.check_split_labels, lambda rows: (rows[:, 0], rows[:, 1:]), match="labels first"
    )


def test_split_labels_keeping_the_label_column_says_to_drop_it():
    message = fails_with(
        checks.check_split_labels, lambda rows: (rows, rows[:, 0]), match="wrong shape"
    )
    assert "rows[:, 1:]" in message


@pytest.mark.parametrize(
    "normalize",
    [
        mnist_course.normalize,
        lambda x: (x - 127.5) / 255,
        lambda x: (x.astype(np.float64) / 255 - 0.5).astype(np.float32),
        lambda x: x / 255.0 - 0.5,
    ],
    ids=["course", "centred-first", "float64-then-cast", "float64"],
)
def test_normalize_accepts_every_correct_variant(normalize):
    checks.check_normalize(normalize)
    checks.check_normalize(normalize, x=checks.mnist_images(20))


def test_normalize_to_0_1_fails_with_the_subtract_hint():
    message = fails_with(checks.check_normalize, lambda x: x / 255, match="wrong values")
    assert "values are in [0, 1]; the course normalises to [-0.5, 0.5]" in message
    assert "subtract 0.5 after dividing by 255" in message
    assert "values from 0 to 1" in message


def test_normalize_to_minus_1_1_says_divide_by_255():
    fails_with(checks.check_normalize, lambda x: x / 127.5 - 1, match="wrong values")


def test_normalize_with_integer_division_says_use_a_float_division():
    fails_with(checks.check_normalize, lambda x: x // 255, match="not floats")


def test_normalize_in_float16_is_too_coarse():
    fails_with(
        checks.check_normalize, lambda x: (x / 255 - 0.5).astype(np.float16), match="wrong values"
    )


def test_normalize_that_changes_its_input_fails():
    def normalize(x):
        result = x / 255 - 0.5
        x[:] = 0
        return result

    fails_with(checks.check_normalize, normalize, match="changed its input")


def test_normalize_that_flattens_fails_on_the_shape():
    fails_with(
        checks.check_normalize, lambda x: x.reshape(-1) / 255 - 0.5, match="changed the shape"
    )


@pytest.mark.parametrize(
    "one_hot",
    [
        mnist_course.one_hot,
        lambda y, num_classes=10: keras.utils.to_categorical(y, num_classes),
        lambda y, num_classes=10: (np.arange(num_classes) == y[:, None]).astype(int),
    ],
    ids=["course", "keras", "int-comparison"],
)
def test_one_hot_accepts_every_correct_variant(one_hot):
    checks.check_one_hot(one_hot)
    checks.check_one_hot(one_hot, y=np.array([2, 0, 3]), num_classes=4)


def test_one_hot_that_ignores_num_classes_fails():
    fails_with(
        checks.check_one_hot,
        lambda y, num_classes=10: np.eye(10)[y],
        y=np.array([2, 0, 3]),
        num_classes=4,
        match="wrong shape",
    )


def test_one_hot_transposed_says_so():
    message = fails_with(
        checks.check_one_hot, lambda y, num_classes=10: np.eye(num_classes)[y].T, match="shape"
    )
    assert "transposed" in message


def test_one_hot_in_the_wrong_column_shows_the_row():
    fails_with(
        checks.check_one_hot,
        lambda y, num_classes=10: np.eye(num_classes)[(y + 1) % num_classes],
        match="wrong row for label 3",
    )


# Exercise 2 -----------------------------------------------------------------------------------


def functional_mlp(*, hidden_units=(64, 64), activation="relu"):
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in hidden_units:
        x = keras.layers.Dense(units)(x)
        x = keras.layers.Activation(activation)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def course_mlp(*, hidden_units=(64, 64), activation="relu"):
    return mnist_course.build_mlp(hidden_units=hidden_units, activation=activation)


@pytest.mark.parametrize(
    "build_mlp", [course_mlp, functional_mlp], ids=["sequential", "functional"]
)
@pytest.mark.parametrize(
    "options", [{}, {"hidden_units": (128,), "activation": "sigmoid"}, {"activation": "tanh"}]
)
def test_build_mlp_accepts_sequential_and_functional_models(build_mlp, options):
    checks.check_build_mlp(build_mlp, **options)


def test_build_mlp_that_ignores_the_activation_fails_with_the_activation_hint():
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        return course_mlp(hidden_units=hidden_units)

    message = fails_with(
        checks.check_build_mlp, build_mlp, activation="sigmoid", match="wrong Dense layers"
    )
    assert "activation='sigmoid'" in message


def test_build_mlp_without_output_layer_says_add_it():
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        layers = [keras.Input(shape=(784,))]
        layers += [keras.layers.Dense(n, activation=activation) for n in hidden_units]
        return keras.Sequential(layers)

    message = fails_with(checks.check_build_mlp, build_mlp, match="wrong Dense layers")
    assert "add the output layer" in message


def test_build_mlp_without_input_says_start_with_keras_input():
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        return keras.Sequential([keras.layers.Dense(10, activation="softmax")])

    fails_with(checks.check_build_mlp, build_mlp, match="without the right input")


def test_build_mlp_with_dropout_fails():
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        model = course_mlp(hidden_units=hidden_units, activation=activation)
        return keras.Sequential(
            [keras.Input(shape=(784,)), keras.layers.Dropout(0.5), *model.layers]
        )

    fails_with(checks.check_build_mlp, build_mlp, match="Dropout layer")


def test_build_mlp_without_biases_fails_on_the_parameter_count():
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        layers = [keras.Input(shape=(784,))]
        layers += [
            keras.layers.Dense(n, activation=activation, use_bias=False) for n in hidden_units
        ]
        layers.append(keras.layers.Dense(10, activation="softmax"))
        return keras.Sequential(layers)

    fails_with(checks.check_build_mlp, build_mlp, match="54,922 parameters")


def test_count_parameters_accepts_the_formula_and_a_float():
    checks.check_count_parameters(lambda hidden_units: 55050)
    checks.check_count_parameters(lambda hidden_units: 101770.0, hidden_units=(128,))


def test_count_parameters_without_biases_says_count_them():
    message = fails_with(
        checks.check_count_parameters, lambda hidden_units: 54912, match="returned 54912"
    )
    assert "count the biases too" in message


# Exercise 3 -----------------------------------------------------------------------------------


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


def test_compile_model_that_returns_none_says_return_the_model():
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
def test_compile_model_with_other_settings_fails(options, match):
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
def test_train_without_a_seed_fails_on_repeating():
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)

    message = fails_with(checks.check_train, train, match="other losses when run again")
    assert "keras.utils.set_random_seed(seed)" in message


@pytest.mark.training
def test_train_with_a_fixed_seed_fails_when_the_seed_changes():
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return seeded_train(model, x_train, y_train, epochs=epochs, seed=0)

    fails_with(
        checks.check_train, train, epochs=1, seed=1, compare_seed=2, match="same losses for seed=2"
    )


@pytest.mark.training
def test_train_that_ignores_epochs_fails():
    def train(model, x_train, y_train, *, epochs=5, seed=0):
        return seeded_train(model, x_train, y_train, epochs=1, seed=seed)

    fails_with(checks.check_train, train, match="trained for 1 epochs")


@pytest.mark.training
def test_train_that_returns_nothing_says_return_the_history():
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
def test_accuracy_of_a_model_trained_with_a_huge_batch_fails():
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


# Exercise 4 -----------------------------------------------------------------------------------


def test_evaluate_accepts_the_course_function_and_numpy_numbers():
    checks.check_evaluate(mnist_course.evaluate)

    def evaluate(model, x_test, y_test):
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        return {"loss": np.float32(loss), "accuracy": np.float64(accuracy)}

    checks.check_evaluate(evaluate)


def test_evaluate_returning_keras_list_says_return_a_dict():
    fails_with(
        checks.check_evaluate,
        lambda model, x, y: model.evaluate(x, y, verbose=0),
        match="dict with 'loss' and 'accuracy'",
    )


def test_evaluate_in_percent_says_return_a_fraction():
    def evaluate(model, x_test, y_test):
        scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        return {"loss": scores["loss"], "accuracy": 100 * scores["accuracy"]}

    fails_with(checks.check_evaluate, evaluate, match="percentage")


def test_predict_labels_accepts_argmax_as_list_or_array():
    checks.check_predict_labels(mnist_course.predict_labels)
    checks.check_predict_labels(
        lambda model, x: [int(i) for i in np.argmax(model.predict(x, verbose=0), axis=1)]
    )


def test_predict_labels_returning_probabilities_says_take_argmax():
    message = fails_with(
        checks.check_predict_labels,
        lambda model, x: model.predict(x, verbose=0),
        match="wrong shape",
    )
    assert "argmax(axis=1)" in message


def test_misclassified_accepts_indices_as_list_or_array():
    checks.check_misclassified(lambda t, p: np.flatnonzero(t != p))
    checks.check_misclassified(lambda t, p: [i for i in range(len(t)) if t[i] != p[i]])
    checks.check_misclassified(lambda t, p: np.flatnonzero(t != p), y_true=[1], y_pred=[1])


def test_misclassified_returning_a_mask_says_turn_it_into_indices():
    fails_with(checks.check_misclassified, lambda t, p: t != p, match="mask, not indices")


# Exercise 5 -----------------------------------------------------------------------------------


@pytest.mark.training
def test_compare_activations_accepts_the_course_run():
    checks.check_compare_activations(checks.reference_experiment)


@pytest.mark.training
def test_compare_activations_on_training_data_alone_fails_or_is_close():
    """Returning accuracies that are not from the same-seed run fails."""

    def compare(activations, x_train, y_train, x_test, y_test, *, epochs=1, seed=0):
        return {activation: 0.5 for activation in activations}

    fails_with(checks.check_compare_activations, compare, match="returned 0.5 for 'relu'")


def test_compare_activations_returning_a_list_fails():
    fails_with(
        checks.check_compare_activations,
        lambda activations, *data, epochs=1, seed=0: [0.9, 0.8],
        activations=("relu",),
        match="one accuracy per activation",
    )


def test_best_activation_accepts_max_by_value():
    checks.check_best_activation(lambda results: max(results, key=results.get))
    checks.check_best_activation(lambda results: sorted(results.items(), key=lambda i: i[1])[-1][0])


def test_best_activation_returning_the_lowest_says_so():
    message = fails_with(
        checks.check_best_activation,
        lambda results: min(results, key=results.get),
        match="returned 'sigmoid'",
    )
    assert "lowest" in message


def test_best_activation_returning_the_accuracy_says_return_the_name():
    message = fails_with(
        checks.check_best_activation, lambda results: max(results.values()), match="0.95"
    )
    assert "not its accuracy" in message


# Patched checks -------------------------------------------------------------------------------


def grade_cell(notebook, grade_id):
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    for cell in cells:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(cell["source"])
    raise LookupError(grade_id)


PATCHES = {
    "replace the check": "mnist_course.checks.check_normalize = lambda *args, **kwargs: None",
    "replace fresh": "mnist_course.checks.fresh = lambda: types.SimpleNamespace("
    "check_normalize=lambda *args, **kwargs: None)",
    "replace the reference": "mnist_course.preprocessing.normalize = lambda x: x / 255\n"
    "mnist_course.normalize = mnist_course.preprocessing.normalize",
    "replace the failure": "mnist_course.checks.CheckFailed = type('Quiet', (Exception,), {})",
}


def run_answer_then_test_cell(answer):
    """Run an answer cell, then exercise 1's normalize test cell, in a fresh Python."""
    test_cell = grade_cell("solutions/ex01_data/ex01_data.ipynb", "test_normalize")
    code = f"import mnist_course\nimport numpy as np\n{answer}\n{test_cell}\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("patch", PATCHES.values(), ids=PATCHES.keys())
def test_answer_cells_that_patch_the_checks_gain_nothing(patch):
    """The test cell, run after an answer cell that patches the checks, still fails."""
    answer = f"import types\nimport mnist_course.checks\n{patch}\n"
    answer += "def normalize(x):\n    return x / 255\n"
    result = run_answer_then_test_cell(answer)
    assert result.returncode != 0
    assert "CheckFailed" in result.stderr
    assert "subtract 0.5 after dividing by 255" in result.stderr


def test_the_same_test_cell_passes_a_correct_answer_after_a_patch():
    """The counterpart: the test cell runs the real check, which passes a right answer."""
    answer = f"import mnist_course.checks\n{PATCHES['replace the check']}\n"
    answer += "def normalize(x):\n    return x / 255 - 0.5\n"
    result = run_answer_then_test_cell(answer)
    assert result.returncode == 0, result.stderr
