"""Loss surfaces: gradients and Hessians by hand agree with torch.autograd."""

import numpy as np
import pytest
import torch

from companion.data.surfaces import SURFACES, get_surface, hessian

POINTS = [(-9.0, 1.5), (0.3, -0.7), (1.0, 1.0), (-1.5, 2.0)]


def _torch_f(name):
    """The surface written again in torch, so that autograd can differentiate it."""
    if name == "ravine":
        return lambda p: 0.05 * p[0] ** 2 + 2.0 * p[1] ** 2
    return lambda p: (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


@pytest.mark.parametrize("name", list(SURFACES))
@pytest.mark.parametrize("point", POINTS)
def test_gradient_and_hessian_match_autograd(name, point):
    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    f = _torch_f(name)
    assert float(f(p.detach())) == pytest.approx(float(get_surface(name).f(np.array(point))), rel=1e-12)
    (grad,) = torch.autograd.grad(f(p), p)
    np.testing.assert_allclose(get_surface(name).grad(np.array(point)), grad.numpy(), rtol=1e-12, atol=1e-12)
    expected = torch.autograd.functional.hessian(f, p.detach()).numpy()
    np.testing.assert_allclose(hessian(name, point), expected, rtol=1e-6, atol=1e-6)


def test_the_ravines_curvatures_set_sgds_largest_learning_rate():
    curvatures = np.linalg.eigvalsh(hessian("ravine", (0.0, 0.0)))
    assert curvatures.max() / curvatures.min() > 10  # a narrow valley: steep across, flat along
    with pytest.raises(ValueError, match="unknown surface 'bowl'"):
        hessian("bowl", (0, 0))
