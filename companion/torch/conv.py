"""Convolution in PyTorch, with the NumPy twin's names, layout, checks and initialisation."""

import torch
import torch.nn.functional as F

from companion._init import conv_init
from companion._validate import check_conv_options, check_finite, conv_geometry, conv_repr
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


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's conv1d: x (N, C, L) or (C, L), weight (F, C/groups, K), bias (F,) -> (N, F, OL)."""
    conv_geometry(x, weight, bias, stride, padding, dilation, groups, dims=1)
    check_finite(x, "x")
    return F.conv1d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


class ConvLayer(torch.nn.Module):
    """What the convolution layers share: parameters drawn from a NumPy ``rng`` exactly as the NumPy twin's
    (:class:`companion.np.conv.ConvLayer`), torch's names and layout, the checked functional call."""

    function, options, transposed = None, (), False

    def __init__(self, in_channels, out_channels, kernel_size, bias, rng, dtype, device, **options):
        super().__init__()
        weight, bias_values = conv_init(in_channels, out_channels, kernel_size, rng, groups=options["groups"],
                                        transposed=self.transposed)
        check_conv_options(weight.shape[2:], options["stride"], options["padding"], options["dilation"],
                           options["groups"], self.transposed, options.get("output_padding", 0))
        dtype = torch.get_default_dtype() if dtype is None else dtype
        self.weight = torch.nn.Parameter(as_tensor(weight, dtype, device))
        self.bias = torch.nn.Parameter(as_tensor(bias_values, dtype, self.weight.device)) if bias else None
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        vars(self).update(options)

    def forward(self, x):
        return type(self).function(x, self.weight, self.bias, *(getattr(self, k) for k in self.options))

    def extra_repr(self):
        return conv_repr(self)


class Conv2d(ConvLayer):
    """A 2-D convolution layer, the twin of :class:`companion.np.Conv2d` (state dicts load into torch.nn.Conv2d)."""

    function, options = conv2d, ("stride", "padding", "dilation", "groups")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, rng=None, dtype=None, device=None):
        super().__init__(in_channels, out_channels, kernel_size, bias, rng, dtype, device, stride=stride,
                         padding=padding, dilation=dilation, groups=groups)


class Conv1d(ConvLayer):
    """A 1-D convolution layer, the twin of :class:`companion.np.Conv1d` (state dicts load into torch.nn.Conv1d)."""

    function, options = conv1d, ("stride", "padding", "dilation", "groups")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, rng=None, dtype=None, device=None):
        kernel = (kernel_size,) if isinstance(kernel_size, int) else kernel_size
        super().__init__(in_channels, out_channels, kernel, bias, rng, dtype, device, stride=stride,
                         padding=padding, dilation=dilation, groups=groups)
        self.kernel_size = kernel_size


class Flatten(torch.nn.Flatten):
    """(N, C, H, W) -> (N, C*H*W)."""
