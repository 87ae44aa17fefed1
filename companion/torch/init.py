"""Weight initialization in PyTorch: the NumPy twin's names, returning tensors (chapter: Backpropagation).

Without ``rng`` the draws are ``torch.nn.init``'s own (``xavier_uniform_`` and friends, on a tensor
created on :func:`companion.device`, optionally from a ``torch.Generator``); with a NumPy ``rng`` they are
the NumPy twin's draws, so both backends build the same weights from one seed.
"""

import math

import numpy as np
import torch

from companion import _init
from companion._init import (INIT_NAMES, NONLINEARITIES, calculate_fan_in_and_fan_out, calculate_gain,
                             kaiming_std, xavier_std)
from companion._runtime import device as default_device
from companion.torch.activations import Activation
from companion.torch.dense import Dense
from companion.torch.network import build_mlp

__all__ = ["INIT_NAMES", "NONLINEARITIES", "calculate_fan_in_and_fan_out", "calculate_gain", "conv_init",
           "dense_init", "kaiming_normal", "kaiming_std", "kaiming_uniform", "xavier_normal", "xavier_std",
           "xavier_uniform", "propagation_statistics", "deep_stack_statistics"]


def _tensor(shape, dtype, device):
    dtype = torch.get_default_dtype() if dtype is None else dtype
    return torch.empty(_init._shape(shape), dtype=dtype, device=default_device() if device is None else device)


def _from_numpy(array, dtype, device):
    dtype = torch.get_default_dtype() if dtype is None else dtype
    return torch.as_tensor(array, dtype=dtype, device=default_device() if device is None else device)


def xavier_uniform(shape, gain=1.0, rng=None, dtype=None, device=None, generator=None):
    """U(-bound, bound), bound = sqrt(3) · gain · sqrt(2 / (fan_in + fan_out)): a tensor of ``shape``."""
    if rng is not None:
        return _from_numpy(_init.xavier_uniform(shape, gain, rng), dtype, device)
    return torch.nn.init.xavier_uniform_(_tensor(shape, dtype, device), gain, generator=generator)


def xavier_normal(shape, gain=1.0, rng=None, dtype=None, device=None, generator=None):
    """N(0, std²), std = gain · sqrt(2 / (fan_in + fan_out)): a tensor of ``shape``."""
    if rng is not None:
        return _from_numpy(_init.xavier_normal(shape, gain, rng), dtype, device)
    return torch.nn.init.xavier_normal_(_tensor(shape, dtype, device), gain, generator=generator)


def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype=None, device=None,
                    generator=None):
    """U(-bound, bound), bound = sqrt(3) · calculate_gain(nonlinearity, a) / sqrt(fan): a tensor of ``shape``."""
    if rng is not None:
        return _from_numpy(_init.kaiming_uniform(shape, a, mode, nonlinearity, rng), dtype, device)
    return torch.nn.init.kaiming_uniform_(_tensor(shape, dtype, device), a, mode, nonlinearity,
                                          generator=generator)


def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype=None, device=None,
                   generator=None):
    """N(0, std²), std = calculate_gain(nonlinearity, a) / sqrt(fan): a tensor of ``shape``."""
    if rng is not None:
        return _from_numpy(_init.kaiming_normal(shape, a, mode, nonlinearity, rng), dtype, device)
    return torch.nn.init.kaiming_normal_(_tensor(shape, dtype, device), a, mode, nonlinearity,
                                         generator=generator)


def _default_pair(weight, generator, bias_size=None):
    """``nn.Linear.reset_parameters``: weight Kaiming-uniform with a = sqrt(5), bias U(±1/sqrt(fan_in))."""
    torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    bound = 1.0 / math.sqrt(calculate_fan_in_and_fan_out(weight)[0])
    bias = weight.new_empty(weight.shape[0] if bias_size is None else bias_size)
    return weight, torch.nn.init.uniform_(bias, -bound, bound, generator=generator)


def dense_init(in_features, out_features, rng=None, dtype=None, device=None, generator=None):
    """PyTorch's default ``nn.Linear`` initialization: (weight (out, in), bias (out,)) ~ U(-k, k),
    k = 1/sqrt(in_features)."""
    if rng is not None:
        return tuple(_from_numpy(a, dtype, device) for a in _init.dense_init(in_features, out_features, rng))
    _init._check_positive(in_features=in_features, out_features=out_features)
    return _default_pair(_tensor((out_features, in_features), dtype, device), generator)


def conv_init(in_channels, out_channels, kernel_size, rng=None, dtype=None, device=None, generator=None, *,
              groups=1, transposed=False):
    """PyTorch's default ``nn.Conv1d/2d`` / ``nn.ConvTranspose2d`` initialization: U(-k, k), k = 1/sqrt(fan_in),
    fan_in = weight.shape[1] · prod(kernel) (see :func:`companion.np.init.conv_init`)."""
    if rng is not None:
        arrays = _init.conv_init(in_channels, out_channels, kernel_size, rng, groups=groups, transposed=transposed)
        return tuple(_from_numpy(a, dtype, device) for a in arrays)
    shape = _init.conv_weight_shape(in_channels, out_channels, kernel_size, groups, transposed)
    return _default_pair(_tensor(shape, dtype, device), generator, out_channels)


def propagation_statistics(net, x, dout):
    """Per-layer std of the activations h_l and of the gradients dL/dh_l, by autograd.

    Same arguments and result as the NumPy twin: a Sequential of Dense and Activation layers, x (N, n_in),
    dout = dL/d(output); returns {"activation_std": (L,), "gradient_std": (L,)} as NumPy arrays.
    """
    x = torch.as_tensor(x, dtype=net[0].weight.dtype, device=net[0].weight.device)
    dout = torch.as_tensor(dout, dtype=x.dtype, device=x.device)
    outputs = [out for out, layer in zip(net.trace(x), net) if isinstance(layer, Activation)]
    for out in outputs:
        out.retain_grad()  # keep dL/dh_l, which autograd would free for a non-leaf tensor
    (outputs[-1] * dout).sum().backward()  # L = sum(output · dout) has dL/d(output) = dout
    # std with the 1/N of np.std (correction=0), so the twins agree
    return {"activation_std": np.array([float(o.detach().std(correction=0)) for o in outputs]),
            "gradient_std": np.array([float(o.grad.std(correction=0)) for o in outputs])}


def deep_stack_statistics(activation, init, scale=1.0, depth=30, width=256, batch=256, rng=None, dtype=None,
                          device=None):
    """The NumPy twin's experiment in PyTorch: the same network and data from an equally seeded ``rng``."""
    if init == "default":
        raise ValueError("deep_stack_statistics needs a scheme with zero biases, not init='default'")
    rng = np.random.default_rng() if rng is None else rng
    net = build_mlp([width] * (depth + 1), [activation] * depth, rng=rng, dtype=dtype, device=device, init=init)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, Dense):
                layer.weight.mul_(scale)
    x, dout = rng.normal(size=(batch, width)), rng.normal(size=(batch, width))
    return propagation_statistics(net, x, dout)
