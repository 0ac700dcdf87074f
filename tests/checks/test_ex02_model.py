"""Exercise 2's checks (building the model): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import keras
import pytest

import mnist_course
from mnist_course.checks import ex02_model as checks


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


def test_build_mlp_that_ignores_the_activation_fails_with_the_activation_hint(fails_with):
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        return course_mlp(hidden_units=hidden_units)

    message = fails_with(
        checks.check_build_mlp, build_mlp, activation="sigmoid", match="wrong Dense layers"
    )
    assert "activation='sigmoid'" in message


def test_build_mlp_without_output_layer_says_add_it(fails_with):
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        layers = [keras.Input(shape=(784,))]
        layers += [keras.layers.Dense(n, activation=activation) for n in hidden_units]
        return keras.Sequential(layers)

    message = fails_with(checks.check_build_mlp, build_mlp, match="wrong Dense layers")
    assert "add the output layer" in message


def test_build_mlp_without_input_says_start_with_keras_input(fails_with):
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        return keras.Sequential([keras.layers.Dense(10, activation="softmax")])

    fails_with(checks.check_build_mlp, build_mlp, match="without the right input")


def test_build_mlp_with_dropout_fails(fails_with):
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        model = course_mlp(hidden_units=hidden_units, activation=activation)
        return keras.Sequential(
            [keras.Input(shape=(784,)), keras.layers.Dropout(0.5), *model.layers]
        )

    fails_with(checks.check_build_mlp, build_mlp, match="Dropout layer")


def test_build_mlp_without_biases_fails_on_the_parameter_count(fails_with):
    def build_mlp(*, hidden_units=(64, 64), activation="relu"):
        layers = [keras.Input(shape=(784,))]
        layers += [
            keras.layers.Dense(n, activation=activation, use_bias=False) for n in hidden_units
        ]
        layers.append(keras.layers.Dense(10, activation="softmax"))
        return keras.Sequential(layers)

    fails_with(checks.check_build_mlp, build_mlp, match="54,922 parameters")


def count_by_formula(hidden_units):
    """(inputs + 1) * units over the Dense layers, as a student might write it."""
    sizes = [784, *hidden_units, 10]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))


def test_count_parameters_accepts_the_formula_for_any_hidden_units():
    checks.check_count_parameters(count_by_formula)
    checks.check_count_parameters(count_by_formula, hidden_units=(128,))
    checks.check_count_parameters(count_by_formula, hidden_units=(32, 16, 8))


def test_count_parameters_accepts_a_whole_float():
    checks.check_count_parameters(lambda hidden_units: float(count_by_formula(hidden_units)))


def test_count_parameters_without_biases_says_count_them(fails_with):
    message = fails_with(
        checks.check_count_parameters, lambda hidden_units: 54912, match="returned 54912"
    )
    assert "count the biases too" in message


# ---------------------------------------------------------------------------------------------
# Part C: the widest hidden layers within a budget (derived)

CONFIGURATIONS = [(55050, 2), (100000, 1), (118281, 2), (30000, 3)]
"""The visible and hidden configurations of the notebook's test cell."""


def widest_by_search(budget, depth=2):
    """A student's search, one unit at a time, with count_parameters."""
    width = 1
    while count_by_formula((width + 1,) * depth) <= budget:
        width += 1
    return width


def widest_by_formula(budget, depth=2):
    """A student's formula: solve the count for H (quadratic when depth > 1), round down."""
    import math

    # count(H) = (depth - 1) H^2 + (785 + (depth - 1) + 10) H + 10
    a, b, c = depth - 1, 785 + (depth - 1) + 10, 10 - budget
    root = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return math.floor(root + 1e-9)


def widest_by_keras(budget, depth=2):
    """A student who builds the models (slow but right), by bisection."""
    low, high = 1, 1000
    while high - low > 1:
        middle = (low + high) // 2
        fits = course_mlp(hidden_units=(middle,) * depth).count_params() <= budget
        low, high = (middle, high) if fits else (low, middle)
    return low


@pytest.mark.parametrize("widest", [widest_by_search, widest_by_formula])
def test_widest_hidden_layer_accepts_a_search_and_a_formula(widest):
    for budget, depth in CONFIGURATIONS:
        checks.check_widest_hidden_layer(widest, budget=budget, depth=depth)


def test_widest_hidden_layer_accepts_a_bisection_over_keras_models():
    checks.check_widest_hidden_layer(widest_by_keras, budget=30000, depth=3)


def test_widest_hidden_layer_accepts_a_whole_float_or_numpy_int():
    import numpy as np

    checks.check_widest_hidden_layer(lambda budget, depth=2: float(widest_by_search(budget, depth)))
    checks.check_widest_hidden_layer(lambda budget, depth=2: np.int64(widest_by_search(budget)))


def without_biases(budget, depth=2):
    width = 1
    while 784 * (width + 1) + (depth - 1) * (width + 1) ** 2 + (width + 1) * 10 <= budget:
        width += 1
    return width


def without_output_layer(budget, depth=2):
    width = 1
    while count_by_formula((width + 1,) * depth) - 11 * (width + 1) + (width + 1) <= budget:
        width += 1
    return width


@pytest.mark.parametrize(
    ("widest", "budget", "depth", "says"),
    [
        (without_biases, 118281, 2, "no biases"),
        (without_output_layer, 100000, 1, "without the output layer"),
        (lambda budget, depth=2: budget // 785, 30000, 3, "first layer only"),
        (lambda budget, depth=2: widest_by_search(budget, 2), 30000, 3, "for 2 hidden layers"),
        (lambda budget, depth=2: widest_by_search(budget, depth) + 1, 55050, 2, "too many"),
        (lambda budget, depth=2: widest_by_search(budget, depth) - 1, 55050, 2, "too few"),
    ],
    ids=["no biases", "no output layer", "first layer only", "depth ignored", "+1", "-1"],
)
def test_widest_hidden_layer_names_each_way_of_counting_wrong(
    fails_with, widest, budget, depth, says
):
    message = fails_with(
        checks.check_widest_hidden_layer, widest, budget=budget, depth=depth, match="returned"
    )
    assert says in message, message


def test_widest_hidden_layer_over_budget_says_how_many_parameters_it_has(fails_with):
    message = fails_with(
        checks.check_widest_hidden_layer, lambda budget, depth=2: 65, match="55,975 parameters"
    )
    assert "more than 55,050" in message


def test_widest_hidden_layer_not_a_whole_number_fails(fails_with):
    fails_with(
        checks.check_widest_hidden_layer,
        lambda budget, depth=2: 64.5,
        match="not a whole number",
    )
    fails_with(checks.check_widest_hidden_layer, lambda budget, depth=2: None, match="whole")


# ---------------------------------------------------------------------------------------------
# Part D: two predictions


@pytest.mark.parametrize("value", [55050, 55050.0, "numpy"])
def test_the_sigmoid_prediction_passes_exactly_the_relu_count(value):
    import numpy as np

    checks.check_sigmoid_parameters(np.int64(55050) if value == "numpy" else value)


@pytest.mark.parametrize(
    ("value", "says"),
    [(55050 + 2 * 64, "more parameters than with relu"), (54922, "what changes"), (0, "")],
)
def test_a_wrong_sigmoid_prediction_fails_and_says_why(fails_with, value, says):
    message = fails_with(
        checks.check_sigmoid_parameters, value, match="PREDICTED_SIGMOID_PARAMETERS = "
    )
    assert says in message


def test_the_sigmoid_network_really_has_the_relu_count():
    """The constant the check compares with is what Keras counts."""
    sigmoid = course_mlp(activation="sigmoid")
    checks.check_sigmoid_parameters(sigmoid.count_params())


@pytest.mark.parametrize("value", [0.1, 1 / 10, 0.0758, 0.05, 0.14])
def test_the_untrained_accuracy_passes_chance_and_what_the_seeds_give(value):
    checks.check_untrained_accuracy(value)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (10, "fraction between 0 and 1, not a percentage"),
        (0, "avoids the true digit"),
        (0.5, "by chance alone"),
        (0.88, "by chance alone"),
        (0.02, "with 10 digits"),
    ],
)
def test_a_wrong_untrained_accuracy_fails_and_says_why(fails_with, value, says):
    message = fails_with(
        checks.check_untrained_accuracy, value, match="PREDICTED_UNTRAINED_ACCURACY = "
    )
    assert says in message


@pytest.mark.parametrize(
    ("check", "name"),
    [
        (checks.check_sigmoid_parameters, "PREDICTED_SIGMOID_PARAMETERS"),
        (checks.check_untrained_accuracy, "PREDICTED_UNTRAINED_ACCURACY"),
    ],
)
def test_a_prediction_left_as_released_is_not_implemented_and_a_string_is_refused(
    fails_with, check, name
):
    with pytest.raises(NotImplementedError, match=f"{name} is still None"):
        check(None)
    message = fails_with(check, "0.1", match=f"{name} is not a number")
    assert "without quotes" in message


@pytest.mark.full_data
def test_the_untrained_accuracy_band_holds_the_course_s_untrained_networks():
    """Five seeds of the course's network, measured as the notebook's last cell does."""
    (_, _), (x_test, y_test) = mnist_course.load_mnist()
    x_test, _ = mnist_course.preprocess(x_test, y_test)
    for seed in range(5):
        answers = mnist_course.predict_labels(mnist_course.build_mlp(seed=seed), x_test)
        checks.check_untrained_accuracy(float((answers == y_test).mean()))
