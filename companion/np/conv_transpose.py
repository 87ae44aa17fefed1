"""Transposed convolution (chapter: Convolutional networks), forward and backward by hand.

A convolution y = conv2d(z, W) is linear in z, y = A z; the transposed convolution is x -> A^T x, the map
that conv2d's backward pass applies to dL/dy. So its forward pass IS :func:`companion.np.conv.conv2d_input_grad`
and its backward pass is a convolution again. It upsamples: with PyTorch's shapes, x (N, C, H, W) or
(C, H, W); weight (C, F/groups, KH, KW) (the layout of the convolution it transposes, C its out-channels);
bias (F,); output (N, F, OH, OW) with, per axis,

    OH = (H - 1) stride - 2 padding + dilation (KH - 1) + output_padding + 1,

output_padding (< stride or < dilation) adding rows at the bottom/right that the stride would leave
ambiguous. Arguments as ``torch.nn.functional.conv_transpose2d``.
"""

import numpy as np

from companion._validate import check_finite, conv_transpose_geometry
from companion.np.conv import ConvLayer, _batched, _forward, _input_grad, _weight_grad


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """y = A^T x + b, A the convolution from (N, F, OH, OW) to x's shape; returns (y, cache)."""
    x, weight = np.asarray(x), np.asarray(weight)
    stride, pads, dilation, out_size = conv_transpose_geometry(x, weight, bias, stride, padding, output_padding,
                                                               groups, dilation)
    check_finite(x, "x")
    x4, unbatched = _batched(x)
    y_shape = (x4.shape[0], weight.shape[1] * groups) + out_size  # (N, F, OH, OW)
    y = _input_grad(x4, weight, y_shape, stride, pads, dilation, groups)
    if bias is not None:
        y = y + np.asarray(bias)[None, :, None, None]
    cache = (x4, weight, bias is not None, stride, pads, dilation, groups, unbatched)
    return (y[0] if unbatched else y), cache


def conv_transpose2d_backward(dy, cache):
    """(dx, dweight, dbias) from dL/dy: dx = A dy, the convolution conv2d(dy, weight) (cut to x's size), and
    dweight = conv2d's weight gradient with the roles swapped (dy the input, x the output gradient)."""
    x4, weight, has_bias, stride, pads, dilation, groups, unbatched = cache
    dy = np.asarray(dy)[None] if unbatched else np.asarray(dy)
    dx, cols = _forward(dy, weight, None, stride, pads, dilation, groups, out_size=x4.shape[2:])
    dweight = _weight_grad(cols, x4, weight.shape, groups)
    return (dx[0] if unbatched else dx), dweight, (dy.sum(axis=(0, 2, 3)) if has_bias else None)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (PyTorch's ``conv_transpose2d``): see the module docstring."""
    return conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding, groups, dilation)[0]


class ConvTranspose2d(ConvLayer):
    """A transposed convolution layer with ``torch.nn.ConvTranspose2d``'s arguments and default init;
    weight (C, F/groups, KH, KW), bias (F,)."""

    pair = (conv_transpose2d_forward, conv_transpose2d_backward)
    options, transposed = ("stride", "padding", "output_padding", "groups", "dilation"), True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, *, rng=None, dtype=np.float64):
        super().__init__(in_channels, out_channels, kernel_size, bias, rng, dtype, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, dilation=dilation)
