"""Convolution and pooling (chapter: Convolutional networks), forward and backward by hand.

Shapes follow PyTorch: images x (N, C, H, W); filters weight (F, C, KH, KW); bias (F,); outputs
(N, F, OH, OW) with OH = (H + 2 padding - KH) // stride + 1, and likewise OW.
:func:`conv2d_naive` is the definition written as loops, for reading; :func:`conv2d` computes the same
with a sliding-window view and one matrix product.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from companion._init import conv_init
from companion._validate import adaptive_output_size, check_conv_shapes, check_finite, check_pool_args


def _pad(x, padding, value=0.0):
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=value)


def _windows(xp, kh, kw, stride):
    """All kh x kw windows of padded images xp (N, C, H, W), as a view (N, C, OH, OW, kh, kw)."""
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


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


def _scatter_windows(dwindows, padded_shape, stride, padding):
    """Add each window's gradient (N, C, OH, OW, KH, KW) back where the window came from; unpad."""
    n, c, oh, ow, kh, kw = dwindows.shape
    dxp = np.zeros(padded_shape, dtype=dwindows.dtype)
    for u in range(kh):  # KH * KW strided additions instead of a loop over every output position
        for v in range(kw):
            dxp[:, :, u:u + stride * oh:stride, v:v + stride * ow:stride] += dwindows[..., u, v]
    if padding:
        dxp = dxp[:, :, padding:-padding, padding:-padding]
    return dxp


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


def _pool_windows(x, kernel_size, stride, padding, pad_value):
    stride = kernel_size if stride is None else stride
    check_pool_args(x, kernel_size, stride, padding)
    xp = _pad(np.asarray(x), padding, pad_value)
    return xp, _windows(xp, kernel_size, kernel_size, stride), stride


def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """out = the maximum of each kernel_size x kernel_size window (stride defaults to kernel_size)."""
    xp, windows, stride = _pool_windows(x, kernel_size, stride, padding, -np.inf)
    flat = windows.reshape(*windows.shape[:4], -1)
    argmax = flat.argmax(axis=-1)  # the first maximum, as PyTorch picks
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, (xp.shape, argmax, kernel_size, stride, padding)


def max_pool2d_backward(dout, cache):
    """The gradient goes to the one input that was the maximum of each window."""
    padded_shape, argmax, k, stride, padding = cache
    chosen = (argmax[..., None] == np.arange(k * k)).reshape(*argmax.shape, k, k)
    return _scatter_windows(chosen * dout[..., None, None], padded_shape, stride, padding)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """out = the mean of each window (zero padding counted, as PyTorch's default)."""
    xp, windows, stride = _pool_windows(x, kernel_size, stride, padding, 0.0)
    return windows.mean(axis=(-2, -1)), (xp.shape, kernel_size, stride, padding)


def avg_pool2d_backward(dout, cache):
    """Every input of a window receives dout / kernel_size^2."""
    padded_shape, k, stride, padding = cache
    share = np.broadcast_to((dout / (k * k))[..., None, None], (*dout.shape, k, k))
    return _scatter_windows(share, padded_shape, stride, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return avg_pool2d_forward(x, kernel_size, stride, padding)[0]


def _adaptive_weights(size, out, dtype):
    """(out, size) averaging matrix: row i holds 1/len over rows floor(i*size/out) .. ceil((i+1)*size/out) - 1."""
    a = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, stop = i * size // out, -(-(i + 1) * size // out)
        a[i, start:stop] = 1.0 / (stop - start)
    return a


def adaptive_avg_pool2d_forward(x, output_size):
    """Average pooling to a fixed output size (OH, OW), as PyTorch's ``adaptive_avg_pool2d``.

    out[n, c, i, j] = mean of x[n, c, h0:h1, w0:w1] with h0 = floor(i*H/OH), h1 = ceil((i+1)*H/OH) and
    likewise w0, w1: windows may overlap and differ in size. Computed as out = A_h @ x @ A_w^T, with
    A_h (OH, H) holding each window's 1/(h1 - h0). output_size 1 is global average pooling.

    Shape: x (N, C, H, W) or (C, H, W); output_size an int or an (OH, OW) pair, None keeping that input size;
    out (N, C, OH, OW) or (C, OH, OW).
    """
    x = np.asarray(x)
    oh, ow = adaptive_output_size(x, output_size)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    a_h, a_w = _adaptive_weights(x.shape[-2], oh, dtype), _adaptive_weights(x.shape[-1], ow, dtype)
    out = np.einsum("ih,...hw,jw->...ij", a_h, x, a_w)  # (..., OH, OW)
    return out, (a_h, a_w)


def adaptive_avg_pool2d_backward(dout, cache):
    """dx = A_h^T @ dout @ A_w: each input receives dout/window size from every window that holds it."""
    a_h, a_w = cache
    return np.einsum("ih,...ij,jw->...hw", a_h, dout, a_w)  # (..., H, W)


def adaptive_avg_pool2d(x, output_size):
    return adaptive_avg_pool2d_forward(x, output_size)[0]


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


class _Pool:
    forward_fn = backward_fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding, self._cache = kernel_size, stride, padding, None

    def forward(self, x):
        out, self._cache = type(self).forward_fn(x, self.kernel_size, self.stride, self.padding)
        return out

    __call__ = forward

    def backward(self, dout):
        return type(self).backward_fn(dout, self._cache)

    def parameters(self):
        return {}

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size})"


class MaxPool2d(_Pool):
    forward_fn, backward_fn = staticmethod(max_pool2d_forward), staticmethod(max_pool2d_backward)


class AvgPool2d(_Pool):
    forward_fn, backward_fn = staticmethod(avg_pool2d_forward), staticmethod(avg_pool2d_backward)


class AdaptiveAvgPool2d:
    """Adaptive average pooling to ``output_size`` (1: global average pooling), for a Sequential."""

    def __init__(self, output_size):
        self.output_size, self._cache = output_size, None

    def forward(self, x):
        out, self._cache = adaptive_avg_pool2d_forward(x, self.output_size)
        return out

    __call__ = forward

    def backward(self, dout):
        return adaptive_avg_pool2d_backward(dout, self._cache)

    def parameters(self):
        return {}

    def __repr__(self):
        return f"AdaptiveAvgPool2d(output_size={self.output_size})"


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
