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
