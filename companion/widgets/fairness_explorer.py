"""Page "Responsible models": one decision threshold per group over a classifier's scores, with the per-group
table, the gaps between groups and the overall accuracy recomputed at every move. NumPy only
(companion.fairness), so the panel runs where torch is absent; the page passes its arrays in."""

import html

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.fairness import METRICS, apply_thresholds, group_metrics

_HEADERS = {"count": "count", "accuracy": "accuracy", "selection_rate": "selection", "true_positive_rate": "TPR",
            "false_positive_rate": "FPR", "false_negative_rate": "FNR"}


def table_html(table, group_names=None):
    """A :class:`companion.fairness.GroupTable` as an HTML table, one row per group and "overall" last."""
    head = "".join(f"<th>{_HEADERS[m]}</th>" for m in METRICS)
    rows = []
    for g, values in table.rows():
        name = g if g == "overall" else (group_names or {}).get(g, f"group {g}")
        cells = "".join(f"<td>{values[m]:d}</td>" if m == "count" else f"<td>{values[m]:.3f}</td>" for m in METRICS)
        rows.append(f"<tr><td>{html.escape(str(name))}</td>{cells}</tr>")
    return (f"<table class='nnx-table'><thead><tr><th>group</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


class FairnessExplorer(widgets.VBox):
    """A threshold slider per group over precomputed ``scores`` (N,) in [0, 1], labels ``y_true`` (N,) in
    {0, 1} and ``groups`` (N,); each move recomputes y_hat = [score >= threshold of the row's group]
    (:func:`companion.fairness.apply_thresholds`) and shows the per-group table, the demographic-parity and
    equalized-odds differences and the overall accuracy, and (``draw=True``) the per-group rates against
    those of the single threshold 0.5. ``table`` is the current :class:`GroupTable`, ``thresholds`` the
    current {group: threshold}.

    ``thresholds``: the starting {group: value}, default 0.5 for every group; ``group_names``: {group: name}.
    """

    def __init__(self, scores, y_true, groups, thresholds=None, group_names=None, draw=True):
        self.scores = np.asarray(scores, dtype=float)
        self.y_true, self.groups = np.asarray(y_true), np.asarray(groups)
        if self.scores.ndim != 1 or self.scores.shape != self.y_true.shape or self.scores.shape != self.groups.shape:
            raise ValueError(f"scores, y_true and groups must be 1-D of one length, got shapes "
                             f"{self.scores.shape}, {self.y_true.shape}, {self.groups.shape}")
        self.group_names = group_names or {}
        self.baseline = group_metrics(self.y_true, (self.scores >= 0.5).astype(int), self.groups)
        start = thresholds or {}
        style = {"description_width": "110px"}
        self.sliders = {}
        for g in self.baseline.groups.tolist():
            name = self.group_names.get(g, f"group {g}")
            self.sliders[g] = widgets.FloatSlider(value=float(start.get(g, 0.5)), min=0.0, max=1.0, step=0.01,
                                                  description=f"threshold, {name}", continuous_update=False,
                                                  style=style)
            self.sliders[g].observe(self._update, names="value")
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        super().__init__([widgets.HBox(list(self.sliders.values())), self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        self.thresholds = {g: s.value for g, s in self.sliders.items()}
        y_hat = apply_thresholds(self.scores, self.groups, self.thresholds)
        table = self.table = group_metrics(self.y_true, y_hat, self.groups)
        gap = table.difference()
        self.demographic_parity = gap["selection_rate"]
        self.equalized_odds = max(gap["true_positive_rate"], gap["false_positive_rate"])
        self.summary.value = (
            f"{table_html(table, self.group_names)}"
            f"<p>Overall accuracy <b class='nnx-accuracy'>{table.overall['accuracy']:.3f}</b> "
            f"(one threshold 0.5: {self.baseline.overall['accuracy']:.3f}); demographic-parity difference "
            f"<b class='nnx-dp'>{self.demographic_parity:.3f}</b>; equalized-odds difference "
            f"<b class='nnx-eo'>{self.equalized_odds:.3f}</b>.</p>")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.fairness import plot_group_rates

        self.plot.clear_output(wait=True)
        with self.plot:
            fig, axes = plt.subplots(1, 3, figsize=(9.5, 2.8), sharey=True)
            plot_group_rates({"threshold 0.5": self.baseline, "sliders": self.table},
                             group_names=self.group_names or None, axes=axes)
            fig.tight_layout()
            display(fig)
            plt.close(fig)
