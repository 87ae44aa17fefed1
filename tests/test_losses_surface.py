"""cross_entropy, mse and binary_cross_entropy over torch.nn.functional's whole argument surface.

The referee is torch.nn.functional in float64: values and gradients of both backends, every reduction,
weights, ignore_index, label smoothing, class-index and probability targets, (C,), (N, C) and
(N, C, d1, ...) inputs; NumPy gradients also against centred finite differences.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import companion.np.losses as lnp
import companion.torch.losses as lt
from tests.finite_differences import entrywise_rel_error, numerical_gradient

C = 5
SHAPES = [(C,), (4, C), (3, C, 2), (2, C, 2, 3)]
REDUCTIONS = ["mean", "sum", "none"]


def _ce_case(shape, probs, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=shape)
    if probs:
        target = rng.dirichlet(np.ones(C), size=x.size // C)  # (samples, C)
        rest = shape[:1] + shape[2:] if len(shape) > 1 else ()
        target = np.moveaxis(target.reshape(rest + (C,)), -1, 1 if len(shape) > 1 else 0)
    else:
        target = rng.integers(0, C, size=shape[:1] + shape[2:] if len(shape) > 1 else ())
    return x, target


def _torch_run(fn, x, target, **kwargs):
    """(loss, d sum(loss) / dx) from a torch function: F.* as referee, or the companion twin."""
    xt = torch.tensor(x, requires_grad=True)
    kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    loss = fn(xt, torch.tensor(target), **kw)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


CE_CASES = [case for case in itertools.product(SHAPES, [False, True], REDUCTIONS, [False, True], [0.0, 0.25],
                                              [False, True]) if not (case[1] and case[5])]  # probs: no ignore_index


@pytest.mark.parametrize("shape, probs, reduction, weighted, smoothing, ignore", CE_CASES)
def test_cross_entropy_matches_torch(shape, probs, reduction, weighted, smoothing, ignore):
    x, target = _ce_case(shape, probs, seed=len(shape) + 7 * probs)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kwargs["weight"] = np.random.default_rng(1).uniform(0.2, 3.0, C)
    if ignore:
        kwargs["ignore_index"] = 2  # a real class: its samples drop out of the loss and the mean's denominator
    want, want_grad = _torch_run(F.cross_entropy, x, target, **kwargs)
    assert np.allclose(lnp.cross_entropy(x, target, **kwargs), want, rtol=1e-12, atol=1e-12)
    assert np.allclose(lnp.cross_entropy_grad(x, target, **kwargs), want_grad, rtol=1e-12, atol=1e-12)
    got, got_grad = _torch_run(lt.cross_entropy, x, target, **kwargs)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12) and np.allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("probs, reduction", list(itertools.product([False, True], ["mean", "sum"])))
def test_cross_entropy_gradient_matches_finite_differences(probs, reduction):
    x, target = _ce_case((3, C, 2), probs, seed=3)
    kwargs = {"reduction": reduction, "label_smoothing": 0.1, "weight": np.linspace(0.5, 2.0, C)}
    if not probs:
        target[0, 0] = -100
    numeric = numerical_gradient(lambda: lnp.cross_entropy(x, target, **kwargs), x, h=1e-5)
    assert entrywise_rel_error(lnp.cross_entropy_grad(x, target, **kwargs), numeric) < 1e-6


def test_weighted_mean_divides_by_the_target_weights_and_ignored_samples_count_nowhere():
    x = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    weight = np.array([1.0, 3.0, 0.5])
    per_sample = lnp.cross_entropy(x, np.array([0, 1, -100]), weight=weight, reduction="none")
    assert per_sample[2] == 0.0
    mean = lnp.cross_entropy(x, np.array([0, 1, -100]), weight=weight)
    assert np.isclose(mean, per_sample.sum() / (1.0 + 3.0))
    assert np.isclose(mean, lnp.cross_entropy(x[:2], np.array([0, 1]), weight=weight))


def test_all_ignored_mean_is_nan_as_in_torch():
    x, target = np.zeros((2, C)), np.full(2, -100)
    assert np.isnan(float(F.cross_entropy(torch.tensor(x), torch.tensor(target))))
    assert np.isnan(lnp.cross_entropy(x, target))
    assert np.isnan(float(lt.cross_entropy(torch.tensor(x), torch.tensor(target))))


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("target", [[-100, -100], [0, -100], [1, -100]], ids=str)
def test_ignored_samples_get_zero_gradient_even_when_the_mean_divides_by_zero(target, smoothing):
    """torch: every sample ignored gives a NaN loss but a zero gradient; a counted sample whose class weight
    is 0 (here class 0) with nothing else counted gives NaN; the ignored sample's gradient stays 0 anyway."""
    x, target, weight = np.random.default_rng(7).normal(size=(2, C)), np.array(target), np.arange(C, dtype=float)
    kwargs = {"weight": weight, "label_smoothing": smoothing}
    want, want_grad = _torch_run(F.cross_entropy, x, target, **kwargs)
    np.testing.assert_array_equal(np.isnan(lnp.cross_entropy(x, target, **kwargs)), np.isnan(want))
    np.testing.assert_allclose(lnp.cross_entropy_grad(x, target, **kwargs), want_grad, rtol=1e-10, atol=1e-12)
    assert np.all(want_grad[1] == 0)


def test_probability_targets_accept_a_negative_ignore_index_and_ignore_it_as_torch_does():
    x, target = _ce_case((3, C), True, seed=6)
    want = float(F.cross_entropy(torch.tensor(x), torch.tensor(target), ignore_index=-5))
    assert np.isclose(lnp.cross_entropy(x, target, ignore_index=-5), want)
    assert np.isclose(float(lt.cross_entropy(torch.tensor(x), torch.tensor(target), ignore_index=-5)), want)
    with pytest.raises(RuntimeError, match="ignore_index"):  # and a class index is refused there as here
        F.cross_entropy(torch.tensor(x), torch.tensor(target), ignore_index=0)


def test_cross_entropy_agrees_with_the_existing_softmax_cross_entropy():
    x, target = _ce_case((6, C), False, seed=4)
    assert np.isclose(lnp.cross_entropy(x, target), lnp.softmax_cross_entropy(x, target))
    assert np.allclose(lnp.cross_entropy_grad(x, target), lnp.softmax_cross_entropy_grad(x, target))


def test_int32_targets_are_class_indices_in_torch_too():
    x, target = _ce_case((4, C), False, seed=5)
    got = lt.cross_entropy(torch.tensor(x), torch.tensor(target, dtype=torch.int32))
    assert np.isclose(float(got), lnp.cross_entropy(x, target.astype(np.int32)))


@pytest.mark.parametrize("module", [lnp, lt], ids=["numpy", "torch"])
@pytest.mark.parametrize("x_shape, target, kwargs, error, match", [
    ((4, C), np.array([0, 1, 2, 5]), {}, ValueError, r"\[0, 5\)"),
    ((4, C), np.array([0, 1, 2]), {}, ValueError, "class indices of shape"),
    ((4, C), np.zeros((4, C), dtype=np.int64), {}, TypeError, "probabilities"),
    ((4, C), np.zeros(4), {}, TypeError, "must be integers"),
    ((4, C), np.zeros(4, dtype=np.int64), {"reduction": "avg"}, ValueError, "reduction"),
    ((4, C), np.zeros(4, dtype=np.int64), {"label_smoothing": 1.5}, ValueError, "label_smoothing"),
    ((4, C), np.zeros(4, dtype=np.int64), {"weight": np.ones(C + 1)}, ValueError, "one entry per class"),
    ((), np.zeros((), dtype=np.int64), {}, ValueError, "class axis"),
    ((4, C), np.full((4, C), 0.2), {"ignore_index": 1}, ValueError, "ignore_index"),
])
def test_cross_entropy_bad_input_is_named(module, x_shape, target, kwargs, error, match):
    x = np.zeros(x_shape)
    if module is lt:
        x, target = torch.tensor(x), torch.tensor(target)
        kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        module.cross_entropy(x, target, **kwargs)


PAIR_CASES = list(itertools.product([(7,), (3, 4), (2, 3, 2)], REDUCTIONS, [False, True]))


def _pair_case(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.02, 0.98, shape), rng.uniform(0, 1, shape), rng.uniform(0.1, 2.0, shape)


@pytest.mark.parametrize("shape, reduction, weighted", PAIR_CASES)
def test_mse_matches_torch(shape, reduction, weighted):
    pred, target, weight = _pair_case(shape, 0)
    kwargs = {"reduction": reduction, "weight": weight if weighted else None}
    want, want_grad = _torch_run(F.mse_loss, pred, target, **kwargs)
    assert np.allclose(lnp.mse(pred, target, **kwargs), want, rtol=1e-12)
    assert np.allclose(lnp.mse_grad(pred, target, **kwargs), want_grad, rtol=1e-12)
    got, got_grad = _torch_run(lt.mse, pred, target, **kwargs)
    assert np.allclose(got, want, rtol=1e-12) and np.allclose(got_grad, want_grad, rtol=1e-12)


@pytest.mark.parametrize("shape, reduction, weighted", PAIR_CASES)
def test_binary_cross_entropy_matches_torch(shape, reduction, weighted):
    prob, target, weight = _pair_case(shape, 1)
    weight = weight[..., :1] if weighted and len(shape) > 1 else (weight if weighted else None)  # broadcasts
    kwargs = {"reduction": reduction, "weight": weight}
    want, want_grad = _torch_run(F.binary_cross_entropy, prob, target, **kwargs)
    assert np.allclose(lnp.binary_cross_entropy(prob, target, **kwargs), want, rtol=1e-12)
    assert np.allclose(lnp.binary_cross_entropy_grad(prob, target, **kwargs), want_grad, rtol=1e-12)
    got, got_grad = _torch_run(lt.binary_cross_entropy, prob, target, **kwargs)
    assert np.allclose(got, want, rtol=1e-12) and np.allclose(got_grad, want_grad, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_weighted_pair_gradients_match_finite_differences(reduction):
    pred, target, weight = _pair_case((3, 4), 2)
    for loss, grad in ((lnp.mse, lnp.mse_grad), (lnp.binary_cross_entropy, lnp.binary_cross_entropy_grad)):
        numeric = numerical_gradient(lambda: loss(pred, target, reduction, weight), pred)
        assert entrywise_rel_error(grad(pred, target, reduction, weight), numeric) < 1e-6


def test_default_call_is_unchanged_for_existing_chapters():
    pred, target, _ = _pair_case((5, 2), 3)
    assert isinstance(lnp.mse(pred, target), float)
    assert np.isclose(lnp.mse(pred, target), np.mean((pred - target) ** 2))
    assert np.allclose(lnp.mse_grad(pred, target), 2 * (pred - target) / pred.size)


@pytest.mark.parametrize("module", [lnp, lt], ids=["numpy", "torch"])
@pytest.mark.parametrize("loss, kwargs, match", [
    ("mse", {"reduction": "batchmean"}, "reduction"),
    ("mse", {"weight": np.ones(3)}, "input's shape"),
    ("binary_cross_entropy", {"weight": np.ones(3)}, "broadcast"),
])
def test_pair_bad_arguments_are_named(module, loss, kwargs, match):
    pred, target, _ = _pair_case((2, 4), 4)
    if module is lt:
        pred, target = torch.tensor(pred), torch.tensor(target)
        kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=match):
        getattr(module, loss)(pred, target, **kwargs)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 4), n_classes=st.integers(1, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       probs=st.booleans(), reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(),
       smoothing=st.floats(0.0, 1.0), ignore=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_cross_entropy_matches_torch_on_random_shapes_and_options(n, n_classes, extra, probs, reduction, weighted,
                                                                 smoothing, ignore, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=(n, n_classes, *extra))
    if probs:
        target = np.moveaxis(rng.dirichlet(np.ones(n_classes), size=(n, *extra)), -1, 1)
    else:
        target = rng.integers(0, n_classes, size=(n, *extra))
        target.ravel()[-1] = -100 if ignore else target.ravel()[-1]  # may ignore every sample: NaN in both
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kwargs["weight"] = rng.uniform(0.1, 2.0, n_classes)
    want, want_grad = _torch_run(F.cross_entropy, x, target, **kwargs)
    np.testing.assert_allclose(lnp.cross_entropy(x, target, **kwargs), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lnp.cross_entropy_grad(x, target, **kwargs), want_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(0, C), (2, C, 0)], ids=str)
def test_empty_batches_behave_as_in_torch(shape, reduction):
    x, target = np.zeros(shape), np.zeros(shape[:1] + shape[2:], dtype=np.int64)
    want, _ = _torch_run(F.cross_entropy, x, target, reduction=reduction)
    np.testing.assert_array_equal(lnp.cross_entropy(x, target, reduction=reduction), want)  # NaN for the mean
    assert lnp.cross_entropy_grad(x, target, reduction=reduction).shape == shape
    want, _ = _torch_run(F.mse_loss, np.zeros(shape), np.zeros(shape), reduction=reduction)
    np.testing.assert_array_equal(lnp.mse(np.zeros(shape), np.zeros(shape), reduction), want)
