"""Animations for readers of the static HTML, who have no kernel to run the widgets.

``to_jshtml`` turns a matplotlib animation into self-contained HTML with a slider to scrub frames.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from companion.data import worked_example
from companion.viz.diagram import draw_network


def worked_example_sweep(name="w5", values=None):
    """Animate the worked example while parameter ``name`` sweeps ``values`` (default 21 steps on [-1, 1]).

    Each frame redraws the network with its weights and marks the output on the curve output(name).
    Returns a matplotlib FuncAnimation; display it with ``HTML(anim.to_jshtml())``.
    """
    worked_example.parameters(**{name: 0.0})  # rejects an unknown name before any drawing
    values = np.linspace(-1, 1, 21) if values is None else np.asarray(values, dtype=float)
    outputs = np.array([worked_example.forward_steps(**{name: v})["output"] for v in values])
    fig, (ax_net, ax_curve) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
    fig.subplots_adjust(bottom=0.17)  # room for the x label, which each frame redraws

    def frame(i):
        ax_net.clear()
        p = worked_example.parameters(**{name: values[i]})
        weights = [w for w, _ in worked_example.layer_arrays(p)]
        draw_network([2, 2, 1], weights, ax=ax_net, weight_labels="all",
                     node_labels=[["x1", "x2"], ["h1", "h2"], ["out"]],
                     title=f"{name} = {values[i]:+.2f}  ->  output = {outputs[i]:.3f}")
        ax_curve.clear()
        ax_curve.plot(values, outputs, color="#f39c12")
        ax_curve.plot([values[i]], [outputs[i]], "o", color="black")
        ax_curve.set_xlabel(name)
        ax_curve.set_ylabel("output")
        ax_curve.set_ylim(0, 1)
        ax_curve.grid(alpha=0.3)

    anim = FuncAnimation(fig, frame, frames=len(values), interval=300)
    plt.close(fig)  # the animation, not a stray still, is what the cell shows
    return anim


def training_animation(sizes, weight_snapshots, losses, node_labels=None, every=1):
    """Animate a network's weights changing during training, beside its loss curve.

    weight_snapshots: one list of (out, in) weight arrays per recorded step; losses: the loss at each.
    Returns a FuncAnimation for ``HTML(anim.to_jshtml())``.
    """
    if len(weight_snapshots) != len(losses):
        raise ValueError(f"{len(weight_snapshots)} weight snapshots but {len(losses)} losses")
    fig, (ax_net, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
    fig.subplots_adjust(bottom=0.17)  # room for the x label, which each frame redraws
    frames = list(range(0, len(losses), every))

    def frame(i):
        ax_net.clear()
        draw_network(sizes, weight_snapshots[i], ax=ax_net, weight_labels="all", node_labels=node_labels,
                     title=f"step {i}: loss {losses[i]:.4f}")
        ax_loss.clear()
        ax_loss.plot(losses, color="#7f8c8d")
        ax_loss.plot([i], [losses[i]], "o", color="black")
        ax_loss.set_xlabel("update")
        ax_loss.set_ylabel("loss")
        ax_loss.grid(alpha=0.3)

    anim = FuncAnimation(fig, frame, frames=frames, interval=200)
    plt.close(fig)
    return anim
