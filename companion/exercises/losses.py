"""Exercises of the chapter *Losses and optimizers*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.losses import binary_cross_entropy, mse_grad
from companion.np.optim import sgd


def _pairs(rng):
    for _ in range(25):
        shape = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        yield rng.normal(size=shape), rng.normal(size=shape)


register(Exercise(
    id="losses.mse_grad",
    prompt="Write mse_grad(pred, target): the gradient of mean((pred - target)^2) with respect to pred.",
    reference=mse_grad, cases=_pairs, arg_names=("pred", "target"),
))


def _bce_cases(rng):
    for _ in range(25):
        n = int(rng.integers(1, 8))
        yield rng.uniform(0.01, 0.99, size=n), rng.integers(0, 2, size=n).astype(float)


register(Exercise(
    id="losses.binary_cross_entropy",
    prompt="Write binary_cross_entropy(p, t): the mean of -(t log p + (1 - t) log(1 - p)) over the batch.",
    reference=binary_cross_entropy, cases=_bce_cases, arg_names=("p", "t"),
))


def _momentum_reference(param, grad, velocity, lr, momentum):
    new, state = sgd(param, grad, {"momentum_buffer": velocity}, lr=lr, momentum=momentum)
    return new, state["momentum_buffer"]


def _momentum_cases(rng):
    for _ in range(25):
        n = int(rng.integers(1, 6))
        yield (rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), float(rng.uniform(0.01, 0.5)),
               float(rng.uniform(0.5, 0.99)))


register(Exercise(
    id="losses.momentum_step",
    prompt="Write momentum_step(param, grad, velocity, lr, momentum) returning (new_param, new_velocity) "
           "for SGD with momentum as PyTorch defines it: velocity = momentum * velocity + grad; "
           "param = param - lr * velocity.",
    reference=_momentum_reference, cases=_momentum_cases,
    arg_names=("param", "grad", "velocity", "lr", "momentum"),
))
