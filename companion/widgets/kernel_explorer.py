"""Chapter "Convolutional networks": edit a 3x3 kernel, pick stride and padding, see the feature map."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data import shipped
from companion.data.images import FILTERS, get_filter, sample_photos
from companion.np.conv import conv2d


class KernelExplorer(widgets.VBox):
    """Nine number boxes hold the kernel (``kernel`` is the current (3, 3) array); ``feature_map`` is the
    result of convolving the chosen image with it; ``size`` reports the output size and its formula."""

    def __init__(self, draw=True):
        self.cells = [widgets.FloatText(value=0.0, layout=widgets.Layout(width="70px")) for _ in range(9)]
        self.preset = widgets.Dropdown(options=list(FILTERS), value="vertical edges (Sobel x)", description="preset")
        self.image_choice = widgets.Dropdown(options=["digit", "china", "flower"], value="digit", description="image")
        self.stride = widgets.IntSlider(value=1, min=1, max=3, description="stride", continuous_update=False)
        self.padding = widgets.IntSlider(value=0, min=0, max=2, description="padding", continuous_update=False)
        self.size = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        self._images = {"digit": shipped.load_digits()[0][0].reshape(8, 8), **sample_photos(64)}
        self.preset.observe(self._load_preset, names="value")
        for control in self.cells + [self.image_choice, self.stride, self.padding]:
            control.observe(self._update, names="value")
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 75px)"))
        super().__init__([widgets.HBox([widgets.VBox([widgets.HTML("<b>3×3 kernel</b>"), grid]),
                                        widgets.VBox([self.preset, self.image_choice, self.stride, self.padding])]),
                          self.size, self.plot])
        self._load_preset()

    def _load_preset(self, change=None):
        values = get_filter(self.preset.value).ravel()
        with self.hold_sync():
            for cell, value in zip(self.cells, values):
                cell.unobserve(self._update, names="value")
                cell.value = round(float(value), 4)
                cell.observe(self._update, names="value")
        self._update()

    @property
    def kernel(self):
        return np.array([cell.value for cell in self.cells]).reshape(3, 3)

    def _update(self, change=None):
        image = self._images[self.image_choice.value]
        s, p = self.stride.value, self.padding.value
        self.feature_map = conv2d(image[None, None], self.kernel[None, None], stride=s, padding=p)[0, 0]
        h, w = image.shape
        self.size.value = (f"input {h}×{w}, kernel 3×3, stride {s}, padding {p}: output "
                           f"<b class='nnx-size'>{self.feature_map.shape[0]}×{self.feature_map.shape[1]}</b> "
                           f"= ⌊({h} + 2·{p} − 3) / {s}⌋ + 1")
        if self._draw:
            self._redraw(image)

    def _redraw(self, image):
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7, 3.2))
        ax0.imshow(image, cmap="gray")
        ax0.set_title("input")
        ax1.imshow(self.feature_map, cmap="RdBu_r")
        ax1.set_title("feature map")
        for ax in (ax0, ax1):
            ax.axis("off")
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
