"""Chapter "Losses and optimizers": pick an optimizer and a learning rate, watch the path redraw."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data.surfaces import SURFACES, get_surface
from companion.viz.optim import CONTENDERS, default_lr, paths, plot_paths


class OptimizerExplorer(widgets.VBox):
    """Controls: surface, optimizer, learning rate (log scale), steps. ``paths`` holds the latest run
    ({optimizer: (n, 2) points}); ``status`` says how close each ended to the minimum, or that it diverged."""

    def __init__(self, draw=True):
        self.surface = widgets.Dropdown(options=list(SURFACES), value="ravine", description="surface")
        self.optimizer = widgets.Dropdown(options=list(CONTENDERS), value="momentum", description="optimizer")
        self.lr = widgets.FloatLogSlider(value=default_lr("momentum"), base=10, min=-3, max=0.5, step=0.01,
                                         description="learning rate", continuous_update=False, readout_format=".3g")
        self.steps = widgets.IntSlider(value=60, min=5, max=300, step=5, description="steps", continuous_update=False)
        self.status = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.surface, self.optimizer, self.lr, self.steps):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.surface, self.optimizer]), widgets.HBox([self.lr, self.steps]),
                          self.status, self.plot])
        self._update()

    def slider_values(self):
        """The learning rates a reader can drag the slider to: base ** (min + k step), k = 0, 1, …"""
        count = int(round((self.lr.max - self.lr.min) / self.lr.step)) + 1
        return self.lr.base ** (self.lr.min + self.lr.step * np.arange(count))

    def _update(self, change=None):
        name = self.optimizer.value
        self.paths = paths(self.surface.value, lrs={name: self.lr.value}, steps=self.steps.value, names=(name,))
        points = self.paths[name]
        s = get_surface(self.surface.value)
        with np.errstate(over="ignore", invalid="ignore"):  # the last point of a diverging path may overflow f
            start, end = float(s.f(points[0])), float(s.f(points[-1]))
        if len(points) < self.steps.value + 1 or not end <= 1e6:
            self.status.value = (f"<b style='color:#b02a37'>{name} diverged</b> after {len(points) - 1} steps: "
                                 f"learning rate {self.lr.value:.3g} is too large for this surface.")
        elif end > start:  # still finite, but every step made things worse
            self.status.value = (f"<b style='color:#b02a37'>{name} diverged</b>: in {len(points) - 1} steps the loss "
                                 f"grew from {start:.3g} to {end:.3g}; learning rate {self.lr.value:.3g} is too large "
                                 "for this surface.")
        else:
            distance = float(np.linalg.norm(points[-1] - np.array(s.minimum)))
            self.status.value = (f"{name}: after {len(points) - 1} steps the loss is {float(s.f(points[-1])):.3g}, "
                                 f"<span class='nnx-distance'>{distance:.3g}</span> from the minimum.")
        if self._draw:
            self._redraw()

    def _redraw(self):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        plot_paths(self.paths, self.surface.value, ax=ax)
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
