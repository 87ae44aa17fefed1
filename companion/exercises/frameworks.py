"""Exercises of the page *Frameworks in practice*: bfloat16 by bit manipulation, the batches of a DataLoader,
and a torch Linear layer's weights in Keras's layout. NumPy only (the tests use torch as the referee)."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.precision import round_to_bfloat16


def _bfloat16_cases(rng):
    ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0x3FFF8000], dtype=np.uint32)   # exactly half-way
    yield (ties.view(np.float32),)                                      # 1 + 2^-8 goes down, 1 + 3 * 2^-8 up
    yield (np.array([1.0, 0.1, -2.5, 3.0e38, 1.0e-40, 0.0], dtype=np.float32),)
    for _ in range(20):
        n = int(rng.integers(1, 8))
        yield ((rng.normal(size=n) * 10.0 ** rng.uniform(-30, 30, size=n)).astype(np.float32),)


register(Exercise(
    id="frameworks.bfloat16_round",
    prompt="Write to_bfloat16(x): x is a float32 array (no NaN). Return the float32 array of the nearest "
           "bfloat16 values, rounding ties to even, by bit manipulation: view the float32s as uint32 "
           "(x.view(np.uint32)), add 0x7FFF plus the lowest bit that is kept ((bits >> 16) & 1), clear the "
           "low 16 bits, and view the result as float32 again. Work in uint64 so the sum cannot wrap.",
    reference=round_to_bfloat16, cases=_bfloat16_cases, arg_names=("x",), rtol=0.0, atol=0.0,
))


def _batches(n, batch_size, drop_last):
    return n // batch_size if drop_last else -(-n // batch_size)


def _batch_cases(rng):
    yield 1000, 32, True
    yield 1000, 32, False
    yield 64, 32, False                                               # divides exactly: the same either way
    yield 10, 32, True                                                # fewer samples than a batch
    for _ in range(20):
        yield int(rng.integers(1, 5000)), int(rng.integers(1, 300)), bool(rng.integers(0, 2))


register(Exercise(
    id="frameworks.batches_per_epoch",
    prompt="Write batches_per_epoch(n, batch_size, drop_last): the number of batches a DataLoader over n "
           "samples yields in one epoch (len(loader)). With drop_last=True an incomplete last batch is "
           "dropped; with drop_last=False it is kept.",
    reference=_batches, cases=_batch_cases, arg_names=("n", "batch_size", "drop_last"), rtol=0.0, atol=0.0,
))


def _dense_to_keras(weight, bias):
    return weight.T.copy(), bias.copy()


def _dense_cases(rng):
    yield np.arange(6.0).reshape(2, 3), np.array([0.5, -0.5])         # 3 inputs, 2 outputs
    for _ in range(20):
        n_out, n_in = (int(k) for k in rng.integers(1, 7, size=2))
        yield rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)


register(Exercise(
    id="frameworks.dense_to_keras",
    prompt="Write dense_to_keras(weight, bias): weight (out, in) and bias (out,) are a torch.nn.Linear "
           "layer's parameters, which compute y = x W^T + b. Return (kernel, bias) for a Keras Dense layer, "
           "which computes y = x K + b with its kernel K of shape (in, out), so that both layers give the "
           "same outputs.",
    reference=_dense_to_keras, cases=_dense_cases, arg_names=("weight", "bias"),
))
