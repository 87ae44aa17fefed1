"""Learning-rate schedules (chapter: Losses and optimizers).

Each schedule is a small frozen description with the fields and defaults of the
``torch.optim.lr_scheduler`` class of the same name (less the optimizer and ``last_epoch``), and one
method, ``lr(base_lr, t)``: the learning rate after ``t`` calls of that scheduler's ``step()``, in
closed form. ``t`` counts whatever the training loop steps the schedule by (``fit`` steps it once
per epoch, as PyTorch's examples do).
"""

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from companion._validate import check_linear_factors, check_milestones, check_nonnegative_int, check_positive_int


def _check_step(t):
    check_nonnegative_int(t, "the step t")


@dataclass(frozen=True)
class StepLR:
    """lr = base_lr * gamma ** floor(t / step_size): multiply by ``gamma`` every ``step_size`` steps."""

    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        check_positive_int(self.step_size, "step_size")

    def lr(self, base_lr, t):
        _check_step(t)
        return base_lr * self.gamma ** (t // self.step_size)


@dataclass(frozen=True)
class ExponentialLR:
    """lr = base_lr * gamma ** t: multiply by ``gamma`` at every step."""

    gamma: float

    def lr(self, base_lr, t):
        _check_step(t)
        return base_lr * self.gamma ** t


@dataclass(frozen=True)
class CosineAnnealingLR:
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2 (SGDR without restarts).

    Falls from base_lr to ``eta_min`` over ``T_max`` steps; past T_max it rises again along the same
    cosine (period 2 T_max), exactly as PyTorch's scheduler does.
    """

    T_max: int  # noqa: N815  (PyTorch's name)
    eta_min: float = 0.0

    def __post_init__(self):
        check_positive_int(self.T_max, "T_max")

    def lr(self, base_lr, t):
        _check_step(t)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


@dataclass(frozen=True)
class LinearLR:
    """lr = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters).

    A linear warm-up when start_factor < end_factor: the factor moves in a straight line from
    ``start_factor`` to ``end_factor`` over ``total_iters`` steps and then stays there.
    """

    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5

    def __post_init__(self):
        check_linear_factors(self.start_factor, self.end_factor, self.total_iters)

    def lr(self, base_lr, t):
        _check_step(t)
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


@dataclass(frozen=True)
class SequentialLR:
    """Run ``schedules[0]`` until ``milestones[0]``, then ``schedules[1]`` from its own step 0, and so on.

    ``SequentialLR((LinearLR(0.1, total_iters=5), CosineAnnealingLR(45)), milestones=(5,))`` is a
    five-step linear warm-up followed by a cosine decay. Every schedule starts from the same base_lr.
    """

    schedules: tuple
    milestones: tuple

    def __post_init__(self):
        object.__setattr__(self, "schedules", tuple(self.schedules))
        object.__setattr__(self, "milestones", tuple(self.milestones))
        check_milestones(self.milestones, len(self.schedules))

    def lr(self, base_lr, t):
        _check_step(t)
        i = bisect_right(self.milestones, t)  # which schedule is running at step t
        start = self.milestones[i - 1] if i else 0
        return self.schedules[i].lr(base_lr, t - start)


SCHEDULES = (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, SequentialLR)


def lr_curve(schedule, base_lr, steps):
    """The learning rates at t = 0, 1, …, steps - 1 as an array (steps,)."""
    check_positive_int(steps, "steps")
    return np.array([schedule.lr(base_lr, t) for t in range(steps)])
