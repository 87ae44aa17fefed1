"""Activation functions and their derivatives (chapter: Neurons, layers and forward propagation).

Element-wise functions come as ``f(x)`` and ``f_derivative(x)`` = f'(x), both (…) -> (…).
Softmax acts along the last axis; its derivative is a Jacobian, and :func:`softmax_backward` applies
it to an upstream gradient without building that matrix.
"""

import numpy as np

from companion._validate import check_choice


def relu(x):
    """ReLU(x) = max(0, x)."""
    return np.maximum(x, 0)


def relu_derivative(x):
    """ReLU'(x) = 1 if x > 0 else 0 (we take 0 at x = 0, as PyTorch does)."""
    return (np.asarray(x) > 0).astype(np.result_type(x, np.float32))


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), computed without overflow for large |x|."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x):
    """sigma'(x) = sigma(x) (1 - sigma(x))."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x)."""
    return np.tanh(x)


def tanh_derivative(x):
    """tanh'(x) = 1 - tanh(x)^2."""
    return 1 - np.tanh(x) ** 2


def linear(x):
    """The identity, f(x) = x: a layer with no activation."""
    return np.asarray(x)


def linear_derivative(x):
    """f'(x) = 1."""
    return np.ones_like(np.asarray(x, dtype=np.result_type(x, np.float32)))


def softmax(x, axis=-1):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``axis``.

    Subtracting the maximum first changes nothing mathematically (it cancels) but keeps e^x finite.
    """
    x = np.asarray(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(x):
    """d softmax(x)_i / d x_j = s_i (delta_ij - s_j) for x of shape (…, C); returns (…, C, C)."""
    s = softmax(x)
    return s[..., :, None] * (np.eye(s.shape[-1]) - s[..., None, :])


def softmax_backward(dout, out):
    """Vector-Jacobian product of softmax: dx = s * (dout - sum(dout * s)), shapes (…, C)."""
    return out * (dout - (dout * out).sum(axis=-1, keepdims=True))


_FUNCTIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "linear": linear, "softmax": softmax}
_DERIVATIVES = {"relu": relu_derivative, "sigmoid": sigmoid_derivative, "tanh": tanh_derivative,
                "linear": linear_derivative, "softmax": softmax_jacobian}
NAMES = tuple(_FUNCTIONS)


def get_activation(name):
    """The activation function called ``name`` (one of :data:`NAMES`)."""
    check_choice(name, "activation", _FUNCTIONS)
    return _FUNCTIONS[name]


def get_derivative(name):
    """Its derivative (for softmax, the Jacobian)."""
    check_choice(name, "activation", _DERIVATIVES)
    return _DERIVATIVES[name]


def activation_forward(x, name):
    """out = f(x); the cache keeps what the backward pass needs."""
    out = get_activation(name)(x)
    return out, (name, x, out)


def activation_backward(dout, cache):
    """dL/dx from dL/dout: element-wise dout * f'(x), or softmax's vector-Jacobian product."""
    name, x, out = cache
    if name == "softmax":
        return softmax_backward(dout, out)
    return dout * get_derivative(name)(x)


class Activation:
    """A parameter-free layer applying the activation ``name``; remembers its input for backward."""

    def __init__(self, name):
        get_activation(name)  # fail now, not at the first forward pass
        self.name = name
        self._cache = None

    def forward(self, x):
        out, self._cache = activation_forward(x, self.name)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        return activation_backward(dout, self._cache)

    def parameters(self):
        return {}

    def __repr__(self):
        return f"Activation({self.name!r})"
