"""Chapter "Convolutional networks": stack identical convolutions and see how much of the input one
output unit sees (its receptive field) and which pixels inside it it actually reads."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from companion.counting import receptive_field
from companion.viz.cnn import plot_stack_field


class ReceptiveFieldExplorer(widgets.VBox):
    """Sliders for the number of layers, kernel size, stride and dilation of a stack of identical
    convolutions (no padding). ``field`` is :func:`companion.counting.receptive_field`'s last entry,
    ``mask`` the input pixels output (0, 0) depends on; ``report`` says both in words."""

    def __init__(self, draw=True):
        def slider(name, value, low, high):
            return widgets.IntSlider(value=value, min=low, max=high, description=name, continuous_update=False)

        self.layers = slider("layers", 2, 1, 5)
        self.kernel_size = slider("kernel size", 3, 1, 7)
        self.stride = slider("stride", 1, 1, 3)
        self.dilation = slider("dilation", 1, 1, 4)
        self.report = widgets.HTML()
        self.plot = widgets.Output()
        self._draw = draw
        for control in (self.layers, self.kernel_size, self.stride, self.dilation):
            control.observe(self._update, names="value")
        super().__init__([widgets.HBox([widgets.VBox([self.layers, self.kernel_size]),
                                        widgets.VBox([self.stride, self.dilation])]), self.report, self.plot])
        self._update()

    def _update(self, change=None):
        n, k, s, d = self.layers.value, self.kernel_size.value, self.stride.value, self.dilation.value
        self.field = receptive_field([dict(kernel_size=k, stride=s, dilation=d)] * n)[-1]
        fig, self.mask = plot_stack_field(n, k, s, d, ax=plt.subplots(figsize=(4.2, 4.2))[1])
        r, jump = self.field.r[0], self.field.jump[0]
        self.report.value = (f"receptive field <b class='nnx-field'>{r}×{r}</b> input pixels; one output unit "
                             f"reads <b class='nnx-read'>{int(self.mask.sum())}</b> of them; neighbouring units "
                             f"are {jump} pixel{'s' if jump > 1 else ''} apart")
        if self._draw:
            self.plot.clear_output(wait=True)
            with self.plot:
                display(fig)
        plt.close(fig)
