"""Pooling in PyTorch, with the NumPy twin's names, options and checks."""

import torch
import torch.nn.functional as F

from companion._validate import adaptive_output_size, check_divisor_override, pool_geometry, unpool_geometry


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """PyTorch's ``max_pool2d``: out, or (out, indices) with ``return_indices``."""
    pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    return F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                        return_indices=return_indices)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """PyTorch's ``avg_pool2d``."""
    check_divisor_override(divisor_override)
    pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, fn="avg_pool2d")
    return F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """PyTorch's ``max_unpool2d`` (indices of any integer type)."""
    size = unpool_geometry(x, indices, kernel_size, stride, padding, output_size)
    return F.max_unpool2d(x, indices.long(), kernel_size, stride or None, padding, output_size=size)


def adaptive_avg_pool2d(x, output_size):
    """PyTorch's adaptive_avg_pool2d: x (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW)."""
    adaptive_output_size(x, output_size)
    return F.adaptive_avg_pool2d(x, output_size)


class MaxPool2d(torch.nn.MaxPool2d):
    """``torch.nn.MaxPool2d`` under the NumPy twin's name, with its checks."""

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class AvgPool2d(torch.nn.AvgPool2d):
    """``torch.nn.AvgPool2d`` under the NumPy twin's name, with its checks."""

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)


class MaxUnpool2d(torch.nn.MaxUnpool2d):
    """``torch.nn.MaxUnpool2d`` under the NumPy twin's name, with its checks."""

    def forward(self, x, indices, output_size=None):
        return max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)


class AdaptiveAvgPool2d(torch.nn.AdaptiveAvgPool2d):
    """``torch.nn.AdaptiveAvgPool2d`` under the NumPy twin's name, with its checks."""

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)
