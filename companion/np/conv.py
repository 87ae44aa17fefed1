"""Convolution (chapter: Convolutional networks), forward and backward by hand.

Shapes follow PyTorch: images x (N, C, H, W) or one image (C, H, W); filters weight (F, C/groups, KH, KW);
bias (F,) or None; outputs (N, F, OH, OW) with, per axis,

    OH = floor((H + pad_top + pad_bottom - dilation (KH - 1) - 1) / stride) + 1.

Every argument is ``torch.nn.functional.conv2d``'s: stride, padding and dilation an int or a pair, padding
also "valid" (none) or "same" (d (k - 1) in total per axis, the odd one at the bottom/right; stride 1 only),
groups splitting the channels into independent convolutions (depthwise when groups == C).
:func:`conv2d_naive` is the definition written as loops, for reading; :func:`conv2d` computes the same
by copying every patch into a column (im2col) and one matrix product per group, a few images at a
time so that the columns are still in cache when the product reads them. The backward pass is two
public functions, the twins of ``torch.nn.grad.conv2d_input`` and ``conv2d_weight``.
:func:`conv1d` is the same on a height-1 image.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

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


_CHUNK_BYTES = 2 ** 21  # columns built per matrix product: about 2 MB, so they are still in cache when used


class _Frame:
    """Where a convolution's columns come from: the padded, channel-first images (C, N, Hp, Wp), and how
    the batch is cut into chunks of ``nb`` images whose columns fill about :data:`_CHUNK_BYTES`.

    ``flat`` (stride 1): column q of a chunk is the pixel q of the flattened padded images, and tap (u, v)
    reads pixel q + u dh Wp + v dw, so every row of the columns is one contiguous copy, and col2im one
    contiguous addition per tap; the output (n, i, j) is column n Hp Wp + i Wp + j, the other columns (a
    patch wrapping round an edge: Hp Wp / (OH OW) - 1 more work, 13% for 32x32 images padded by 1) are
    computed and dropped. Otherwise (stride > 1) one column per output, (n, i, j), read with strides.
    """

    def __init__(self, x_shape, kernel, stride, pads, dilation, out_size, rows, itemsize):
        n, c, h, w = x_shape
        (self.kh, self.kw), self.stride, self.dilation = kernel, stride, dilation
        (pt, pb), (pl, pr) = pads
        self.hp, self.wp = h + pt + pb, w + pl + pr
        natural = [conv_out_size(*a) for a in zip((h, w), kernel, stride, pads, dilation)]
        self.oh, self.ow = out_size or natural
        self.flat = stride == (1, 1)
        self.reach = (self.kh - 1) * dilation[0] * self.wp + (self.kw - 1) * dilation[1]  # last tap's offset
        per_image = self.hp * self.wp if self.flat else self.oh * self.ow
        self.nb = max(1, min(n, _CHUNK_BYTES // max(1, rows * per_image * itemsize)))

    def width(self, nb):
        """Columns for a chunk of nb images."""
        return nb * self.hp * self.wp - self.reach if self.flat else nb * self.oh * self.ow

    def chunks(self, n):
        """Slices of the batch, nb images each (the last may have fewer)."""
        return [slice(n0, min(n, n0 + self.nb)) for n0 in range(0, n, self.nb)]

    def columns(self, xpc, buffer):
        """xpc (C, nb, Hp, Wp), one chunk of padded images -> its columns (C*KH*KW, width), rows (c, u, v),
        written into ``buffer`` by one copy."""
        c, nb = xpc.shape[:2]
        (dh, dw), s, m = self.dilation, xpc.strides, self.width(nb)
        if self.flat and self.kh * self.kw == 1:
            return xpc.reshape(c, m)  # a 1x1 kernel's columns are the images themselves
        if self.flat:
            view = as_strided(xpc, (c, self.kh, self.kw, m), (s[0], dh * s[2], dw * s[3], s[3]), writeable=False)
        else:
            (sh, sw) = self.stride
            view = as_strided(xpc, (c, self.kh, self.kw, nb, self.oh, self.ow),
                              (s[0], dh * s[2], dw * s[3], s[1], sh * s[2], sw * s[3]), writeable=False)
        cols = buffer[:view.size].reshape(view.shape)
        np.copyto(cols, view)
        return cols.reshape(c * self.kh * self.kw, m)

    def outputs(self, product, nb):
        """The (F, width) product of a chunk as a view (F, nb, OH, OW)."""
        if not self.flat:
            return product.reshape(-1, nb, self.oh, self.ow)
        step = product.itemsize
        return as_strided(product, (product.shape[0], nb, self.oh, self.ow),
                          (product.strides[0], self.hp * self.wp * step, self.wp * step, step), writeable=False)

    def gradient_matrix(self, dout, frame):
        """dout (nb, F, OH, OW) as the (F, width) matrix lined up with the columns; ``frame`` (F, NB, Hp, Wp)
        (flat: zero but for the outputs, which this overwrites) or (F, NB*OH*OW) is the space for it."""
        nb, f = dout.shape[:2]
        if not self.flat:
            d = frame.reshape(-1)[:f * nb * self.oh * self.ow].reshape(f, nb, self.oh, self.ow)
            d[...] = dout.transpose(1, 0, 2, 3)
            return d.reshape(f, -1)
        frame[:, :nb, :self.oh, :self.ow] = dout.transpose(1, 0, 2, 3)
        return frame.reshape(f, -1)[:, :self.width(nb)]

    def gradient_frame(self, f, dtype):
        """Space for :meth:`gradient_matrix`, reused chunk after chunk."""
        shape = (f, self.nb, self.hp, self.wp) if self.flat else (f, self.nb * self.oh * self.ow)
        return (np.zeros if self.flat else np.empty)(shape, dtype=dtype)


def _padded(x, pads):
    """(N, C, H, W) -> zero-padded and channel-first, (C, N, Hp, Wp): one copy that also transposes."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = pads
    xpc = np.zeros((c, n, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xpc[:, :, pt:pt + h, pl:pl + w] = x.transpose(1, 0, 2, 3)
    return xpc


def _grouped(a, groups):
    """(G*R, M) -> (G, R, M): the rows of each group, for one batched matrix product per group."""
    return a.reshape(groups, a.shape[0] // groups, -1)


def _batched(x):
    """(N, C, H, W) stays; one image (C, H, W) gains a batch axis. Returns (x4, was_unbatched)."""
    return (x, False) if x.ndim == 4 else (x[None], True)


def _patches(x, kernel, stride, pads, dilation, out_size=None):
    """What the weight gradient needs of x: its padded channel-first images, their :class:`_Frame`, and
    the columns themselves when the batch is a single chunk (else None: they are rebuilt chunk by chunk)."""
    xpc = _padded(x, pads)
    frame = _Frame(x.shape, kernel, stride, pads, dilation, out_size, x.shape[1] * kernel[0] * kernel[1],
                   x.itemsize)
    return xpc, frame, None


def _forward(x, weight, bias, stride, pads, dilation, groups, out_size=None):
    """out (N, F, OH, OW) = per group, weight_g (F/G, C/G*KH*KW) @ columns_g, chunk by chunk of images;
    also returns the patches (:func:`_patches`) for the weight gradient."""
    f, n = weight.shape[0], x.shape[0]
    xpc, frame, _ = patches = _patches(x, weight.shape[2:], stride, pads, dilation, out_size)
    dtype = np.result_type(x, weight)
    bias = None if bias is None else np.asarray(bias)
    # channel-major, (F, N, OH, OW), returned as its (N, F, OH, OW) view: the copy out of the product moves
    # whole rows, and the per-channel work after it (batch norm, this layer's bias gradient) reads blocks
    out = np.empty((f, n, frame.oh, frame.ow), dtype=dtype if bias is None else np.result_type(dtype, bias))
    w = _grouped(weight.reshape(f, -1), groups)
    cols_buffer = np.empty(xpc.shape[0] * frame.kh * frame.kw * frame.width(frame.nb), dtype=x.dtype)
    product_buffer = np.empty(f * frame.width(frame.nb), dtype=dtype)
    for chunk in frame.chunks(n):
        cols = frame.columns(xpc[:, chunk], cols_buffer)
        product = product_buffer[:f * cols.shape[1]].reshape(f, -1)
        np.matmul(w, _grouped(cols, groups), out=_grouped(product, groups))
        if bias is None:
            out[:, chunk] = frame.outputs(product, chunk.stop - chunk.start)
        else:
            np.add(frame.outputs(product, chunk.stop - chunk.start), bias[:, None, None, None], out=out[:, chunk])
    if len(frame.chunks(n)) == 1:  # one chunk: its columns (in the buffer) save the weight gradient a copy
        patches = (xpc, frame, cols)
    return out.transpose(1, 0, 2, 3), patches


def _input_grad(dout, weight, x_shape, stride, pads, dilation, groups):
    """dx for dout (N, F, OH, OW) and x of shape x_shape, chunk by chunk of images: per group,
    dcols_g = weight_g^T @ dout_g, added back onto the image where each patch came from (:func:`_col2im`)."""
    n, c, h, w = x_shape
    f, _, kh, kw = weight.shape
    dtype = np.result_type(dout, weight)
    frame = _Frame(x_shape, (kh, kw), stride, pads, dilation, dout.shape[2:], c * kh * kw, np.dtype(dtype).itemsize)
    (pt, _), (pl, _) = pads
    dx = np.empty((c, n, h, w), dtype=dtype)  # channel-major, as the forward pass's output
    wt = _grouped(weight.reshape(f, -1), groups).transpose(0, 2, 1)  # (G, C/G*KH*KW, F/G)
    dframe = frame.gradient_frame(f, dtype)
    dcols_buffer = np.empty(c * kh * kw * frame.width(frame.nb), dtype=dtype)
    dxp_buffer = np.empty(c * frame.nb * frame.hp * frame.wp, dtype=dtype)
    for chunk in frame.chunks(n):
        d2 = frame.gradient_matrix(dout[chunk], dframe)
        dcols = dcols_buffer[:c * kh * kw * d2.shape[1]].reshape(c * kh * kw, -1)
        np.matmul(wt, _grouped(d2, groups), out=_grouped(dcols, groups))
        dxc = dxp_buffer[:c * (chunk.stop - chunk.start) * frame.hp * frame.wp].reshape(c, -1, frame.hp, frame.wp)
        dxc[...] = 0
        _col2im(dcols, dxc, frame)
        dx[:, chunk] = dxc[:, :, pt:pt + h, pl:pl + w]
    return dx.transpose(1, 0, 2, 3)


def _col2im(dcols, dxp, frame):
    """The adjoint of the column copy: add every column's entries back onto dxp (C, nb, Hp, Wp) where the
    patch came from."""
    c, nb = dxp.shape[:2]
    if frame.flat:  # tap (u, v) of column q lands on pixel q + u dh Wp + v dw: contiguous additions
        dcols, flat, m = dcols.reshape(c, frame.kh, frame.kw, -1), dxp.reshape(c, -1), dcols.shape[1]
        (dh, dw) = frame.dilation
        for u in range(frame.kh):
            for v in range(frame.kw):
                offset = u * dh * frame.wp + v * dw
                flat[:, offset:offset + m] += dcols[:, u, v]
        return
    dcols = dcols.reshape(c, frame.kh, frame.kw, nb, frame.oh, frame.ow)
    for u in range(frame.kh):
        for v in range(frame.kw):
            dxp[(slice(None), slice(None)) + _window_slices(u, v, frame.stride, frame.dilation, frame.oh,
                                                            frame.ow)] += dcols[:, u, v]


def _weight_grad(patches, dout, weight_shape, groups):
    """dweight = per group, sum over chunks of dout_g (F/G, width) @ columns_g^T, reshaped to weight_shape."""
    xpc, frame, kept = patches
    f = weight_shape[0]
    dtype = np.result_type(xpc, dout)
    dweight = np.zeros((groups, f // groups, int(np.prod(weight_shape[1:]))), dtype=dtype)
    part = np.empty_like(dweight)
    cols_buffer = None if kept is not None else np.empty(
        xpc.shape[0] * frame.kh * frame.kw * frame.width(frame.nb), dtype=xpc.dtype)
    dframe = frame.gradient_frame(f, dout.dtype)
    for chunk in frame.chunks(dout.shape[0]):
        cols = kept if kept is not None else frame.columns(xpc[:, chunk], cols_buffer)
        d2 = frame.gradient_matrix(dout[chunk], dframe)
        np.matmul(_grouped(d2, groups), _grouped(cols, groups).transpose(0, 2, 1), out=part)
        dweight += part
    return dweight.reshape(weight_shape)


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
    patches = _patches(x[None] if unbatched else x, weight_shape[2:], stride, pads, dilation)
    return _weight_grad(patches, dout, weight_shape, groups)


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
