"""Page "Modern convolutional networks": how the gradient reaching each layer at initialization depends on
depth, on residual connections and on batch normalization."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data import shipped
from companion.np.diagnostics import layer_gradient_norms
from companion.np.resnet import build_deep_cnn
from companion.viz.propagation import plot_layer_gradient_norms

PLAIN, RESIDUAL = "plain", "residual"


def depth_norms(blocks=6, residual=False, batch_norm=False, width=8, n_images=128, seed=0):
    """{layer name: weight-gradient norm} of a freshly initialized :func:`build_deep_cnn` (the NumPy reference,
    float32, so the panel needs no torch, as in Colab's widget tests) on the first ``n_images`` digits, in forward
    order: 2 * blocks + 2 weight layers."""
    X, y = shipped.load_digits()
    net = build_deep_cnn(1, 10, width=width, blocks=blocks, residual=residual, batch_norm=batch_norm,
                         rng=np.random.default_rng(seed), dtype=np.float32)
    return layer_gradient_norms(net, X[:n_images].reshape(-1, 1, 8, 8).astype(np.float32), y[:n_images])


class DepthExplorer(widgets.VBox):
    """A slider for the number of blocks, a plain/residual switch and a batch-norm box; each change builds
    the network afresh and redraws its gradient norm per layer. ``norms`` is the current run's
    {layer name: norm}; ``ratio`` the first layer's norm over the last's, shown in ``summary``."""

    def __init__(self, draw=True, blocks=6):
        self.blocks = widgets.IntSlider(value=blocks, min=1, max=15, description="blocks", continuous_update=False)
        self.kind = widgets.ToggleButtons(options=[PLAIN, RESIDUAL], value=PLAIN, description="blocks are")
        self.batch_norm = widgets.Checkbox(value=False, description="batch norm")
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.blocks, self.kind, self.batch_norm):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.blocks, self.kind, self.batch_norm]), self.summary, self.plot])
        self._update()

    @property
    def label(self):
        return f"{self.kind.value}{' + batch norm' if self.batch_norm.value else ''}, {2 * self.blocks.value + 2} layers"

    def _update(self, change=None):
        self.norms = depth_norms(self.blocks.value, self.kind.value == RESIDUAL, self.batch_norm.value)
        values = list(self.norms.values())
        self.ratio = values[0] / values[-1]
        self.summary.value = (f"{self.label}: the first layer's gradient norm is <b class='nnx-ratio'>{self.ratio:.2e}"
                              f"</b> times the last layer's")
        if self._draw:
            self._redraw()

    def _redraw(self):
        fig, ax = plt.subplots(figsize=(7, 3))
        plot_layer_gradient_norms({self.label: list(self.norms.values())}, ax=ax)
        ax.set_ylim(1e-17, 1e2)  # fixed, so that runs can be compared by eye; 15 plain blocks reach about 1e-15
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
