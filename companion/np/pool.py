"""Pooling (chapter: Convolutional networks), forward and backward by hand, with torch.nn.functional's options.

Shapes follow PyTorch: x (N, C, H, W) or unbatched (C, H, W); out (N, C, OH, OW) with, per axis,
OH = floor((H + 2 p - d (k - 1) - 1) / s) + 1, or the ceiling under ``ceil_mode`` as long as the last window
starts inside the image or its left padding. Max pooling keeps each window's largest value, average pooling
its mean; max unpooling puts the maxima back; adaptive average pooling picks windows for an output size.
"""

import numpy as np

from companion._validate import adaptive_output_size, check_divisor_override, pool_geometry, unpool_geometry


def _batched(x):
    """x as a floating (N, C, H, W) array, and whether the caller's input lacked the batch axis."""
    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    return (x[None], True) if x.ndim == 3 else (x, False)


def _padded(x, geometry, value):
    """x (N, C, H, W) padded by p before and after, or after by more where ceil_mode's last window needs it."""
    k, s, p, d, out = geometry
    after = [max(p[a], (out[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1 - x.shape[2 + a] - p[a]) for a in (0, 1)]
    if p == (0, 0) and after == [0, 0]:
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], after[0]), (p[1], after[1])), constant_values=value)


def _tap(xp, geometry, u, v):
    """What tap (u, v) of every window reads from the padded images xp: a strided view (N, C, OH, OW)."""
    k, s, _, d, (oh, ow) = geometry
    return xp[:, :, u * d[0]:u * d[0] + s[0] * (oh - 1) + 1:s[0], v * d[1]:v * d[1] + s[1] * (ow - 1) + 1:s[1]]


def _taps_of(geometry):
    """Every tap (u, v) of a window, in row-major order (torch's search order)."""
    k = geometry[0]
    return [(u, v) for u in range(k[0]) for v in range(k[1])]


def _first_real(out, stride, padding, dilation):
    """(out,): the position of each window's first tap at or after 0 (its first real input); torch starts there."""
    start = np.arange(out) * stride - padding
    return np.where(start < 0, start + (dilation - 1 - start) // dilation * dilation, start)


def _rows(a):
    """(..., H, W) as (planes, H * W), also when there are no planes."""
    return a.reshape(int(np.prod(a.shape[:-2])), a.shape[-2] * a.shape[-1])


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """out = the maximum of each window, padding counting as -inf; returns (out, cache = (x shape, indices)).

    indices[..., i, j] = h * W + w, where the maximum sits in its unpadded H x W plane: the first maximum in
    row-major window order, the last NaN where a window holds NaN, as PyTorch's CPU kernel picks.
    """
    k, s, p, d, (oh, ow) = geometry = pool_geometry(np.asarray(x), kernel_size, stride, padding, dilation, ceil_mode)
    xb, unbatched = _batched(x)
    xp = _padded(xb, geometry, -np.inf)
    out = np.full(xb.shape[:2] + (oh, ow), -np.inf, dtype=xb.dtype)
    taps = _taps_of(geometry)
    arg = np.zeros(out.shape, dtype=np.min_scalar_type(len(taps)))  # (N, C, OH, OW): which tap holds the max
    has_nan = np.isnan(xb).any()  # only then does torch's NaN rule need a pass of its own
    for t, (u, v) in enumerate(taps):  # KH * KW passes over strided views, as torch's loop over a window
        tap = _tap(xp, geometry, u, v)
        better = tap > out  # strictly larger: the first maximum stays
        if has_nan:
            better |= np.isnan(tap)  # any NaN takes the place, so the last NaN stays
        np.copyto(out, tap, where=better)
        np.copyto(arg, t, where=better)
    width = xb.shape[3]
    offsets = np.array([u * d[0] * width + v * d[1] for u, v in taps])  # tap t's position from window's (0, 0)
    indices = (np.arange(oh)[:, None] * s[0] - p[0]) * width + np.arange(ow) * s[1] - p[1] + offsets[arg]
    lost = out == -np.inf  # nothing above -inf: torch keeps the window's first real tap, not the padding
    if lost.any():
        first = _first_real(oh, s[0], p[0], d[0])[:, None] * width + _first_real(ow, s[1], p[1], d[1])  # (OH, OW)
        indices = np.where(lost, first, indices)
    if unbatched:
        out, indices = out[0], indices[0]
    return out, (np.shape(x), indices)


def max_pool2d_backward(dout, cache):
    """dx: each window's dout goes to the input that was its maximum (summed where windows share one)."""
    x_shape, indices = cache
    idx, size = _rows(indices), x_shape[-2] * x_shape[-1]
    where = idx + np.arange(len(idx))[:, None] * size  # (planes, OH * OW): positions in all planes at once
    dx = np.bincount(where.ravel(), weights=_rows(np.asarray(dout)).ravel(), minlength=len(idx) * size)
    return dx.astype(np.result_type(dout, np.float32)).reshape(x_shape)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """PyTorch's ``max_pool2d``: out, or (out, indices) with ``return_indices``."""
    out, (_, indices) = max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def _avg_divisor(size, geometry, count_include_pad):
    """(OH, OW): each window's size clipped to the padded image, then (unless counting padding) to the image."""
    k, s, p, _, out = geometry
    counts = []
    for a in (0, 1):
        start = np.arange(out[a]) * s[a] - p[a]
        stop = np.minimum(start + k[a], size[a] + p[a])
        if not count_include_pad:
            start, stop = np.maximum(start, 0), np.minimum(stop, size[a])
        counts.append(stop - start)
    return counts[0][:, None] * counts[1][None, :]


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    """out = the sum of each window / its divisor: the window's size within the padded image (count_include_pad),
    or within the image itself, or ``divisor_override``. Returns (out, cache)."""
    check_divisor_override(divisor_override)
    geometry = pool_geometry(np.asarray(x), kernel_size, stride, padding, 1, ceil_mode, fn="avg_pool2d")
    xb, unbatched = _batched(x)
    xp = _padded(xb, geometry, 0.0)
    divisor = np.asarray(divisor_override or _avg_divisor(xb.shape[2:], geometry, count_include_pad), xb.dtype)
    out = sum(_tap(xp, geometry, u, v) for u, v in _taps_of(geometry)) / divisor  # (N, C, OH, OW)
    return (out[0] if unbatched else out), (np.shape(x), xp.shape, geometry, divisor)


def avg_pool2d_backward(dout, cache):
    """Every input of a window receives dout / divisor: KH * KW strided additions, then the padding cut off."""
    x_shape, padded_shape, geometry, divisor = cache
    p, out_size = geometry[2], geometry[4]
    share = np.asarray(dout).reshape(padded_shape[:2] + out_size) / divisor
    dxp = np.zeros(padded_shape, dtype=share.dtype)
    for u, v in _taps_of(geometry):
        _tap(dxp, geometry, u, v)[...] += share
    return dxp[:, :, p[0]:p[0] + x_shape[-2], p[1]:p[1] + x_shape[-1]].reshape(x_shape)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """PyTorch's ``avg_pool2d``."""
    return avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)[0]


def max_unpool2d_forward(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Zeros (..., OH, OW) with each x put back at its index h * OW + w (the inverse of max pooling's choice).

    OH = (H - 1) s - 2 p + k unless ``output_size`` says otherwise (within a stride of it). Returns (out, cache).
    """
    x, indices = np.asarray(x), np.asarray(indices)
    oh, ow = unpool_geometry(x, indices, kernel_size, stride, padding, output_size)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    out = np.zeros((_rows(x).shape[0], oh * ow), dtype=x.dtype)
    np.put_along_axis(out, _rows(indices), _rows(x), axis=1)
    return out.reshape(x.shape[:-2] + (oh, ow)), indices


def max_unpool2d_backward(dout, cache):
    """dx = dout read back at the indices (a gather)."""
    indices = cache
    return np.take_along_axis(_rows(np.asarray(dout)), _rows(indices), axis=1).reshape(indices.shape)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """PyTorch's ``max_unpool2d``."""
    return max_unpool2d_forward(x, indices, kernel_size, stride, padding, output_size)[0]


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
    """A parameter-free layer for a Sequential: forward keeps the cache its backward needs."""
    _shown = ()

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def parameters(self):
        return {}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{name}={getattr(self, name)!r}' for name in self._shown)})"


class MaxPool2d(_Pool):
    """torch.nn.MaxPool2d: its options, argument order and attribute names (stride None becomes the kernel).
    With ``return_indices`` forward returns (out, indices), so it belongs before a MaxUnpool2d, not in a Sequential."""
    _shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation, self.return_indices, self.ceil_mode = padding, dilation, return_indices, ceil_mode
        self._cache = None

    def forward(self, x):
        out, self._cache = max_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.dilation,
                                              self.ceil_mode)
        return (out, self._cache[1]) if self.return_indices else out

    def backward(self, dout):
        return max_pool2d_backward(dout, self._cache)


class AvgPool2d(_Pool):
    """torch.nn.AvgPool2d: its options, argument order and attribute names (stride None becomes the kernel)."""
    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override, self._cache = divisor_override, None

    def forward(self, x):
        out, self._cache = avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                              self.count_include_pad, self.divisor_override)
        return out

    def backward(self, dout):
        return avg_pool2d_backward(dout, self._cache)


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class MaxUnpool2d(_Pool):
    """torch.nn.MaxUnpool2d: forward(x, indices, output_size=None); backward(dout) returns dx."""
    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.padding = _pair(kernel_size), _pair(padding)
        self.stride, self._cache = _pair(kernel_size if stride is None else stride), None

    def forward(self, x, indices, output_size=None):
        out, self._cache = max_unpool2d_forward(x, indices, self.kernel_size, self.stride, self.padding,
                                                output_size)
        return out

    def backward(self, dout):
        return max_unpool2d_backward(dout, self._cache)


class AdaptiveAvgPool2d(_Pool):
    """Adaptive average pooling to ``output_size`` (1: global average pooling), for a Sequential."""
    _shown = ("output_size",)

    def __init__(self, output_size):
        self.output_size, self._cache = output_size, None

    def forward(self, x):
        out, self._cache = adaptive_avg_pool2d_forward(x, self.output_size)
        return out

    def backward(self, dout):
        return adaptive_avg_pool2d_backward(dout, self._cache)
