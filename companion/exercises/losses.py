"""Exercises of the chapter *Losses and optimizers*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.losses import binary_cross_entropy, mse_grad, softmax_cross_entropy_grad
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


def _softmax_ce_cases(rng):
    yield np.array([[1000.0, 0.0, -1000.0]]), np.array([2])  # must not overflow: shift by the row maximum
    for _ in range(24):
        n, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        yield rng.normal(scale=3, size=(n, c)), rng.integers(0, c, size=n)


register(Exercise(
    id="losses.softmax_cross_entropy_grad",
    prompt="Write softmax_cross_entropy_grad(logits, labels): the gradient of mean_n(-log softmax(z_n)[y_n]) "
           "with respect to the logits z (N, C), for integer labels y (N,). It is (softmax(z) - onehot(y)) / N; "
           "compute the softmax stably (subtract each row's maximum first).",
    reference=softmax_cross_entropy_grad, cases=_softmax_ce_cases, arg_names=("logits", "labels"),
))
