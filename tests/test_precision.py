"""companion.np.precision against torch's own dtypes (the referee), and its twin companion.torch.precision."""

import numpy as np
import pytest
import torch

from companion.np import precision as P
from companion.torch import precision as T


def _values():
    rng = np.random.default_rng(0)
    spread = rng.normal(size=5000) * 10.0 ** rng.uniform(-46, 39, size=5000)
    ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0x7F7F8000, 0x00018000], dtype=np.uint32).view(np.float32)
    special = [0.0, -0.0, np.inf, -np.inf, 3.4e38, 3.39e38, 65504.0, 65519.0, 65520.0, 1e-8, 3e-8, 6e-8, 1e-5]
    return np.concatenate([spread, ties.astype(np.float64), special])


@pytest.mark.parametrize("fmt,dtype", [("float32", torch.float32), ("bfloat16", torch.bfloat16),
                                       ("float16", torch.float16)])
def test_round_to_equals_torchs_cast(fmt, dtype):
    x = _values()
    via = torch.from_numpy(x).float() if fmt == "bfloat16" else torch.from_numpy(x)
    expected = via.to(dtype).double().numpy()
    np.testing.assert_array_equal(P.round_to(x, fmt), expected)
    np.testing.assert_array_equal(T.round_to(x, fmt).numpy(), expected)


def test_bfloat16_bits_ties_to_even_and_nan():
    x = np.array([0x3F808000, 0x3F818000], dtype=np.uint32).view(np.float32)          # 1 + 2^-8, 1 + 3 * 2^-8
    np.testing.assert_array_equal(P.round_to_bfloat16(x), [1.0, 1.015625])
    assert P.round_to_bfloat16(np.float32(np.nan)).dtype == np.float32 and np.isnan(P.round_to_bfloat16(np.nan))
    assert np.isinf(P.round_to_bfloat16(np.float32(3.4e38)))                         # rounds past the largest
    np.testing.assert_array_equal(P.round_to_bfloat16(x), T.round_to_bfloat16(x).numpy())


@pytest.mark.parametrize("fmt,dtype", [("float32", torch.float32), ("bfloat16", torch.bfloat16),
                                       ("float16", torch.float16)])
def test_format_info_from_bits_equals_finfo(fmt, dtype):
    info, f = P.format_info(fmt), torch.finfo(dtype)
    assert info["bits"] == f.bits and info["max"] == f.max and info["eps"] == f.eps
    assert info["smallest_normal"] == f.smallest_normal
    assert P.round_to(info["smallest_subnormal"], fmt) == info["smallest_subnormal"]
    assert P.round_to(info["smallest_subnormal"] * 0.49, fmt) == 0
    assert info == T.format_info(fmt)


def test_classify_and_relative_error():
    x = np.array([1e5, 1e-9, 1e-6, 1.0, 0.1, 0.0])
    assert list(P.classify(x, "float16")) == ["overflow", "underflow", "subnormal", "exact", "rounded", "exact"]
    assert list(P.classify(x, "bfloat16")) == ["rounded", "rounded", "rounded", "exact", "rounded", "exact"]
    err = P.relative_error(x, "float16")
    assert np.isinf(err[0]) and err[1] == 1.0 and err[3] == 0.0 and err[5] == 0.0
    assert 0 < err[4] <= P.format_info("float16")["eps"] / 2


@pytest.mark.parametrize("call", [lambda: P.round_to(1.0, "float8"), lambda: P.format_info("fp16"),
                                  lambda: T.round_to(1.0, "half"), lambda: T.format_info("x")])
def test_unknown_format_is_refused(call):
    with pytest.raises(ValueError, match="unknown format"):
        call()
