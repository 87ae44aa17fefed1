"""Exercises of the chapter *Introduction*."""

import math

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.activations import relu
from companion.np.dense import dense
from companion.np.network import build_mlp


def _neuron_cases(rng):
    for _ in range(25):
        n = int(rng.integers(1, 6))
        yield rng.normal(size=n), rng.normal(size=n), float(rng.normal())


register(Exercise(
    id="intro.neuron",
    prompt="Write neuron(x, w, b): the output ReLU(w · x + b) of one neuron with inputs x (n,), weights w (n,) "
           "and bias b (a number).",
    reference=lambda x, w, b: relu(dense(x, w[None, :], np.array([b])))[0],
    cases=_neuron_cases,
    arg_names=("x", "w", "b"),
))

register(Exercise(
    id="intro.parameter_count",
    prompt="How many numbers (weights and biases) does the 3-4-2 network in this chapter's figure learn?",
    reference=lambda: sum(p.size for p in build_mlp([3, 4, 2], ["relu", "softmax"],
                                                   rng=np.random.default_rng(0)).state_dict().values()),
))


def _update_cases(rng):
    for _ in range(25):
        yield int(rng.integers(1, 5000)), int(rng.integers(1, 300)), int(rng.integers(1, 20))


register(Exercise(
    id="intro.updates",
    prompt="Write updates(n_samples, batch_size, epochs): how many times the weights change when each epoch "
           "walks through n_samples in mini-batches of batch_size (the last batch may be smaller).",
    reference=lambda n, b, e: math.ceil(n / b) * e,
    cases=_update_cases,
    arg_names=("n_samples", "batch_size", "epochs"),
))
