"""Floating-point formats drawn: the relative error of rounding to float32, bfloat16 and float16 against
the number's magnitude, with each format's overflow and underflow marked (NumPy only)."""

import matplotlib.pyplot as plt
import numpy as np

from companion.np.precision import FORMATS, format_info, relative_error

_COLOURS = {"float32": "tab:blue", "bfloat16": "tab:orange", "float16": "tab:green"}


def relative_error_curve(fmt, lo=-46.0, hi=40.0, n=4000, seed=0):
    """(log10 |x|, relative error) of ``n`` numbers spread evenly in log10 |x| over [lo, hi], each with a
    random mantissa (drawn with ``seed``) so that exact powers of two do not line up. Overflow gives an
    infinite error, underflow an error of 1."""
    rng = np.random.default_rng(seed)
    exponent = np.sort(rng.uniform(lo, hi, size=n))
    x = 10.0 ** exponent
    return exponent, relative_error(x, fmt)


def plot_precision_ranges(formats=tuple(FORMATS), ax=None, lo=-46.0, hi=40.0, n=4000, seed=0):
    """The relative error of rounding to each format against log10 |x|, on a log axis.

    Inside a format's normal range the error stays below half its epsilon (a flat band); below the range
    (subnormal numbers) it grows until underflow makes it 1; a dotted line marks each format's largest
    finite number, past which the value overflows to infinity. Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    for fmt in formats:
        exponent, err = relative_error_curve(fmt, lo, hi, n, seed)
        shown = np.where(np.isfinite(err) & (err > 0), err, np.nan)
        ax.plot(exponent, shown, ".", ms=1.5, color=_COLOURS.get(fmt), label=fmt)
        ax.axvline(np.log10(format_info(fmt)["max"]), color=_COLOURS.get(fmt), ls=":", lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("log10 |x|")
    ax.set_ylabel("relative error of rounding")
    ax.set_title("precision and range (dotted: largest finite number; beyond it, overflow)")
    ax.legend(markerscale=6, loc="lower right")
    return ax
