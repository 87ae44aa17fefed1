"""Pooling (chapter: Convolutional networks), forward and backward by hand.

Shapes follow PyTorch: images x (N, C, H, W); outputs (N, C, OH, OW) with OH = (H + 2 padding - K) // stride + 1,
and likewise OW. Max pooling keeps each window's largest value, average pooling its mean; adaptive average
pooling picks the windows that give a requested output size.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from companion._validate import adaptive_output_size, check_pool_args
from companion.np.conv import _pad


def _windows(xp, kh, kw, stride):
    """All kh x kw windows of padded images xp (N, C, H, W), as a view (N, C, OH, OW, kh, kw)."""
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


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
