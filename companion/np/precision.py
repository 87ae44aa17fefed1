"""Floating-point formats of mixed precision: what float32, bfloat16 and float16 keep and lose.

A binary floating-point number is ``(-1)^s * 1.m * 2^(e - bias)``: ``exponent_bits`` decide the range,
``mantissa_bits`` (the stored fraction bits ``m``) the precision. bfloat16 keeps float32's 8 exponent bits
and 7 of its 23 mantissa bits (float32's range, about 2 to 3 significant decimal digits); float16 has 5
exponent bits and 10 mantissa bits (more precision, a range only up to 65504).

NumPy has float32 and float16 but no bfloat16, so :func:`round_to_bfloat16` emulates it: a bfloat16 is
the top 16 bits of a float32, and rounding a float32 to it adds half a unit of the dropped 16 bits (ties
to the even neighbour) and clears them, as PyTorch's ``c10::BFloat16`` does.
"""

import numpy as np

# name -> (exponent bits, stored mantissa bits); the sign takes one more bit.
FORMATS = {"float32": (8, 23), "bfloat16": (8, 7), "float16": (5, 10)}


def _check_format(fmt):
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {sorted(FORMATS)}")


def format_info(fmt):
    """The limits of ``fmt`` computed from its bits: a dict with ``bits``, ``exponent_bits``,
    ``mantissa_bits``, ``max`` (largest finite, (2 - 2^-m) 2^bias), ``smallest_normal`` (2^(1 - bias)),
    ``smallest_subnormal`` (2^(1 - bias - m)) and ``eps`` (2^-m, the gap from 1 to the next number)."""
    _check_format(fmt)
    e, m = FORMATS[fmt]
    bias = 2 ** (e - 1) - 1
    return {"bits": 1 + e + m, "exponent_bits": e, "mantissa_bits": m,
            "max": (2 - 2.0 ** -m) * 2.0 ** bias, "smallest_normal": 2.0 ** (1 - bias),
            "smallest_subnormal": 2.0 ** (1 - bias - m), "eps": 2.0 ** -m}


def round_to_bfloat16(x):
    """``x`` rounded to the nearest bfloat16 (ties to even), returned as float32 (same shape).

    ``x`` is first cast to float32; then half a unit of the low 16 bits is added to the bit pattern
    (``0x7FFF`` plus the lowest kept bit, which makes ties go to the even neighbour) and the low 16 bits
    are cleared. A carry may roll into the exponent, which is right (1.9999 rounds up to 2), and past the
    largest bfloat16 it gives infinity. NaN stays NaN (the quiet NaN ``0x7FC0``).
    """
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), out).astype(np.float32)


def round_to(x, fmt):
    """``x`` rounded to format ``fmt`` ("float32", "bfloat16" or "float16"), as float64 values.

    float32 and float16 are NumPy's own casts (round to nearest, ties to even; overflow gives infinity);
    bfloat16 goes through float32 first (:func:`round_to_bfloat16`), as a float32 tensor cast to
    ``torch.bfloat16`` does.
    """
    _check_format(fmt)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        if fmt == "bfloat16":
            return round_to_bfloat16(x).astype(np.float64)
        return x.astype(fmt).astype(np.float64)


def classify(x, fmt):
    """What ``fmt`` does to each value of ``x``: "overflow" (finite, rounds to infinity), "underflow"
    (nonzero, rounds to zero), "subnormal" (stored below the smallest normal, with fewer significant
    bits), "exact" (stored without error) or "rounded". Returns an array of strings, ``x``'s shape."""
    x = np.asarray(x, dtype=np.float64)
    r = round_to(x, fmt)
    info = format_info(fmt)
    out = np.where(r == x, "exact", "rounded").astype(object)
    out[(np.abs(r) < info["smallest_normal"]) & (r != 0) & (r != x)] = "subnormal"
    out[(r == 0) & (x != 0)] = "underflow"
    out[np.isinf(r) & np.isfinite(x)] = "overflow"
    return out


def relative_error(x, fmt):
    """|round_to(x, fmt) - x| / |x| (infinity on overflow, 1 on underflow, 0 where x is 0)."""
    x = np.asarray(x, dtype=np.float64)
    r = round_to(x, fmt)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(r - x) / np.abs(x)
    return np.where(x == 0, 0.0, err)
