"""companion.energy: FLOPs against torch.utils.flop_counter.FlopCounterMode (exact), the energy arithmetic
against the hand formula, GPT-3's published figures reproduced, and bad input refused."""

import dataclasses
import time

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import companion.torch as ct
from companion.energy import EnergyAssumptions, count_flops, estimate, flops_6nd, gpt3_estimate, measure_seconds


def referee(model, *inputs, backward=False):
    """FlopCounterMode's total for model(*inputs), and for .sum().backward() of its (first) output."""
    with FlopCounterMode(display=False) as counter:
        out = model(*inputs)
        if backward:
            (out[0] if isinstance(out, tuple) else out).sum().backward()
    return counter.get_total_flops()


def assert_equal_counts(model, *inputs):
    for backward in (False, True):
        ours = count_flops(model, *inputs, backward=backward)
        assert ours.total == referee(model, *inputs, backward=backward) > 0
        assert sum(f for *_, f in ours.rows()) == ours.total


class Attend(nn.Module):
    """Self-attention as a module: attention(x, x, x)[0]."""
    def __init__(self, attention):
        super().__init__()
        self.attention = attention

    def forward(self, x):
        return self.attention(x, x, x)[0]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("batch", [1, 16])
@pytest.mark.parametrize("x_grad", [False, True])
def test_book_mlp(rng, batch, x_grad):
    assert_equal_counts(ct.build_mlp([64, 32, 16, 10], ["relu", "relu", "linear"], rng=rng),
                        torch.randn(batch, 64, requires_grad=x_grad))


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("x_grad", [False, True])
def test_book_lenet(rng, batch, x_grad):
    assert_equal_counts(ct.build_lenet(rng=rng), torch.randn(batch, 1, 8, 8, requires_grad=x_grad))


@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 2), (1, "same", 1), (3, 2, 1)])
def test_conv2d_surface(groups, stride, padding, dilation):
    layer = nn.Conv2d(4, 8, 3, stride=stride, padding=padding, dilation=dilation, groups=groups,
                      bias=groups != 2)
    assert_equal_counts(layer, torch.randn(3, 4, 11, 9, requires_grad=True))
    assert_equal_counts(layer, torch.randn(2, 4, 10, 10))


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_conv1d_surface(groups):
    assert_equal_counts(nn.Conv1d(4, 8, 4, stride=2, padding=3, dilation=2, groups=groups), torch.randn(3, 4, 17))
    assert_equal_counts(nn.Conv1d(4, 8, 3, padding="same", groups=groups), torch.randn(3, 4, 11, requires_grad=True))


def test_unbatched_conv_and_frozen_weights():
    layer = nn.Conv1d(2, 3, 3)
    assert_equal_counts(layer, torch.randn(2, 9))
    layer.weight.requires_grad_(False)
    assert_equal_counts(layer, torch.randn(1, 2, 9, requires_grad=True))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("layers, bidirectional, batch_first", [(1, False, False), (2, True, True), (3, False, True)])
def test_recurrent_surface(cls, layers, bidirectional, batch_first):
    # nn.LSTM on CPU runs one fused oneDNN kernel that FlopCounterMode counts as 0; without oneDNN it runs
    # the matrix products one by one and the referee sees them
    with torch.backends.mkldnn.flags(enabled=False):
        layer = cls(10, 8, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
        assert_equal_counts(layer, torch.randn(5, 7, 10))
        assert_equal_counts(layer, torch.randn(6, 10, requires_grad=True))           # unbatched


def test_recurrent_given_state_that_requires_grad():
    layer = nn.GRU(4, 3, num_layers=2)
    h0 = torch.randn(2, 5, 3, requires_grad=True)
    assert_equal_counts(lambda x: layer(x, h0), torch.randn(6, 5, 4))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_book_recurrent_layers(rng, kind):
    with torch.backends.mkldnn.flags(enabled=False):
        layer = getattr(ct, kind)(10, 8, num_layers=2, bidirectional=True, batch_first=True, rng=rng)
        assert_equal_counts(layer, torch.randn(3, 9, 10))


def test_fused_lstm_is_counted_where_the_referee_sees_nothing():
    layer, x = nn.LSTM(10, 8), torch.randn(7, 5, 10)
    with torch.backends.mkldnn.flags(enabled=False):
        unfused = referee(layer, x)
    assert count_flops(layer, x).total == unfused


@pytest.mark.parametrize("attention", ["torch", "book"])
@pytest.mark.parametrize("batch", [1, 3])
def test_multi_head_attention(rng, attention, batch):
    layer = (nn.MultiheadAttention(16, 4, batch_first=True) if attention == "torch"
             else ct.MultiheadAttention(16, 4, batch_first=True, rng=rng))
    assert_equal_counts(Attend(layer), torch.randn(batch, 6, 16))


def test_book_gpt(rng):
    gpt = ct.GPT(20, d_model=32, n_layers=2, n_heads=4, max_len=16, rng=rng)
    ids = torch.randint(0, 20, (4, 16))
    assert_equal_counts(gpt, ids)
    rows = count_flops(gpt, ids).rows()
    assert [name for name, *_ in rows] == ["blocks.0", "blocks.1", "head"]


def test_6nd_close_to_the_exact_count_for_a_small_gpt(rng):
    gpt = ct.GPT(64, d_model=64, n_layers=2, n_heads=4, max_len=32, rng=rng)
    ids = torch.randint(0, 64, (8, 32))
    exact = count_flops(gpt, ids, backward=True).total
    parameters = sum(p.numel() for p in gpt.parameters())
    assert 0.8 < exact / flops_6nd(parameters, ids.numel()) < 1.2
    assert flops_6nd(2, 3) == 36


def test_unsupported_operations_are_named():
    with pytest.raises(ValueError, match="einsum"):
        count_flops(lambda a: torch.einsum("ij,jk->ik", a, a), torch.randn(3, 3))
    with pytest.raises(ValueError, match="proj_size"):
        count_flops(nn.LSTM(4, 6, proj_size=2), torch.randn(3, 2, 4))


def test_estimate_arithmetic():
    a = EnergyAssumptions(watts=65.0, pue=1.5, grid_g_per_kwh=436.0)
    e = estimate(7200.0, a, processors=3)
    kwh = 3 * 65.0 * 2.0 / 1000 * 1.5                # processors x W x hours / 1000 x PUE
    assert e.kwh == pytest.approx(kwh, rel=1e-12)
    assert e.kg_co2e == pytest.approx(kwh * 0.436, rel=1e-12)
    assert estimate(1.0, EnergyAssumptions(1.0, 1.0, 0.0)).kg_co2e == 0.0


def test_gpt3_reproduces_the_published_figures():
    g = gpt3_estimate()
    assert g.mwh == pytest.approx(g.reported_mwh, rel=0.005)          # 1,289 computed vs 1,287 reported
    assert g.t_co2e == pytest.approx(g.reported_t_co2e, rel=0.005)
    assert g.flops_6nd == pytest.approx(3.15e23, rel=1e-12)
    assert g.flops_6nd == pytest.approx(g.reported_flops, rel=0.01)


def test_gpt3_inputs_are_table_4s_and_consistent_with_its_outputs():
    g = gpt3_estimate()
    # Patterson et al. 2021, Table 4, GPT-3 column, as printed
    assert (g.processors, g.days, g.watts, g.pue, g.grid_g_per_kwh) == (10_000, 14.8, 330.0, 1.10, 429.0)
    assert (g.reported_mwh, g.reported_t_co2e, g.reported_flops) == (1287.0, 552.1, 3.14e23)
    # the reported tonnes are the reported MWh times the intensity, to the printed digit
    assert g.reported_t_co2e == pytest.approx(g.reported_mwh * g.grid_g_per_kwh / 1000, abs=0.05)
    # the days that give exactly the reported MWh round to the printed 14.8: the gap is the inputs' rounding
    days_exact = g.reported_mwh * 1e6 / (g.processors * 24 * g.watts * g.pue)
    assert round(days_exact, 1) == g.days and days_exact != g.days


def test_measure_seconds_is_the_median():
    calls = iter([0.0, 0.0, 0.03, 0.0, 0.01])
    assert measure_seconds(lambda: time.sleep(next(calls)), repeat=3, warmup=2) == pytest.approx(0.01, abs=0.008)


@pytest.mark.parametrize("kwargs, match", [
    (dict(watts=0.0, pue=1.1, grid_g_per_kwh=400.0), "watts"),
    (dict(watts=-5.0, pue=1.1, grid_g_per_kwh=400.0), "watts"),
    (dict(watts=50.0, pue=0.9, grid_g_per_kwh=400.0), "pue"),
    (dict(watts=50.0, pue=1.1, grid_g_per_kwh=-1.0), "grid_g_per_kwh")])
def test_bad_assumptions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EnergyAssumptions(**kwargs)


def test_bad_arguments():
    a = EnergyAssumptions(50.0, 1.1, 400.0)
    for seconds in (0.0, -1.0):
        with pytest.raises(ValueError, match="seconds"):
            estimate(seconds, a)
    with pytest.raises(ValueError, match="processors"):
        estimate(1.0, a, processors=0)
    with pytest.raises(ValueError, match="repeat"):
        measure_seconds(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="tokens"):
        flops_6nd(10, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.watts = 3.0


def test_import_without_torch_names_no_torch():
    import subprocess
    import sys
    code = "import sys, companion.energy; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False), (False, False, True)])
def test_scaled_dot_product_attention_against_the_math_path(needs):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    q, k, v = (torch.randn(2, 3, 5, 4, requires_grad=n) for n in needs)
    attend = torch.nn.functional.scaled_dot_product_attention
    with sdpa_kernel(SDPBackend.MATH):          # the fused CPU kernel is invisible to FlopCounterMode
        assert_equal_counts(attend, q, k, v)


def test_multi_head_attention_without_weights_counts_what_the_fused_kernel_does():
    layer, x = nn.MultiheadAttention(16, 4, batch_first=True), torch.randn(3, 6, 16)
    without = lambda a: layer(a, a, a, need_weights=False)[0]                          # noqa: E731
    attention = 2 * (2 * 3 * 4 * 6 * 6 * 4)           # Q K^T and A V: 2 (N H) L S d each
    assert count_flops(without, x).total == referee(without, x) + attention
    assert count_flops(without, x).total == count_flops(Attend(layer), x).total


def test_packed_sequences_are_refused():
    packed = nn.utils.rnn.pack_padded_sequence(torch.randn(4, 2, 3), [4, 2])
    with pytest.raises(ValueError, match="packed"):
        count_flops(nn.GRU(3, 5), packed)


def test_rows_follow_the_count():
    mlp = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = torch.randn(5, 4)
    assert count_flops(mlp, x).rows() == [("0", "Linear", 2 * 5 * 4 * 3), ("2", "Linear", 2 * 5 * 3 * 2)]
    # backward: the first layer's weight gradient only (its input is data); the second's weight and input
    assert count_flops(mlp, x, backward=True).rows() == [("0", "Linear", 2 * 2 * 5 * 4 * 3),
                                                          ("2", "Linear", 3 * 2 * 5 * 3 * 2)]
