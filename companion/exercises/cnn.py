"""Exercises of the chapter *Convolutional networks*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.conv import Conv2d, conv2d
from companion.np.pool import max_pool2d


def _output_size(h, k, padding, stride):
    """Measured on a real convolution, so the reference does not share the reader's formula."""
    return conv2d(np.zeros((1, 1, h, 1)), np.zeros((1, 1, k, 1)), stride=stride, padding=padding).shape[2]


def _size_cases(rng):
    yield 8, 3, 1, 1  # "same" padding keeps the size
    yield 7, 3, 0, 2  # (7 - 3) / 2 + 1 = 3 exactly
    yield 8, 3, 0, 2  # (8 - 3) / 2 is not whole: the last half step is dropped
    for _ in range(22):
        k, padding, stride = int(rng.integers(1, 6)), int(rng.integers(0, 3)), int(rng.integers(1, 4))
        yield max(k - 2 * padding, 1) + int(rng.integers(0, 30)), k, padding, stride


register(Exercise(
    id="cnn.output_size",
    prompt="Write output_size(h, k, padding, stride): the height of a convolution's output for an input of "
           "height h, a kernel of height k, that many zeros of padding on each side, and that stride.",
    reference=_output_size, cases=_size_cases, arg_names=("h", "k", "padding", "stride"),
))


def _cross_correlation_cases(rng):
    for _ in range(25):
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        yield rng.normal(size=(kh + int(rng.integers(0, 5)), kw + int(rng.integers(0, 5)))), rng.normal(size=(kh, kw))


register(Exercise(
    id="cnn.cross_correlation",
    prompt="Write cross_correlation(image, kernel) for 2-D arrays, with loops or slices: the kernel slides "
           "over the image with stride 1 and no padding (not flipped), and each output value is the sum of "
           "the kernel times the patch under it. The output has shape (H - K_H + 1, W - K_W + 1).",
    reference=lambda image, kernel: conv2d(image[None, None], kernel[None, None])[0, 0],
    cases=_cross_correlation_cases, arg_names=("image", "kernel"),
))


def _pool_cases(rng):
    yield np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 1]]), 2  # the chapter's example
    for _ in range(24):
        size = int(rng.integers(1, 4))
        yield rng.normal(size=tuple(size * int(rng.integers(1, 4)) + int(rng.integers(0, size)) for _ in range(2))), size


register(Exercise(
    id="cnn.max_pool",
    prompt="Write max_pool(x, size) for a 2-D array x: the maximum of each size × size window, the windows "
           "side by side without overlap (stride = size); rows or columns left over at the bottom or right "
           "edge, too few for a whole window, are dropped (as PyTorch does).",
    reference=lambda x, size: max_pool2d(x[None, None], size)[0, 0],
    cases=_pool_cases, arg_names=("x", "size"),
))


def _conv_parameters(in_channels, out_channels, kernel_size):
    layer = Conv2d(in_channels, out_channels, kernel_size, rng=np.random.default_rng(0))
    return sum(int(v.size) for v in layer.parameters().values())


def _conv_parameter_cases(rng):
    yield 1, 16, 3  # the first layer of the chapter's LeNet
    for _ in range(24):
        yield int(rng.integers(1, 65)), int(rng.integers(1, 65)), int(rng.integers(1, 8))


register(Exercise(
    id="cnn.conv_parameter_count",
    prompt="Write conv_parameter_count(in_channels, out_channels, kernel_size): the number of weights and "
           "biases of a convolution layer with square kernel_size × kernel_size filters.",
    reference=_conv_parameters, cases=_conv_parameter_cases,
    arg_names=("in_channels", "out_channels", "kernel_size"),
))
