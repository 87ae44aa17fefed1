"""The "try it yourself" panel of the forward-propagation chapter: a slider per input, weight and bias."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from companion.data import worked_example
from companion.viz.diagram import draw_network

_ROWS = (
    ("z1", "w1·x1 + w3·x2 + b1"),
    ("h1", "ReLU(z1)"),
    ("z2", "w2·x1 + w4·x2 + b2"),
    ("h2", "ReLU(z2)"),
    ("z_out", "w5·h1 + w6·h2 + b3"),
    ("output", "sigmoid(z_out)"),
)


class ForwardExplorer(widgets.VBox):
    """Sliders for x1, x2, w1…w6, b1…b3; every intermediate value and the diagram follow them.

    ``values`` holds the latest forward pass (see :func:`companion.data.worked_example.forward_steps`);
    ``sliders`` maps each parameter name to its FloatSlider.
    """

    def __init__(self, draw=True, **start):
        self.params = worked_example.parameters(**start)
        self.sliders = {name: self._slider(name, value) for name, value in self.params.items()}
        self.table = widgets.HTML()
        self.diagram = widgets.Output()
        self._draw = draw
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        controls = widgets.VBox([widgets.HTML("<b>Inputs, weights and biases</b>")] + list(self.sliders.values()))
        super().__init__([widgets.HBox([controls, widgets.VBox([self.table, self.diagram])])])
        self._update()

    @staticmethod
    def _slider(name, value):
        low, high = (0.0, 1.0) if name.startswith("x") else (-1.5, 1.5)
        return widgets.FloatSlider(value=value, min=low, max=high, step=0.05, description=name,
                                   continuous_update=False, readout_format=".2f")

    def _on_change(self, change):
        self.params[change["owner"].description] = change["new"]
        self._update()

    def _update(self):
        self.values = worked_example.forward_steps(**self.params)
        self.table.value = self._table_html()
        if self._draw:
            self._redraw()

    def _table_html(self):
        rows = "".join(
            f"<tr><td><b>{name}</b></td><td style='padding:0 12px 0 6px'>= {formula}</td>"
            f"<td class='nnx-{name}' style='text-align:right'>"
            f"{self.values[name]:.4f}</td></tr>" for name, formula in _ROWS)
        return (f"<table class='nnx-forward-table'>{rows}</table>"
                f"<p>Prediction: <b><span class='nnx-prediction'>{self.values['output']:.4f}</span></b></p>")

    def _redraw(self):
        weights = [w for w, _ in worked_example.layer_arrays(self.params)]
        fig, ax = plt.subplots(figsize=(4.2, 2.6))
        draw_network([2, 2, 1], weights, ax=ax, weight_labels="all",
                     node_labels=[["x1", "x2"], ["h1", "h2"], ["out"]])
        self.diagram.clear_output(wait=True)
        with self.diagram:
            display(fig)
        plt.close(fig)
