"""Checks of the convolution exercise: a 2-D convolution in numpy as Keras's ``Conv2D``
computes it, the output shapes and parameter counts of convolutional layers derived, and a
small convolutional network of the student's design that reads digits within a budget.

The convolution is compared with the course's own (:func:`._convolution.conv2d`, proved equal
to ``keras.layers.Conv2D`` by the tests) on random arrays whose sizes all differ (height,
width, kernel height and width, input and output channels), so that a swapped axis cannot fit
by chance; a wrong result is compared with what the usual mistakes give (:data:`MISTAKES`)
and the message names the one it matches. The derived sizes are compared with Keras's own
formulas on configurations the notebook does not show.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ._convolution import conv2d as course_conv2d
from ._inputs import prepared
from ._messages import as_array, blame, blaming_helpers, describe, fail, quiet, raised_in
from ._reference import TEST_SIZE, deterministic
from ._state import CheckFailed

GRADING_SECONDS = 5  # alone, as graded: see mnist_course.checks.grading_seconds

# ---------------------------------------------------------------------------------------------
# Part A: the convolution by hand


def small_convolution(seed, *, shape=(10, 7, 3), kernel_shape=(3, 3, 3, 4)):
    """Random ``x``, ``kernel`` and ``bias`` of the given shapes (float64).

    Examples
    --------
    >>> [a.shape for a in small_convolution(0)]
    [(10, 7, 3), (3, 3, 3, 4), (4,)]
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    kernel = rng.normal(size=kernel_shape)
    bias = rng.normal(0, 1, size=kernel_shape[3])
    return x, kernel, bias


def _taps(kernel):
    return kernel.shape[0] * kernel.shape[1]


MISTAKES = {
    "the kernel flipped (a true convolution, not Keras's cross-correlation)": (
        lambda x, kernel, bias: course_conv2d(x, kernel[::-1, ::-1], bias),
        "Conv2D does not flip the kernel: output [i, j, o] multiplies x[i + a, j + b, c] by "
        "kernel[a, b, c, o], the kernel's top-left tap on the window's top-left pixel. "
        "Index the kernel with a and b as they are, not kh - 1 - a",
    ),
    "the kernel's height and width swapped": (
        lambda x, kernel, bias: course_conv2d(x, kernel.transpose(1, 0, 2, 3), bias),
        "the kernel's layout is (kernel_height, kernel_width, in_channels, out_channels): "
        "kernel[a, b] is the tap a rows down and b columns right; x[i + a, j + b] goes with "
        "kernel[a, b]",
    ),
    "the bias forgotten": (
        lambda x, kernel, bias: course_conv2d(x, kernel, 0 * bias),
        "add bias[o] to every position of output channel o, once, after the sum",
    ),
    "the bias added at every tap of the kernel": (
        lambda x, kernel, bias: course_conv2d(x, kernel, bias) + (_taps(kernel) - 1) * bias,
        "the bias is added once per output value, after the sum over the window, not once "
        "per kernel tap inside the loop over a and b",
    ),
    "the bias added once per input channel": (
        lambda x, kernel, bias: course_conv2d(x, kernel, bias) + (x.shape[2] - 1) * bias,
        "the bias is added once per output value, after the sum over the input channels, not "
        "once per input channel",
    ),
    "the bias added at every tap and input channel": (
        lambda x, kernel, bias: (
            course_conv2d(x, kernel, bias) + (_taps(kernel) * x.shape[2] - 1) * bias
        ),
        "the bias is added once per output value, after the whole sum, not inside the loops",
    ),
    "only the first input channel used": (
        lambda x, kernel, bias: course_conv2d(x[..., :1], kernel[:, :, :1], bias),
        "each output value sums over every input channel c as well as over the window: "
        "x[i + a, j + b, c] * kernel[a, b, c, o] for every c (an MNIST image has one channel, "
        "a colour image or the output of another Conv2D has several)",
    ),
    "the window averaged instead of summed": (
        lambda x, kernel, bias: course_conv2d(x, kernel, 0 * bias) / _taps(kernel) + bias,
        "a convolution sums the products over the window; it does not divide by the number "
        "of taps (that would be average pooling, and the kernel's weights can learn any scale)",
    ),
    "an activation applied (ReLU)": (
        lambda x, kernel, bias: np.maximum(course_conv2d(x, kernel, bias), 0),
        "conv2d is the layer without its activation: Conv2D(..., activation='relu') applies "
        "the ReLU after the convolution; return the sums plus the bias, negative values too",
    ),
}
"""Each named mistake of the convolution that gives an output of the right shape: what it
computes and the fix."""


def _shape_mistake(found, x_shape, kernel_shape):
    """Name the mistake that gives an output of shape ``found``, or return None."""
    (height, width, in_channels), (kh, kw, _, out_channels) = x_shape, kernel_shape
    h, w = height - kh + 1, width - kw + 1
    named = {
        (out_channels, h, w): (
            "the channels first",
            "Keras keeps the channels last: output [i, j, o], of shape (height, width, "
            "out_channels); np.moveaxis(out, 0, -1) if you built it channels first",
        ),
        (h - 1, w - 1, out_channels): (
            "one position too few in each direction (off by one)",
            f"a window of {kh} rows fits at {height} - {kh} + 1 = {h} positions down an image "
            f"of {height} rows: range(height - kh + 1), not range(height - kh)",
        ),
        (h + 1, w + 1, out_channels): (
            "one position too many in each direction (off by one)",
            f"a window of {kh} rows fits at {height} - {kh} + 1 = {h} positions down an image "
            f"of {height} rows; the last window starts at row {height - kh}",
        ),
        (height, width, out_channels): (
            "padding 'same' instead of 'valid'",
            "padding='valid' adds no border: the window stays inside the image, so the output "
            f"has {height} - {kh} + 1 rows and {width} - {kw} + 1 columns",
        ),
        (w, h, out_channels): (
            "the output's height and width swapped",
            "output [i, j] is the window whose top-left pixel is x[i, j]: row i, column j",
        ),
        (height - kw + 1, width - kh + 1, out_channels): (
            "the kernel's height and width swapped",
            "the kernel's layout is (kernel_height, kernel_width, in_channels, out_channels): "
            "kernel.shape[0] rows, kernel.shape[1] columns",
        ),
        (h, w): (
            "the output channels summed together (or only one computed)",
            "each output channel o has its own filter kernel[:, :, :, o] and its own bias[o]: "
            "one output channel per filter",
        ),
        (h, w, in_channels, out_channels): (
            "the input channels not summed",
            "each output value sums over the input channels too: one number per (i, j, o)",
        ),
    }
    return named.get(tuple(found))


def _call_conv2d(conv2d, call, x, kernel, bias):
    try:
        return conv2d(x.copy(), kernel.copy(), bias.copy())
    except (ValueError, IndexError) as error:
        window = tuple(kernel.shape[:3])
        if f"shapes {window} {tuple(kernel.shape)}".replace(" ", "") in str(error).replace(
            " ", ""
        ) or f"shapes {tuple(kernel.shape)} {window}".replace(" ", "") in str(error).replace(
            " ", ""
        ):
            fail(
                f"{call} raised ValueError: a window of shape {window} was multiplied by the "
                f"whole kernel, of shape {tuple(kernel.shape)}.",
                expected=f"an output of shape {course_conv2d(x, kernel, bias).shape}",
                returned="ValueError, arrays whose shapes do not fit together",
                hint="the kernel holds one filter per output channel: output channel o "
                "multiplies the window by its own filter kernel[:, :, :, o] and adds bias[o]",
            )
        fail(
            f"{call} raised {type(error).__name__}: {str(error).splitlines()[0][:200]}",
            expected=f"an output of shape {course_conv2d(x, kernel, bias).shape}",
            returned=f"{type(error).__name__}, arrays whose shapes do not fit together",
            hint="x is (height, width, in_channels), channels last; kernel is (kernel_height, "
            "kernel_width, in_channels, out_channels), as Conv2D's weights (not PyTorch's "
            "(out, in, height, width)); read the sizes from the shapes "
            "(kh, kw, in_channels, out_channels = kernel.shape) and make the output "
            "(height - kh + 1, width - kw + 1, out_channels)",
        )


@quiet
def check_conv2d(conv2d, *, seed=0, shape=(10, 7, 3), kernel_shape=(3, 3, 3, 4)):
    """Check ``conv2d(x, kernel, bias)`` against the course's convolution (Keras's ``Conv2D``,
    padding 'valid', stride 1, channels last) and name the usual mistake it matches.

    Examples
    --------
    >>> check_conv2d(course_conv2d)
    >>> check_conv2d(course_conv2d, seed=3, shape=(9, 12, 2), kernel_shape=(2, 4, 2, 5))
    """
    x, kernel, bias = small_convolution(seed, shape=shape, kernel_shape=kernel_shape)
    call = f"conv2d(x, kernel, bias) for x {x.shape}, kernel {kernel.shape}, bias {bias.shape}"
    expected = course_conv2d(x, kernel, bias)
    result = as_array(_call_conv2d(conv2d, call, x, kernel, bias), call, "the output")
    if result.shape != expected.shape:
        named = _shape_mistake(result.shape, x.shape, kernel.shape)
        mistake, hint = named or (
            "an output of the wrong shape",
            "padding 'valid', stride 1: (height - kh + 1, width - kw + 1, out_channels)",
        )
        fail(
            f"{call} returned {mistake}.",
            expected=f"an output of shape {expected.shape}: (height - kh + 1, width - kw + 1, "
            "out_channels)",
            returned=describe(result),
            hint=hint,
        )
    result = result.astype(np.float64)
    if np.allclose(result, expected, rtol=1e-5, atol=1e-6):
        return
    mistake, hint = next(
        (
            (name, fix)
            for name, (mistaken, fix) in MISTAKES.items()
            if np.allclose(result, mistaken(x, kernel, bias), rtol=1e-5, atol=1e-6)
        ),
        (
            "other values",
            "output [i, j, o] = bias[o] + the sum over a, b and c of x[i + a, j + b, c] * "
            "kernel[a, b, c, o]; try it on a 1x1 kernel first, then a 2x2 one with one channel",
        ),
    )
    fail(
        f"{call} returned {mistake}.",
        expected=f"output[0, 0] = {np.round(expected[0, 0], 4).tolist()}",
        returned=f"output[0, 0] = {np.round(result[0, 0], 4).tolist()}",
        hint=hint,
    )


# ---------------------------------------------------------------------------------------------
# Part B: sizes derived


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def course_conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    """The output shape of ``Conv2D(filters, kernel_size, strides, padding)`` on one image.

    Examples
    --------
    >>> course_conv_output_shape((28, 28, 1), 8, 5)
    (24, 24, 8)
    >>> course_conv_output_shape((7, 9, 3), 4, (3, 2), strides=2, padding="same")
    (4, 5, 4)
    """
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    height, width = input_shape[0], input_shape[1]
    if padding == "same":
        return (math.ceil(height / sh), math.ceil(width / sw), filters)
    return ((height - kh) // sh + 1, (width - kw) // sw + 1, filters)


def course_conv_params(input_shape, filters, kernel_size):
    """The number of parameters of ``Conv2D(filters, kernel_size)`` on images of that shape.

    Examples
    --------
    >>> course_conv_params((28, 28, 1), 8, 5)
    208
    """
    kh, kw = _pair(kernel_size)
    return kh * kw * input_shape[2] * filters + filters


SHAPE_CASES = [
    ((28, 28, 1), 8, 5, 1, "valid"),
    ((28, 28, 1), 16, 3, 1, "same"),
    ((13, 13, 8), 16, 3, 2, "valid"),
    ((13, 13, 8), 16, 3, 2, "same"),
    ((32, 20, 3), 6, (5, 3), 1, "valid"),
    ((32, 20, 3), 6, (5, 3), (2, 3), "valid"),
]
"""The layers the visible check of ``conv_output_shape`` asks about: (input_shape, filters,
kernel_size, strides, padding)."""

HIDDEN_SHAPE_CASES = [
    ((64, 48, 3), 10, 7, 3, "valid"),
    ((64, 48, 3), 10, 7, 3, "same"),
    ((11, 17, 4), 2, (4, 6), (1, 2), "valid"),
    ((9, 10, 5), 7, 2, 4, "same"),
    ((100, 3, 2), 1, (10, 1), 5, "valid"),
]
"""Other layers, for the hidden test."""

PARAM_CASES = [((28, 28, 1), 8, 5), ((12, 12, 8), 16, 3), ((32, 20, 3), 6, (5, 3))]
HIDDEN_PARAM_CASES = [((64, 48, 3), 10, 7), ((11, 17, 4), 2, (4, 6)), ((9, 9, 32), 64, 1)]


def _shape_variants(input_shape, filters, kernel_size, strides, padding):
    """What the usual mistakes give for one layer: {mistake: (shape, fix)}."""
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    height, width, channels = input_shape
    valid = ((height - kh) // sh + 1, (width - kw) // sw + 1, filters)
    same = (math.ceil(height / sh), math.ceil(width / sw), filters)
    return {
        "padding ignored (the 'valid' size for padding='same')": (
            valid,
            "padding='same' pads the image so that every pixel gets a window: with stride 1 "
            "the output has the input's height and width; with stride s, ceil(size / s)",
        ),
        "padding ignored (the 'same' size for padding='valid')": (
            same,
            "padding='valid' adds no border: the window stays inside the image, "
            "(size - kernel) // stride + 1 positions",
        ),
        "the stride ignored": (
            (height - kh + 1, width - kw + 1, filters)
            if padding == "valid"
            else (height, width, filters),
            "a stride s moves the window s pixels at a time: about 1/s as many positions",
        ),
        "one position too few (size - kernel)": (
            ((height - kh) // sh, (width - kw) // sw, filters) if padding == "valid" else same,
            "count the positions: the first window starts at 0 and the last at size - kernel, "
            "so (size - kernel) // stride + 1 of them",
        ),
        "(size - kernel + 1) divided by the stride": (
            ((height - kh + 1) // sh, (width - kw + 1) // sw, filters)
            if padding == "valid"
            else same,
            "the window starts at 0, s, 2s, ... as long as it fits: (size - kernel) // stride "
            "+ 1 positions, not (size - kernel + 1) // stride",
        ),
        "size // stride rounded down for padding='same'": (
            (height // sh, width // sw, filters) if padding == "same" else valid,
            "with padding='same' every start 0, s, 2s, ... below the size gets a window: "
            "ceil(size / stride), rounded up (math.ceil or -(-size // stride))",
        ),
        "the input's channels kept": (
            (*(same if padding == "same" else valid)[:2], channels),
            "a Conv2D layer has one output channel per filter: the last size is filters",
        ),
        "the channels first": (
            (filters, *(same if padding == "same" else valid)[:2]),
            "Keras keeps the channels last: (height, width, channels), the filters last",
        ),
        "the kernel's height and width swapped": (
            (
                ((height - kw) // sh + 1, (width - kh) // sw + 1, filters)
                if padding == "valid"
                else same
            ),
            "kernel_size is (height, width): the height of the kernel slides down the rows",
        ),
    }


def _configuration(input_shape, filters, kernel_size, strides, padding):
    return (
        f"conv_output_shape({input_shape}, {filters}, {kernel_size!r}, strides={strides!r}, "
        f"padding={padding!r})"
    )


EARLIER = {"conv_output_shape": "test_conv_output_shape", "conv_params": "test_conv_params"}
"""The functions of Part B that network_numbers may call, and their own checks."""


def _call_with_pairs(function, call, *args, **kwargs):
    """Call conv_output_shape or conv_params; a kernel_size or strides given as one number
    that the function unpacks as a pair is named."""
    try:
        return function(*args, **kwargs)
    except TypeError as error:
        if "cannot unpack non-iterable int object" not in str(error):
            raise
        _, code = raised_in(error)
        fail(
            f"{call} raised TypeError: cannot unpack non-iterable int object"
            + (f" at `{code.strip()}`" if code else "")
            + ".",
            expected="kernel_size and strides taken as Conv2D takes them: a number or a pair",
            returned="an error: a single number was unpacked as a pair",
            hint="Conv2D(8, 5) means a 5 x 5 kernel: when kernel_size (or strides) is a "
            "number, use it for both the rows and the columns before unpacking",
        )


@quiet
def check_conv_output_shape(conv_output_shape, *, cases=None):
    """Check ``conv_output_shape(input_shape, filters, kernel_size, strides=1,
    padding="valid")`` against Keras's formulas on several layers.

    Examples
    --------
    >>> check_conv_output_shape(course_conv_output_shape)
    >>> check_conv_output_shape(course_conv_output_shape, cases=HIDDEN_SHAPE_CASES)
    """
    cases = SHAPE_CASES if cases is None else cases
    found = []
    for case in cases:
        input_shape, filters, kernel_size, strides, padding = case
        result = _call_with_pairs(
            conv_output_shape,
            _configuration(*case),
            input_shape,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
        )
        expected = course_conv_output_shape(*case)
        try:
            shape = tuple(int(v) for v in result)
            if any(float(v) != int(v) for v in result):
                shape = tuple(float(v) for v in result)
        except (TypeError, ValueError):
            fail(
                f"{_configuration(*case)} did not return a shape.",
                expected=f"a tuple of three whole numbers, here {expected}",
                returned=describe(result),
                hint="return (height, width, channels)",
            )
        found.append(shape)
    wrong = [i for i, case in enumerate(cases) if found[i] != course_conv_output_shape(*case)]
    if not wrong:
        return
    first = cases[wrong[0]]
    variants = [_shape_variants(*case) for case in cases]
    # the mistake that gives every shape the function returned, else one that gives the first
    # wrong one
    mistake, hint = next(
        (
            (name, fix)
            for name, (_, fix) in variants[0].items()
            if all(found[i] == variants[i][name][0] for i in range(len(cases)))
        ),
        next(
            (
                (name, fix)
                for name, (shape, fix) in variants[wrong[0]].items()
                if found[wrong[0]] == shape
            ),
            (
                "another shape",
                "padding='valid': (size - kernel) // stride + 1; padding='same': "
                "ceil(size / stride); channels: filters",
            ),
        ),
    )
    fail(
        f"{_configuration(*first)} returned {found[wrong[0]]}: {mistake}.",
        expected=f"{course_conv_output_shape(*first)}, as Keras's Conv2D gives it",
        returned=f"{found[wrong[0]]}",
        hint=hint,
    )


def _param_variants(input_shape, filters, kernel_size):
    kh, kw = _pair(kernel_size)
    channels = input_shape[2]
    weights = kh * kw * channels * filters
    h, w = input_shape[0] - kh + 1, input_shape[1] - kw + 1
    return {
        "the biases forgotten": (
            weights,
            "each filter has one bias as well as its weights: + filters",
        ),
        "the input channels forgotten": (
            kh * kw * filters + filters,
            "each filter spans every input channel: kh * kw * in_channels weights",
        ),
        "one bias per weight": (
            2 * weights,
            "one bias per filter (per output channel), not per weight",
        ),
        "one bias per input channel": (
            weights + channels * filters,
            "one bias per filter (per output channel), added once after the sum",
        ),
        "a kernel for every output position (no weight sharing)": (
            h * w * (weights + filters),
            "the same kernel slides over every position: the parameters do not depend on the "
            "image's height and width",
        ),
        "the image's height taken for its channels": (
            (kh * kw * input_shape[0] + 1) * filters,
            "input_shape is (height, width, channels), channels last: the input channels are "
            "input_shape[2] (or input_shape[-1]), not input_shape[0]",
        ),
        "the image counted as the kernel": (
            input_shape[0] * input_shape[1] * channels * filters + filters,
            "the weights are the kernel's: kh * kw * in_channels per filter, not the image's "
            "height * width",
        ),
    }


@quiet
def check_conv_params(conv_params, *, cases=None):
    """Check ``conv_params(input_shape, filters, kernel_size)`` against Keras's count.

    Examples
    --------
    >>> check_conv_params(course_conv_params)
    >>> check_conv_params(course_conv_params, cases=HIDDEN_PARAM_CASES)
    """
    for case in PARAM_CASES if cases is None else cases:
        call = f"conv_params{case!r}"
        result = _call_with_pairs(conv_params, call, *case)
        expected = course_conv_params(*case)
        try:
            found = float(result)
        except (TypeError, ValueError):
            fail(
                f"{call} did not return a number.",
                expected=f"the number of parameters, here {expected}",
                returned=describe(result),
                hint="return one whole number",
            )
        if found == expected:
            continue
        mistake, hint = (
            "another count",
            ("each of the filters has kh * kw * in_channels weights and one bias"),
        )
        for name, (count, fix) in _param_variants(*case).items():
            if found == count:
                mistake, hint = name, fix
                break
        fail(
            f"{call} returned {found:g}: {mistake}.",
            expected=f"{expected}, as Keras's Conv2D counts them",
            returned=f"{found:g}",
            hint=hint,
        )


NETWORK = {"input_shape": (32, 32, 3), "filters": 10, "kernel_size": 5, "pool": 2}
"""The network that Part B describes in words: 32x32 colour images, Conv2D(10, 5) 'valid',
MaxPooling2D(2), Conv2D(20, 3, strides=2, padding='same'), Flatten."""


NUMBER_DIGESTS = {
    "shape_after_pooling": "805c81b52ac7cdfdf999b115f5b80a18664e05cf3c998cf58288904ed799b715",
    "flatten_size": "38879b6376fbabdc8fbfb85f6b11a296aca6de14093a54881b73528b62848d8c",
    "multiply_adds": "8b92687bf3821c177de0f2de5455cbf459a06707f09d25c9f12399cfddb9af8e",
    "unshared_params": "ccfe55724bd6a1bf11ed1495bc8f07b811efed9e2a0f0c96ecb00e5dc41f2512",
    "dense_params": "07f511e9834024e3e7b6725317f6a82832d8a5cf8ad63c2dd4c607bf4edd248b",
}
"""The SHA-256 of each answer about :data:`NETWORK` (:func:`answer_digest`), not the answers:
the package is on every student's machine. ``tests/checks/test_ex09_convolution.py`` derives
the answers from Keras's own layers and checks them against these digests."""


def answer_digest(value):
    """SHA-256 of an answer written in whole numbers (a number, or a tuple of numbers), the same
    however it is written (``980``, ``980.0``, ``np.int64(980)``; a list for a tuple), or None.

    Examples
    --------
    >>> answer_digest(980) == answer_digest(980.0) == NUMBER_DIGESTS["flatten_size"]
    True
    >>> answer_digest("980") is None
    True
    """
    try:
        if isinstance(value, tuple | list | np.ndarray):
            numbers = [float(v) for v in value]
            canonical = tuple(int(v) for v in numbers)
        elif isinstance(value, int | float | np.integer | np.floating):
            numbers = [float(value)]
            canonical = int(numbers[0])
        else:
            return None
    except (TypeError, ValueError, OverflowError):
        return None
    if not all(math.isfinite(v) and v == int(v) for v in numbers):
        return None
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


NUMBER_QUESTIONS = {
    "shape_after_pooling": "the shape of one image's output after the max-pooling layer",
    "flatten_size": "the number of values that Flatten gives per image",
    "multiply_adds": "the multiplications the first Conv2D layer makes for one image",
    "unshared_params": "the first layer's parameters if every output position had its own "
    "kernel and biases (no weight sharing)",
    "dense_params": "the parameters of a Dense layer that maps the flattened image to as many "
    "outputs as the first Conv2D layer has",
}

NUMBER_HINTS = {
    "shape_after_pooling": "at how many positions does a 5 x 5 window fit along 32 pixels with "
    "padding 'valid'? What does MaxPooling2D(2) do to the height, the width and the channels?",
    "flatten_size": "the second Conv2D has stride 2 and padding 'same': how many windows start "
    "along the pooled size, one every 2 pixels? How many channels does it give? Flatten "
    "multiplies the three",
    "multiply_adds": "how many values does layer 1 output, and how many products does each of "
    "them sum (the window's rows x columns x input channels)?",
    "unshared_params": "what does layer 1 learn for one position (your conv_params), and at how "
    "many positions would that be repeated?",
    "dense_params": "a Dense layer connects every input to every output and adds one bias per "
    "output: how many inputs (the flattened image) and outputs (layer 1's output, flattened)?",
}


def _helpers():
    """The functions of :data:`EARLIER`: their own checks and the course's own version."""
    own = {"conv_output_shape": check_conv_output_shape, "conv_params": check_conv_params}
    return {
        name: (grade_id, own[name], f"{__name__}:course_{name}")
        for name, grade_id in EARLIER.items()
    }


@blaming_helpers(_helpers)
@quiet
def check_network_number(network_numbers, *, key):
    """Check one of the numbers that ``network_numbers()`` returns, a dict.

    Examples
    --------
    >>> check_network_number(lambda: {"flatten_size": 980}, key="flatten_size")
    """
    call = "network_numbers()"
    try:
        result = network_numbers()
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as error:
        where, _ = raised_in(error)
        if where in EARLIER:  # raised in conv_output_shape() or conv_params(), which it called
            blame(where, EARLIER[where], f"raised {type(error).__name__} when {call} called it")
        raise
    if not isinstance(result, dict) or key not in result:
        fail(
            f"{call} has no answer for {key!r}.",
            expected=f"a dict with the keys {list(NUMBER_QUESTIONS)}",
            returned=describe(result),
            hint="return {'shape_after_pooling': (..., ..., ...), 'flatten_size': ..., ...}",
        )
    value = result[key]
    if answer_digest(value) != NUMBER_DIGESTS[key]:
        form = "a tuple of three whole numbers" if key == "shape_after_pooling" else "a number"
        fail(
            f"{call}[{key!r}] is not {NUMBER_QUESTIONS[key]}.",
            expected=f"{NUMBER_QUESTIONS[key]} ({form}), worked out from the description",
            returned=describe(value),
            hint=NUMBER_HINTS[key],
        )


# ---------------------------------------------------------------------------------------------
# Part C: a small CNN of the student's design

MAX_PARAMS = 20000
"""Parameters the student's network may have at most."""

MAX_MULTIPLY_ADDS = 300000
"""Multiply-adds per image the student's network may make at most (what training costs)."""

CNN_TRAIN_SIZE = 5000
"""Training images (the first ones) that the accuracy check trains on, for 1 epoch at batch
size 32, with the course's compile_model (Adam 0.001): a CNN costs several times an MLP's time
per image, and grading this exercise must not take longer than exercise 5's."""

MIN_TEST_ACCURACY = 0.85
"""Test accuracy that :func:`check_cnn_accuracy` asks for: the model answer's worst of 10 seeds
minus a margin of about 0.02 (1.6 standard deviations of the seed-to-seed spread, as exercise
5's threshold).

Measured with the exercise's model answer (:func:`course_cnn`: Conv2D(8, 5) relu,
MaxPooling2D(2), Flatten, Dense(10) softmax; 11,738 parameters, 126,720 multiply-adds per
image), trained as the check trains (:func:`measure_cnn_accuracy`: the course's
``compile_model``, 1 epoch on the first 5,000 training images at batch size 32, one TensorFlow
thread) and tested on the 10,000 test images; ``benchmarks/bench_accuracy_threshold.py
--exercise ex09_convolution`` repeats it::

    seed      0      1      2      3      4      5      6      7      8      9
    accuracy  0.8902 0.8836 0.8681 0.8813 0.8764 0.9056 0.9001 0.8926 0.8934 0.8868

    mean 0.8878, standard deviation 0.0111, worst 0.8681 (seed 2), margin 0.0181 -> 0.85

For comparison, on the same budget: a dense network 784-24-10 (19,090 parameters, within the
budget) reached 0.8250, 0.8417 and 0.8187 (seeds 0 to 2); two Conv2D(8, 3) / Conv2D(16, 3)
blocks with pooling (5,258 parameters) 0.8608 (seed 0). Each run took 15 to 60 s on a shared
2-core machine (load average 13 to 16), the course's MLP on exercise 5's 10,000 images 13 s.
"""


def multiply_adds(model):
    """Multiply-adds per image of a Keras model's layers that have a kernel.

    A layer's count is the size of its kernel(s) times the positions it is applied at (the
    output's height times width for Conv2D, 1 for Dense on a flat input).

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 5),
    ...     keras.layers.Flatten(), keras.layers.Dense(10)])
    >>> multiply_adds(model) == 24 * 24 * 8 * 25 + 24 * 24 * 8 * 10
    True
    """
    total = 0
    for layer in _layers(model):
        kernels = [w for w in layer.weights if len(w.shape) >= 2]
        if not kernels:
            continue
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):  # a layer used more than once has no one output
            shape = (None, None)
        positions = math.prod(int(s) for s in shape[1:-1] if s is not None)
        total += positions * sum(math.prod(int(s) for s in w.shape) for w in kernels)
    return total


def _layers(model):
    """Every layer of a model, those of nested models included."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _layers(layer)
        else:
            yield layer


def _student_model(build_cnn, call, seed):
    import keras

    model = build_cnn(seed=seed)
    if not isinstance(model, keras.Model):
        fail(
            f"{call} did not return a Keras model.",
            expected="a keras.Model (keras.Sequential([...]))",
            returned=describe(model),
            hint="end with `return model`",
        )
    return model


def _describe_layers(model):
    return ", ".join(type(layer).__name__ for layer in _layers(model))


@quiet
def check_cnn(build_cnn, *, seed=0):
    """Check ``build_cnn(seed=...)``: a model for (28, 28, 1) images with a convolution,
    softmax probabilities for the 10 digits, within :data:`MAX_PARAMS` and
    :data:`MAX_MULTIPLY_ADDS`, the same weights for the same seed.

    Examples
    --------
    >>> check_cnn(course_cnn)
    """
    import keras

    call = f"build_cnn(seed={seed})"
    model = _student_model(build_cnn, call, seed)
    input_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    if input_shape != (28, 28, 1):
        fail(
            f"{call} returned a model for inputs of shape {input_shape}.",
            expected="inputs of shape (28, 28, 1): an image, channels last",
            returned=f"inputs of shape {input_shape}",
            hint="start with keras.Input(shape=(28, 28, 1)); the check gives the images as "
            "x.reshape(-1, 28, 28, 1), and a convolution needs the image's rows and columns",
        )
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in _layers(model)):
        fail(
            f"{call} returned a model without a convolution.",
            expected="at least one keras.layers.Conv2D layer",
            returned=f"the layers {_describe_layers(model)}",
            hint="start with keras.layers.Conv2D(filters, kernel_size, activation='relu')",
        )
    output_shape = tuple(model.outputs[0].shape[1:])
    if output_shape != (10,):
        fail(
            f"{call} returned a model whose output has shape {output_shape}.",
            expected="one output per digit: shape (10,)",
            returned=f"shape {output_shape}",
            hint="Flatten the feature maps, then end with keras.layers.Dense(10, "
            "activation='softmax')",
        )
    x = prepared(16, split="test")[0].reshape(-1, 28, 28, 1)
    p = np.asarray(model(x, training=False), dtype=np.float64)
    if not (np.all(p >= 0) and np.allclose(p.sum(axis=1), 1, atol=1e-4)):
        fail(
            f"{call} returned a model whose outputs are not probabilities.",
            expected="each row of outputs at least 0 and summing to 1 (a softmax)",
            returned=f"the first row {np.round(p[0], 3).tolist()}",
            hint="the course's loss, categorical cross-entropy, takes probabilities: end with "
            "Dense(10, activation='softmax')",
        )
    params, adds = model.count_params(), multiply_adds(model)
    if params > MAX_PARAMS or adds > MAX_MULTIPLY_ADDS:
        fail(
            f"{call} returned a model over the budget.",
            expected=f"at most {MAX_PARAMS:,} parameters and {MAX_MULTIPLY_ADDS:,} "
            "multiply-adds per image",
            returned=f"{params:,} parameters, {adds:,} multiply-adds per image",
            hint="a Dense layer on a large Flatten costs parameters, many filters at full "
            "resolution cost multiply-adds: pool (MaxPooling2D(2)) before flattening and "
            "keep few filters (Part B counts both)",
        )
    again = _student_model(build_cnn, call, seed)
    if not all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for a, b in zip(model.get_weights(), again.get_weights(), strict=True)
    ):
        fail(
            f"{call} gave other weights when called again.",
            expected="the same initial weights for the same seed, so that a grade repeats",
            returned="other weights",
            hint="call keras.utils.set_random_seed(seed) first, before building the layers",
        )
    other = _student_model(build_cnn, f"build_cnn(seed={seed + 1})", seed + 1)
    if all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for a, b in zip(model.get_weights(), other.get_weights(), strict=False)
    ):
        fail(
            f"build_cnn(seed={seed + 1}) gave the same weights as {call}.",
            expected="other initial weights for another seed",
            returned="the same weights",
            hint="seed with the argument: keras.utils.set_random_seed(seed)",
        )


def course_cnn(seed=0):
    """The exercise's model answer: Conv2D(8, 5) relu, MaxPooling2D(2), Flatten, Dense(10)
    softmax (11,738 parameters, 126,720 multiply-adds per image).

    Examples
    --------
    >>> model = course_cnn()
    >>> model.count_params(), multiply_adds(model)
    (11738, 126720)
    """
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(8, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def measure_cnn_accuracy(model, *, seed=0):
    """Train a model as :func:`check_cnn_accuracy` does and return its test accuracy.

    Examples
    --------
    >>> measure_cnn_accuracy(course_cnn(0), seed=0)  # doctest: +SKIP
    0.8...
    """
    from ..training import fit_and_evaluate

    x_train, y_train = prepared(CNN_TRAIN_SIZE, split="train")
    x_test, y_test = prepared(TEST_SIZE, split="test")
    deterministic(seed)
    run = fit_and_evaluate(
        model,
        x_train.reshape(-1, 28, 28, 1),
        y_train,
        x_test.reshape(-1, 28, 28, 1),
        y_test,
        epochs=1,
        seed=seed,
        batch_size=32,
        verbose=0,
    )
    return run.test_accuracy


@quiet
def check_cnn_accuracy(build_cnn, *, seed=0):
    """Check that the model of ``build_cnn(seed=...)``, trained as the course trains it,
    reaches :data:`MIN_TEST_ACCURACY`.

    Examples
    --------
    >>> check_cnn_accuracy(course_cnn)  # doctest: +SKIP
    """
    import keras

    call = f"build_cnn(seed={seed})"
    model = _student_model(build_cnn, call, seed)
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in _layers(model)):
        blame("build_cnn", "test_cnn", "returned a model without a convolution; it is not trained")
    output_shape = tuple(model.outputs[0].shape[1:]) if model.outputs else None
    if output_shape != (10,):
        blame(
            "build_cnn",
            "test_cnn",
            f"returned a model whose output has shape {output_shape}, not one probability per "
            "digit; it is not trained",
        )
    params, adds = model.count_params(), multiply_adds(model)
    if params > MAX_PARAMS or adds > MAX_MULTIPLY_ADDS:
        blame(
            "build_cnn",
            "test_cnn",
            f"returned a model over the budget ({params:,} parameters, {adds:,} multiply-adds "
            "per image); it is not trained",
        )
    accuracy = measure_cnn_accuracy(model, seed=seed)
    if not accuracy >= MIN_TEST_ACCURACY:
        fail(
            f"the model of {call}, trained 1 epoch on the first {CNN_TRAIN_SIZE:,} training "
            f"images, reached test accuracy {accuracy:.4f}.",
            expected=f"at least {MIN_TEST_ACCURACY}",
            returned=f"{accuracy:.4f}",
            hint="a ReLU after each Conv2D, a MaxPooling2D(2) after it, then Flatten and "
            "Dense(10, activation='softmax'); more filters (within the budget) or a larger "
            "kernel often help; no Dropout is needed for one epoch",
        )
