"""The energy panel: it starts at GPT-3's published point and reproduces Patterson et al.'s figures, every
slider moves the estimate by the formula, and it imports no torch (it must run under ipywidgets 7 alone)."""

import subprocess
import sys

import pytest

from companion.widgets import EnergyExplorer
from companion.widgets.energy_explorer import run_estimate


def test_starts_at_gpt3_and_reproduces_the_published_figures():
    panel = EnergyExplorer()
    assert panel.mwh == pytest.approx(1287.0, rel=0.005) and panel.t_co2e == pytest.approx(552.1, rel=0.005)
    assert "MWh" in panel.text.value and "t CO2e" in panel.text.value and "Patterson" in panel.text.value
    assert "1,287 MWh, 552.1 t" in panel.text.value                    # Table 4's figures as printed


def test_each_slider_moves_the_estimate_by_the_formula():
    panel = EnergyExplorer()
    panel.processors.value, panel.days.value, panel.watts.value = 8, 2.0, 300.0
    panel.pue.value, panel.grid.value = 1.5, 400.0
    mwh = 8 * 2.0 * 24 * 300.0 * 1.5 / 1e6                 # processors x hours x W x PUE, in MWh
    assert panel.mwh == pytest.approx(mwh, rel=1e-12)
    assert panel.t_co2e == pytest.approx(mwh * 400.0 / 1000, rel=1e-12)
    assert f"{mwh:,.4g} MWh" in panel.text.value
    panel.grid.value = 0.0
    assert panel.t_co2e == 0.0 and panel.mwh == pytest.approx(mwh, rel=1e-12)


def test_run_estimate_refuses_bad_input():
    with pytest.raises(ValueError, match="pue"):
        run_estimate(1, 1.0, 100.0, 0.5, 400.0)
    with pytest.raises(ValueError, match="seconds"):
        run_estimate(1, 0.0, 100.0, 1.1, 400.0)


def test_works_without_torch():
    # torch made unimportable: the panel must still build (other widgets import torch only if present)
    code = ("import sys; sys.modules['torch'] = None\n"
            "from companion.widgets import EnergyExplorer\nassert EnergyExplorer().mwh > 1000")
    subprocess.run([sys.executable, "-c", code], check=True)
