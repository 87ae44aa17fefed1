"""Activation functions in PyTorch; autograd supplies the derivatives the NumPy twin writes out."""

from functools import partial

import torch
import torch.nn.functional as F

from companion._validate import check_choice, check_real

GELU_APPROXIMATIONS = ("none", "tanh")


def relu(x):
    """ReLU(x) = max(0, x)."""
    return torch.relu(x)


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x)."""
    return torch.sigmoid(x)


def tanh(x):
    """tanh(x)."""
    return torch.tanh(x)


def linear(x):
    """The identity, f(x) = x."""
    return x


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """LeakyReLU(x) = x if x > 0 else negative_slope * x."""
    check_real(negative_slope, "negative_slope")
    return F.leaky_relu(x, float(negative_slope), inplace=inplace)


def gelu(x, approximate="none"):
    """GELU(x) = x Phi(x); ``approximate="tanh"`` uses tanh(sqrt(2/pi) (x + 0.044715 x^3)) for erf."""
    check_choice(approximate, "approximate", GELU_APPROXIMATIONS)
    return F.gelu(x, approximate=approximate)


def silu(x, inplace=False):
    """SiLU(x) = x sigma(x)."""
    return F.silu(x, inplace=inplace)


def softmax(x, axis=-1):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``axis``."""
    return torch.softmax(x, dim=axis)


# The same registry names as the NumPy reference; "gelu_tanh" is GELU with approximate="tanh".
_FUNCTIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "linear": linear, "softmax": softmax,
              "leaky_relu": leaky_relu, "gelu": gelu, "gelu_tanh": partial(gelu, approximate="tanh"),
              "silu": silu}
NAMES = tuple(_FUNCTIONS)


def get_activation(name):
    """The activation function called ``name`` (one of :data:`NAMES`)."""
    check_choice(name, "activation", _FUNCTIONS)
    return _FUNCTIONS[name]


class Activation(torch.nn.Module):
    """A parameter-free layer applying the activation ``name``."""

    def __init__(self, name):
        super().__init__()
        self.fn = get_activation(name)
        self.name = name

    def forward(self, x):
        return self.fn(x)

    def extra_repr(self):
        return repr(self.name)
