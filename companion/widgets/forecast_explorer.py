"""Page "Forecasting and sequence to sequence": choose how many past values the linear model reads and
how many steps ahead it forecasts, and compare its test error with repeat-last's (NumPy only)."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data import series


class ForecastExplorer(widgets.VBox):
    """A least-squares autoregressive model on ``values`` (T,) at time points ``t`` (T,), its last
    ``test_size`` values held out and the rest standardized with their own statistics.

    ``forecast`` holds the current k-step-ahead forecasts of the test part, ``baseline`` repeat-last's,
    ``mse`` and ``baseline_mse`` their test errors (standardized units).
    """

    def __init__(self, t, values, test_size, max_lags=30, max_horizon=15, draw=True):
        t, values = np.asarray(t), np.asarray(values, dtype=np.float64)
        if len(t) != len(values):
            raise ValueError(f"t has {len(t)} time points for {len(values)} values")
        if not 0 < test_size < len(values) - max_lags - max_horizon:
            raise ValueError(f"test_size must leave more than max_lags + max_horizon = {max_lags + max_horizon} "
                             f"training values, got {test_size} of {len(values)}")
        train, test = series.split_in_time(values, test_size)
        (train, test), _ = series.standardize(train, test)
        self._t, self._train, self._values = t, train, np.concatenate([train, test])
        style = {"description_width": "170px"}
        layout = widgets.Layout(width="440px")
        self.lags = widgets.IntSlider(value=min(20, max_lags), min=1, max=max_lags, description="past values read",
                                      continuous_update=False, style=style, layout=layout)
        self.horizon = widgets.IntSlider(value=1, min=1, max=max_horizon, description="steps ahead",
                                         continuous_update=False, style=style, layout=layout)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.lags, self.horizon):
            control.observe(self._update, names="value")
        super().__init__([self.lags, self.horizon, self.summary, self.plot])
        self._update()

    def _update(self, change=None):
        lags, k, start = self.lags.value, self.horizon.value, len(self._train)
        X, y = series.lag_features(self._train, lags)
        w = series.fit_linear_lags(X, y)
        self.forecast = series.forecast_at_horizon(lambda W: series.predict_linear_lags(w, W), self._values, lags,
                                                   start, k)
        self.baseline = series.forecast_at_horizon(series.repeat_last, self._values, lags, start, k)
        actual = self._values[start:]
        self.mse = float(np.mean((self.forecast - actual) ** 2))
        self.baseline_mse = float(np.mean((self.baseline - actual) ** 2))
        self.summary.value = (f"test MSE {k} step{'s' if k > 1 else ''} ahead: linear model reading {lags} "
                              f"<b class='nnx-forecast-mse'>{self.mse:.3f}</b>, repeat last value "
                              f"{self.baseline_mse:.3f} (standardized units)")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.sequences import plot_forecasts

        start = len(self._train)
        fig, ax = plt.subplots(figsize=(9, 3.2))
        plot_forecasts(self._t[start:], self._values[start:],
                       {"repeat last value": self.baseline, f"linear, {self.lags.value} lags": self.forecast},
                       ax=ax, ylabel="standardized", title=f"forecasts {self.horizon.value} steps ahead")
        ax.set_ylim(-3, 6)                                         # a fixed frame to compare settings
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
