"""Two-dimensional loss surfaces for watching optimizers move (chapter: Losses and optimizers).

Each surface gives its value f(p) and gradient for a point p = (x, y), and a start point;
:func:`hessian` gives its curvature, which sets the largest learning rate gradient descent survives.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from companion._validate import check_choice


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable  # (..., 2) -> (...)
    grad: Callable  # (2,) -> (2,)
    start: tuple
    extent: tuple  # (xmin, xmax, ymin, ymax) for plots
    minimum: tuple


def _ravine_f(p):
    p = np.asarray(p)
    return 0.05 * p[..., 0] ** 2 + 2.0 * p[..., 1] ** 2


def _ravine_grad(p):
    return np.array([0.1 * p[0], 4.0 * p[1]])


def _rosenbrock_f(p):
    p = np.asarray(p)
    return (1 - p[..., 0]) ** 2 + 10 * (p[..., 1] - p[..., 0] ** 2) ** 2


def _rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 40 * x * (y - x * x), 20 * (y - x * x)])


SURFACES = {
    # a long narrow valley: steep across, nearly flat along; plain gradient descent zigzags
    "ravine": Surface("ravine", _ravine_f, _ravine_grad, (-9.0, 1.5), (-10, 10, -2.5, 2.5), (0.0, 0.0)),
    # a curved valley with its minimum at (1, 1)
    "rosenbrock": Surface("rosenbrock", _rosenbrock_f, _rosenbrock_grad, (-1.5, 2.0), (-2, 2, -1, 3), (1.0, 1.0)),
}


def get_surface(name):
    check_choice(name, "surface", SURFACES)
    return SURFACES[name]


def hessian(name, point, h=1e-4):
    """The 2 x 2 matrix of second derivatives at ``point``, by central differences of the gradient.

    H[:, j] = (grad(p + h e_j) - grad(p - h e_j)) / (2 h); exact up to rounding on a quadratic surface.
    Symmetrized, so that ``np.linalg.eigvalsh`` reads off the curvatures along the principal axes.
    """
    grad, p = get_surface(name).grad, np.asarray(point, dtype=float)
    columns = [(grad(p + h * e) - grad(p - h * e)) / (2 * h) for e in np.eye(len(p))]
    H = np.stack(columns, axis=1)
    return (H + H.T) / 2
