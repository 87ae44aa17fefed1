"""Weight initialization: Xavier/Glorot and Kaiming/He, uniform and normal (chapter: Backpropagation).

The schemes keep the variance of the signal the same from layer to layer. For z = sum_i w_i x_i with
independent, zero-mean w and x, Var(z) = n_in Var(w) Var(x): the forward pass wants Var(w) = 1/n_in,
the backward pass 1/n_out. Glorot & Bengio (2010) compromise on 2/(n_in + n_out); He et al. (2015)
double 1/n_in to 2/n_in because a ReLU zeroes half of its inputs. PyTorch multiplies by a ``gain``
per nonlinearity (:func:`calculate_gain`).

The formulas and NumPy draws live in ``companion/_init.py``, which both backends share so that one
``rng`` gives the same weights in each; this module is their NumPy face, plus a measurement of how
activations and gradients propagate through a deep stack.
"""

import numpy as np

from companion._init import (INIT_NAMES, NONLINEARITIES, calculate_fan_in_and_fan_out, calculate_gain,
                             conv_init, dense_init, kaiming_normal, kaiming_std, kaiming_uniform,
                             xavier_normal, xavier_std, xavier_uniform)
from companion.np.activations import Activation
from companion.np.dense import Dense
from companion.np.network import build_mlp

__all__ = ["INIT_NAMES", "NONLINEARITIES", "calculate_fan_in_and_fan_out", "calculate_gain", "conv_init",
           "dense_init", "kaiming_normal", "kaiming_std", "kaiming_uniform", "xavier_normal", "xavier_std",
           "xavier_uniform", "propagation_statistics", "deep_stack_statistics"]


def propagation_statistics(net, x, dout):
    """Per-layer std of the activations and of the gradients backpropagated to them.

    ``net`` is a Sequential of Dense and Activation layers, x (N, n_in) its input and dout the upstream
    gradient dL/d(output) (same shape as the output). For every Activation layer l = 1…L, h_l is its
    output; returns {"activation_std": (L,) std of h_l, "gradient_std": (L,) std of dL/dh_l}.
    """
    outputs = net.trace(x)  # every layer's output; each layer keeps its cache for backward
    activation_std = [float(np.std(out)) for out, layer in zip(outputs, net.layers)
                      if isinstance(layer, Activation)]
    gradient_std = []
    for layer in reversed(net.layers):
        if isinstance(layer, Activation):
            gradient_std.append(float(np.std(dout)))  # dL/dh_l, the gradient arriving at layer l's output
        dout = layer.backward(dout)
    return {"activation_std": np.array(activation_std), "gradient_std": np.array(gradient_std[::-1])}


def deep_stack_statistics(activation, init, scale=1.0, depth=30, width=256, batch=256, rng=None):
    """Build a deep stack, scale its weights, and measure :func:`propagation_statistics` on random data.

    ``depth`` layers Dense(width -> width, zero biases) then ``activation``, the weights drawn
    by ``init`` (one of INIT_NAMES but "default") and multiplied by ``scale``; x and dout ~ N(0, 1) of
    shape (batch, width), drawn from ``rng`` after the weights. The PyTorch twin, given an equally
    seeded ``rng``, measures the same network on the same data.
    """
    if init == "default":
        raise ValueError("deep_stack_statistics needs a scheme with zero biases, not init='default'")
    rng = np.random.default_rng() if rng is None else rng
    net = build_mlp([width] * (depth + 1), [activation] * depth, rng=rng, init=init)
    for layer in net.layers:
        if isinstance(layer, Dense):
            layer.weight = layer.weight * scale
    x, dout = rng.normal(size=(batch, width)), rng.normal(size=(batch, width))
    return propagation_statistics(net, x, dout)
