"""Exercise 1's checks (preparing the data): correct answers written any reasonable way
pass, wrong ones fail with a message that says what was expected, what came back and the fix."""

import keras
import numpy as np
import pytest

import mnist_course
from mnist_course.checks import ex01_data as checks


def test_split_labels_accepts_the_course_function():
    checks.check_split_labels(mnist_course.split_labels)


def test_split_labels_accepts_a_list_pair_of_any_integer_dtype():
    checks.check_split_labels(lambda rows: [rows[:, 1:].astype(np.uint8), list(rows[:, 0])])


def test_split_labels_with_labels_first_says_so(fails_with):
    fails_with(
        checks.check_split_labels, lambda rows: (rows[:, 0], rows[:, 1:]), match="labels first"
    )


def test_split_labels_keeping_the_label_column_says_to_drop_it(fails_with):
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
@pytest.mark.full_data
def test_normalize_accepts_every_correct_variant(normalize):
    checks.check_normalize(normalize)
    checks.check_normalize(normalize, x=checks.mnist_images(20))


def test_normalize_to_0_1_fails_with_the_subtract_hint(fails_with):
    message = fails_with(checks.check_normalize, lambda x: x / 255, match="wrong values")
    assert "values are in [0, 1]; the course normalises to [-0.5, 0.5]" in message
    assert "subtract 0.5 after dividing by 255" in message
    assert "values from 0 to 1" in message


def test_normalize_to_minus_1_1_says_divide_by_255(fails_with):
    message = fails_with(checks.check_normalize, lambda x: x / 127.5 - 1, match="wrong values")
    assert "divide by 255, not 127.5" in message


def test_normalize_with_integer_division_says_use_a_float_division(fails_with):
    message = fails_with(checks.check_normalize, lambda x: x // 255, match="not floats")
    assert "divide with / (not //)" in message


def test_normalize_in_float16_is_too_coarse(fails_with):
    fails_with(
        checks.check_normalize, lambda x: (x / 255 - 0.5).astype(np.float16), match="wrong values"
    )


def test_normalize_that_changes_its_input_fails(fails_with):
    def normalize(x):
        result = x / 255 - 0.5
        x[:] = 0
        return result

    fails_with(checks.check_normalize, normalize, match="changed its input")


def test_normalize_that_flattens_fails_on_the_shape(fails_with):
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


def test_one_hot_that_ignores_num_classes_fails(fails_with):
    fails_with(
        checks.check_one_hot,
        lambda y, num_classes=10: np.eye(10)[y],
        y=np.array([2, 0, 3]),
        num_classes=4,
        match="wrong shape",
    )


def test_one_hot_transposed_says_so(fails_with):
    message = fails_with(
        checks.check_one_hot, lambda y, num_classes=10: np.eye(num_classes)[y].T, match="shape"
    )
    assert "transposed" in message


def test_one_hot_in_the_wrong_column_shows_the_row(fails_with):
    fails_with(
        checks.check_one_hot,
        lambda y, num_classes=10: np.eye(num_classes)[(y + 1) % num_classes],
        match="wrong row for label 3",
    )


# ---------------------------------------------------------------------------------------------
# Part D: where a pixel lands when the image is flattened (derived)

HIDDEN = [(20, [(0, 19), (1, 0), (3, 7)]), (32, [(2, 5), (31, 31), (7, 0)]), (5, [(4, 2)])]
"""The widths and pixels of the notebook's other tests (the first visible, the others hidden)."""


def position_by_reshape(row, column, width=28):
    """A student who lets numpy number the pixels (slow but right)."""
    return int(np.arange((row + 1) * width).reshape(row + 1, width)[row, column])


def position_by_ravel(row, column, width=28):
    return np.ravel_multi_index((row, column), (row + 1, width))


@pytest.mark.parametrize(
    "position",
    [
        lambda row, column, width=28: row * width + column,
        lambda row, column, width=28: float(width * row + column),
        position_by_reshape,
        position_by_ravel,
    ],
    ids=["formula", "float", "reshape", "ravel_multi_index"],
)
def test_pixel_position_accepts_any_correct_way_of_finding_the_pixel(position):
    checks.check_pixel_position(position)
    for width, pixels in HIDDEN:
        checks.check_pixel_position(position, width=width, pixels=pixels)


@pytest.mark.full_data
def test_pixel_position_agrees_with_numpy_s_reshape_of_real_images():
    """The expected positions are where reshape(784) puts each pixel of an MNIST image."""
    image = checks.mnist_images(1)[0]
    flat = image.reshape(784)
    for row in range(28):
        for column in range(28):
            assert flat[row * 28 + column] == image[row, column]


@pytest.mark.parametrize(
    ("position", "width", "says"),
    [
        (lambda row, column, width=28: column * width + row, 28, "swapped"),
        (lambda row, column, width=28: row * 28 + column, 20, "use the argument, not 28"),
        (lambda row, column, width=28: row * width + column + 1, 28, "count from 0"),
        (lambda row, column, width=28: row * (width - 1) + column, 28, "count the rows before"),
        (lambda row, column, width=28: row + column, 28, "rows one after another"),
        (lambda row, column, width=28: (row, column), 28, "did not return a number"),
    ],
    ids=["transposed", "width ignored", "from 1", "width - 1", "row + column", "a tuple"],
)
def test_pixel_position_names_each_mistake(fails_with, position, width, says):
    pixels = HIDDEN[0][1] if width == 20 else None
    message = fails_with(
        checks.check_pixel_position, position, width=width, pixels=pixels, match="pixel_position"
    )
    assert says in message, message


# ---------------------------------------------------------------------------------------------
# Part E: two predictions


@pytest.mark.parametrize("value", [0.5, 0.6, 0.72, 0.8, np.float32(0.7)])
def test_the_unnormalised_prediction_passes_far_above_chance_and_below_normalised(value):
    checks.check_unnormalised_accuracy(value)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (0.1, "about as good as guessing"),
        (0.2, "about as good as guessing"),
        (0.87, "as good as on normalised images"),
        (72, "not a percentage"),
    ],
)
def test_a_wrong_unnormalised_prediction_says_which_way_it_is_wrong(fails_with, value, says):
    message = fails_with(
        checks.check_unnormalised_accuracy, value, match="PREDICTED_UNNORMALISED_ACCURACY = "
    )
    assert says in message


@pytest.mark.parametrize("value", [0.87, 0.8588, 0.8945, 0.85, 0.9])
def test_the_permuted_prediction_passes_the_normalised_accuracy(value):
    checks.check_permuted_accuracy(value)


@pytest.mark.parametrize(
    ("value", "says"),
    [(0.1, "only renames its inputs"), (0.7, "only renames its inputs"), (0.95, "higher than")],
)
def test_a_wrong_permuted_prediction_says_why(fails_with, value, says):
    message = fails_with(
        checks.check_permuted_accuracy, value, match="PREDICTED_PERMUTED_ACCURACY = "
    )
    assert says in message


@pytest.mark.parametrize(
    "check", [checks.check_unnormalised_accuracy, checks.check_permuted_accuracy]
)
def test_a_prediction_left_as_released_is_not_implemented(check):
    with pytest.raises(NotImplementedError, match="is still None"):
        check(None)


@pytest.mark.training
def test_the_bands_hold_the_notebook_s_own_experiments():
    """The experiments of Part E, run as the notebook runs them (seed 0), land in the bands
    that the predictions are graded by; the permuted network is within seed noise of the
    normalised one."""
    (x_train, y_train), (x_test, y_test) = mnist_course.load_mnist()
    x_ready, y_ready = mnist_course.preprocess(x_train[:10000], y_train[:10000])
    x_test_ready, y_test_ready = mnist_course.preprocess(x_test, y_test)
    model = mnist_course.compile_model(mnist_course.build_mlp(seed=0))
    mnist_course.train(model, x_ready, y_ready, epochs=1, seed=0, verbose=0)
    normalised = mnist_course.evaluate(model, x_test_ready, y_test_ready)["accuracy"]
    grey = mnist_course.flatten(x_test).astype(np.float32)
    unnormalised = mnist_course.evaluate(model, grey, y_test_ready)["accuracy"]
    order = np.random.default_rng(0).permutation(784)
    permuted = mnist_course.compile_model(mnist_course.build_mlp(seed=0))
    mnist_course.train(permuted, x_ready[:, order], y_ready, epochs=1, seed=0, verbose=0)
    shuffled = mnist_course.evaluate(permuted, x_test_ready[:, order], y_test_ready)["accuracy"]
    low, high = checks.NORMALISED_ACCURACY
    assert low - 0.01 <= normalised <= high + 0.01
    checks.check_unnormalised_accuracy(unnormalised)
    checks.check_permuted_accuracy(shuffled)
    checks.check_permuted_accuracy(normalised)
    assert abs(shuffled - normalised) < 0.015
