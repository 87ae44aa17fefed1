"""Page "Deployment and monitoring": a batch of served inputs, shifted by a chosen kind and amount, checked
against the training inputs by the page's drift monitor (PSI and the KS test for every feature). NumPy only
(companion.deploy.monitoring), so the panel runs where torch is absent; the page passes its arrays in."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.deploy.monitoring import DriftMonitor, shift_inputs

SUBSET = "digits 0-4 only"  # the class-mix shift: only rows whose label is below 5 arrive
KINDS = ("none", "brightness", "noise", SUBSET)


def draw_batch(pool, batch_size, kind="none", amount=0.0, labels=None, seed=0):
    """``batch_size`` rows of ``pool`` (M, F) drawn without replacement with ``seed``, then shifted.

    ``kind`` 'brightness' or 'noise' shift the values (:func:`companion.deploy.monitoring.shift_inputs`,
    ``amount`` the brightness gain minus one or the noise's standard deviation); ``SUBSET`` draws only rows
    whose ``labels`` (M,) are below 5, unchanged (``amount`` unused); 'none' draws fresh rows. Returns
    (batch_size, F).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    pool = np.asarray(pool, dtype=float)
    rng = np.random.default_rng(seed)
    rows = np.arange(len(pool))
    if kind == SUBSET:
        if labels is None:
            raise ValueError(f"kind {SUBSET!r} needs the pool's labels")
        rows = rows[np.asarray(labels) < 5]
    if not 0 < batch_size <= len(rows):
        raise ValueError(f"batch_size must be in 1..{len(rows)} (the rows to draw from), got {batch_size!r}")
    batch = pool[rng.choice(rows, batch_size, replace=False)]
    return batch if kind in ("none", SUBSET) else shift_inputs(batch, kind, amount, rng)


class DriftExplorer(widgets.VBox):
    """Controls for the shift (kind, amount), the batch size and the batch drawn (seed); each change draws a
    batch (:func:`draw_batch`), checks it with a :class:`DriftMonitor` on ``reference`` (N, F), and shows the
    verdict, the PSI of every feature against the threshold, and the histograms of the feature with the
    largest PSI. ``report`` is the current :class:`DriftReport`, ``batch`` the current batch.

    ``labels`` (M,), the pool's classes, enables the class-mix shift. ``monitor_options`` go to DriftMonitor.
    """

    def __init__(self, reference, pool, labels=None, draw=True, kind="brightness", amount=0.1, batch_size=50,
                 seed=0, feature_names=None, **monitor_options):
        self.pool, self.labels = np.asarray(pool, dtype=float), labels
        self.monitor = DriftMonitor(reference, feature_names=feature_names, **monitor_options)
        style = {"description_width": "90px"}
        kinds = KINDS if labels is not None else KINDS[:-1]
        self.kind = widgets.ToggleButtons(options=list(kinds), value=kind, description="shift")
        self.amount = widgets.FloatSlider(value=amount, min=0.0, max=0.5, step=0.01, description="amount",
                                          continuous_update=False, style=style)
        self.batch_size = widgets.IntSlider(value=batch_size, min=20, max=min(500, len(self.pool)), step=10,
                                            description="batch size", continuous_update=False, style=style)
        self.seed = widgets.IntSlider(value=seed, min=0, max=99, description="batch drawn", continuous_update=False,
                                      style=style)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.kind, self.amount, self.batch_size, self.seed):
            control.observe(self._update, names="value")
        super().__init__([self.kind, widgets.HBox([self.amount, self.batch_size, self.seed]), self.summary,
                          self.plot])
        self._update()

    def _update(self, change=None):
        self.batch = draw_batch(self.pool, self.batch_size.value, self.kind.value, self.amount.value, self.labels,
                                self.seed.value)
        report = self.report = self.monitor.check(self.batch)
        worst = int(np.argmax(report.psi))
        n_features = len(report.psi)
        verdict = (f"<b class='nnx-alert' style='color:#c0392b'>ALERT</b>: {len(report.features)} of {n_features} "
                   f"features drifted" if report.alert else "<b class='nnx-alert'>no alert</b>")
        self.summary.value = (f"{verdict}. Largest PSI <b class='nnx-psi'>{report.psi[worst]:.3f}</b> (feature "
                              f"{self.monitor.feature_names[worst]}; threshold {self.monitor.psi_threshold:g}); "
                              f"smallest KS p-value <b class='nnx-p'>{report.ks_pvalue.min():.2g}</b> "
                              f"({self._ks_bar(n_features)})")
        if self._draw:
            self._redraw(worst)

    def _ks_bar(self, n_features):
        """What a KS p-value must fall below under the monitor's correction, in words."""
        alpha = self.monitor.alpha
        if self.monitor.correction == "bonferroni":
            return f"a feature must fall below {alpha:g}/{n_features} = {alpha / n_features:.2g}"
        if self.monitor.correction == "holm":
            return f"Holm: the k-th smallest must fall below {alpha:g}/({n_features} - k + 1)"
        return f"no correction: a feature must fall below {alpha:g}"

    def _redraw(self, worst):
        from companion.viz.monitoring import plot_feature_histograms

        self.plot.clear_output(wait=True)
        with self.plot:
            fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.0))
            report = self.report
            colours = np.where(report.drifted, "tab:red", "tab:blue")
            left.bar(np.arange(len(report.psi)), report.psi, color=colours)
            left.axhline(self.monitor.psi_threshold, color="black", linestyle="--")
            left.set_xlabel("feature (red: drifted)")
            left.set_ylabel("PSI")
            plot_feature_histograms(self.monitor.reference[:, worst], self.batch[:, worst], ax=right,
                                    names=("training inputs", "this batch"),
                                    xlabel=f"feature {self.monitor.feature_names[worst]} (largest PSI)")
            fig.tight_layout()
            display(fig)
            plt.close(fig)
