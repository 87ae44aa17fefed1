"""The LeNet-style network in PyTorch, built layer for layer (and draw for draw) as the NumPy twin."""

from companion.torch.activations import Activation
from companion.torch.conv import Conv2d, Flatten
from companion.torch.pool import MaxPool2d
from companion.torch.dense import Dense
from companion.torch.network import Sequential
from companion.torch.normalization import BatchNorm2d


def build_lenet(channels=(16, 32), n_classes=10, rng=None, dtype=None, device=None, batch_norm=False):
    """See :func:`companion.np.lenet.build_lenet`; parameters on ``device`` (default companion.device())."""
    c1, c2 = channels
    kw = {"rng": rng, "dtype": dtype, "device": device}

    def conv(c_in, c_out):  # conv [-> BN] -> ReLU
        layer = Conv2d(c_in, c_out, 3, padding=1, bias=not batch_norm, **kw)
        norm = [BatchNorm2d(c_out, dtype=dtype, device=layer.weight.device)] if batch_norm else []
        return [layer, *norm, Activation("relu")]

    return Sequential(*conv(1, c1), *conv(c1, c1), MaxPool2d(2), *conv(c1, c2), MaxPool2d(2),
                      Flatten(), Dense(c2 * 2 * 2, n_classes, **kw), Activation("linear"))
