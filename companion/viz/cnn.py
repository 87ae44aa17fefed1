"""Figures of the chapter "Convolutional networks": filtered images, the multi-channel sum, receptive
fields, a shifted digit's feature maps, and a network's first-layer filters. Each function returns the
figure (or draws on the axes it is given)."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from companion.counting import receptive_field
from companion.data.images import get_filter
from companion.np.conv import conv2d


def _signed(ax, values, quantile=1.0):
    """A signed map with zero white, positive red and negative blue, symmetric about zero."""
    limit = max(float(np.quantile(np.abs(values), quantile)), 1e-12)
    return ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)


def _bare(axes):
    for ax in np.ravel(axes):
        ax.set_xticks([])
        ax.set_yticks([])


def plot_filter_grid(images, filter_names):
    """One row per image ({name: (H, W) array}), its original then its 3x3 filters' maps (padding 1).

    Blur and sharpen are shown in grey; the others, signed responses, in red (positive) and blue (negative).
    """
    fig, axes = plt.subplots(len(images), len(filter_names) + 1, figsize=(14, 2.35 * len(images)), squeeze=False)
    for row, (name, image) in enumerate(images.items()):
        axes[row, 0].imshow(image, cmap="gray")
        axes[row, 0].set_title(name if row else f"{name} (original)", fontsize=9)
        for col, filter_name in enumerate(filter_names, start=1):
            out = conv2d(image[None, None], get_filter(filter_name)[None, None], padding=1)[0, 0]
            if filter_name in ("blur", "sharpen"):
                axes[row, col].imshow(out, cmap="gray")
            else:
                _signed(axes[row, col], out, quantile=0.99)
            if row == 0:
                axes[row, col].set_title(filter_name, fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_channel_sum(x, weight, bias=0.0, channel_names=None):
    """How one filter meets a C-channel input: a row per channel c with the input x[c] (H, W), the
    filter's slice weight[c] (K, K) and their map x[c] * weight[c] (stride 1, no padding); the last
    column is the output map, the sum of the C maps plus the bias. ``channel_names``: one label per
    channel (by default its index). Returns the figure."""
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 3 or weight.ndim != 3 or len(x) != len(weight):
        raise ValueError(f"x must be (C, H, W) and weight (C, K, K) with the same C, got {x.shape} and {weight.shape}")
    channels = len(x)
    channel_names = channel_names or [f"channel {c}" for c in range(channels)]
    maps = [conv2d(x[c][None, None], weight[c][None, None])[0, 0] for c in range(channels)]
    out = sum(maps) + bias
    fig = plt.figure(figsize=(9, 2.1 * channels))
    grid = fig.add_gridspec(channels, 4, width_ratios=[1, 0.6, 1, 1.6])
    for c in range(channels):
        name = channel_names[c]
        for col, (values, title) in enumerate([(x[c], f"input: {name}"), (weight[c], f"filter's {name} slice"),
                                               (maps[c], f"{name} map")]):
            ax = fig.add_subplot(grid[c, col])
            (ax.imshow(values, cmap="gray") if col == 0 else _signed(ax, values))
            ax.set_title(title, fontsize=8)
    ax = fig.add_subplot(grid[:, 3])
    _signed(ax, out)
    ax.set_title(f"output map = sum of the {channels} maps + bias", fontsize=9)
    _bare(fig.axes)
    fig.tight_layout()
    return fig


def field_box(field, unit=(0, 0)):
    """(top, left, height, width) in input pixels of output ``unit``'s receptive field (a
    :class:`companion.counting.ReceptiveField`): centred at start + unit * jump, r pixels wide."""
    top, left = (s + u * j - (r - 1) / 2 for s, u, j, r in zip(field.start, unit, field.jump, field.r))
    return top, left, field.r[0], field.r[1]


def _pixel_grid(ax, h, w, color="0.8"):
    """Thin lines between the pixels of an (h, w) image drawn with imshow's default extent."""
    ax.hlines(np.arange(h + 1) - 0.5, -0.5, w - 0.5, color=color, lw=0.5)
    ax.vlines(np.arange(w + 1) - 0.5, -0.5, h - 0.5, color=color, lw=0.5)


def draw_receptive_field(ax, field, input_shape, unit=(0, 0), title=None, margin=None):
    """Draw an input grid (H, W) and shade the pixels output ``unit`` of ``field``'s layer sees; the
    dashed box is the whole field, padding included where it overhangs the image (``margin`` pixels of
    it shown around the image; enough for this field by default). Returns the shaded mask (H, W)."""
    h, w = input_shape
    top, left, r_h, r_w = field_box(field, unit)
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    mask = (rows >= top) & (rows < top + r_h) & (cols >= left) & (cols < left + r_w)
    ax.imshow(mask, cmap="Blues", vmin=0, vmax=1.6)
    if max(h, w) <= 40:  # a pixel grid while the pixels are big enough to see
        _pixel_grid(ax, h, w)
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), r_w, r_h, fill=False, ls="--", lw=1.5, color="tab:red"))
    if margin is None:
        margin = max(0.0, -top, -left, top + r_h - h, left + r_w - w)
    ax.set_xlim(-margin - 1, w + margin)
    ax.set_ylim(h + margin, -margin - 1)
    ax.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, lw=1, color="black"))
    ax.axis("off")
    ax.set_title(title if title is not None else f"field {field.r[0]}×{field.r[1]}", fontsize=8)
    return mask


def plot_receptive_fields(fields, input_shape, units, names=None):
    """One panel per layer: which input pixels (of an (H, W) input) output ``units[i]`` of layer i sees.

    fields: :func:`companion.counting.receptive_field`'s list; units: one (row, col) per field. All
    panels share one scale, with room for the largest overhang into the padding. Returns the figure.
    """
    if len(units) != len(fields):
        raise ValueError(f"need one unit per field, got {len(units)} units for {len(fields)} fields")
    h, w = input_shape
    boxes = [field_box(field, unit) for field, unit in zip(fields, units)]
    margin = max(max(0.0, -top, -left, top + r_h - h, left + r_w - w) for top, left, r_h, r_w in boxes)
    fig, axes = plt.subplots(1, len(fields), figsize=(2.4 * len(fields), 2.9), squeeze=False)
    for i, (ax, field, unit) in enumerate(zip(axes[0], fields, units)):
        name = names[i] if names else f"layer {field.index} ({field.name})"
        unit = tuple(int(u) for u in unit)
        draw_receptive_field(ax, field, input_shape, unit, margin=margin,
                             title=f"{name}, unit {unit}\nfield {field.r[0]}×{field.r[1]} pixels")
    fig.tight_layout()
    return fig


def plot_shift(images, maps, pooled, titles=("digit", "after shifting one pixel right")):
    """Rows: an image and its shifted copy; columns: the image (H, W), one feature map, and that map
    after pooling (each a pair of 2-D arrays, original first). Returns the figure."""
    fig, axes = plt.subplots(2, 3, figsize=(7.5, 5))
    for row in range(2):
        axes[row, 0].imshow(images[row], cmap="gray_r")
        axes[row, 0].set_ylabel(titles[row], fontsize=8)
        for col, pair in ((1, maps), (2, pooled)):
            limit = max(float(np.abs(pair[0]).max()), float(np.abs(pair[1]).max()), 1e-12)
            axes[row, col].imshow(pair[row], cmap="magma", vmin=0, vmax=limit)
    for col, title in enumerate(["image", "feature map (convolution)", "after 2×2 max pooling"]):
        axes[0, col].set_title(title, fontsize=9)
    _bare(axes)
    fig.tight_layout()
    return fig


def plot_learned_filters(initial, trained, image, maps):
    """Rows: a layer's (F, K, K) filters as initialized, as trained, and the maps (F, H, W) they give
    for ``image`` (H, W), drawn at the left of the middle row. The maps (after a ReLU, so >= 0) are drawn
    from 0: black is zero, not each map's smallest value. Returns the figure."""
    count = len(trained)
    fig, axes = plt.subplots(3, count + 1, figsize=(15, 3.6))
    axes[1, 0].imshow(image, cmap="gray_r")
    axes[1, 0].set_title("input", fontsize=8)
    for i in range(count):
        for row, weights in ((0, initial[i]), (1, trained[i])):
            _signed(axes[row, i + 1], weights)
        axes[2, i + 1].imshow(maps[i], cmap="magma", vmin=0)
    _bare(axes)
    for ax in axes[[0, 2], 0]:
        ax.axis("off")
    for row, label in enumerate(["initial", "trained", "map"]):
        axes[row, 1].set_ylabel(label, fontsize=8)
    fig.tight_layout()
    return fig


def stack_support(layers, kernel_size, stride=1, dilation=1):
    """The input pixels (per axis, sorted) that output 0 of ``layers`` identical convolutions (kernel,
    stride, dilation, no padding) depends on: walking down, position i of a layer reads i * stride +
    u * dilation for u < kernel_size. Dilation can leave holes; the span is the receptive field."""
    support = {0}
    for _ in range(layers):
        support = {i * stride + u * dilation for i in support for u in range(kernel_size)}
    return np.array(sorted(support))


def plot_stack_field(layers, kernel_size, stride=1, dilation=1, ax=None):
    """The input grid under output (0, 0) of a stack of identical square convolutions: shaded, the
    pixels it depends on (:func:`stack_support` on each axis); dashed, its receptive field as
    :func:`companion.counting.receptive_field` computes it. Returns (figure, mask of the shaded pixels)."""
    field = receptive_field([dict(kernel_size=kernel_size, stride=stride, dilation=dilation)] * layers)[-1]
    support = stack_support(layers, kernel_size, stride, dilation)
    side = field.r[0]
    mask = np.zeros((side, side), dtype=bool)
    mask[np.ix_(support, support)] = True
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(mask, cmap="Blues", vmin=0, vmax=1.3)
    if side <= 40:
        _pixel_grid(ax, side, side, color="0.85")
    ax.add_patch(Rectangle((-0.5, -0.5), side, side, fill=False, ls="--", lw=1.5, color="tab:red"))
    ax.set_xlim(-1.5, side + 0.5)
    ax.set_ylim(side + 0.5, -1.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{layers} layer{'s' if layers > 1 else ''} of {kernel_size}×{kernel_size}, stride {stride}, "
                 f"dilation {dilation}:\nfield {side}×{side}, {int(mask.sum())} pixels read", fontsize=9)
    return ax.figure, mask
