"""Chapter "Recurrent neural networks": pick a cell, a sequence length, a hidden size, a scale for the
recurrent weights and a bias for the gate that keeps the state, and see how much of a last-step loss's
gradient reaches each earlier step (NumPy cells, backward by hand)."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.np.bptt import hidden_gradient_norms

CELLS = {"RNN (tanh)": "rnn", "LSTM": "lstm", "GRU": "gru"}


class GradientFlowExplorer(widgets.VBox):
    """``norms`` holds ||dL/dh_t||, t = 1 … T, for the current settings (the loss on h_T); ``summary``
    reports the first step's norm. The keep-gate bias is the LSTM's forget gate or the GRU's update gate;
    the RNN has none, so the slider is disabled for it."""

    def __init__(self, draw=True):
        style = {"description_width": "150px"}
        layout = widgets.Layout(width="420px")
        self.cell = widgets.Dropdown(options=list(CELLS), value="RNN (tanh)", description="cell", style=style)
        self.length = widgets.IntSlider(value=50, min=5, max=200, step=5, description="sequence length",
                                        continuous_update=False, style=style, layout=layout)
        self.hidden = widgets.IntSlider(value=32, min=4, max=128, step=4, description="hidden size",
                                        continuous_update=False, style=style, layout=layout)
        self.scale = widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="W_hh × scale",
                                         continuous_update=False, style=style, layout=layout)
        self.keep_bias = widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.5, description="keep-gate bias",
                                             continuous_update=False, style=style, layout=layout)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.cell, self.length, self.hidden, self.scale, self.keep_bias):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.cell]), self.length, self.hidden, self.scale, self.keep_bias,
                          self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        kind = CELLS[self.cell.value]
        self.keep_bias.disabled = kind == "rnn"
        bias = 0.0 if kind == "rnn" else self.keep_bias.value
        self.norms = hidden_gradient_norms(kind, self.length.value, self.hidden.value,
                                           recurrent_scale=self.scale.value, keep_bias=bias,
                                           rng=np.random.default_rng(0))
        first = self.norms[0]
        verdict = "vanishes" if first < 1e-3 else "explodes" if first > 1e3 else "survives"
        self.summary.value = (f"‖dL/dh_1‖ = <b class='nnx-first-norm'>{first:.2e}</b> of ‖dL/dh_T‖ = 1 after "
                              f"{self.length.value - 1} steps back: the gradient {verdict}.")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.rnn import plot_gradient_norms

        fig, ax = plt.subplots(figsize=(6.5, 3.4))
        plot_gradient_norms({self.cell.value: self.norms}, ax=ax)
        ax.set_ylim(min(1e-30, self.norms.min() / 10), max(1e5, self.norms.max() * 10))   # a fixed frame to compare
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
