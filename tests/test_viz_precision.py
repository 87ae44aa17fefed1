"""The precision figure: one series per format, errors under half an epsilon in the normal range, underflow
at 1, overflow left out, a dotted line at each format's largest number."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from companion.np.precision import format_info  # noqa: E402
from companion.viz.precision import plot_precision_ranges, relative_error_curve  # noqa: E402


def test_curve_spans_the_range_with_errors_from_the_format():
    exponent, err = relative_error_curve("float16", lo=-10, hi=6, n=500)
    assert exponent.shape == err.shape == (500,) and np.all(np.diff(exponent) >= 0)
    normal = (exponent > np.log10(format_info("float16")["smallest_normal"])) & (exponent < 4.5)
    assert err[normal].max() <= format_info("float16")["eps"] / 2
    assert np.all(np.isinf(err[exponent > np.log10(65520)])) and np.all(err[exponent < -8] == 1.0)


def test_figure_has_one_series_and_one_limit_line_per_format():
    ax = plot_precision_ranges(n=400)
    dots = [line for line in ax.lines if line.get_linestyle() == "None"]
    limits = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert [d.get_label() for d in dots] == ["float32", "bfloat16", "float16"] and len(limits) == 3
    assert np.isclose(limits[2].get_xdata()[0], np.log10(65504.0)) and ax.get_yscale() == "log"
    y = dots[2].get_ydata()
    assert np.isnan(y).any() and np.nanmax(y) == 1.0                  # overflow dropped, underflow at 1
    plt.close("all")
