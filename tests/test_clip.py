"""Gradient clipping by norm: both backends equal torch.nn.utils.clip_grad_norm_ (gradients and norm)."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct
from companion._validate import NonFiniteError

NORM_TYPES = [2.0, 1, 3, 0.5, float("inf"), "inf", -float("inf"), 0]
MAX_NORMS = [0.5, 1e3, 0.0]


def _grads(rng):
    return [rng.normal(size=(4, 3)), rng.normal(size=5), rng.normal(size=(2, 2, 2))]


def referee(grads, max_norm, norm_type, error_if_nonfinite=False):
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type,
                                          error_if_nonfinite=error_if_nonfinite)
    return [p.grad.numpy() for p in params], float(norm)


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
@pytest.mark.parametrize("max_norm", MAX_NORMS, ids=str)
def test_clipping_matches_torch(norm_type, max_norm):
    grads = _grads(np.random.default_rng(0))
    expected, expected_norm = referee(grads, max_norm, norm_type)
    ours, norm = cnp.clip_grad_norm(grads, max_norm, norm_type)
    twin, twin_norm = ct.clip_grad_norm([torch.tensor(g) for g in grads], max_norm, norm_type)
    assert norm == pytest.approx(expected_norm, rel=1e-12) and float(twin_norm) == pytest.approx(expected_norm, rel=1e-12)
    for a, b, c in zip(ours, twin, expected):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(b.numpy(), c, rtol=1e-12, atol=1e-300)
    if max_norm < expected_norm and float(norm_type) != 0:  # clipped: norm max_norm (0 counts entries), same direction
        assert cnp.clip.total_norm(ours, norm_type) == pytest.approx(max_norm, abs=1e-5)
        cosine = np.dot(ours[0].ravel(), grads[0].ravel())
        assert max_norm == 0 or cosine > 0


def test_small_gradients_are_left_alone_and_inputs_untouched():
    grads = {"w": np.array([0.3, -0.4]), "b": np.array([0.0])}
    clipped, norm = cnp.clip_grad_norm(grads, max_norm=1.0)
    assert set(clipped) == {"w", "b"} and norm == pytest.approx(0.5)
    np.testing.assert_allclose(clipped["w"], grads["w"], rtol=1e-5)
    big = {"w": np.array([3.0, 4.0])}
    clipped, norm = cnp.clip_grad_norm(big, max_norm=1.0)
    np.testing.assert_allclose(clipped["w"], [0.6, 0.8], rtol=1e-6)
    assert norm == 5.0
    np.testing.assert_array_equal(big["w"], [3.0, 4.0])
    tensors = {"w": torch.tensor([3.0, 4.0])}
    clipped_t, _ = ct.clip_grad_norm(tensors, 1.0)
    assert isinstance(clipped_t, dict) and tensors["w"].tolist() == [3.0, 4.0]


def test_one_array_none_entries_and_no_gradients():
    g = np.random.default_rng(1).normal(size=(3, 3))
    expected, expected_norm = referee([g], 0.1, 2.0)
    clipped, norm = cnp.clip_grad_norm(g, 0.1)
    np.testing.assert_allclose(clipped, expected[0], rtol=1e-12)
    clipped, norm = cnp.clip_grad_norm([g, None], 0.1)
    assert clipped[1] is None and norm == pytest.approx(expected_norm)
    assert cnp.clip_grad_norm([], 1.0) == ([], 0.0)
    clipped_t, norm_t = ct.clip_grad_norm([], 1.0)
    assert clipped_t == [] and float(norm_t) == float(torch.nn.utils.clip_grad_norm_([], 1.0))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_gradients(bad):
    grads = [np.array([1.0, bad]), np.array([2.0])]
    expected, expected_norm = referee(grads, 1.0, 2.0)
    ours, norm = cnp.clip_grad_norm(grads, 1.0)
    twin, twin_norm = ct.clip_grad_norm([torch.tensor(g) for g in grads], 1.0)
    np.testing.assert_array_equal(np.isnan(ours[0]), np.isnan(expected[0]))
    np.testing.assert_array_equal(np.isnan(twin[0].numpy()), np.isnan(expected[0]))
    assert np.isnan(norm) == np.isnan(expected_norm) and np.isnan(float(twin_norm)) == np.isnan(expected_norm)
    with pytest.raises(RuntimeError, match="non-finite"):
        referee(grads, 1.0, 2.0, error_if_nonfinite=True)
    for clip, arrays in ((cnp.clip_grad_norm, grads), (ct.clip_grad_norm, [torch.tensor(g) for g in grads])):
        with pytest.raises(NonFiniteError, match="total 2-norm of the gradients is (nan|inf), so it cannot be clipped"):
            clip(arrays, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("clip", [cnp.clip_grad_norm, ct.clip_grad_norm], ids=["numpy", "torch"])
def test_bad_arguments(clip):
    g = [np.ones(2)] if clip is cnp.clip_grad_norm else [torch.ones(2)]
    with pytest.raises(ValueError, match="max_norm must be a non-negative number, got -1"):
        clip(g, -1.0)
    with pytest.raises(ValueError, match="max_norm must be a non-negative number"):
        clip(g, "1")
    with pytest.raises(ValueError, match="norm_type must be a number or 'inf', got 'l2'"):
        clip(g, 1.0, norm_type="l2")


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")], ids=str)
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=str)
def test_in_place_form_matches_torch_and_skips_parameters_without_a_gradient(norm_type, max_norm):
    grads = _grads(np.random.default_rng(1))
    expected, expected_norm = referee(grads, max_norm, norm_type)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    same = [p.grad for p in params]
    idle = torch.zeros(3, dtype=torch.float64, requires_grad=True)          # no gradient: left alone
    norm = ct.clip.clip_grad_norm_(iter(params + [idle]), max_norm, norm_type)
    assert float(norm) == pytest.approx(expected_norm, rel=1e-12) and idle.grad is None
    for p, g, e in zip(params, same, expected):
        assert p.grad is g                                                  # scaled in place, as torch does
        np.testing.assert_allclose(p.grad.numpy(), e, rtol=1e-12)
    single = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    single.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    assert float(ct.clip.clip_grad_norm_(single, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad.numpy(), [0.6, 0.8], rtol=1e-6)
