"""Transfer-learning figures: accuracy against the number of labels per method, and the first layer's filters."""

import matplotlib.pyplot as plt
import numpy as np

_LABELS = {"probe": "linear probe (frozen features)", "finetune": "fine-tuning (layer-wise rates)",
           "scratch": "from scratch"}


def plot_transfer_curve(curve, ax=None, spread=True):
    """Test accuracy against k labelled images per class, one line per method, k on a log axis.

    Args:
        curve: the dict ``companion.transfer.transfer_curve`` returns: ``k`` (K,), ``accuracy``
            (method -> (K,) mean over seeds) and ``per_seed`` (method -> (S, K)).
        spread: shade each method's lowest to highest accuracy over the seeds.

    Returns the axes.
    """
    k = np.asarray(curve["k"])
    if not curve["accuracy"]:
        raise ValueError("curve['accuracy'] names no method to draw")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5))
    for method, acc in curve["accuracy"].items():
        acc = np.asarray(acc, dtype=float)
        if acc.shape != k.shape:
            raise ValueError(f"accuracy of {method!r} has shape {acc.shape}, k has {k.shape}")
        (line,) = ax.plot(k, acc, marker="o", label=_LABELS.get(method, method))
        runs = np.asarray(curve.get("per_seed", {}).get(method, acc[None]))
        if spread and len(runs) > 1:
            ax.fill_between(k, runs.min(0), runs.max(0), color=line.get_color(), alpha=0.15)
    ax.set_xscale("log")
    ax.set_xticks(k, [str(int(v)) for v in k])
    ax.minorticks_off()
    ax.set_xlabel("labelled images per class (k)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    return ax


def plot_filters(weight, ncols=8, axes=None):
    """The first convolution's kernels as images: weight (F, 1, KH, KW), a tensor or an array.

    Each kernel is drawn on a grey scale centred on zero (its own symmetric range), so a dark and a
    light pixel mean opposite signs. Returns the figure.
    """
    w = np.asarray(weight.detach().cpu() if hasattr(weight, "detach") else weight, dtype=float)
    if w.ndim != 4 or w.shape[1] != 1:
        raise ValueError(f"weight must be (filters, 1, height, width), got shape {w.shape}")
    n = w.shape[0]
    nrows = -(-n // ncols)
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(1.0 * ncols, 1.0 * nrows), squeeze=False)
    axes = np.asarray(axes).reshape(-1)
    if len(axes) < n:
        raise ValueError(f"{n} filters need {n} axes, got {len(axes)}")
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            bound = np.abs(w[i, 0]).max() or 1.0
            ax.imshow(w[i, 0], cmap="gray", vmin=-bound, vmax=bound)
    return axes[0].figure
