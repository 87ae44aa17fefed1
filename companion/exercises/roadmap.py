"""Exercises of the roadmap pages: an MLP on MNIST, a CNN on CIFAR-10, an LSTM on IMDB reviews."""

import numpy as np

from companion.exercises.core import Exercise, register


def mlp_parameters(sizes):
    """Weights and biases of a stack of Linear layers sizes[0] -> sizes[1] -> ... -> sizes[-1]."""
    return int(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))


def _mlp_cases(rng):
    yield ([784, 128, 10],)                        # the MNIST page's network
    yield ([64, 10],)                              # no hidden layer: logistic regression
    for _ in range(23):
        yield ([int(v) for v in rng.integers(1, 300, size=int(rng.integers(2, 6)))],)


register(Exercise(
    id="roadmap.mlp_parameters",
    prompt="Write mlp_parameters(sizes): how many numbers an MLP of torch.nn.Linear layers learns, for layer "
           "sizes [inputs, hidden_1, ..., outputs] (every Linear layer has a bias; activations have no "
           "parameters).",
    reference=mlp_parameters,
    cases=_mlp_cases,
    arg_names=("sizes",),
))


def conv_blocks_shape(channels, height, width, block_channels):
    """(C, H, W) after blocks of a 3x3 convolution with padding 1 (size kept) and a 2x2 max-pool (halved, rounded
    down), block k having block_channels[k] output channels."""
    for c in block_channels:
        channels, height, width = c, height // 2, width // 2
    return channels, height, width


def _conv_cases(rng):
    yield 3, 32, 32, [8, 16, 32]                   # the CIFAR-10 page's network, small scale
    yield 1, 28, 28, [8, 16]                       # MNIST's size
    yield 3, 33, 15, [4, 4, 4]                     # odd sizes: the pool rounds down
    for _ in range(22):
        blocks = [int(v) for v in rng.integers(1, 65, size=int(rng.integers(1, 4)))]
        yield int(rng.integers(1, 5)), int(rng.integers(8, 70)), int(rng.integers(8, 70)), blocks


register(Exercise(
    id="roadmap.conv_blocks_shape",
    prompt="Write conv_blocks_shape(channels, height, width, block_channels): the shape (C, H, W) of one image's "
           "feature map after the CIFAR-10 page's blocks, as a tuple of three ints. Block k is a 3x3 "
           "nn.Conv2d with padding=1 and block_channels[k] output channels, batch norm and ReLU (which keep the "
           "shape), then nn.MaxPool2d(2), which halves the height and width, rounding down.",
    reference=conv_blocks_shape,
    cases=_conv_cases,
    arg_names=("channels", "height", "width", "block_channels"),
))


def padding_mask(lengths):
    """(N, T) boolean mask of a padded batch, T = the longest length: True at real tokens, False at padding."""
    lengths = np.asarray(lengths)
    return np.arange(lengths.max()) < lengths[:, None]


def _mask_cases(rng):
    yield (np.array([3, 1, 2]),)
    yield (np.array([4]),)                         # one sequence: nothing padded
    for _ in range(23):
        yield (rng.integers(1, 12, size=int(rng.integers(1, 7))),)


register(Exercise(
    id="roadmap.padding_mask",
    prompt="Write padding_mask(lengths): for a batch of token sequences of the given lengths (an integer array "
           "(N,)), padded at the end to the longest, return the boolean mask (N, T), T = lengths.max(), that is "
           "True where row n holds a real token (positions 0 .. lengths[n] - 1) and False at the padding.",
    reference=padding_mask,
    cases=_mask_cases,
    arg_names=("lengths",),
))
