"""Chapter "Attention": the attention maps of a trained encoder (the digit-reversal model), layer by layer and
head by head, with a softmax temperature. NumPy only: the weights arrive as arrays (a state dict with
:class:`companion.tagger.EncoderTagger`'s names), and companion.np's encoder layers recompute the maps, so this
panel runs where torch is absent."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.np.transformer import TransformerEncoderLayer


def _layer_count(state):
    return len({name.split(".")[1] for name in state if name.startswith("layers.")})


def encoder_attention(state, ids, nhead, temperature=1.0):
    """Every layer's per-head attention weights (layers, N, nhead, L, L) for ids (N, L), in NumPy.

    state: {name: array} with EncoderTagger's names (embed.weight, positions.weight, layers.{i}.*). The
    temperature T divides every score: the query projection (the first third of in_proj) is scaled by 1/T,
    so each head computes softmax(Q K^T / (T sqrt(d))). T = 1 is the trained model; the layers after the
    first read the outputs of the tempered ones.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    state = {name: np.asarray(value, dtype=np.float64) for name, value in state.items()}
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must be 2-D (N, L), got shape {ids.shape}")
    d_model = state["embed.weight"].shape[1]
    h = state["embed.weight"][ids] + state["positions.weight"][:ids.shape[1]]        # (N, L, D)
    maps = []
    for i in range(_layer_count(state)):
        prefix = f"layers.{i}."
        params = {name[len(prefix):]: value for name, value in state.items() if name.startswith(prefix)}
        for name in ("self_attn.in_proj_weight", "self_attn.in_proj_bias"):
            params[name] = params[name].copy()
            params[name][:d_model] /= temperature                                  # the query rows
        layer = TransformerEncoderLayer(d_model, nhead, params["linear1.weight"].shape[0], dropout=0.0,
                                        batch_first=True).eval()
        layer.load_state_dict(params)
        layer.store_attention = True
        h = layer(h)
        maps.append(layer.attention)
    return np.stack(maps)


class AttentionExplorer(widgets.VBox):
    """Sliders for the layer, the head, the example and the softmax temperature over the maps of
    :func:`encoder_attention`; ``weights`` is the map shown, (L, L). ``labels`` (N, L) are the tick labels
    (the input symbols), ``draw=False`` skips the figure (tests)."""

    def __init__(self, state, ids, nhead, labels=None, draw=True):
        self.state, self.ids, self.nhead = state, np.asarray(ids), nhead
        self.labels = self.ids if labels is None else labels
        style = {"description_width": "100px"}
        self.layer = widgets.IntSlider(value=0, min=0, max=_layer_count(state) - 1, description="layer",
                                       continuous_update=False, style=style)
        self.head = widgets.IntSlider(value=0, min=0, max=nhead - 1, description="head", continuous_update=False,
                                      style=style)
        self.example = widgets.IntSlider(value=0, min=0, max=len(self.ids) - 1, description="example",
                                         continuous_update=False, style=style)
        self.temperature = widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.1,
                                                  description="temperature", continuous_update=False, style=style)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        self._maps, self._maps_temperature = None, None
        for control in (self.layer, self.head, self.example, self.temperature):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([widgets.VBox([self.layer, self.head]),
                                        widgets.VBox([self.example, self.temperature])]), self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        if self._maps_temperature != self.temperature.value:                  # only the temperature recomputes
            self._maps = encoder_attention(self.state, self.ids, self.nhead, self.temperature.value)
            self._maps_temperature = self.temperature.value
        self.weights = self._maps[self.layer.value, self.example.value, self.head.value]
        peak = self.weights.max(axis=1).mean()
        self.summary.value = (f"layer {self.layer.value}, head {self.head.value}, temperature "
                              f"{self.temperature.value:.2f}: each query's largest weight is "
                              f"<b class='nnx-peak'>{peak:.2f}</b> on average")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.attention import plot_attention_map

        labels = [str(v) for v in self.labels[self.example.value]]
        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(4.2, 3.6))
            plot_attention_map(self.weights, keys=labels, queries=labels, ax=ax, xlabel="input position (reads)",
                               ylabel="output position")
            display(fig)
            plt.close(fig)
