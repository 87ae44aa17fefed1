"""The LeNet-style network in PyTorch, built layer for layer (and draw for draw) as the NumPy twin."""

from companion.torch.activations import Activation
from companion.torch.conv import Conv2d, Flatten
from companion.torch.pool import MaxPool2d
from companion.torch.dense import Dense
from companion.torch.network import Sequential


def build_lenet(channels=(16, 32), n_classes=10, rng=None, dtype=None, device=None):
    """See :func:`companion.np.lenet.build_lenet`; parameters on ``device`` (default companion.device())."""
    c1, c2 = channels
    kw = {"rng": rng, "dtype": dtype, "device": device}
    return Sequential(Conv2d(1, c1, 3, padding=1, **kw), Activation("relu"),
                      Conv2d(c1, c1, 3, padding=1, **kw), Activation("relu"), MaxPool2d(2),
                      Conv2d(c1, c2, 3, padding=1, **kw), Activation("relu"), MaxPool2d(2),
                      Flatten(), Dense(c2 * 2 * 2, n_classes, **kw), Activation("linear"))
