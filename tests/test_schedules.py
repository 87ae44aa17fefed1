"""Learning-rate schedules: the NumPy closed forms equal torch.optim.lr_scheduler step after step."""

import warnings

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct
from companion.np import schedules as np_schedules
from companion.torch import schedules as torch_schedules

STEPS = 300
CASES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("StepLR", dict(step_size=30, gamma=2.0)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("ExponentialLR", dict(gamma=1.0)),
    ("CosineAnnealingLR", dict(T_max=50)),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=0.01)),  # runs past T_max: the cosine rises again
    ("CosineAnnealingLR", dict(T_max=1)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, total_iters=20)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=40)),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.25, total_iters=1)),
]


def referee(name, hyper, base_lr, steps):
    """torch's own scheduler, built by hand (not through our twin), stepped after each optimizer step."""
    optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=base_lr)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **hyper)
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(out)


@pytest.mark.parametrize("name, hyper", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_schedule_matches_torch_at_every_step(name, hyper):
    expected = referee(name, hyper, 0.3, STEPS)
    ours = cnp.lr_curve(getattr(np_schedules, name)(**hyper), 0.3, STEPS)
    twin = ct.lr_curve(getattr(torch_schedules, name)(**hyper), 0.3, STEPS).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(twin, expected, rtol=0, atol=0)
    assert len(set(np.round(expected, 12))) > 1 or name == "ExponentialLR"  # the schedule really moves


def _chains(module):
    m = module
    return {
        "warm-up then cosine": m.SequentialLR((m.LinearLR(0.1, total_iters=10), m.CosineAnnealingLR(90, 0.001)),
                                              milestones=(10,)),
        "three parts": m.SequentialLR((m.LinearLR(0.5, total_iters=3), m.StepLR(4, 0.5), m.ExponentialLR(0.9)),
                                      milestones=(3, 10)),
        "one part": m.SequentialLR((m.ExponentialLR(0.95),), milestones=()),
    }


def _torch_chain(name, optimizer):
    S = torch.optim.lr_scheduler
    if name == "warm-up then cosine":
        parts, milestones = [S.LinearLR(optimizer, 0.1, total_iters=10), S.CosineAnnealingLR(optimizer, 90, 0.001)], [10]
    elif name == "three parts":
        parts = [S.LinearLR(optimizer, 0.5, total_iters=3), S.StepLR(optimizer, 4, 0.5), S.ExponentialLR(optimizer, 0.9)]
        milestones = [3, 10]
    else:
        parts, milestones = [S.ExponentialLR(optimizer, 0.95)], []
    return S.SequentialLR(optimizer, parts, milestones)


@pytest.mark.parametrize("name", list(_chains(np_schedules)))
def test_sequential_matches_torch(name):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = _torch_chain(name, optimizer)
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # older torch versions warn about stepping with an epoch argument
        for _ in range(200):
            expected.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    np.testing.assert_allclose(cnp.lr_curve(_chains(np_schedules)[name], 0.2, 200), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ct.lr_curve(_chains(torch_schedules)[name], 0.2, 200).numpy(), expected, rtol=1e-12)


def test_lr_at_one_step_equals_the_curve():
    for module in (np_schedules, torch_schedules):
        schedule = _chains(module)["warm-up then cosine"]
        curve = np.asarray(module.lr_curve(schedule, 0.5, 40))
        assert [schedule.lr(0.5, t) for t in (0, 9, 10, 39)] == pytest.approx(curve[[0, 9, 10, 39]], rel=1e-12)
    assert np_schedules.LinearLR(0.1, total_iters=10).lr(0.5, 0) == pytest.approx(0.05)
    assert np_schedules.CosineAnnealingLR(10, eta_min=0.1).lr(1.0, 10) == pytest.approx(0.1)


@pytest.mark.parametrize("module", [np_schedules, torch_schedules], ids=["numpy", "torch"])
def test_bad_settings_are_named(module):
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        module.StepLR(0)
    with pytest.raises(ValueError, match="T_max must be a positive integer, got 2.5"):
        module.CosineAnnealingLR(2.5)
    with pytest.raises(ValueError, match=r"start_factor must lie in \(0, 1\], got 0"):
        module.LinearLR(start_factor=0)
    with pytest.raises(ValueError, match=r"end_factor must lie in \[0, 1\], got 1.5"):
        module.LinearLR(end_factor=1.5)
    with pytest.raises(ValueError, match="total_iters must be a positive integer"):
        module.LinearLR(total_iters=0)
    with pytest.raises(ValueError, match=r"2 schedules need 1 milestone\(s\), got 0"):
        module.SequentialLR((module.StepLR(2), module.StepLR(3)), milestones=())
    with pytest.raises(ValueError, match="milestones must increase"):
        module.SequentialLR((module.StepLR(2), module.StepLR(3), module.StepLR(4)), milestones=(5, 5))
    with pytest.raises(ValueError, match="at least one schedule"):
        module.SequentialLR((), milestones=())
    with pytest.raises(ValueError, match="the step t must be a non-negative integer, got -1"):
        module.StepLR(2).lr(0.1, -1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        module.lr_curve(module.StepLR(2), 0.1, 0)


def test_schedule_plot_draws_each_curve():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from companion.viz.optim import plot_schedules

    schedules = {"step": np_schedules.StepLR(10, 0.5), "cosine": np_schedules.CosineAnnealingLR(30)}
    ax = plot_schedules(schedules, 0.1, 30)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["step", "cosine"]
    np.testing.assert_allclose(lines[1].get_ydata(), cnp.lr_curve(schedules["cosine"], 0.1, 30))
    plt.close("all")
