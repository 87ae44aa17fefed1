"""Convolution (chapter: Convolutional networks), forward and backward by hand.

Shapes follow PyTorch: images x (N, C, H, W); filters weight (F, C, KH, KW); bias (F,); outputs
(N, F, OH, OW) with OH = (H + 2 padding - KH) // stride + 1, and likewise OW.
:func:`conv2d_naive` is the definition written as loops, for reading; :func:`conv2d` computes the same
by copying every patch into a column (im2col) and one matrix product.
"""

import numpy as np

from companion._init import conv_init
from companion._validate import check_conv_shapes, check_finite


def _pad(x, padding, value=0.0):
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=value)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    """out[n, f, i, j] = b[f] + sum_{c, u, v} x_pad[n, c, i*s + u, j*s + v] * w[f, c, u, v], by loops."""
    check_conv_shapes(x, weight, bias, stride, padding)
    xp = _pad(np.asarray(x), padding)
    n, _, h, w = xp.shape
    f, _, kh, kw = weight.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, f, oh, ow), dtype=np.result_type(x, weight))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]  # (N, C, KH, KW)
            out[:, :, i, j] = np.tensordot(patch, weight, axes=([1, 2, 3], [1, 2, 3]))
    return out if bias is None else out + np.asarray(bias)[None, :, None, None]


def _im2col(x, kh, kw, stride, padding):
    """Every kh x kw patch of the padded images as one column: (C*KH*KW, N*OH*OW), rows ordered (c, u, v).

    Works channel-first, (C, N, H, W), so that each of the KH*KW copies below moves whole
    contiguous blocks: that, not the matrix product, is where a convolution in NumPy spends its time.
    """
    n, c, h, w = x.shape
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    xpc = np.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xpc[:, :, padding:padding + h, padding:padding + w] = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, u, v] = xpc[:, :, u:u + stride * oh:stride, v:v + stride * ow:stride]
    return cols.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def _col2im(dcols, x_shape, kh, kw, stride, padding, oh, ow):
    """The adjoint of :func:`_im2col`: add every column's entries back where the patch came from."""
    n, c, h, w = x_shape
    dcols = dcols.reshape(c, kh, kw, n, oh, ow)
    dxpc = np.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=dcols.dtype)
    for u in range(kh):
        for v in range(kw):
            dxpc[:, :, u:u + stride * oh:stride, v:v + stride * ow:stride] += dcols[:, u, v]
    return dxpc[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3)


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """Vectorised convolution as one matrix product, weight (F, C*KH*KW) @ columns; returns (out, cache)."""
    x, weight = np.asarray(x), np.asarray(weight)
    check_conv_shapes(x, weight, bias, stride, padding)
    check_finite(x, "x")
    f, _, kh, kw = weight.shape
    cols, (oh, ow) = _im2col(x, kh, kw, stride, padding)
    out = (weight.reshape(f, -1) @ cols).reshape(f, x.shape[0], oh, ow).transpose(1, 0, 2, 3)  # (N, F, OH, OW)
    if bias is not None:
        out = out + np.asarray(bias)[None, :, None, None]
    return out, (x.shape, cols, weight, bias is not None, stride, padding, (oh, ow))


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """The convolution (as PyTorch's ``conv2d``, a cross-correlation): see the module docstring."""
    return conv2d_forward(x, weight, bias, stride, padding)[0]


def conv2d_backward(dout, cache):
    """(dx, dweight, dbias) from dL/dout (N, F, OH, OW).

    With out = W_flat @ cols: dW_flat = dout_flat @ cols^T, dcols = W_flat^T @ dout_flat, and dx is
    dcols folded back onto the image (col2im).
    """
    x_shape, cols, weight, has_bias, stride, padding, (oh, ow) = cache
    f, _, kh, kw = weight.shape
    d2 = dout.transpose(1, 0, 2, 3).reshape(f, -1)  # (F, N*OH*OW), the order of the columns
    dweight = (d2 @ cols.T).reshape(weight.shape)
    dx = _col2im(weight.reshape(f, -1).T @ d2, x_shape, kh, kw, stride, padding, oh, ow)
    return dx, dweight, dout.sum(axis=(0, 2, 3)) if has_bias else None


class Conv2d:
    """A convolution layer for :class:`companion.np.Sequential` (PyTorch's parameter layout and init)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *, bias=True, rng=None,
                 dtype=np.float64):
        self.weight, self.bias = conv_init(in_channels, out_channels, kernel_size, rng, dtype)
        if not bias:  # drawn all the same, so a network's later draws do not depend on this option
            self.bias = None
        self.stride, self.padding, self.grads, self._cache = stride, padding, {}, None

    def forward(self, x):
        out, self._cache = conv2d_forward(x, self.weight, self.bias, self.stride, self.padding)
        return out

    __call__ = forward

    def backward(self, dout):
        dx, dweight, dbias = conv2d_backward(dout, self._cache)
        self.grads = {"weight": dweight, "bias": dbias} if self.bias is not None else {"weight": dweight}
        return dx

    def parameters(self):
        return {"weight": self.weight, "bias": self.bias} if self.bias is not None else {"weight": self.weight}

    def __repr__(self):
        f, c, k, _ = self.weight.shape
        return f"Conv2d({c}, {f}, kernel_size={k}, stride={self.stride}, padding={self.padding})"


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
