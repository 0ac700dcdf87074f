"""The course's own 2-D convolution in numpy, as Keras's ``Conv2D`` computes it (for the
convolution exercise's checks and the CNN lesson): valid padding, stride 1, channels last."""

from __future__ import annotations

import numpy as np


def conv2d(x, kernel, bias):
    """Slide ``kernel`` over ``x`` as ``keras.layers.Conv2D(padding="valid")`` does.

    Keras computes a cross-correlation (the kernel is not flipped): output ``[i, j, o]`` is
    ``bias[o]`` plus the sum over ``a, b, c`` of ``x[i + a, j + b, c] * kernel[a, b, c, o]``.

    Parameters
    ----------
    x : numpy.ndarray of shape (height, width, in_channels)
    kernel : numpy.ndarray of shape (kernel_height, kernel_width, in_channels, out_channels)
        The layout of ``Conv2D``'s ``kernel`` weight.
    bias : numpy.ndarray of shape (out_channels,)

    Returns
    -------
    numpy.ndarray of shape (height - kernel_height + 1, width - kernel_width + 1, out_channels)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4, 1)
    >>> edge = np.array([[-1.0, 1.0]]).reshape(1, 2, 1, 1)  # right minus left
    >>> out = conv2d(x, edge, np.zeros(1))
    >>> out.shape, out[..., 0].tolist()[0]
    ((4, 3, 1), [1.0, 1.0, 1.0])
    """
    kh, kw, _, _ = kernel.shape
    height, width = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((height, width, kernel.shape[3]), dtype=np.result_type(x, kernel, np.float64))
    for a in range(kh):
        for b in range(kw):
            # every output position at once: the input shifted by (a, b), times that tap
            out += x[a : a + height, b : b + width, :] @ kernel[a, b]
    return out + bias
