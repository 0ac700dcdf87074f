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
