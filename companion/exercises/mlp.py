"""Exercises of the chapter *The multilayer perceptron at work*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.activations import relu
from companion.np.dense import dense
from companion.np.network import build_mlp


def _count_parameters(sizes):
    """Counted on a real network, so the reference does not share the reader's formula."""
    net = build_mlp(list(sizes), ["relu"] * (len(sizes) - 2) + ["linear"], rng=np.random.default_rng(0))
    return sum(int(v.size) for v in net.state_dict().values())


def _sizes_cases(rng):
    yield ([30, 32, 32, 1],)  # the chapter's classifier
    yield ([10, 1],)  # no hidden layer
    for _ in range(23):
        yield ([int(v) for v in rng.integers(1, 100, size=int(rng.integers(2, 6)))],)


register(Exercise(
    id="mlp.parameter_count",
    prompt="Write parameter_count(sizes) for an MLP whose layer sizes are listed in order, inputs first "
           "(e.g. [30, 32, 32, 1]): the number of weights and biases of all its dense layers together.",
    reference=_count_parameters, cases=_sizes_cases, arg_names=("sizes",),
))


def _regression_forward(x, weight1, bias1, weight2, bias2, y_mean, y_std):
    standardized = dense(relu(dense(x, weight1, bias1)), weight2, bias2)  # (N, 1)
    return standardized[:, 0] * y_std + y_mean


def _regression_cases(rng):
    for _ in range(25):
        n, n_in, hidden = (int(v) for v in rng.integers(1, 8, size=3))
        yield (rng.normal(size=(n, n_in)), rng.normal(size=(hidden, n_in)), rng.normal(size=hidden),
               rng.normal(size=(1, hidden)), rng.normal(size=1), float(rng.normal(150, 20)),
               float(rng.uniform(10, 80)))


register(Exercise(
    id="mlp.regression_forward",
    prompt="Write regression_forward(x, weight1, bias1, weight2, bias2, y_mean, y_std): the forward pass of "
           "the chapter's regression MLP (a dense ReLU layer, then a dense linear layer with one output; "
           "weights in PyTorch's layout (out, in)) on a batch x (N, in), returning the N predictions (N,) "
           "in the target's original units: the network was trained on (y - y_mean) / y_std.",
    reference=_regression_forward, cases=_regression_cases,
    arg_names=("x", "weight1", "bias1", "weight2", "bias2", "y_mean", "y_std"),
))


def _anomaly_flags(train_errors, test_errors, q):
    return (test_errors > np.quantile(train_errors, q)).astype(int)


def _flag_cases(rng):
    for _ in range(25):
        yield (rng.gamma(2.0, 0.01, size=int(rng.integers(5, 60))), rng.gamma(2.0, 0.015, size=int(rng.integers(1, 30))),
               float(rng.choice([0.9, 0.95, 0.99, rng.uniform(0.5, 1.0)])))


register(Exercise(
    id="mlp.anomaly_flags",
    prompt="Write anomaly_flags(train_errors, test_errors, q): the threshold is the q-quantile (0 < q < 1; "
           "NumPy's default, linear interpolation) of the reconstruction errors of the normal training "
           "data; return an int array with 1 for each test error above the threshold and 0 otherwise.",
    reference=_anomaly_flags, cases=_flag_cases, arg_names=("train_errors", "test_errors", "q"),
))
