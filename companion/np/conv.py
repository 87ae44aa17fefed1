"""Convolution (chapter: Convolutional networks), forward and backward by hand.

Shapes follow PyTorch: images x (N, C, H, W) or one image (C, H, W); filters weight (F, C/groups, KH, KW);
bias (F,) or None; outputs (N, F, OH, OW) with, per axis,

    OH = floor((H + pad_top + pad_bottom - dilation (KH - 1) - 1) / stride) + 1.

Every argument is ``torch.nn.functional.conv2d``'s: stride, padding and dilation an int or a pair, padding
also "valid" (none) or "same" (d (k - 1) in total per axis, the odd one at the bottom/right; stride 1 only),
groups splitting the channels into independent convolutions (depthwise when groups == C).
:func:`conv2d_naive` is the definition written as loops, for reading; :func:`conv2d` computes the same
by copying every patch into a column (im2col) and one matrix product per group. The backward pass is two
public functions, the twins of ``torch.nn.grad.conv2d_input`` and ``conv2d_weight``.
:func:`conv1d` is the same on a height-1 image.
"""

import numpy as np

from companion._init import conv_init
from companion._validate import (check_conv_options, check_finite, check_rank, conv_geometry, conv_out_size,
                                 conv_repr)


def _pad(x, pads):
    """Zeros around the last two axes of x: pads = ((top, bottom), (left, right))."""
    if not any(sum(p) for p in pads):
        return x
    return np.pad(x, ((0, 0),) * (x.ndim - 2) + tuple(pads))


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """out[n, f, i, j] = b[f] + sum_{c, u, v} x_pad[n, c, i*sh + u*dh, j*sw + v*dw] * w[f, c, u, v], by loops.

    One group only; x (N, C, H, W).
    """
    check_rank(np.asarray(x), "x", (4,))
    (sh, sw), pads, (dh, dw) = conv_geometry(x, weight, bias, stride, padding, dilation)
    xp = _pad(np.asarray(x), pads)
    n, _, h, w = xp.shape
    f, _, kh, kw = weight.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, f, oh, ow), dtype=np.result_type(x, weight))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i, j] = np.tensordot(patch, weight, axes=([1, 2, 3], [1, 2, 3]))  # (N, F)
    return out if bias is None else out + np.asarray(bias)[None, :, None, None]


def _window_slices(u, v, stride, dilation, oh, ow):
    """The rows and columns of the padded image that kernel tap (u, v) meets, over all (OH, OW) outputs."""
    (sh, sw), (dh, dw) = stride, dilation
    return slice(u * dh, u * dh + sh * (oh - 1) + 1, sh), slice(v * dw, v * dw + sw * (ow - 1) + 1, sw)


def _im2col(x, kernel, stride, pads, dilation, out_size=None):
    """Every patch of the padded images as one column: (C*KH*KW, N*OH*OW), rows ordered (c, u, v).

    ``out_size`` (OH, OW) defaults to the convolution's; a smaller one keeps the first rows and columns.
    Works channel-first, (C, N, H, W), so that each of the KH*KW copies below moves whole contiguous blocks:
    that, not the matrix product, is where a convolution in NumPy spends its time.
    """
    n, c, h, w = x.shape
    (kh, kw), (pt, pb), (pl, pr) = kernel, *pads
    oh, ow = out_size or [conv_out_size(*a) for a in zip((h, w), kernel, stride, pads, dilation)]
    xpc = np.zeros((c, n, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xpc[:, :, pt:pt + h, pl:pl + w] = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, u, v] = xpc[(slice(None), slice(None)) + _window_slices(u, v, stride, dilation, oh, ow)]
    return cols.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def _col2im(dcols, x_shape, kernel, stride, pads, dilation, out_size):
    """The adjoint of :func:`_im2col`: add every column's entries back where the patch came from."""
    n, c, h, w = x_shape
    (kh, kw), (pt, pb), (pl, pr), (oh, ow) = kernel, *pads, out_size
    dcols = dcols.reshape(c, kh, kw, n, oh, ow)
    dxpc = np.zeros((c, n, h + pt + pb, w + pl + pr), dtype=dcols.dtype)
    for u in range(kh):
        for v in range(kw):
            dxpc[(slice(None), slice(None)) + _window_slices(u, v, stride, dilation, oh, ow)] += dcols[:, u, v]
    return dxpc[:, :, pt:pt + h, pl:pl + w].transpose(1, 0, 2, 3)


def _grouped(a, groups):
    """(G*R, M) -> (G, R, M): the rows of each group, for one batched matrix product per group."""
    return a.reshape(groups, a.shape[0] // groups, -1)


def _batched(x):
    """(N, C, H, W) stays; one image (C, H, W) gains a batch axis. Returns (x4, was_unbatched)."""
    return (x, False) if x.ndim == 4 else (x[None], True)


def _forward(x, weight, bias, stride, pads, dilation, groups, out_size=None):
    """out (N, F, OH, OW) = per group, weight_g (F/G, C/G*KH*KW) @ columns_g; also returns the columns."""
    f = weight.shape[0]
    cols, (oh, ow) = _im2col(x, weight.shape[2:], stride, pads, dilation, out_size)
    out = _grouped(weight.reshape(f, -1), groups) @ _grouped(cols, groups)  # (G, F/G, N*OH*OW)
    out = out.reshape(f, x.shape[0], oh, ow).transpose(1, 0, 2, 3)  # (N, F, OH, OW)
    return (out if bias is None else out + np.asarray(bias)[None, :, None, None]), cols


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The convolution, vectorised; returns (out, cache). See the module docstring for shapes."""
    x, weight = np.asarray(x), np.asarray(weight)
    stride, pads, dilation = conv_geometry(x, weight, bias, stride, padding, dilation, groups)
    check_finite(x, "x")
    x4, unbatched = _batched(x)
    out, cols = _forward(x4, weight, bias, stride, pads, dilation, groups)
    cache = (x4.shape, cols, weight, bias is not None, stride, pads, dilation, groups, unbatched)
    return (out[0] if unbatched else out), cache


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The convolution (as PyTorch's ``conv2d``, a cross-correlation): see the module docstring."""
    return conv2d_forward(x, weight, bias, stride, padding, dilation, groups)[0]


def _input_grad(dout, weight, x_shape, stride, pads, dilation, groups):
    """dx = col2im(per group, weight_g^T @ dout_g), for dout (N, F, OH, OW) and x of shape x_shape."""
    f = weight.shape[0]
    d2 = dout.transpose(1, 0, 2, 3).reshape(f, -1)  # (F, N*OH*OW), the order of the columns
    dcols = _grouped(weight.reshape(f, -1), groups).transpose(0, 2, 1) @ _grouped(d2, groups)  # (G, C/G*KK, NOO)
    return _col2im(dcols, x_shape, weight.shape[2:], stride, pads, dilation, dout.shape[2:])


def _weight_grad(cols, dout, weight_shape, groups):
    """dweight = per group, dout_g (F/G, N*OH*OW) @ columns_g^T, reshaped to weight_shape."""
    d2 = dout.transpose(1, 0, 2, 3).reshape(weight_shape[0], -1)
    return (_grouped(d2, groups) @ _grouped(cols, groups).transpose(0, 2, 1)).reshape(weight_shape)


def conv2d_backward(dout, cache):
    """(dx, dweight, dbias) from dL/dout (N, F, OH, OW), or (F, OH, OW) for one image; dbias None without bias.

    With out_g = W_g @ cols_g per group: dW_g = dout_g @ cols_g^T (:func:`conv2d_weight_grad`), and
    dcols_g = W_g^T @ dout_g folded back onto the image, col2im (:func:`conv2d_input_grad`).
    """
    x_shape, cols, weight, has_bias, stride, pads, dilation, groups, unbatched = cache
    dout = np.asarray(dout)[None] if unbatched else np.asarray(dout)
    dx = _input_grad(dout, weight, x_shape, stride, pads, dilation, groups)
    dweight = _weight_grad(cols, dout, weight.shape, groups)
    return (dx[0] if unbatched else dx), dweight, (dout.sum(axis=(0, 2, 3)) if has_bias else None)


def _check_dout(dout, x_shape, weight_shape, stride, pads, dilation):
    """dout must have the shape of the convolution's output, as torch.nn.grad requires."""
    spatial = tuple(conv_out_size(*a) for a in zip(x_shape[2:], weight_shape[2:], stride, pads, dilation))
    want = (x_shape[0], weight_shape[0]) + spatial
    if dout.shape != want:
        raise ValueError(f"dout must have shape {want}, the convolution's output for input {x_shape} and weight "
                         f"{weight_shape}, got {dout.shape}")


def _grad_arguments(dout, x_shape, weight_shape, stride, padding, dilation, groups):
    """Checked, batched arguments of the two gradient functions; x_shape and weight_shape as tuples."""
    x_shape, weight_shape, dout = tuple(map(int, x_shape)), tuple(map(int, weight_shape)), np.asarray(dout)
    stride, pads, dilation = conv_geometry(x_shape, weight_shape, None, stride, padding, dilation, groups)
    unbatched = len(x_shape) == 3
    x_shape, dout = ((1,) + x_shape, dout[None]) if unbatched else (x_shape, dout)
    _check_dout(dout, x_shape, weight_shape, stride, pads, dilation)
    return dout, x_shape, weight_shape, stride, pads, dilation, unbatched


def conv2d_input_grad(dout, weight, input_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx of conv2d for dL/dout, x of shape ``input_size`` (as ``torch.nn.grad.conv2d_input``)."""
    weight = np.asarray(weight)
    dout, x_shape, _, stride, pads, dilation, unbatched = _grad_arguments(
        dout, input_size, weight.shape, stride, padding, dilation, groups)
    dx = _input_grad(dout, weight, x_shape, stride, pads, dilation, groups)
    return dx[0] if unbatched else dx


def conv2d_weight_grad(x, dout, weight_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dweight of conv2d for dL/dout, weight of shape ``weight_size`` (as ``torch.nn.grad.conv2d_weight``)."""
    x = np.asarray(x)
    dout, x_shape, weight_shape, stride, pads, dilation, unbatched = _grad_arguments(
        dout, x.shape, weight_size, stride, padding, dilation, groups)
    cols, _ = _im2col(x[None] if unbatched else x, weight_shape[2:], stride, pads, dilation)
    return _weight_grad(cols, dout, weight_shape, groups)


def _conv1d_arguments(x, weight, bias, stride, padding, dilation, groups):
    """A 1-D convolution's arguments, checked, as the 2-D one's on a height-1 image: (N, C, L) -> (N, C, 1, L)."""
    x, weight = np.asarray(x), np.asarray(weight)
    stride, pads, dilation = conv_geometry(x, weight, bias, stride, padding, dilation, groups, dims=1)
    padding = padding if isinstance(padding, str) else (0, pads[0][0])
    return x[..., None, :], weight[..., None, :], bias, (1,) + stride, padding, (1,) + dilation, groups


def conv1d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, f, i] = b[f] + sum_{c, u} x_pad[n, c, i*s + u*d] * w[f, c, u]: x (N, C, L) or (C, L), weight
    (F, C/groups, K) -> (N, F, OL) as ``torch.nn.functional.conv1d``; the 2-D pass on a height-1 image."""
    out, cache = conv2d_forward(*_conv1d_arguments(x, weight, bias, stride, padding, dilation, groups))
    return out[..., 0, :], cache


def conv1d_backward(dout, cache):
    """(dx, dweight, dbias) from dL/dout (N, F, OL) or (F, OL), by :func:`conv2d_backward` on height 1."""
    dx, dweight, dbias = conv2d_backward(np.asarray(dout)[..., None, :], cache)
    return dx[..., 0, :], dweight[..., 0, :], dbias


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The 1-D convolution (PyTorch's ``conv1d``): see :func:`conv1d_forward`."""
    return conv1d_forward(x, weight, bias, stride, padding, dilation, groups)[0]


class ConvLayer:
    """What the convolution layers share: torch's parameter layout and default init (drawn with NumPy from
    ``rng``), gradients after backward, and a torch-like repr. Subclasses name their forward/backward pair
    and the options it takes after (x, weight, bias), in order."""

    pair, options, transposed = None, (), False

    def __init__(self, in_channels, out_channels, kernel_size, bias, rng, dtype, **options):
        self.weight, self.bias = conv_init(in_channels, out_channels, kernel_size, rng, dtype,
                                           groups=options["groups"], transposed=self.transposed)
        if not bias:  # drawn all the same, so a network's later draws do not depend on this option
            self.bias = None
        check_conv_options(self.weight.shape[2:], options["stride"], options["padding"], options["dilation"],
                           options["groups"], self.transposed, options.get("output_padding", 0))
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        vars(self).update(options)
        self.grads, self._cache = {}, None

    def forward(self, x):
        out, self._cache = self.pair[0](x, self.weight, self.bias, *(getattr(self, k) for k in self.options))
        return out

    __call__ = forward

    def backward(self, dout):
        dx, dweight, dbias = self.pair[1](dout, self._cache)
        self.grads = {"weight": dweight, "bias": dbias} if self.bias is not None else {"weight": dweight}
        return dx

    def parameters(self):
        return {"weight": self.weight, "bias": self.bias} if self.bias is not None else {"weight": self.weight}

    def __repr__(self):
        return f"{type(self).__name__}({conv_repr(self)})"


class Conv2d(ConvLayer):
    """A 2-D convolution layer for :class:`companion.np.Sequential`, with ``torch.nn.Conv2d``'s arguments
    (padding_mode "zeros" only); weight (F, C/groups, KH, KW), bias (F,)."""

    pair, options = (conv2d_forward, conv2d_backward), ("stride", "padding", "dilation", "groups")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, rng=None, dtype=np.float64):
        super().__init__(in_channels, out_channels, kernel_size, bias, rng, dtype, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)


class Conv1d(ConvLayer):
    """A 1-D convolution layer with ``torch.nn.Conv1d``'s arguments; weight (F, C/groups, K), bias (F,)."""

    pair, options = (conv1d_forward, conv1d_backward), ("stride", "padding", "dilation", "groups")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, rng=None, dtype=np.float64):
        kernel = (kernel_size,) if isinstance(kernel_size, (int, np.integer)) else kernel_size
        super().__init__(in_channels, out_channels, kernel, bias, rng, dtype, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)
        self.kernel_size = kernel_size


class Flatten:
    """(N, C, H, W) -> (N, C*H*W), between the convolutional and the dense part of a network."""

    def forward(self, x):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    __call__ = forward

    def backward(self, dout):
        return dout.reshape(self._shape)

    def parameters(self):
        return {}

    def __repr__(self):
        return "Flatten()"
