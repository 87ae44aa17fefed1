"""A small LeNet-style convolutional network for 8x8 images (chapter: Convolutional networks)."""

import numpy as np

from companion.np.activations import Activation
from companion.np.conv import Conv2d, Flatten
from companion.np.pool import MaxPool2d
from companion.np.dense import Dense
from companion.np.network import Sequential
from companion.np.normalization import BatchNorm2d


def build_lenet(channels=(16, 32), n_classes=10, rng=None, batch_norm=False, dtype=np.float64):
    """conv 3x3 (1 -> c1) ReLU, conv 3x3 (c1 -> c1) ReLU, max-pool 2, conv 3x3 (c1 -> c2) ReLU, max-pool 2,
    flatten, dense -> n_classes logits. Input (N, 1, 8, 8); output (N, n_classes).

    ``batch_norm=True`` puts a BatchNorm2d between every convolution (then without bias) and its ReLU;
    the weights drawn from ``rng`` are the same either way. ``dtype``: of every parameter and buffer.
    """
    c1, c2 = channels

    def conv(c_in, c_out):  # conv [-> BN] -> ReLU
        return [Conv2d(c_in, c_out, 3, padding=1, bias=not batch_norm, rng=rng, dtype=dtype),
                *([BatchNorm2d(c_out, dtype=dtype)] if batch_norm else []), Activation("relu")]

    return Sequential(*conv(1, c1), *conv(c1, c1), MaxPool2d(2), *conv(c1, c2), MaxPool2d(2),
                      Flatten(), Dense(c2 * 2 * 2, n_classes, rng=rng, dtype=dtype), Activation("linear"))
