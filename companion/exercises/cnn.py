"""Exercises of the chapter *Convolutional networks*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.conv import Conv2d, conv2d
from companion.np.pool import max_pool2d, max_pool2d_backward, max_pool2d_forward


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


def _conv2d_naive_cases(rng):
    yield np.arange(16.0).reshape(4, 4), np.ones((2, 2)), 1, 0  # plain sliding sums
    yield np.arange(25.0).reshape(5, 5), np.eye(3), 2, 1  # stride and padding together
    for _ in range(23):
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        padding, stride = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        shape = (kh + int(rng.integers(0, 6)), kw + int(rng.integers(0, 6)))
        yield rng.normal(size=shape), rng.normal(size=(kh, kw)), stride, padding


register(Exercise(
    id="cnn.conv2d_naive",
    prompt="Write conv2d_naive(image, kernel, stride, padding) for a 2-D image (H, W) and a 2-D kernel "
           "(K_H, K_W), with loops: surround the image with `padding` zeros on every side, slide the kernel "
           "over it (not flipped) `stride` pixels at a time, and at each position sum the kernel times the "
           "patch under it. The output has shape ((H + 2 padding - K_H) // stride + 1, "
           "(W + 2 padding - K_W) // stride + 1).",
    reference=lambda image, kernel, stride, padding: conv2d(image[None, None], kernel[None, None], stride=stride,
                                                            padding=padding)[0, 0],
    cases=_conv2d_naive_cases, arg_names=("image", "kernel", "stride", "padding"),
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


def _max_pool_backward(x, dout):
    _, cache = max_pool2d_forward(x[None, None], 2)
    return max_pool2d_backward(dout[None, None], cache)[0, 0]


def _pool_backward_cases(rng):
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 1]])  # the chapter's example
    yield x, np.array([[1.0, 2], [3, 4]])
    for _ in range(24):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=2) * 2 + rng.integers(0, 2, size=2))  # odd sizes too
        yield rng.normal(size=shape), rng.normal(size=(shape[0] // 2, shape[1] // 2))


register(Exercise(
    id="cnn.max_pool_backward",
    prompt="Write max_pool_backward(x, dout): x is a 2-D array (H, W) that went through 2 × 2 max pooling "
           "with stride 2 (a row or column left over at the bottom or right was dropped), dout (H // 2, W // 2) "
           "the gradient of the loss with respect to the pooled output. Return dx, the gradient with respect "
           "to x (shape (H, W)): each window's dout goes to the position of that window's maximum (the first "
           "one in reading order when the maximum appears twice, as PyTorch does), and every other entry of "
           "dx is 0.",
    reference=_max_pool_backward, cases=_pool_backward_cases, arg_names=("x", "dout"),
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
