"""Page "Frameworks in practice": how float32, bfloat16 and float16 store a number (the rounded value, the
relative error, overflow and underflow). NumPy only (companion.np.precision emulates bfloat16), so the panel
runs where torch is absent."""

import html

import ipywidgets as widgets
import numpy as np

from companion.np.precision import FORMATS, classify, relative_error, round_to

_COLUMNS = ("format", "stored value", "relative error", "what happens")


def precision_rows(value):
    """One row per format for ``value``: (format, stored value, relative error, what happens), the last
    from :func:`companion.np.precision.classify` ("exact", "rounded", "subnormal", "underflow", "overflow")."""
    value = float(value)
    return [(fmt, float(round_to(value, fmt)), float(relative_error(value, fmt)), str(classify(value, fmt)))
            for fmt in FORMATS]


def precision_table(values):
    """Rows (value, format, stored value, relative error, what happens) for each of ``values``: the page's
    static version of the panel."""
    return [(float(v),) + row for v in values for row in precision_rows(v)]


def _html(value, rows):
    cells = "".join(f"<tr><td>{fmt}</td><td class='nnx-stored'>{stored:.8g}</td><td>{err:.2e}</td>"
                    f"<td class='nnx-what'>{what}</td></tr>" for fmt, stored, err, what in rows)
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    return (f"<p>value <b class='nnx-value'>{html.escape(f'{value:.8g}')}</b></p>"
            f"<table><tr>{head}</tr>{cells}</table>")


class PrecisionExplorer(widgets.VBox):
    """A slider over log10 of the magnitude (or a number typed in the box) and a sign; the table shows
    what each format stores. ``value`` is the current number, ``rows`` its :func:`precision_rows`."""

    def __init__(self, value=0.1):
        value = float(value)
        if not np.isfinite(value) or value == 0:
            raise ValueError(f"value must be a finite nonzero number, got {value!r}")
        self.magnitude = widgets.FloatSlider(value=float(np.log10(abs(value))), min=-45.0, max=40.0, step=0.01,
                                             description="log10 |x|", continuous_update=True,
                                             layout=widgets.Layout(width="520px"))
        self.negative = widgets.Checkbox(value=value < 0, description="negative")
        self.number = widgets.FloatText(value=value, description="x")
        self.table = widgets.HTML()
        self._busy = False
        self.magnitude.observe(self._from_slider, names="value")
        self.negative.observe(self._from_slider, names="value")
        self.number.observe(self._from_number, names="value")
        super().__init__([widgets.HBox([self.number, self.negative]), self.magnitude, self.table])
        self._show(value)

    def _from_slider(self, change=None):
        if not self._busy:
            sign = -1.0 if self.negative.value else 1.0
            self._show(sign * 10.0 ** self.magnitude.value, number=True)

    def _from_number(self, change=None):
        if not self._busy and np.isfinite(self.number.value) and self.number.value != 0:
            self._show(self.number.value, slider=True)

    def _show(self, value, number=False, slider=False):
        self._busy = True
        try:
            if number:
                self.number.value = value
            if slider:
                self.magnitude.value = float(np.clip(np.log10(abs(value)), self.magnitude.min, self.magnitude.max))
                self.negative.value = value < 0
        finally:
            self._busy = False
        self.value = float(value)
        self.rows = precision_rows(self.value)
        self.table.value = _html(self.value, self.rows)
