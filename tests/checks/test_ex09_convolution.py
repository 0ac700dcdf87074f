"""The convolution exercise: its reference, the course's numpy convolution, is what Keras's
Conv2D computes (for several input and output channels and kernels that are not square); its
checks pass correct answers written any reasonable way, and name the usual mistakes, directly
and through the self-check (`pytest exercises`) as a student runs it."""

import json
import math
import re

import numpy as np
import pytest
from helpers import release_notebook, solution_notebook

from mnist_course import notebook
from mnist_course.checks import ex09_convolution as checks
from mnist_course.checks._convolution import conv2d
from mnist_course.selfcheck.launcher import check_notebook

EXERCISE = "ex09_convolution"


@pytest.mark.parametrize(
    ("shape", "kernel_shape"),
    [((28, 28, 1), (3, 3, 1, 4)), ((9, 7, 3), (3, 2, 3, 5)), ((6, 6, 2), (1, 1, 2, 2))],
    ids=["digit-sized", "not-square", "one-by-one"],
)
def test_the_numpy_convolution_equals_keras_conv2d_given_the_same_weights(shape, kernel_shape):
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=kernel_shape).astype(np.float32)
    bias = rng.normal(size=kernel_shape[3]).astype(np.float32)
    layer = keras.layers.Conv2D(kernel_shape[3], kernel_shape[:2], padding="valid")
    layer.build((None, *shape))
    layer.set_weights([kernel, bias])
    expected = np.asarray(layer(x[None]))[0]
    assert np.allclose(conv2d(x, kernel, bias), expected, atol=1e-5)


def test_a_flipped_kernel_gives_another_result_so_the_difference_can_be_named():
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(8, 8, 2)), rng.normal(size=(3, 3, 2, 3))
    flipped = conv2d(x, kernel[::-1, ::-1], np.zeros(3))
    assert not np.allclose(conv2d(x, kernel, np.zeros(3)), flipped)


# ---------------------------------------------------------------------------------------------
# Part A: the convolution by hand


def conv2d_with_loops(x, kernel, bias):
    kh, kw, channels, filters = kernel.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, filters))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for o in range(filters):
                total = bias[o]
                for a in range(kh):
                    for b in range(kw):
                        for c in range(channels):
                            total += x[i + a, j + b, c] * kernel[a, b, c, o]
                out[i, j, o] = total
    return out


def conv2d_with_einsum(x, kernel, bias):
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(0, 1))
    return (np.einsum("ijcab,abco->ijo", windows, kernel) + bias).astype(np.float32)


@pytest.mark.parametrize("answer", [conv2d, conv2d_with_loops, conv2d_with_einsum])
def test_conv2d_accepts_every_correct_variant(answer):
    checks.check_conv2d(answer)
    checks.check_conv2d(answer, seed=3, shape=(9, 12, 2), kernel_shape=(2, 4, 2, 5))
    checks.check_conv2d(answer, seed=4, shape=(28, 28, 1), kernel_shape=(5, 5, 1, 6))


@pytest.mark.parametrize("mistake", list(checks.MISTAKES))
def test_each_catalogued_conv2d_mistake_is_named(mistake, fails_with):
    mistaken, hint = checks.MISTAKES[mistake]
    message = fails_with(checks.check_conv2d, mistaken, match="returned " + mistake[:12])
    assert mistake in message and hint in message


def test_the_catalogued_mistakes_differ_from_the_convolution_and_from_each_other():
    for shape, kernel_shape in [((10, 7, 3), (3, 3, 3, 4)), ((9, 12, 2), (2, 4, 2, 5))]:
        x, kernel, bias = checks.small_convolution(0, shape=shape, kernel_shape=kernel_shape)
        results = [conv2d(x, kernel, bias)]
        results += [mistaken(x, kernel, bias) for mistaken, _ in checks.MISTAKES.values()]
        for i, one in enumerate(results):
            for other in results[i + 1 :]:
                assert one.shape != other.shape or not np.allclose(one, other)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (lambda x, k, b: np.moveaxis(conv2d(x, k, b), -1, 0), "the channels first"),
        (lambda x, k, b: conv2d(x, k, b)[:-1, :-1], "one position too few"),
        (
            lambda x, k, b: conv2d(np.pad(x, ((1, 1), (1, 1), (0, 0))), k, b),
            "padding 'same' instead of 'valid'",
        ),
        (lambda x, k, b: np.swapaxes(conv2d(x, k, b), 0, 1), "height and width swapped"),
        (lambda x, k, b: conv2d(x, k, b).sum(axis=2), "output channels summed"),
    ],
    ids=["channels-first", "off-by-one", "same-padding", "rows-columns", "channels-summed"],
)
def test_conv2d_output_shape_mistakes_are_named(answer, named, fails_with):
    assert named in fails_with(checks.check_conv2d, answer, match="returned")


def test_a_kernel_read_in_another_layout_names_keras_s_layout(fails_with):
    def pytorch_layout(x, kernel, bias):
        out_channels, in_channels, kh, kw = kernel.shape
        return conv2d(x, kernel.reshape(kh, kw, in_channels, out_channels), bias)

    message = fails_with(
        checks.check_conv2d,
        pytorch_layout,
        shape=(9, 12, 2),
        kernel_shape=(2, 4, 2, 5),
        match="raised ValueError",
    )
    assert "as Conv2D's weights (not PyTorch's" in message


# ---------------------------------------------------------------------------------------------
# Part B: sizes derived


def conv_output_shape_with_floor_division(
    input_shape, filters, kernel_size, strides=1, padding="valid"
):
    kernel = np.broadcast_to(kernel_size, 2)
    step = np.broadcast_to(strides, 2)
    size = np.array(input_shape[:2])
    if padding == "same":
        return (*(-(-size // step)).tolist(), filters)
    return [*((size - kernel) // step + 1).tolist(), filters]  # a list is a shape too


def conv_output_shape_with_keras(input_shape, filters, kernel_size, strides=1, padding="valid"):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    return layer.compute_output_shape((None, *input_shape))[1:]


@pytest.mark.parametrize(
    "answer",
    [
        checks.course_conv_output_shape,
        conv_output_shape_with_floor_division,
        conv_output_shape_with_keras,
    ],
)
def test_conv_output_shape_accepts_every_correct_variant(answer):
    checks.check_conv_output_shape(answer)
    checks.check_conv_output_shape(answer, cases=checks.HIDDEN_SHAPE_CASES)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def shape_ignoring_padding(input_shape, filters, kernel_size, strides=1, padding="valid"):
    return checks.course_conv_output_shape(input_shape, filters, kernel_size, strides, "valid")


def shape_ignoring_stride(input_shape, filters, kernel_size, strides=1, padding="valid"):
    return checks.course_conv_output_shape(input_shape, filters, kernel_size, 1, padding)


def shape_one_short(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    if padding == "same":
        return checks.course_conv_output_shape(input_shape, filters, kernel_size, strides, padding)
    return ((input_shape[0] - kh) // sh, (input_shape[1] - kw) // sw, filters)


def shape_divided_after_adding_one(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    if padding == "same":
        return checks.course_conv_output_shape(input_shape, filters, kernel_size, strides, padding)
    return ((input_shape[0] - kh + 1) // sh, (input_shape[1] - kw + 1) // sw, filters)


def shape_same_rounded_down(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (sh, sw) = _pair(strides)
    if padding == "same":
        return (input_shape[0] // sh, input_shape[1] // sw, filters)
    return checks.course_conv_output_shape(input_shape, filters, kernel_size, strides, padding)


def shape_keeping_channels(input_shape, filters, kernel_size, strides=1, padding="valid"):
    shape = checks.course_conv_output_shape(input_shape, filters, kernel_size, strides, padding)
    return (*shape[:2], input_shape[2])


@pytest.mark.parametrize(
    ("answer", "named", "hidden"),
    [
        (shape_ignoring_padding, "padding ignored (the 'valid' size for padding='same')", False),
        (shape_ignoring_stride, "the stride ignored", False),
        (shape_one_short, "one position too few", False),
        (shape_divided_after_adding_one, "(size - kernel + 1) divided by the stride", True),
        (shape_same_rounded_down, "size // stride rounded down for padding='same'", False),
        (shape_keeping_channels, "the input's channels kept", False),
    ],
    ids=["padding", "stride", "one-short", "plus-one-divided", "same-floor", "channels"],
)
def test_conv_output_shape_mistakes_are_named(answer, named, hidden, fails_with):
    cases = checks.HIDDEN_SHAPE_CASES if hidden else None
    assert named in fails_with(
        checks.check_conv_output_shape, answer, cases=cases, match="returned"
    )


def test_the_visible_and_hidden_shape_cases_differ():
    assert not set(map(repr, checks.SHAPE_CASES)) & set(map(repr, checks.HIDDEN_SHAPE_CASES))


def conv_params_with_keras(input_shape, filters, kernel_size):
    import keras

    model = keras.Sequential([keras.Input(input_shape), keras.layers.Conv2D(filters, kernel_size)])
    return model.count_params()


@pytest.mark.parametrize(
    "answer",
    [
        checks.course_conv_params,
        conv_params_with_keras,
        lambda s, f, k: float(math.prod(_pair(k)) * s[-1] * f + f),
    ],
    ids=["course", "keras", "float"],
)
def test_conv_params_accepts_every_correct_variant(answer):
    checks.check_conv_params(answer)
    checks.check_conv_params(answer, cases=checks.HIDDEN_PARAM_CASES)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (lambda s, f, k: math.prod(_pair(k)) * s[2] * f, "the biases forgotten"),
        (lambda s, f, k: math.prod(_pair(k)) * f + f, "the input channels forgotten"),
        (lambda s, f, k: math.prod(_pair(k)) * s[2] * (f + s[2]) - 0, "another count"),
        (
            lambda s, f, k: (
                (s[0] - _pair(k)[0] + 1)
                * (s[1] - _pair(k)[1] + 1)
                * checks.course_conv_params(s, f, k)
            ),
            "no weight sharing",
        ),
        (lambda s, f, k: (math.prod(_pair(k)) + 1) * s[2] * f, "one bias per input channel"),
    ],
    ids=["no-bias", "no-channels", "other", "unshared", "bias-per-channel"],
)
def test_conv_params_mistakes_are_named(answer, named, fails_with):
    assert named in fails_with(checks.check_conv_params, answer, match="returned")


def network_numbers():
    """Part B's answers about the network in words, from Keras's own layers where Keras 3 has
    them (the layer without weight sharing it has not: its count is the shared layer's per
    position)."""
    import keras

    first = keras.layers.Conv2D(10, 5, activation="relu")
    pooled = keras.layers.MaxPooling2D(2)
    flat = keras.layers.Flatten()
    keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            first,
            pooled,
            keras.layers.Conv2D(20, 3, strides=2, padding="same", activation="relu"),
            flat,
        ]
    )
    alone = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(10, 5)])
    outputs = math.prod(first.output.shape[1:])
    dense = keras.Sequential([keras.Input((32 * 32 * 3,)), keras.layers.Dense(outputs)])
    positions = first.output.shape[1] * first.output.shape[2]
    return {
        "shape_after_pooling": tuple(pooled.output.shape[1:]),
        "flatten_size": flat.output.shape[1],
        "multiply_adds": checks.multiply_adds(alone),
        "unshared_params": positions * first.count_params(),
        "dense_params": dense.count_params(),
    }


def test_the_network_s_numbers_are_keras_s_own_and_each_passes_its_check():
    numbers = network_numbers()
    assert numbers["shape_after_pooling"] == (14, 14, 10)
    assert numbers["multiply_adds"] == 28 * 28 * 10 * 5 * 5 * 3
    for key in checks.NUMBER_QUESTIONS:
        checks.check_network_number(network_numbers, key=key)
    written_otherwise = {
        "shape_after_pooling": [14, 14, 10],
        "flatten_size": 980.0,
        "multiply_adds": np.int64(588000),
        "unshared_params": 595840,
        "dense_params": 24092320,
    }
    for key in checks.NUMBER_QUESTIONS:
        checks.check_network_number(lambda: written_otherwise, key=key)


def test_each_wrong_network_number_is_named_with_its_hint(fails_with):
    wrong = {
        "shape_after_pooling": (28, 28, 10),
        "flatten_size": 14 * 14 * 20,
        "multiply_adds": 28 * 28 * 10,
        "unshared_params": 760,
        "dense_params": 32 * 32 * 3 * 28 * 28 * 10,
    }
    wrong["flatten_size_as_text"] = "980"
    for key, value in wrong.items():
        key = key.removesuffix("_as_text")
        message = fails_with(
            checks.check_network_number, lambda k=key, v=value: {k: v}, key=key, match=repr(key)
        )
        assert checks.NUMBER_HINTS[key] in message
    fails_with(checks.check_network_number, lambda: {}, key="flatten_size", match="no answer")


NUMBERS_FROM_HELPERS = """
def network_numbers():
    first = conv_output_shape((32, 32, 3), 10, 5)
    pooled = (first[0] // 2, first[1] // 2, first[2])
    second = conv_output_shape(pooled, 20, 3, strides=2, padding="same")
    positions = first[0] * first[1]
    return {
        "shape_after_pooling": pooled,
        "flatten_size": second[0] * second[1] * second[2],
        "multiply_adds": positions * 10 * 5 * 5 * 3,
        "unshared_params": positions * conv_params((32, 32, 3), 10, 5),
        "dense_params": 32 * 32 * 3 * positions * 10 + positions * 10,
    }
"""
"""Part B's numbers worked out with the student's own conv_output_shape and conv_params."""

NO_BIASES = """
def conv_params(input_shape, filters, kernel_size):
    return kernel_size * kernel_size * input_shape[2] * filters
"""


def test_a_number_worked_out_by_a_wrong_helper_is_blamed_on_that_helper(fails_with):
    namespace = {}
    exec(NO_BIASES + NUMBERS_FROM_HELPERS, namespace)
    namespace["conv_output_shape"] = checks.course_conv_output_shape
    numbers = namespace["network_numbers"]
    with pytest.raises(checks.CheckFailed, match=r"^fails because of your conv_params\(\)"):
        checks.check_network_number(numbers, key="unshared_params")
    checks.check_network_number(numbers, key="flatten_size")  # from conv_output_shape: right
    # a wrong number that the wrong helper did not make gets its own hint
    exec(NUMBERS_FROM_HELPERS.replace("10 * 5 * 5 * 3", "10 * 5 * 5"), namespace)
    message = fails_with(
        checks.check_network_number,
        namespace["network_numbers"],
        key="multiply_adds",
        match="multiply_adds",
    )
    assert checks.NUMBER_HINTS["multiply_adds"] in message
    assert "conv_params" not in message


@pytest.mark.sandbox
def test_a_wrong_helper_is_blamed_by_pytest_exercises_where_network_numbers_used_it(tmp_path):
    replaced = {"conv_params": NO_BIASES, "network_numbers": NUMBERS_FROM_HELPERS}
    blamed, right = "test_network_unshared_params", "test_network_shape_after_pooling"
    results = check_notebook(
        student_notebook(tmp_path, replaced), grade_ids={"test_conv_params", blamed, right}
    )
    assert "the biases forgotten" in results["test_conv_params"].message
    assert results[blamed].outcome == "failed"
    assert "fails because of your conv_params()" in results[blamed].message
    assert results[right].passed, results[right]


# ---------------------------------------------------------------------------------------------
# Part C: the student's CNN


def functional_cnn(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(28, 28, 1))
    h = keras.layers.Conv2D(6, 3, activation="relu")(inputs)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(12, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D(2)(h)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(h))
    return keras.Model(inputs, outputs)


@pytest.mark.full_data
def test_check_cnn_accepts_the_model_answer_and_a_functional_model():
    checks.check_cnn(checks.course_cnn)
    checks.check_cnn(functional_cnn)


def _sequential(*layers, seed=0, input_shape=(28, 28, 1)):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(shape=input_shape), *layers])


def test_multiply_adds_counts_each_layer_with_a_kernel():
    import keras

    model = functional_cnn()
    expected = 26 * 26 * 6 * 9 + 11 * 11 * 12 * 6 * 9 + 5 * 5 * 12 * 10
    assert checks.multiply_adds(model) == expected
    dense = _sequential(keras.layers.Flatten(), keras.layers.Dense(24))
    assert checks.multiply_adds(dense) == 784 * 24


@pytest.mark.parametrize(
    ("build", "match", "hint"),
    [
        (
            lambda L: [
                L.Flatten(),
                L.Dense(24, activation="relu"),
                L.Dense(10, activation="softmax"),
            ],
            "without a convolution",
            "keras.layers.Conv2D",
        ),
        (
            lambda L: [
                L.Conv2D(8, 5, activation="relu"),
                L.MaxPooling2D(2),
                L.Flatten(),
                L.Dense(10),
            ],
            "not probabilities",
            "Dense(10, activation='softmax')",
        ),
        (
            lambda L: [
                L.Conv2D(8, 5, activation="relu"),
                L.Flatten(),
                L.Dense(10, activation="softmax"),
            ],
            "over the budget",
            "pool (MaxPooling2D(2)) before flattening",
        ),
        (
            lambda L: [
                L.Conv2D(32, 3, activation="relu"),
                L.Conv2D(32, 3),
                L.GlobalMaxPooling2D(),
                L.Dense(10, activation="softmax"),
            ],
            "over the budget",
            "multiply-adds",
        ),
        (
            lambda L: [L.Conv2D(8, 5, activation="relu"), L.MaxPooling2D(2), L.Flatten()],
            "output has shape (1152,)",
            "Dense(10",
        ),
    ],
    ids=["no-convolution", "no-softmax", "no-pooling", "too-many-filters", "no-output-layer"],
)
@pytest.mark.full_data
def test_check_cnn_names_each_design_mistake(build, match, hint, fails_with):
    import keras

    def build_cnn(seed=0):
        return _sequential(*build(keras.layers), seed=seed)

    message = fails_with(checks.check_cnn, build_cnn, match=re.escape(match))
    assert hint in message


@pytest.mark.full_data
def test_check_cnn_names_a_flat_input_and_a_missing_seed(fails_with):
    import keras

    def flat(seed=0):
        return _sequential(
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
            input_shape=(784,),
        )

    assert "keras.Input(shape=(28, 28, 1))" in fails_with(checks.check_cnn, flat, match="inputs")

    message = fails_with(checks.check_cnn, _unseeded, match="other weights")
    assert "keras.utils.set_random_seed(seed)" in message

    def fixed_seed(seed=0):
        return checks.course_cnn(0)

    fails_with(checks.check_cnn, fixed_seed, match="gave the same weights")


def _unseeded(seed=0):
    import keras

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def test_the_threshold_sits_below_the_worst_measured_seed():
    assert checks.MIN_TEST_ACCURACY < 0.8681
    assert checks.MIN_TEST_ACCURACY >= 0.8681 - 0.03


@pytest.mark.training
def test_a_dense_network_within_the_budget_stays_below_the_threshold(fails_with):
    import keras

    def dense(seed=0):
        keras.utils.set_random_seed(seed)
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(1, 1),  # a convolution in name only: a pixel-wise scale
                keras.layers.Flatten(),
                keras.layers.Dense(24, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )

    checks.check_cnn(dense)
    fails_with(checks.check_cnn_accuracy, dense, match="reached test accuracy")


# ---------------------------------------------------------------------------------------------
# Through the self-check, as a student runs `pytest exercises`


# (answer cell, its new source, the test cell, what its message says)
WRITTEN_MISTAKES = {
    "flipped kernel": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            window = x[i : i + kh, j : j + kw]\n"
        "            out[i, j] = np.tensordot(window, kernel[::-1, ::-1], axes=3) + bias\n"
        "    return out\n",
        "test_conv2d",
        "the kernel flipped",
    ),
    "bias inside the loop over the taps": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for a in range(kh):\n"
        "        for b in range(kw):\n"
        "            out += x[a : a + out.shape[0], b : b + out.shape[1]] @ kernel[a, b] + bias\n"
        "    return out\n",
        "test_conv2d",
        "the bias added at every tap",
    ),
    "bias per input channel": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, channels, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for c in range(channels):\n"
        "        for i in range(out.shape[0]):\n"
        "            for j in range(out.shape[1]):\n"
        "                patch = x[i : i + kh, j : j + kw, c]\n"
        "                out[i, j] += np.einsum('ab,abo->o', patch, kernel[:, :, c]) + bias\n"
        "    return out\n",
        "test_conv2d",
        "the bias added once per input channel",
    ),
    "range(height - kh)": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh, x.shape[1] - kw, out_channels))\n"
        "    for i in range(x.shape[0] - kh):\n"
        "        for j in range(x.shape[1] - kw):\n"
        "            out[i, j] = np.tensordot(x[i : i + kh, j : j + kw], kernel, axes=3) + bias\n"
        "    return out\n",
        "test_conv2d",
        "one position too few in each direction (off by one)",
    ),
    "channels first": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((out_channels, x.shape[0] - kh + 1, x.shape[1] - kw + 1))\n"
        "    for o in range(out_channels):\n"
        "        for i in range(out.shape[1]):\n"
        "            for j in range(out.shape[2]):\n"
        "                window = x[i : i + kh, j : j + kw]\n"
        "                out[o, i, j] = np.sum(window * kernel[..., o]) + bias[o]\n"
        "    return out\n",
        "test_conv2d",
        "the channels first",
    ),
    "kernel axes transposed": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            for a in range(kh):\n"
        "                for b in range(kw):\n"
        "                    out[i, j] += x[i + a, j + b] @ kernel[b, a]\n"
        "    return out + bias\n",
        "test_conv2d",
        "the kernel's height and width swapped",
    ),
    "one channel only": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for o in range(out_channels):\n"
        "        for i in range(out.shape[0]):\n"
        "            for j in range(out.shape[1]):\n"
        "                window = x[i : i + kh, j : j + kw, 0]\n"
        "                out[i, j, o] = np.sum(window * kernel[:, :, 0, o]) + bias[o]\n"
        "    return out\n",
        "test_conv2d",
        "only the first input channel used",
    ),
    "stride ignored": (
        "conv_output_shape",
        "def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding='valid'):\n"
        "    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]\n"
        "    k2 = kernel_size if isinstance(kernel_size, int) else kernel_size[1]\n"
        "    if padding == 'same':\n"
        "        return (input_shape[0], input_shape[1], filters)\n"
        "    return (input_shape[0] - k + 1, input_shape[1] - k2 + 1, filters)\n",
        "test_conv_output_shape",
        "the stride ignored",
    ),
    "biases forgotten": (
        "conv_params",
        "def conv_params(input_shape, filters, kernel_size):\n"
        "    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size\n"
        "    return k[0] * k[1] * input_shape[2] * filters\n",
        "test_conv_params",
        "the biases forgotten",
    ),
    "pooling forgotten in the flatten size": (
        "network_numbers",
        lambda answer: answer.replace("7 * 7 * 20", "14 * 14 * 20"),
        "test_network_flatten_size",
        "how many windows start along the pooled size",
    ),
    "the lesson's network, too big": (
        "build_cnn",
        "def build_cnn(seed=0):\n    return mnist_course.build_cnn(seed=seed)\n",
        "test_cnn",
        "over the budget",
    ),
    "the window times the whole kernel": (
        "conv2d",
        "def conv2d(x, kernel, bias):\n"
        "    kh, kw, _, out_channels = kernel.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1, out_channels))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * kernel) + bias\n"
        "    return out\n",
        "test_conv2d",
        "multiplied by the whole kernel",
    ),
    "the output shape channels first": (
        "conv_output_shape",
        "def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding='valid'):\n"
        "    (kh, kw), (sh, sw) = [(v, v) if isinstance(v, int) else v for v in "
        "(kernel_size, strides)]\n"
        "    if padding == 'same':\n"
        "        return (filters, -(-input_shape[0] // sh), -(-input_shape[1] // sw))\n"
        "    return (filters, (input_shape[0] - kh) // sh + 1, (input_shape[1] - kw) // sw + 1)\n",
        "test_conv_output_shape",
        "the channels first",
    ),
    "the channels read from the height": (
        "conv_params",
        "def conv_params(input_shape, filters, kernel_size):\n"
        "    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size\n"
        "    return (k[0] * k[1] * input_shape[0] + 1) * filters\n",
        "test_conv_params",
        "not input_shape[0]",
    ),
    "a kernel size of one number unpacked": (
        "conv_output_shape",
        "def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding='valid'):\n"
        "    kh, kw = kernel_size\n"
        "    if padding == 'same':\n"
        "        return (-(-input_shape[0] // strides), -(-input_shape[1] // strides), filters)\n"
        "    return ((input_shape[0] - kh) // strides + 1, (input_shape[1] - kw) // strides + 1, "
        "filters)\n",
        "test_conv_output_shape",
        "use it for both the rows and the columns",
    ),
    "no Flatten before the output layer": (
        "build_cnn",
        "def build_cnn(seed=0):\n"
        "    keras.utils.set_random_seed(seed)\n"
        "    return keras.Sequential([keras.Input(shape=(28, 28, 1)), "
        "keras.layers.Conv2D(8, 3, activation='relu'), keras.layers.MaxPooling2D(4), "
        "keras.layers.Dense(10, activation='softmax')])\n",
        "test_cnn_accuracy",
        "fails because of your build_cnn()",
    ),
}


def student_notebook(tmp_path, replaced=None):
    """The released notebook with the model answers, some replaced: what a student has.

    ``replaced`` maps answer cells to their new source, or to a function of the model answer.
    """
    released = json.loads(release_notebook(EXERCISE).read_text())
    answers = notebook.model_answers(notebook.read_notebook_json(solution_notebook(EXERCISE)))
    for grade_id, source in (replaced or {}).items():
        answers[grade_id] = source(answers[grade_id]) if callable(source) else source
    for cell_id, answer in answers.items():
        notebook.find_cell(released, cell_id)["source"] = answer
    path = tmp_path / f"{EXERCISE}.ipynb"
    path.write_text(json.dumps(released))
    return path


def _students():
    """The written mistakes, grouped into as few notebooks as their cells allow (one checking
    process each): a conv2d mistake per notebook, the others beside the first ones."""
    conv2d_mistakes = [m for m, (cell, *_) in WRITTEN_MISTAKES.items() if cell == "conv2d"]
    others = [m for m in WRITTEN_MISTAKES if m not in conv2d_mistakes]
    students = [[mistake] for mistake in conv2d_mistakes]
    for n, mistake in enumerate(others):
        students[n % len(students)].append(mistake)
    return students


@pytest.mark.parametrize("mistakes", _students(), ids=lambda mistakes: " + ".join(mistakes))
@pytest.mark.sandbox
def test_a_mistake_as_a_student_writes_it_is_named_by_pytest_exercises(mistakes, tmp_path):
    replaced = {WRITTEN_MISTAKES[m][0]: WRITTEN_MISTAKES[m][1] for m in mistakes}
    assert len(replaced) == len(mistakes)
    tests = {WRITTEN_MISTAKES[m][2]: WRITTEN_MISTAKES[m][3] for m in mistakes}
    results = check_notebook(student_notebook(tmp_path, replaced), grade_ids=set(tests))
    for test_cell, named in tests.items():
        assert results[test_cell].outcome == "failed", results[test_cell]
        assert named in results[test_cell].message
        assert "Traceback" not in results[test_cell].message


@pytest.mark.sandbox
def test_the_released_notebook_without_its_training_passes_every_other_check(tmp_path):
    """Every check but the accuracy's (the end-to-end grading test trains it)."""
    tests = {
        cell["metadata"]["nbgrader"]["grade_id"]
        for cell in notebook.read_notebook_json(solution_notebook(EXERCISE))["cells"]
        if cell["metadata"].get("nbgrader", {}).get("grade")
    }
    results = check_notebook(student_notebook(tmp_path), grade_ids=tests - {"test_cnn_accuracy"})
    outcomes = {g: r.outcome for g, r in results.items()}
    assert len(outcomes) == 9 and set(outcomes.values()) == {"passed"}, outcomes
