"""The convolution exercise's reference: the course's numpy convolution is what Keras's Conv2D
computes, for several input and output channels and kernels that are not square."""

import numpy as np
import pytest

from mnist_course.checks._convolution import conv2d


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
