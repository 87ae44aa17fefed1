"""A small LeNet-style convolutional network for 8x8 images (chapter: Convolutional networks)."""

from companion.np.activations import Activation
from companion.np.conv import Conv2d, Flatten
from companion.np.pool import MaxPool2d
from companion.np.dense import Dense
from companion.np.network import Sequential


def build_lenet(channels=(16, 32), n_classes=10, rng=None):
    """conv 3x3 (1 -> c1) ReLU, conv 3x3 (c1 -> c1) ReLU, max-pool 2, conv 3x3 (c1 -> c2) ReLU, max-pool 2,
    flatten, dense -> n_classes logits. Input (N, 1, 8, 8); output (N, n_classes)."""
    c1, c2 = channels
    return Sequential(Conv2d(1, c1, 3, padding=1, rng=rng), Activation("relu"),
                      Conv2d(c1, c1, 3, padding=1, rng=rng), Activation("relu"), MaxPool2d(2),
                      Conv2d(c1, c2, 3, padding=1, rng=rng), Activation("relu"), MaxPool2d(2),
                      Flatten(), Dense(c2 * 2 * 2, n_classes, rng=rng), Activation("linear"))
