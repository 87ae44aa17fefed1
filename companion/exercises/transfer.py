"""Exercises of the page *Transfer learning*: trainable parameters of a probe and of fine-tuning, ULMFiT's
discriminative learning rates, and the gradient of a linear probe (reference: companion.linear_probe)."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.linear_probe import probe_loss_grad

_METHODS = ("probe", "finetune")


def _lenet_trainable(c1, c2, n_classes, method):
    """Trainable parameters of companion.transfer's LeNet (three 3x3 convolutions with biases, 1 -> c1 -> c1
    -> c2 channels, then a Dense from c2 * 2 * 2 features to n_classes) under ``method``."""
    head = c2 * 2 * 2 * n_classes + n_classes
    if method == "probe":
        return head
    return (9 * 1 * c1 + c1) + (9 * c1 * c1 + c1) + (9 * c1 * c2 + c2) + head


def _count_cases(rng):
    yield 8, 16, 5, "probe"
    yield 8, 16, 5, "finetune"
    for _ in range(20):
        yield int(rng.integers(1, 33)), int(rng.integers(1, 33)), int(rng.integers(2, 11)), _METHODS[rng.integers(2)]


register(Exercise(
    id="transfer.trainable_parameters",
    prompt="Write trainable_parameters(c1, c2, n_classes, method) for the page's LeNet on 8x8 images: a 3x3 "
           "convolution from 1 to c1 channels, a 3x3 convolution from c1 to c1, a 2x2 max-pool, a 3x3 "
           "convolution from c1 to c2, a 2x2 max-pool, then a Dense layer from the c2 * 2 * 2 flattened features "
           "to n_classes; every convolution and the Dense layer have biases. Return how many numbers the "
           "optimizer updates when method is 'probe' (only the new Dense head trains) and when it is "
           "'finetune' (every layer trains).",
    reference=_lenet_trainable, cases=_count_cases, arg_names=("c1", "c2", "n_classes", "method"),
))


def _discriminative_rates(lr, factor, n_layers):
    return lr / factor ** np.arange(n_layers - 1, -1, -1, dtype=float)


def _rate_cases(rng):
    yield 0.01, 2.6, 4
    yield 0.1, 2.0, 1
    for _ in range(20):
        yield float(rng.uniform(1e-4, 0.1)), float(rng.uniform(1.1, 5.0)), int(rng.integers(1, 9))


register(Exercise(
    id="transfer.discriminative_rates",
    prompt="Write discriminative_rates(lr, factor, n_layers): the learning rates of discriminative fine-tuning "
           "(Howard and Ruder 2018) for layers 1 (next to the input) to n_layers (the top), as an array of "
           "length n_layers. The top layer gets lr, and each layer below gets its upper neighbour's rate "
           "divided by factor: eta_(l-1) = eta_l / factor.",
    reference=_discriminative_rates, cases=_rate_cases, arg_names=("lr", "factor", "n_layers"),
))


def _probe_gradient(features, y, weight, bias, l2):
    _, d_weight, d_bias = probe_loss_grad(features, y, weight, bias, l2)
    return d_weight, d_bias


def _gradient_cases(rng):
    yield (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]), np.zeros((2, 2)), np.zeros(2), 0.0)
    for _ in range(20):
        n, d, c = int(rng.integers(1, 9)), int(rng.integers(1, 5)), int(rng.integers(2, 5))
        yield (rng.normal(size=(n, d)), rng.integers(0, c, size=n), rng.normal(size=(c, d)), rng.normal(size=c),
               float(rng.choice([0.0, 0.1, 1.0])))


register(Exercise(
    id="transfer.probe_gradient",
    prompt="Write probe_gradient(features, y, weight, bias, l2) for a linear probe on frozen features: features "
           "(N, D), integer labels y (N,), weight (C, D), bias (C,). The loss is the mean over the N examples of "
           "the softmax cross-entropy of the logits features @ weight.T + bias, plus (l2 / 2) times the sum of "
           "the squared weights (the bias is not penalized). Return (dL/dweight (C, D), dL/dbias (C,)).",
    reference=_probe_gradient, cases=_gradient_cases, arg_names=("features", "y", "weight", "bias", "l2"),
))
