"""The Playground's figure: decision map with data, every hidden neuron's map, loss curves.

Built once per network shape on a plain matplotlib Figure (no pyplot, so nothing pops up in a
notebook) and updated in place; ``png()`` renders it for an ipywidgets Image.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from companion.playground import EXTENT


class PlaygroundFigure:
    def __init__(self, model, grid_n=50, neuron_n=24):
        self.model, self.grid_n, self.neuron_n = model, grid_n, neuron_n
        layers = model.config.hidden
        columns = max(len(layers), 1)
        self.figure = Figure(figsize=(11, 4.2), dpi=80)
        FigureCanvasAgg(self.figure)
        outer = self.figure.add_gridspec(1, 3, width_ratios=[1.2, 1.1, 1.0], wspace=0.25)
        self.ax_map = self.figure.add_subplot(outer[0])
        self.ax_loss = self.figure.add_subplot(outer[2])
        neurons = outer[1].subgridspec(8, columns, hspace=0.15, wspace=0.15)
        self.neuron_images = []
        for col, width in enumerate(layers):
            images = []
            for row in range(width):
                ax = self.figure.add_subplot(neurons[row, col])
                ax.set_xticks([])
                ax.set_yticks([])
                images.append(ax.imshow(np.zeros((neuron_n, neuron_n)), origin="lower", cmap="RdBu", vmin=-1, vmax=1))
                if row == 0:
                    ax.set_title(f"layer {col + 1}", fontsize=8)
            self.neuron_images.append(images)
        self._build_map()
        self.train_line, = self.ax_loss.plot([], [], label="training loss")
        self.test_line, = self.ax_loss.plot([], [], "--", label="test loss")
        self.ax_loss.set_xlabel("epoch")
        self.ax_loss.legend(fontsize=8, loc="upper right")

    def _build_map(self):
        m, ax = self.model, self.ax_map
        if m.config.is_classification:
            vmin, vmax = 0, 1
        else:
            spread = max(np.abs(m.y_train).max(), 1e-6)
            vmin, vmax = -spread, spread
        self.map_image = ax.imshow(np.zeros((self.grid_n, self.grid_n)), origin="lower", extent=EXTENT,
                                   cmap="RdBu", vmin=vmin, vmax=vmax, alpha=0.8)
        colour = dict(cmap="RdBu", vmin=vmin, vmax=vmax, s=14)
        self.train_points = ax.scatter(m.X_train[:, 0], m.X_train[:, 1], c=m.y_train, edgecolors="white",
                                       linewidths=0.6, **colour)
        self.test_points = ax.scatter(m.X_test[:, 0], m.X_test[:, 1], c=m.y_test, edgecolors="black",
                                      linewidths=0.6, **colour)
        ax.set_xlim(EXTENT[0], EXTENT[1])
        ax.set_ylim(EXTENT[2], EXTENT[3])

    def update(self, show_test=True, discretize=False):
        """Recompute every map from the current network and refresh the curves."""
        m = self.model
        grid = m.output_grid(self.grid_n)
        if discretize:
            grid = (grid > 0.5).astype(float) if m.config.is_classification else np.sign(grid) * np.abs(grid).max()
        self.map_image.set_data(grid)
        self.test_points.set_visible(show_test)
        for images, maps in zip(self.neuron_images, m.neuron_grids(self.neuron_n)):
            for image, values in zip(images, maps):
                scale = max(np.abs(values).max(), 1e-9)
                image.set_data(values / scale)
        h = m.history
        self.train_line.set_data(h.epoch, h.train_loss)
        self.test_line.set_data(h.epoch[: len(h.val_loss)], h.val_loss)
        self.ax_loss.relim()
        self.ax_loss.autoscale_view()
        test = f", test loss {h.val_loss[-1]:.3f}" if h.val_loss else ""
        train = f"training loss {h.train_loss[-1]:.3f}" if h.train_loss else "not trained yet"
        self.ax_map.set_title(f"epoch {m.epoch}: {train}{test}", fontsize=9)

    def png(self):
        buffer = io.BytesIO()
        self.figure.canvas.print_png(buffer)
        return buffer.getvalue()
