"""Exercises of the chapter *Backpropagation*."""

from companion.exercises.core import Exercise, register
from companion.np.activations import activation_backward, activation_forward
from companion.np.dense import dense_backward, dense_forward


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
