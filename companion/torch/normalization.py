"""Batch and layer normalization in PyTorch: ``torch.nn`` modules under the NumPy twins' names.

The argument checks are the NumPy twins' (``companion._validate``), so bad input fails with the same
message in both backends.
"""

import torch
import torch.nn.functional as F

from companion._runtime import device as default_device
from companion._validate import (check_batchnorm2d_input, check_eps, check_normalized_shape,
                                 check_values_per_channel, normalized_shape_tuple)


def _device(device):
    return default_device() if device is None else device


class BatchNorm1d(torch.nn.BatchNorm1d):
    """``torch.nn.BatchNorm1d`` placed on :func:`companion.device` unless told otherwise."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5, dtype=None, device=None):
        super().__init__(num_features, eps=eps, momentum=momentum, dtype=dtype, device=_device(device))


class BatchNorm2d(torch.nn.BatchNorm2d):
    """``torch.nn.BatchNorm2d`` (x (N, C, H, W), statistics per channel) on :func:`companion.device`."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None, device=None):
        check_eps(eps)
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=track_running_stats, dtype=dtype, device=_device(device))

    def forward(self, x):
        check_batchnorm2d_input(x, self.num_features)
        check_values_per_channel(x, self.training or self.running_mean is None)
        return super().forward(x)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """``torch.nn.functional.layer_norm`` with the NumPy twin's checks: x (*, *normalized_shape)."""
    normalized_shape = normalized_shape_tuple(normalized_shape)
    check_normalized_shape(x, normalized_shape)
    check_eps(eps)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise ValueError(f"{name} must have shape normalized_shape {normalized_shape}, got {tuple(p.shape)}")
    return F.layer_norm(x, normalized_shape, weight, bias, eps)


class LayerNorm(torch.nn.LayerNorm):
    """``torch.nn.LayerNorm`` over the trailing ``normalized_shape`` dims, on :func:`companion.device`."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None, device=None):
        normalized_shape = normalized_shape_tuple(normalized_shape)
        check_eps(eps)
        super().__init__(normalized_shape, eps=eps, elementwise_affine=elementwise_affine, bias=bias,
                         dtype=dtype, device=_device(device))

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
