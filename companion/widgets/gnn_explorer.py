"""Page "Graph neural networks": a GraphSAGE stack trained on Zachary's karate club in place, with the number
of layers (over-smoothing), the aggregation (sum, mean, max) and the number of labelled members per side
as controls. NumPy only (companion.node_classification's GNN), so the panel runs where torch is absent."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from companion.data.karate import karate_club
from companion.node_classification import run_numpy

AGGREGATIONS = ("mean", "sum", "max")


def karate_run(layers=2, aggr="mean", labelled=1, epochs=30, hidden=16, lr=0.05, seed=0):
    """(data, :class:`companion.node_classification.Result`): a ``layers``-deep GraphSAGE model with ``aggr``
    aggregation trained on the karate club with ``labelled`` members labelled per side (leaders first, the
    rest drawn with ``seed``), the training of the page's GCN otherwise (Adam, full batch)."""
    data = karate_club(labelled, rng=seed)
    return data, run_numpy(data, num_layers=layers, hidden=hidden, layer="sage", aggr=aggr, epochs=epochs, lr=lr,
                           seed=seed)


class GNNExplorer(widgets.VBox):
    """Controls for the number of layers, the aggregation and the labelled members per side; each change
    trains the model afresh (:func:`karate_run`) and redraws the club coloured by the predicted side, the
    labelled members ringed. ``result`` is the current run; ``summary`` states its accuracy on the unlabelled
    members and the spread (mean distance of unit-length vectors) of its last hidden layer."""

    def __init__(self, draw=True, layers=2, aggr="mean", labelled=1, max_layers=12):
        style = {"description_width": "130px"}
        self.layers = widgets.IntSlider(value=layers, min=1, max=max_layers, description="layers",
                                        continuous_update=False, style=style)
        self.aggr = widgets.ToggleButtons(options=list(AGGREGATIONS), value=aggr, description="aggregation")
        self.labelled = widgets.IntSlider(value=labelled, min=1, max=8, description="labelled per side",
                                          continuous_update=False, style=style)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw, self._pos = draw, None
        for control in (self.layers, self.aggr, self.labelled):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.layers, self.labelled]), self.aggr, self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        self.data, self.result = karate_run(self.layers.value, self.aggr.value, self.labelled.value)
        unlabelled = int(self.data.test_mask.sum())
        right = round(self.result.accuracy * unlabelled)
        self.summary.value = (f"{self.layers.value} layer(s), {self.aggr.value} aggregation, "
                              f"{self.labelled.value} labelled per side: <b class='nnx-right'>{right}</b> of "
                              f"{unlabelled} unlabelled members on the right side; spread of the last hidden "
                              f"layer <b class='nnx-spread'>{self.result.spread:.3f}</b>")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.graphs import draw_graph, graph_layout

        if self._pos is None:
            self._pos = graph_layout(self.data.edge_index)
        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(5.5, 4.2))
            draw_graph(self.data.edge_index, pos=self._pos, labels=self.result.logits.argmax(1),
                       marked=self.data.train_mask, ax=ax, title="predicted side (ringed: labelled)")
            display(fig)
            plt.close(fig)
