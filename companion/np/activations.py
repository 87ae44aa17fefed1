"""Activation functions and their derivatives (chapter: Neurons, layers and forward propagation).

Element-wise functions come as ``f(x)`` and ``f_derivative(x)`` = f'(x), both (…) -> (…).
Softmax acts along the last axis; its derivative is a Jacobian, and :func:`softmax_backward` applies
it to an upstream gradient without building that matrix. Leaky ReLU, GELU and SiLU take the options
of their torch.nn.functional namesakes (negative_slope, approximate, inplace) with the same defaults;
the registry's names use those defaults, and "gelu_tanh" is GELU with approximate="tanh".
"""

import math
from functools import partial

import numpy as np

from companion._validate import check_choice, check_real

GELU_APPROXIMATIONS = ("none", "tanh")  # torch.nn.functional.gelu's ``approximate`` values
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # Python floats, so float32 inputs stay float32
_GELU_CUBIC = 0.044715  # the cubic term of Hendrycks & Gimpel's tanh approximation


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


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """LeakyReLU(x) = x if x > 0 else negative_slope * x (torch.nn.functional.leaky_relu).

    ``inplace=True`` writes the result into ``x`` (a floating-point ndarray) and returns it.
    """
    check_real(negative_slope, "negative_slope")
    negative_slope = float(negative_slope)  # a NumPy float64 scalar would turn float32 input into float64
    if inplace:
        x = _writable_float_array(x)
        return np.multiply(x, negative_slope, out=x, where=x <= 0)
    x = np.asarray(x)
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_derivative(x, negative_slope=0.01):
    """LeakyReLU'(x) = 1 if x > 0 else negative_slope (PyTorch takes negative_slope at x = 0)."""
    check_real(negative_slope, "negative_slope")
    x = np.asarray(x)
    one = np.ones_like(x, dtype=np.result_type(x, np.float32))
    return np.where(x > 0, one, one * float(negative_slope))


def _gelu_tanh_inner(x):
    """u = sqrt(2/pi) (x + 0.044715 x^3), the argument of tanh in the approximate GELU."""
    return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3)


def _erf(x):
    from scipy.special import erf  # imported here: scipy.special is slow to import and only GELU needs it

    return erf(x)


def _gelu_with_cdf(x):
    """(GELU(x), Phi(x)): the exact GELU's backward reuses Phi instead of computing erf again."""
    x = np.asarray(x)
    cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
    return x * cdf, cdf


def gelu(x, approximate="none"):
    """GELU(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)), Phi the standard normal CDF (Hendrycks & Gimpel).

    ``approximate="tanh"`` gives x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as
    torch.nn.functional.gelu(x, approximate="tanh").
    """
    check_choice(approximate, "approximate", GELU_APPROXIMATIONS)
    x = np.asarray(x)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_gelu_tanh_inner(x)))
    return _gelu_with_cdf(x)[0]


def gelu_derivative(x, approximate="none"):
    """GELU'(x) = Phi(x) + x phi(x), phi(x) = e^{-x^2/2} / sqrt(2 pi).

    With ``approximate="tanh"``: (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u).
    """
    check_choice(approximate, "approximate", GELU_APPROXIMATIONS)
    x = np.asarray(x)
    if approximate == "tanh":
        t = np.tanh(_gelu_tanh_inner(x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x ** 2)
    return _gelu_prime(x, _gelu_with_cdf(x)[1])


def silu(x, inplace=False):
    """SiLU(x) = x sigma(x), also called swish (torch.nn.functional.silu).

    ``inplace=True`` writes the result into ``x`` (a floating-point ndarray) and returns it.
    """
    if inplace:
        x = _writable_float_array(x)
        return np.multiply(x, sigmoid(x), out=x)
    x = np.asarray(x)
    return x * sigmoid(x)


def silu_derivative(x):
    """SiLU'(x) = sigma(x) (1 + x (1 - sigma(x)))."""
    x = np.asarray(x)
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def _writable_float_array(x):
    """``x`` itself, for an in-place result; anything else cannot hold one."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating) or not x.flags.writeable:
        raise ValueError(f"inplace=True needs a writable floating-point NumPy array, got "
                         f"{type(x).__name__}{' of dtype ' + str(x.dtype) if isinstance(x, np.ndarray) else ''}")
    return x


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


# Registry names take each function's defaults; "gelu_tanh" is GELU with approximate="tanh".
_FUNCTIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "linear": linear, "softmax": softmax,
              "leaky_relu": leaky_relu, "gelu": gelu, "gelu_tanh": partial(gelu, approximate="tanh"),
              "silu": silu}
_DERIVATIVES = {"relu": relu_derivative, "sigmoid": sigmoid_derivative, "tanh": tanh_derivative,
                "linear": linear_derivative, "softmax": softmax_jacobian,
                "leaky_relu": leaky_relu_derivative, "gelu": gelu_derivative,
                "gelu_tanh": partial(gelu_derivative, approximate="tanh"), "silu": silu_derivative}
NAMES = tuple(_FUNCTIONS)


def get_activation(name):
    """The activation function called ``name`` (one of :data:`NAMES`)."""
    check_choice(name, "activation", _FUNCTIONS)
    return _FUNCTIONS[name]


def get_derivative(name):
    """Its derivative (for softmax, the Jacobian)."""
    check_choice(name, "activation", _DERIVATIVES)
    return _DERIVATIVES[name]


def _gelu_prime(x, cdf):
    """GELU'(x) = Phi(x) + x phi(x), given Phi(x)."""
    return cdf + x * (np.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi))


def activation_forward(x, name):
    """out = f(x); the cache keeps what the backward pass needs (and, for the exact GELU, Phi(x):
    erf is the costliest step of a transformer's feed-forward block, so it is computed once)."""
    if name == "gelu":
        out, cdf = _gelu_with_cdf(x)
        return out, (name, x, out, cdf)
    out = get_activation(name)(x)
    return out, (name, x, out, None)


def activation_backward(dout, cache):
    """dL/dx from dL/dout: element-wise dout * f'(x), or softmax's vector-Jacobian product."""
    name, x, out, cdf = cache
    if name == "softmax":
        return softmax_backward(dout, out)
    if cdf is not None:
        return dout * _gelu_prime(x, cdf)
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
