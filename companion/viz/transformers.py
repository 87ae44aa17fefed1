"""Figures of the page "Transformers": the encoder–decoder transformer drawn, gradients against depth, image
patches as tokens, and validation loss against time."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.patches import FancyBboxPatch

# Colours of the blocks in Vaswani et al.'s figure 1, loosely: attention orange, feed-forward blue, norms yellow.
_COLOUR = {"attn": "#f7c59f", "ff": "#a9d6f5", "norm": "#f9eb9b", "emb": "#f4b6c2", "out": "#c8e6c9"}
_W, _H = 2.4, 0.42          # width and height of one box


def _box(ax, x, y, label, kind):
    """A rounded box centred on (x, y); returns its (bottom, top) y."""
    ax.add_patch(FancyBboxPatch((x - _W / 2, y - _H / 2), _W, _H, boxstyle="round,pad=0.04",
                                facecolor=_COLOUR[kind], edgecolor="black", linewidth=1, zorder=3))
    ax.text(x, y, label, ha="center", va="center", fontsize=8 if len(label) < 22 else 7, zorder=4)
    return y - _H / 2, y + _H / 2


def _up(ax, x, y0, y1, colour="black"):
    ax.annotate("", (x, y1), (x, y0), arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.1), zorder=2)


def _residual(ax, x, y_from, y_to):
    """The skip path: leaves below a sub-layer, runs up its right side, enters the Add & Norm box above."""
    side = x + _W / 2 + 0.22
    ax.plot([x, side, side], [y_from, y_from, y_to], color="0.45", lw=1.1, zorder=1)
    ax.annotate("", (x + _W / 2, y_to), (side, y_to), arrowprops=dict(arrowstyle="-|>", color="0.45", lw=1.1))


def _stack(ax, x, y0, sublayers, label):
    """Draw sub-layers (each an (name, kind) pair followed by Add & Norm) from y0 upwards inside a frame
    marked ``label``; returns the y of the top and a dict name -> y of each sub-layer box."""
    where = {}
    for i, (name, kind) in enumerate(sublayers):
        y = y0 + 1.55 * i
        if i:                                              # from the Add & Norm below into this sub-layer
            _up(ax, x, y - 1.55 + 0.7 + _H / 2, y - _H / 2)
        _box(ax, x, y, name, kind)
        where[name] = y
        _up(ax, x, y + _H / 2, y + 0.7 - _H / 2)
        _box(ax, x, y + 0.7, "Add & Norm", "norm")
        _residual(ax, x, y - _H / 2 - 0.12, y + 0.7)       # the branch leaves just below the sub-layer
    top = y0 + 1.55 * (len(sublayers) - 1) + 0.7 + _H / 2
    ax.add_patch(FancyBboxPatch((x - _W / 2 - 0.35, y0 - 0.55), _W + 0.95, top - y0 + 0.75,
                                boxstyle="round,pad=0.05", facecolor="#f2f2f2", edgecolor="0.4", zorder=0))
    ax.text(x - _W / 2 - 0.5, (y0 + top) / 2, label, ha="right", va="center", fontsize=10)
    return top, where


def draw_transformer(ax=None):
    """The encoder–decoder transformer of Vaswani et al. (2017), after their figure 1: on the left the encoder
    (self-attention, feed-forward, each wrapped in a residual connection and a layer norm, the block repeated
    N times), on the right the decoder (masked self-attention, cross-attention whose keys and values are the
    encoder's output, feed-forward), then a linear layer and a softmax over the vocabulary. Post-norm, as in
    the paper. Returns the Axes."""
    if ax is None:
        ax = plt.subplots(figsize=(8, 7.6))[1]
    enc_x, dec_x = 0.0, 4.6
    for x, name in ((enc_x, "inputs"), (dec_x, "outputs (shifted right)")):
        ax.text(x, -1.6, name, ha="center", va="center", fontsize=9)
        _up(ax, x, -1.4, -1.0 - _H / 2)
        _box(ax, x, -1.0, "embedding", "emb")
        ax.text(x + 0.12, -0.35, "+ positions", ha="left", va="center", fontsize=8)
        _up(ax, x, -1.0 + _H / 2, 0.35 - _H / 2)
    enc_top, _ = _stack(ax, enc_x, 0.35, [("Multi-head attention", "attn"), ("Feed forward", "ff")], "N ×")
    dec_top, where = _stack(ax, dec_x, 0.35, [("Masked multi-head attention", "attn"),
                                              ("Multi-head attention", "attn"), ("Feed forward", "ff")], "")
    ax.text(dec_x + _W / 2 + 0.75, (0.35 + dec_top) / 2, "× N", ha="left", va="center", fontsize=10)
    # the encoder's output is the keys and values of every decoder layer's cross-attention
    cross_y = where["Multi-head attention"]
    ax.plot([enc_x, enc_x, (enc_x + dec_x) / 2, (enc_x + dec_x) / 2], [enc_top, enc_top + 0.5, enc_top + 0.5,
                                                                      cross_y], color="#b02a37", lw=1.4)
    ax.annotate("", (dec_x - _W / 2, cross_y), ((enc_x + dec_x) / 2, cross_y),
                arrowprops=dict(arrowstyle="-|>", color="#b02a37", lw=1.4))
    ax.text((enc_x + dec_x) / 2 - 0.08, cross_y + 0.6, "keys,\nvalues", ha="right", fontsize=7, color="#b02a37")
    y = dec_top + 0.55
    _up(ax, dec_x, dec_top, y - _H / 2)
    _box(ax, dec_x, y, "Linear", "out")
    _up(ax, dec_x, y + _H / 2, y + 0.7 - _H / 2)
    _box(ax, dec_x, y + 0.7, "Softmax", "out")
    ax.text(dec_x, y + 1.25, "next-token probabilities", ha="center", va="center", fontsize=9)
    ax.set_xlim(-2.6, 7.2)
    ax.set_ylim(-1.9, y + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_patches(image, patch, ax=None):
    """An image (H, W) with the grid of its p x p patches and each patch's token number. Returns the Axes."""
    image = np.asarray(image)
    h, w = image.shape
    if h % patch or w % patch:
        raise ValueError(f"patch={patch} must divide the image's height and width, got {h} x {w}")
    if ax is None:
        ax = plt.subplots(figsize=(3, 3))[1]
    ax.imshow(image, cmap="gray_r")
    for k in range(0, h + 1, patch):
        ax.axhline(k - 0.5, color="#b02a37", lw=1.5)
    for k in range(0, w + 1, patch):
        ax.axvline(k - 0.5, color="#b02a37", lw=1.5)
    for i in range(h // patch):
        for j in range(w // patch):
            ax.text(j * patch + (patch - 1) / 2, i * patch + (patch - 1) / 2, str(i * (w // patch) + j),
                    ha="center", va="center", color="#1f77b4", fontsize=12, fontweight="bold")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_loss_vs_time(curves, ax=None, ylabel="validation loss (nats per character)",
                      xlabel="training time (seconds, this machine)"):
    """Validation loss against wall-clock seconds (or another x, named by ``xlabel``), one curve per model:
    ``curves`` = {label: (seconds, losses)}. Returns the Axes."""
    if ax is None:
        ax = plt.subplots(figsize=(7, 3.4))[1]
    for label, (seconds, losses) in curves.items():
        if len(seconds) != len(losses):
            raise ValueError(f"{label!r} has {len(seconds)} times for {len(losses)} losses")
        ax.plot(seconds, losses, "o-", ms=3, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    plt.tight_layout()
    return ax


def plot_gradient_vs_depth(depths, norms, ax=None):
    """A gradient norm against the number of blocks, log-log, one curve per arrangement:
    ``norms`` = {label: [value at depths[0], …]}. Returns the Axes."""
    if ax is None:
        ax = plt.subplots(figsize=(6, 3.2))[1]
    for label, values in norms.items():
        if len(values) != len(depths):
            raise ValueError(f"{label!r} has {len(values)} values for {len(depths)} depths")
        ax.loglog(depths, values, "o-", label=label)
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.minorticks_off()
    # the norms often span less than a decade: label 1, 2 and 5 times each power of ten, as plain numbers
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.set_xlabel("number of blocks L")
    ax.set_ylabel("gradient norm, last block's $W_2$")
    ax.legend(fontsize=8)
    plt.tight_layout()
    return ax
