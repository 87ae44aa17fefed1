"""Activation functions in PyTorch; autograd supplies the derivatives the NumPy twin writes out."""

import torch

from companion._validate import check_choice


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


def softmax(x, axis=-1):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``axis``."""
    return torch.softmax(x, dim=axis)


_FUNCTIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "linear": linear, "softmax": softmax}
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
