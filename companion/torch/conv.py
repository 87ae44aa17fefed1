"""Convolution in PyTorch, with the NumPy twin's names, layout, checks and initialisation."""

import torch
import torch.nn.functional as F

from companion._init import conv_init
from companion._validate import check_conv_shapes, check_finite
from companion.torch.dense import as_tensor


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """PyTorch's conv2d: x (N, C, H, W), weight (F, C, KH, KW), bias (F,) -> (N, F, OH, OW)."""
    check_conv_shapes(x, weight, bias, stride, padding)
    check_finite(x, "x")
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


class Conv2d(torch.nn.Module):
    """A convolution layer initialised from a NumPy ``rng`` exactly as :class:`companion.np.Conv2d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, bias=True, rng=None,
                 dtype=None, device=None):
        super().__init__()
        use_bias = bias
        weight, bias = conv_init(in_channels, out_channels, kernel_size, rng)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        self.weight = torch.nn.Parameter(as_tensor(weight, dtype, device))
        self.bias = torch.nn.Parameter(as_tensor(bias, dtype, self.weight.device)) if use_bias else None
        self.stride, self.padding = stride, padding

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        f, c, k, _ = self.weight.shape
        return f"{c}, {f}, kernel_size={k}, stride={self.stride}, padding={self.padding}"


class Flatten(torch.nn.Flatten):
    """(N, C, H, W) -> (N, C*H*W)."""
