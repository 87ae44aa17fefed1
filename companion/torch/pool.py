"""Pooling in PyTorch, with the NumPy twin's names and checks."""

import torch
import torch.nn.functional as F

from companion._validate import adaptive_output_size, check_pool_args


def max_pool2d(x, kernel_size, stride=None, padding=0):
    check_pool_args(x, kernel_size, kernel_size if stride is None else stride, padding)
    return F.max_pool2d(x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    check_pool_args(x, kernel_size, kernel_size if stride is None else stride, padding)
    return F.avg_pool2d(x, kernel_size, stride, padding)


def adaptive_avg_pool2d(x, output_size):
    """PyTorch's adaptive_avg_pool2d: x (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW)."""
    adaptive_output_size(x, output_size)
    return F.adaptive_avg_pool2d(x, output_size)


class MaxPool2d(torch.nn.MaxPool2d):
    """``torch.nn.MaxPool2d`` under the NumPy twin's name."""


class AvgPool2d(torch.nn.AvgPool2d):
    """``torch.nn.AvgPool2d`` under the NumPy twin's name."""


class AdaptiveAvgPool2d(torch.nn.AdaptiveAvgPool2d):
    """``torch.nn.AdaptiveAvgPool2d`` under the NumPy twin's name, with its checks."""

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)
