"""Page "Energy and carbon": a training run's energy and emissions from processors, days, watts per
processor, PUE and grid intensity, with GPT-3's published point (Patterson et al. 2021) for comparison.
NumPy and companion.energy only (no torch at import), so the panel runs where torch is absent."""

import html

import ipywidgets as widgets

from companion.energy import EnergyAssumptions, estimate, gpt3_estimate


def run_estimate(processors, days, watts, pue, grid_g_per_kwh):
    """(MWh, t CO2e) of ``processors`` drawing ``watts`` each for ``days`` at ``pue`` on a grid of
    ``grid_g_per_kwh``: companion.energy.estimate in larger units."""
    e = estimate(days * 86400, EnergyAssumptions(watts, pue, grid_g_per_kwh), processors=int(processors))
    return e.kwh / 1000, e.kg_co2e / 1000


def _html(mwh, tonnes, gpt3):
    ref_mwh, ref_t = gpt3.mwh, gpt3.t_co2e
    return (f"<p>energy <b class='nnx-mwh'>{mwh:,.4g} MWh</b> ({mwh / ref_mwh:.3g} x GPT-3's); "
            f"emissions <b class='nnx-tco2e'>{tonnes:,.4g} t CO2e</b> ({tonnes / ref_t:.3g} x GPT-3's)</p>"
            f"<p>GPT-3 (Patterson et al. 2021, Table 4): {html.escape(f'{gpt3.processors:,}')} V100 x {gpt3.days:g} days x "
            f"{gpt3.watts:g} W x PUE {gpt3.pue:.2f} at {gpt3.grid_g_per_kwh:g} g/kWh = {ref_mwh:,.0f} MWh, "
            f"{ref_t:,.0f} t CO2e (reported: {gpt3.reported_mwh:,.0f} MWh, {gpt3.reported_t_co2e:,.1f} t)</p>")


class EnergyExplorer(widgets.VBox):
    """Sliders for processors (1 to 100,000), days, watts per processor, PUE and grid intensity; the text
    shows MWh and t CO2e, and their ratio to GPT-3's. Starts at GPT-3's published point.
    ``mwh`` and ``t_co2e`` are the current values."""

    def __init__(self):
        g = self.gpt3 = gpt3_estimate()
        layout = widgets.Layout(width="520px")
        style = {"description_width": "150px"}
        self.processors = widgets.IntSlider(value=g.processors, min=1, max=100_000, description="processors",
                                            layout=layout, style=style)
        self.days = widgets.FloatSlider(value=g.days, min=0.01, max=200.0, step=0.01, description="days",
                                        layout=layout, style=style)
        self.watts = widgets.FloatSlider(value=g.watts, min=5.0, max=1500.0, step=5.0,
                                         description="watts per processor", layout=layout, style=style)
        self.pue = widgets.FloatSlider(value=g.pue, min=1.0, max=2.5, step=0.01, description="PUE",
                                       layout=layout, style=style)
        self.grid = widgets.FloatSlider(value=g.grid_g_per_kwh, min=0.0, max=1000.0, step=1.0,
                                        description="grid g CO2e/kWh", layout=layout, style=style)
        self.text = widgets.HTML()
        for slider in self.sliders:
            slider.observe(self._update, names="value")
        super().__init__([*self.sliders, self.text])
        self._update()

    @property
    def sliders(self):
        return (self.processors, self.days, self.watts, self.pue, self.grid)

    def _update(self, change=None):
        self.mwh, self.t_co2e = run_estimate(*(s.value for s in self.sliders))
        self.text.value = _html(self.mwh, self.t_co2e, self.gpt3)
