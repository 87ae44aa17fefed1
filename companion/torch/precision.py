"""The PyTorch twin of companion.np.precision: the formats are torch's own dtypes, so rounding is a cast."""

import torch

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def round_to(x, fmt):
    """``x`` (a tensor or array-like) rounded to ``fmt`` ("float32", "bfloat16", "float16") by torch's cast,
    through float32 as companion.np.precision.round_to does; returned as a float64 tensor."""
    if fmt not in _DTYPES:
        raise ValueError(f"unknown format {fmt!r}; choose from {sorted(_DTYPES)}")
    x = torch.as_tensor(x, dtype=torch.float64)
    if fmt == "float16":  # NumPy casts float64 -> float16 directly; so does torch
        return x.to(torch.float16).to(torch.float64)
    return x.to(torch.float32).to(_DTYPES[fmt]).to(torch.float64)


def round_to_bfloat16(x):
    """``x`` cast to float32, then to ``torch.bfloat16`` (round to nearest, ties to even), back as float32."""
    return torch.as_tensor(x).to(torch.float32).to(torch.bfloat16).to(torch.float32)


def format_info(fmt):
    """``torch.finfo`` of ``fmt`` as companion.np.precision.format_info's dict."""
    if fmt not in _DTYPES:
        raise ValueError(f"unknown format {fmt!r}; choose from {sorted(_DTYPES)}")
    f = torch.finfo(_DTYPES[fmt])
    m = {"float32": 23, "bfloat16": 7, "float16": 10}[fmt]
    return {"bits": f.bits, "exponent_bits": f.bits - 1 - m, "mantissa_bits": m, "max": float(f.max),
            "smallest_normal": float(f.smallest_normal), "smallest_subnormal": float(f.smallest_normal) * 2.0 ** -m,
            "eps": float(f.eps)}
