"""Exercises of the chapter *Neurons, layers and forward propagation*."""

import numpy as np

from companion.data import worked_example
from companion.exercises.core import Exercise, register
from companion.np.activations import leaky_relu, sigmoid, softmax
from companion.np.dense import dense


def _sigmoid_cases(rng):
    yield (np.array([-800.0, -30.0, 0.0, 30.0, 800.0]),)  # must not overflow into NaN
    for _ in range(24):
        yield (rng.normal(scale=5, size=int(rng.integers(1, 8))),)


register(Exercise(
    id="forward.sigmoid",
    prompt="Write sigmoid(x) = 1 / (1 + e^-x) for a NumPy array x, returning an array of the same shape. "
           "It must give 0 and 1 at x = -800 and x = 800 without overflowing on the way: the check runs "
           "your function under np.errstate(over='raise', invalid='raise'), so the direct formula, whose "
           "e^800 overflows to inf (with only a warning) before the division rounds it to 0, is rejected.",
    reference=sigmoid,
    cases=_sigmoid_cases,
    arg_names=("x",),
    errstate={"over": "raise", "invalid": "raise"},
))


def _leaky_relu_cases(rng):
    yield np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), 0.01  # torch's default slope
    for slope in (0.2, 0.0, 1.5, -0.5):  # a slope above 1 or below 0 is allowed too, as in PyTorch
        yield rng.normal(scale=3, size=int(rng.integers(1, 8))), slope
    for _ in range(20):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        yield rng.normal(scale=3, size=shape), float(rng.uniform(0, 0.5))


register(Exercise(
    id="forward.leaky_relu",
    prompt="Write leaky_relu(x, negative_slope) for a NumPy array x: x where x > 0, negative_slope * x "
           "elsewhere, for any real negative_slope (PyTorch allows values above 1 and below 0 too).",
    reference=leaky_relu,
    cases=_leaky_relu_cases,
    arg_names=("x", "negative_slope"),
))


def _dense_cases(rng):
    for _ in range(25):
        n, n_in, n_out = (int(v) for v in rng.integers(1, 6, size=3))
        yield rng.normal(size=(n, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)


register(Exercise(
    id="forward.dense",
    prompt="Write dense(x, weight, bias) for a batch x (N, in), weight (out, in) in PyTorch's layout and bias "
           "(out,), returning the (N, out) array of pre-activations.",
    reference=dense,
    cases=_dense_cases,
    arg_names=("x", "weight", "bias"),
))


def _softmax_cases(rng):
    yield (np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]]),)  # e^1000 overflows unless shifted
    for _ in range(24):
        yield (rng.normal(scale=3, size=(int(rng.integers(1, 5)), int(rng.integers(2, 6)))),)


register(Exercise(
    id="forward.softmax",
    prompt="Write softmax(z) for a 2-D array z (N, C): each row becomes probabilities that sum to 1. "
           "It must work for rows like [1000, 1001, 1002].",
    reference=softmax,
    cases=_softmax_cases,
    arg_names=("z",),
))

register(Exercise(
    id="forward.worked_w5",
    prompt="In the worked example, change w5 from 0.7 to -0.4 and keep everything else. What does the "
           "network output now? (A number; four decimals are plenty.)",
    reference=lambda: worked_example.forward_steps(w5=-0.4)["output"],
    rtol=1e-3,
))
