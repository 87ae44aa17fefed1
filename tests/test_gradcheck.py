"""Every hand-written NumPy gradient agrees with centred finite differences (float64)."""

import numpy as np
import pytest

from concepts import CONCEPTS
from finite_differences import numerical_gradient as _numerical_gradient

H = 1e-6


def rel_error(a, b):
    """||a - b|| / max(1e-8, ||a|| + ||b||).

    Measured over the whole gradient rather than entry by entry (CS231n's form): an entry near zero
    carries the finite difference's rounding error, about 1e-16 |L| / H, which alone can exceed 1e-7
    of that entry, while the gradient as a whole is right to 1e-9.
    """
    return np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b))


def numerical_gradient(f, x):
    """d f / d x by centred differences with this file's step H; f returns a float."""
    return _numerical_gradient(f, x, H)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("concept", CONCEPTS, ids=repr)
def test_backward_matches_finite_differences(concept, seed):
    rng = np.random.default_rng(seed)
    inputs = [np.array(a) for a in concept.make_inputs(rng, (3, 4, 2))]
    dout = rng.normal(size=np.shape(concept.np_forward(*inputs)))
    grads = concept.np_backward(dout, *inputs)

    def scalar():  # L = sum(out * dout), so dL/dinput is exactly the backward pass with dout
        return float(np.sum(concept.np_forward(*inputs) * dout))

    for index, analytic in zip(concept.differentiable, grads):
        numeric = numerical_gradient(scalar, inputs[index])
        assert rel_error(analytic, numeric) < 1e-7, f"input {index}"


def test_gradient_check_detects_a_wrong_gradient():
    """The check has teeth: a backward pass off by 1% fails it."""
    x = np.random.default_rng(0).normal(size=(3, 4))
    numeric = numerical_gradient(lambda: float(np.sum(np.tanh(x))), x)
    assert rel_error(1.01 * (1 - np.tanh(x) ** 2), numeric) > 1e-7
