"""Bad input fails early with a ValueError or TypeError that names the problem, in both backends."""

import warnings

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=float))


BACKENDS = {"numpy": (cnp, np.asarray), "torch": (ct, t)}


@pytest.fixture(params=BACKENDS)
def backend(request):
    return BACKENDS[request.param]


def test_dense_mismatched_features(backend):
    mod, arr = backend
    with pytest.raises(ValueError, match=r"x has 3 features .* weight expects 5"):
        mod.dense(arr(np.ones((2, 3))), arr(np.ones((4, 5))))


def test_dense_wrong_rank(backend):
    mod, arr = backend
    with pytest.raises(ValueError, match=r"x must be at least 1-D, \(..., in_features\), got shape \(\)"):
        mod.dense(arr(np.ones(())), arr(np.ones((4, 4))))  # leading dimensions are fine (torch's F.linear); a scalar is not
    with pytest.raises(ValueError, match=r"weight must be 2-D"):
        mod.dense(arr(np.ones((2, 3))), arr(np.ones(3)))


def test_dense_bias_shape(backend):
    mod, arr = backend
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        mod.dense(arr(np.ones((2, 3))), arr(np.ones((4, 3))), arr(np.ones(3)))


def test_non_finite_input(backend):
    mod, arr = backend
    x = np.ones((2, 3))
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"x has 1 non-finite value"):
        mod.dense(arr(x), arr(np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"pred has 1 non-finite"):
        mod.mse(arr(x), arr(np.ones((2, 3))))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "complex128"])
@pytest.mark.parametrize("tensor", [False, True])
def test_check_finite_counts_exactly_past_its_shortcut(dtype, tensor):
    """The check sums x first; a sum that overflows from finite values is no error, and bad entries
    (NaN, inf, inf next to -inf, whose sum is NaN) are counted exactly."""
    from companion._validate import NonFiniteError, check_finite

    big = float(np.finfo(np.dtype(dtype)).max)
    cases = {0: [big, big, 1.0], 1: [big, np.inf, 1.0], 2: [np.inf, -np.inf, 0.0], 3: [np.nan, np.inf, -np.inf]}
    for bad, values in cases.items():
        a = np.array(values, dtype=dtype)
        x = torch.from_numpy(a) if tensor else a
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the shortcut's overflow warns nothing
            if bad == 0:
                check_finite(x, "x")
            else:
                with pytest.raises(NonFiniteError, match=rf"x has {bad} non-finite value"):
                    check_finite(x, "x")
    check_finite(np.array([3, 4]), "x")  # integers are finite, whatever their sum
    check_finite(torch.tensor([True, False]), "x")


def test_unknown_activation(backend):
    mod, _ = backend
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'; choose one of"):
        mod.get_activation("relu6")
    with pytest.raises(ValueError, match=r"unknown activation"):
        mod.Activation("swish")
    with pytest.raises(ValueError, match=r"unknown activation 'elu'"):
        mod.build_mlp([2, 3, 1], ["elu", "sigmoid"])


def test_loss_shapes_and_ranges(backend):
    mod, arr = backend
    with pytest.raises(ValueError, match=r"pred and target must have the same shape, got \(3,\) and \(4,\)"):
        mod.mse(arr(np.ones(3)), arr(np.ones(4)))
    with pytest.raises(ValueError, match=r"prob must lie in \[0, 1\]"):
        mod.binary_cross_entropy(arr([0.5, 1.5]), arr([0.0, 1.0]))


def test_cross_entropy_labels(backend):
    mod, arr = backend
    logits = arr(np.zeros((2, 3)))
    labels = np.array([0, 3]) if mod is cnp else torch.tensor([0, 3])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got values from 0 to 3"):
        mod.softmax_cross_entropy(logits, labels)
    float_labels = np.array([0.0, 1.0]) if mod is cnp else torch.tensor([0.0, 1.0])
    with pytest.raises(TypeError, match=r"labels must be integer class indices"):
        mod.softmax_cross_entropy(logits, float_labels)


def test_network_plans(backend):
    mod, _ = backend
    with pytest.raises(ValueError, match=r"2 layers need 2 activations, got 1"):
        mod.build_mlp([3, 4, 2], ["relu"])
    with pytest.raises(ValueError, match=r"sizes needs an input and an output size"):
        mod.build_mlp([3], [])
    with pytest.raises(ValueError, match=r"layer 2's weight \(1, 3\) expects 3 inputs, but layer 1 gives 4"):
        mod.from_weights([(np.ones((4, 2)), np.ones(4)), (np.ones((1, 3)), np.ones(1))], ["relu", "sigmoid"])


def test_dense_init_rejects_bad_sizes(backend):
    mod, _ = backend
    with pytest.raises(ValueError, match=r"in_features must be a positive integer, got 0"):
        mod.Dense(0, 3)


def test_numpy_backward_checks_upstream_gradient():
    _, cache = cnp.dense_forward(np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4\), got \(2, 5\)"):
        cnp.dense_backward(np.ones((2, 5)), cache)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        cnp.Dense(2, 3).backward(np.ones((1, 3)))


def test_state_dict_mismatch():
    net = cnp.build_mlp([2, 3, 1], ["relu", "sigmoid"])
    with pytest.raises(ValueError, match=r"missing \['2.bias'\]"):
        net.load_state_dict({k: v for k, v in net.state_dict().items() if k != "2.bias"})
    bad = dict(net.state_dict(), **{"0.weight": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"0.weight: expected shape \(3, 2\), got \(2, 2\)"):
        net.load_state_dict(bad)


def test_seed_rejects_non_integers():
    import companion

    with pytest.raises(TypeError, match="seed must be an integer"):
        companion.seed(1.5)
    with pytest.raises(ValueError, match=r"seed must lie in \[0, 2\*\*32\)"):
        companion.seed(-1)
