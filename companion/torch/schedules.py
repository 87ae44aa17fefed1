"""Learning-rate schedules on the PyTorch side: ``torch.optim.lr_scheduler``'s own, described by the
NumPy twin's names and fields.

Each description builds the real scheduler for an optimizer with ``scheduler(optimizer)``; ``lr``
and ``lr_curve`` read the learning rates off that scheduler, stepped on a throwaway optimizer.
"""

from dataclasses import dataclass

import torch
from torch.optim import lr_scheduler

from companion._validate import check_linear_factors, check_milestones, check_nonnegative_int, check_positive_int


class _Schedule:
    def lr(self, base_lr, t):
        """The learning rate after ``t`` calls of the scheduler's ``step()``."""
        check_nonnegative_int(t, "the step t")
        return float(lr_curve(self, base_lr, t + 1)[-1])


@dataclass(frozen=True)
class StepLR(_Schedule):
    """``torch.optim.lr_scheduler.StepLR``: lr = base_lr * gamma ** floor(t / step_size)."""

    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        check_positive_int(self.step_size, "step_size")

    def scheduler(self, optimizer):
        return lr_scheduler.StepLR(optimizer, self.step_size, self.gamma)


@dataclass(frozen=True)
class ExponentialLR(_Schedule):
    """``torch.optim.lr_scheduler.ExponentialLR``: lr = base_lr * gamma ** t."""

    gamma: float

    def scheduler(self, optimizer):
        return lr_scheduler.ExponentialLR(optimizer, self.gamma)


@dataclass(frozen=True)
class CosineAnnealingLR(_Schedule):
    """``torch.optim.lr_scheduler.CosineAnnealingLR``: eta_min + (base_lr - eta_min)(1 + cos(pi t / T_max)) / 2."""

    T_max: int  # noqa: N815  (PyTorch's name)
    eta_min: float = 0.0

    def __post_init__(self):
        check_positive_int(self.T_max, "T_max")

    def scheduler(self, optimizer):
        return lr_scheduler.CosineAnnealingLR(optimizer, self.T_max, self.eta_min)


@dataclass(frozen=True)
class LinearLR(_Schedule):
    """``torch.optim.lr_scheduler.LinearLR``: the factor goes linearly from start_factor to end_factor."""

    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5

    def __post_init__(self):
        check_linear_factors(self.start_factor, self.end_factor, self.total_iters)

    def scheduler(self, optimizer):
        return lr_scheduler.LinearLR(optimizer, self.start_factor, self.end_factor, self.total_iters)


@dataclass(frozen=True)
class SequentialLR(_Schedule):
    """``torch.optim.lr_scheduler.SequentialLR``: each schedule in turn, switching at the milestones."""

    schedules: tuple
    milestones: tuple

    def __post_init__(self):
        object.__setattr__(self, "schedules", tuple(self.schedules))
        object.__setattr__(self, "milestones", tuple(self.milestones))
        check_milestones(self.milestones, len(self.schedules))

    def scheduler(self, optimizer):
        parts = [s.scheduler(optimizer) for s in self.schedules]
        return lr_scheduler.SequentialLR(optimizer, parts, list(self.milestones))


SCHEDULES = (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, SequentialLR)


def lr_curve(schedule, base_lr, steps):
    """The learning rates at t = 0, 1, …, steps - 1, read off PyTorch's scheduler, as a tensor (steps,)."""
    check_positive_int(steps, "steps")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = schedule.scheduler(optimizer)
    out = []
    for _ in range(steps):
        out.append(scheduler.get_last_lr()[0])
        optimizer.step()  # no gradients, so nothing moves; keeps the scheduler's order check quiet
        scheduler.step()
    return torch.tensor(out, dtype=torch.float64)
