"""Transposed convolution in PyTorch, with the NumPy twin's names, layout, checks and initialisation."""

import torch.nn.functional as F

from companion._validate import check_finite, conv_transpose_geometry
from companion.torch.conv import ConvLayer


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's conv_transpose2d: x (N, C, H, W) or (C, H, W), weight (C, F/groups, KH, KW), bias (F,)
    -> (N, F, OH, OW), OH = (H - 1) stride - 2 padding + dilation (KH - 1) + output_padding + 1."""
    conv_transpose_geometry(x, weight, bias, stride, padding, output_padding, groups, dilation)
    check_finite(x, "x")
    return F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)


class ConvTranspose2d(ConvLayer):
    """The twin of :class:`companion.np.ConvTranspose2d` (state dicts load into torch.nn.ConvTranspose2d)."""

    function = conv_transpose2d
    options, transposed = ("stride", "padding", "output_padding", "groups", "dilation"), True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, *, rng=None, dtype=None, device=None):
        super().__init__(in_channels, out_channels, kernel_size, bias, rng, dtype, device, stride=stride,
                         padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
