"""Chapter "Convolutional networks": edit a 3x3 kernel, pick stride, padding and dilation, and on a colour
photo a full or a depthwise convolution; see the feature map(s)."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from companion.data import shipped
from companion.data.images import FILTERS, get_filter, sample_photos
from companion.np.conv import conv2d

FULL, DEPTHWISE = "full (groups=1)", "depthwise (groups=3)"


class KernelExplorer(widgets.VBox):
    """Nine number boxes hold the kernel (``kernel`` is the current (3, 3) array); ``feature_map`` is the
    result of convolving the chosen image with it: (OH, OW) for a grey image or a full convolution of a
    colour one (the kernel on every channel, summed), (3, OH, OW) for a depthwise one (groups=3: one map
    per channel); ``size`` reports the output size and its formula."""

    def __init__(self, draw=True):
        self.cells = [widgets.FloatText(value=0.0, layout=widgets.Layout(width="70px")) for _ in range(9)]
        self.preset = widgets.Dropdown(options=list(FILTERS), value="vertical edges (Sobel x)", description="preset")
        self._images = {"digit": shipped.load_digits()[0][0].reshape(8, 8), **sample_photos(64)}
        self._images.update({f"{name} (colour)": photo for name, photo in sample_photos(64, colour=True).items()})
        self.image_choice = widgets.Dropdown(options=list(self._images), value="digit", description="image")
        self.stride = widgets.IntSlider(value=1, min=1, max=3, description="stride", continuous_update=False)
        self.padding = widgets.IntSlider(value=0, min=0, max=2, description="padding", continuous_update=False)
        self.dilation = widgets.IntSlider(value=1, min=1, max=3, description="dilation", continuous_update=False)
        self.groups = widgets.Dropdown(options=[FULL, DEPTHWISE], value=FULL, description="filters", disabled=True)
        self.size = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        self.preset.observe(self._load_preset, names="value")
        for control in self.cells + [self.image_choice, self.stride, self.padding, self.dilation, self.groups]:
            control.observe(self._update, names="value")
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 75px)"))
        controls = widgets.VBox([self.preset, self.image_choice, self.groups, self.stride, self.padding, self.dilation])
        super().__init__([widgets.HBox([widgets.VBox([widgets.HTML("<b>3×3 kernel</b>"), grid]), controls]),
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

    def _weight(self, channels):
        """(F, C / groups, 3, 3): one filter over every channel, or one per channel (groups = C)."""
        if channels > 1 and self.groups.value == DEPTHWISE:
            return np.repeat(self.kernel[None, None], channels, axis=0), channels
        return np.repeat(self.kernel[None, None], channels, axis=1), 1

    def _update(self, change=None):
        image = self._images[self.image_choice.value]
        x = image if image.ndim == 3 else image[None]  # (C, H, W)
        self.groups.disabled = len(x) == 1
        weight, groups = self._weight(len(x))
        s, p, d = self.stride.value, self.padding.value, self.dilation.value
        out = conv2d(x[None], weight, stride=s, padding=p, dilation=d, groups=groups)[0]
        self.feature_map = out if groups > 1 else out[0]
        h, w = x.shape[1:]
        oh, ow = out.shape[1:]
        self.size.value = (f"input {len(x)}×{h}×{w}, kernel 3×3, stride {s}, padding {p}, dilation {d}, "
                           f"groups {groups}: {len(out)} map{'s' if len(out) > 1 else ''} of "
                           f"<b class='nnx-size'>{oh}×{ow}</b> "
                           f"= ⌊({h} + 2·{p} − {d}·(3 − 1) − 1) / {s}⌋ + 1")
        if self._draw:
            self._redraw(x)

    def _redraw(self, x):
        maps = self.feature_map if self.feature_map.ndim == 3 else self.feature_map[None]
        fig, axes = plt.subplots(1, 1 + len(maps), figsize=(3.5 * (1 + len(maps)), 3.2))
        axes[0].imshow(x.transpose(1, 2, 0) if len(x) == 3 else x[0], cmap="gray")
        axes[0].set_title("input")
        names = ["red", "green", "blue"] if len(maps) == 3 else [""]
        for ax, values, name in zip(axes[1:], maps, names):
            limit = max(float(np.abs(values).max()), 1e-12)  # white is zero, red positive, blue negative
            ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"feature map {name}".strip())
        for ax in axes:
            ax.axis("off")
        self.plot.clear_output(wait=True)
        with self.plot:
            display(fig)
        plt.close(fig)
