"""Convolution in PyTorch, with the NumPy twin's names, layout, checks and initialisation."""

import torch
import torch.nn.functional as F

from companion._init import conv_init
from companion._validate import check_conv_options, check_finite, conv_geometry
from companion.torch.dense import as_tensor


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's conv2d: x (N, C, H, W) or (C, H, W), weight (F, C/groups, KH, KW), bias (F,) -> (N, F, OH, OW)."""
    conv_geometry(x, weight, bias, stride, padding, dilation, groups)
    check_finite(x, "x")
    return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _one_sided(pads):
    """torch.nn.grad pads both sides alike: (before per axis, extra after per axis) for the pads "same" makes
    after an even kernel, whose extra rows and columns then count as part of the input (zeros there)."""
    return tuple(before for before, _ in pads), tuple(after - before for before, after in pads)


def conv2d_input_grad(dout, weight, input_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx of conv2d for dL/dout (``torch.nn.grad.conv2d_input``, which also takes padding "same" here)."""
    size = tuple(int(n) for n in input_size)
    stride, pads, dilation = conv_geometry(size, tuple(weight.shape), None, stride, padding, dilation, groups)
    (padding, extra), batched = _one_sided(pads), len(size) == 4
    n, c, h, w = size if batched else (1,) + size
    dx = torch.nn.grad.conv2d_input((n, c, h + extra[0], w + extra[1]), weight, dout if batched else dout[None],
                                    stride, padding, dilation, groups)[..., :h, :w]
    return dx if batched else dx[0]


def conv2d_weight_grad(x, dout, weight_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dweight of conv2d for dL/dout (``torch.nn.grad.conv2d_weight``, which also takes padding "same" here)."""
    size = tuple(int(n) for n in weight_size)
    stride, pads, dilation = conv_geometry(tuple(x.shape), size, None, stride, padding, dilation, groups)
    (padding, extra), batched = _one_sided(pads), x.ndim == 4
    x = F.pad(x, (0, extra[1], 0, extra[0])) if any(extra) else x
    return torch.nn.grad.conv2d_weight(x if batched else x[None], size, dout if batched else dout[None], stride,
                                       padding, dilation, groups)


class Conv2d(torch.nn.Module):
    """A convolution layer initialised from a NumPy ``rng`` exactly as :class:`companion.np.Conv2d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, rng=None, dtype=None, device=None):
        super().__init__()
        use_bias = bias
        weight, bias = conv_init(in_channels, out_channels, kernel_size, rng, groups=groups)
        check_conv_options(weight.shape[2:], stride, padding, dilation, groups)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        self.weight = torch.nn.Parameter(as_tensor(weight, dtype, device))
        self.bias = torch.nn.Parameter(as_tensor(bias, dtype, self.weight.device)) if use_bias else None
        self.kernel_size, self.stride, self.padding, self.dilation, self.groups = (
            kernel_size, stride, padding, dilation, groups)

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return _extra_repr(self)


def _extra_repr(layer):
    """The NumPy twin's repr inside the brackets: 1, 4, kernel_size=3, stride=1, padding=1[, dilation=…]."""
    f, c = layer.weight.shape[:2]
    extras = [f"{k}={getattr(layer, k)!r}" for k, default in (("dilation", 1), ("groups", 1))
              if getattr(layer, k) != default] + ([] if layer.bias is not None else ["bias=False"])
    return (f"{c * layer.groups}, {f}, kernel_size={layer.kernel_size}, stride={layer.stride}, "
            f"padding={layer.padding!r}{''.join(', ' + e for e in extras)}")


class Flatten(torch.nn.Flatten):
    """(N, C, H, W) -> (N, C*H*W)."""
