"""Exercises of the chapter *Backpropagation*."""

from companion.exercises.core import Exercise, register
from companion.np.activations import activation_backward, activation_forward
from companion.np.autodiff import unbroadcast
from companion.np.dense import dense_backward, dense_forward
from companion.np.init import xavier_std


def _vectors(rng):
    for _ in range(25):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        yield rng.normal(size=shape), rng.normal(scale=3, size=shape)


register(Exercise(
    id="backprop.sigmoid_backward",
    prompt="Write sigmoid_backward(dout, x): the gradient dL/dx of out = sigmoid(x), given dL/dout.",
    reference=lambda dout, x: activation_backward(dout, activation_forward(x, "sigmoid")[1]),
    cases=_vectors, arg_names=("dout", "x"),
))

register(Exercise(
    id="backprop.relu_backward",
    prompt="Write relu_backward(dout, x): the gradient dL/dx of out = max(0, x), given dL/dout.",
    reference=lambda dout, x: activation_backward(dout, activation_forward(x, "relu")[1]),
    cases=_vectors, arg_names=("dout", "x"),
))


def _dense_cases(rng):
    for _ in range(25):
        n, n_in, n_out = (int(v) for v in rng.integers(1, 5, size=3))
        yield rng.normal(size=(n, n_out)), rng.normal(size=(n, n_in)), rng.normal(size=(n_out, n_in))


register(Exercise(
    id="backprop.dense_backward",
    prompt="Write dense_backward(dout, x, weight) for out = x @ weight.T + bias, returning the tuple "
           "(dx, dweight, dbias): dout is (N, out), x is (N, in), weight is (out, in).",
    reference=lambda dout, x, w: dense_backward(dout, dense_forward(x, w, w[:, 0] * 0)[1]),
    cases=_dense_cases, arg_names=("dout", "x", "weight"),
))


def _fan_cases(rng):
    for _ in range(25):
        fan_in, fan_out = (int(v) for v in rng.integers(1, 1000, size=2))
        yield fan_in, fan_out, float(rng.choice([1.0, 5 / 3, 2 ** 0.5, rng.uniform(0.1, 3)]))


register(Exercise(
    id="backprop.xavier_bound",
    prompt="Write xavier_bound(fan_in, fan_out, gain): the bound a of the Xavier-uniform draw U(-a, a), whose "
           "standard deviation is gain * sqrt(2 / (fan_in + fan_out)).",
    reference=lambda fan_in, fan_out, gain: 3 ** 0.5 * xavier_std((fan_out, fan_in), gain),
    cases=_fan_cases, arg_names=("fan_in", "fan_out", "gain"),
))


def _broadcast_cases(rng):
    for _ in range(25):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3))))
        lead = tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 2))))
        grown = lead + tuple(int(rng.integers(2, 4)) if size == 1 and rng.random() < 0.7 else size for size in shape)
        yield rng.normal(size=grown), shape


register(Exercise(
    id="backprop.unbroadcast",
    prompt="Write unbroadcast(grad, shape): a value of this shape was broadcast up to grad.shape in the forward "
           "pass; return its gradient, grad summed over every broadcast axis, with exactly the given shape.",
    reference=unbroadcast,
    cases=_broadcast_cases, arg_names=("grad", "shape"),
))
