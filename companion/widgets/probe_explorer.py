"""Page "Transfer learning": a linear probe retrained in place on frozen features, with the number of labelled
examples per class, the L2 strength and the number of gradient steps as controls. NumPy only
(companion.linear_probe): the page computes the features with the pretrained body and passes arrays in, so
the panel runs where torch is absent."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.linear_probe import probe_run

L2_CHOICES = (0.0, 1e-3, 1e-2, 1e-1, 1.0)


class ProbeExplorer(widgets.VBox):
    """Sliders for k (labelled examples per class), the L2 strength and the gradient steps; each change fits a
    probe afresh (:func:`companion.linear_probe.probe_run` on the pool's features, scored on the test
    features) and redraws its confusion matrix. ``result`` is (probe, accuracy, confusion); ``summary``
    states the accuracy.

    Args:
        features_pool, y_pool: (N, D) features and (N,) labels to draw the k examples per class from.
        features_test, y_test: (M, D) and (M,) to score on.
        class_names: a name per class for the matrix's axes (default 0, 1, ...).
    """

    def __init__(self, features_pool, y_pool, features_test, y_test, class_names=None, draw=True, k=1,
                 l2=1e-3, steps=50, seed=0):
        self._data = tuple(np.asarray(a) for a in (features_pool, y_pool, features_test, y_test))
        max_k = int(np.bincount(self._data[1]).min())
        if not 1 <= k <= max_k:
            raise ValueError(f"k must be between 1 and {max_k} (the smallest class in the pool), got {k!r}")
        self.class_names, self.seed = class_names, seed
        style = {"description_width": "150px"}
        self.k = widgets.IntSlider(value=k, min=1, max=max_k, description="labelled per class",
                                   continuous_update=False, style=style)
        self.l2 = widgets.SelectionSlider(options=list(L2_CHOICES), value=l2, description="L2 strength",
                                          continuous_update=False, style=style)
        self.steps = widgets.IntSlider(value=steps, min=1, max=200, description="gradient steps",
                                       continuous_update=False, style=style)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.k, self.l2, self.steps):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.k, self.steps]), self.l2, self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        self.result = probe_run(*self._data, k=self.k.value, seed=self.seed, steps=self.steps.value,
                                l2=self.l2.value)
        _, acc, _ = self.result
        n_classes = len(np.unique(self._data[1]))
        self.summary.value = (f"{self.k.value} labelled per class ({self.k.value * n_classes} in all), "
                              f"L2 {self.l2.value:g}, {self.steps.value} steps: test accuracy "
                              f"<b class='nnx-accuracy'>{acc:.3f}</b> on {len(self._data[3])} images")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.training import plot_confusion_matrix

        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(3.8, 3.4))
            plot_confusion_matrix(self.result[2], labels=self.class_names, ax=ax)
            ax.set_title("test images: true vs predicted")
            display(fig)
            plt.close(fig)
