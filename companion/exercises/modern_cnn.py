"""Exercises of the pages *Modern convolutional networks* (the block and batch norm) and *Data augmentation
and the 98% goal* (the shift)."""

import numpy as np

from companion.data.augment import shift_images
from companion.exercises.core import Exercise, register
from companion.np.normalization import batchnorm2d_forward
from companion.np.resnet import ResidualBlock


def _block_parameters(in_channels, out_channels, stride):
    """Counted on a real block, so the reference does not share the reader's formula."""
    block = ResidualBlock(in_channels, out_channels, stride, rng=np.random.default_rng(0))
    return sum(int(v.size) for v in block.parameters().values())


def _block_cases(rng):
    yield 16, 16, 1  # identity shortcut
    yield 16, 32, 2  # projection shortcut
    yield 8, 16, 1  # projection because the channels change, though the stride does not
    for _ in range(22):
        yield int(rng.integers(1, 65)), int(rng.integers(1, 65)), int(rng.integers(1, 3))


register(Exercise(
    id="modern_cnn.residual_block_parameters",
    prompt="Write residual_block_parameters(in_channels, out_channels, stride): the number of learnable "
           "parameters of a residual block (two 3×3 convolutions without bias, each followed by a batch norm "
           "with a scale and a shift per channel; a 1×1 convolution without bias and a batch norm on the "
           "shortcut when stride > 1 or the channel count changes).",
    reference=_block_parameters, cases=_block_cases, arg_names=("in_channels", "out_channels", "stride"),
))


def _batchnorm_cases(rng):
    for _ in range(20):
        n, c, h, w = (int(v) for v in rng.integers(1, 5, size=4))
        n = max(n, 2)  # a batch of one 1x1 image has no variance to speak of
        yield rng.normal(2.0, 3.0, size=(n, c, h, w)), rng.normal(size=c), rng.normal(size=c)


register(Exercise(
    id="modern_cnn.batchnorm2d",
    prompt="Write batchnorm2d(x, gamma, beta) for x of shape (N, C, H, W) in training mode: for each channel c, "
           "the mean and the biased variance over N, H and W; y = gamma[c] * (x - mean) / sqrt(var + 1e-5) + beta[c].",
    reference=lambda x, gamma, beta: batchnorm2d_forward(x, gamma, beta, None, None, training=True)[0],
    cases=_batchnorm_cases, arg_names=("x", "gamma", "beta"),
))


def _shift_cases(rng):
    yield np.arange(1.0, 10.0).reshape(3, 3), 1, 0  # down one row
    yield np.arange(1.0, 10.0).reshape(3, 3), 0, -1  # left one column
    for _ in range(23):
        image = rng.random(tuple(int(v) for v in rng.integers(2, 9, size=2)))
        yield image, int(rng.integers(-1, 2)), int(rng.integers(-1, 2))


register(Exercise(
    id="modern_cnn.shift",
    prompt="Write shift(image, dy, dx) for a 2-D array and dy, dx in {-1, 0, 1}: the image moved dy rows down "
           "and dx columns to the right (negative: up, left), the same shape, the pixels it uncovers set to 0 "
           "and the ones pushed over the edge dropped.",
    reference=lambda image, dy, dx: shift_images(image[None], (dy, dx))[0],
    cases=_shift_cases, arg_names=("image", "dy", "dx"),
))


def _stage_shape(n, channels, height, width, out_channels, stride):
    block = ResidualBlock(channels, out_channels, stride, rng=np.random.default_rng(0))
    return block.eval().forward(np.zeros((n, channels, height, width))).shape  # eval: any size will do


def _stage_cases(rng):
    yield 64, 8, 8, 8, 16, 2  # the small ResNet's second stage on the digits
    yield 1, 3, 7, 7, 4, 2  # odd size: the 3x3 convolution with padding 1 rounds up
    for _ in range(18):
        yield (1, int(rng.integers(1, 5)), int(rng.integers(1, 12)), int(rng.integers(1, 12)),
               int(rng.integers(1, 9)), int(rng.integers(1, 4)))


register(Exercise(
    id="modern_cnn.block_output_shape",
    prompt="Write block_output_shape(n, channels, height, width, out_channels, stride): the shape (a tuple of "
           "four) of a residual block's output for an input of shape (n, channels, height, width), the block's "
           "first 3×3 convolution having padding 1 and the given stride.",
    reference=_stage_shape, cases=_stage_cases,
    arg_names=("n", "channels", "height", "width", "out_channels", "stride"),
))
