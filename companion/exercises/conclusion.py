"""Exercises of the page *Conclusion*: one review question each on training, convolution and recurrence.

The references are read off PyTorch itself (autograd, ``torch.nn.functional.conv2d``, ``torch.nn.LSTM``), so
they do not share the reader's reasoning; torch is imported inside each reference, as every page imports the
exercises. (The gradient step is taken by hand from autograd's gradients: constructing ``torch.optim.SGD`` the
first time imports the compiler stack, seconds a page cannot spare.)
"""

import numpy as np

from companion.exercises.core import Exercise, register


def _sgd_step(x, y, weight, bias, lr):
    """One gradient-descent step on the mean softmax cross-entropy of a linear layer, gradients by autograd."""
    import torch

    w = torch.tensor(weight, requires_grad=True)
    b = torch.tensor(bias, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(x) @ w.T + b, torch.from_numpy(y))
    loss.backward()
    with torch.no_grad():
        return (w - lr * w.grad).numpy(), (b - lr * b.grad).numpy()


def _step_cases(rng):
    yield (np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([0, 1]), np.zeros((2, 2)), np.zeros(2), 0.1)  # by hand
    for _ in range(14):
        n, d, c = int(rng.integers(1, 7)), int(rng.integers(1, 5)), int(rng.integers(2, 5))
        yield (rng.normal(size=(n, d)), rng.integers(0, c, size=n), rng.normal(size=(c, d)), rng.normal(size=c),
               float(rng.choice([0.01, 0.1, 0.5, 1.0])))


register(Exercise(
    id="conclusion.sgd_step",
    prompt="Write sgd_step(x, y, weight, bias, lr): one step of plain gradient descent for softmax regression, "
           "the book's whole training loop in one function. x is (N, D), y holds N integer classes, weight is "
           "(C, D) in PyTorch's layout and bias (C,). Forward: the logits x @ weight.T + bias; loss: the mean over "
           "the N rows of the softmax cross-entropy; backward: its gradient with respect to the logits is "
           "(softmax(logits) - onehot(y)) / N, carried back to weight and bias; step: subtract lr times each "
           "gradient. Return (new_weight, new_bias).",
    reference=_sgd_step, cases=_step_cases, arg_names=("x", "y", "weight", "bias", "lr"),
))


def _conv_output_size(h, k, padding, stride, dilation):
    """Measured on torch's convolution, so the reference does not share the reader's formula."""
    import torch

    out = torch.nn.functional.conv2d(torch.zeros(1, 1, h, 1), torch.zeros(1, 1, k, 1), stride=stride,
                                     padding=padding, dilation=dilation)
    return out.shape[2]


def _size_cases(rng):
    yield 28, 5, 0, 1, 1     # LeNet's first layer: 28 - 5 + 1
    yield 32, 3, 2, 1, 2     # dilation 2 with padding 2 keeps the size
    yield 9, 3, 0, 2, 2      # the dilated kernel spans 5 rows: (9 - 5) // 2 + 1
    yield 10, 3, 1, 3, 1     # (10 + 2 - 3) / 3 is whole
    for _ in range(21):
        k, padding = int(rng.integers(1, 6)), int(rng.integers(0, 3))
        stride, dilation = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        span = dilation * (k - 1) + 1
        yield max(span - 2 * padding, 1) + int(rng.integers(0, 30)), k, padding, stride, dilation


register(Exercise(
    id="conclusion.conv_output_size",
    prompt="Write conv_output_size(h, k, padding, stride, dilation): the height of a convolution's output for an "
           "input of height h, a kernel of height k, that many zeros of padding on each side, that stride and that "
           "dilation (a dilated kernel reads every dilation-th row, so it spans dilation * (k - 1) + 1 rows), as "
           "torch.nn.Conv2d computes it.",
    reference=_conv_output_size, cases=_size_cases, arg_names=("h", "k", "padding", "stride", "dilation"),
))


def _lstm_parameter_count(input_size, hidden_size, num_layers, bidirectional):
    """Counted on a real torch.nn.LSTM."""
    import torch

    lstm = torch.nn.LSTM(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional)
    return sum(p.numel() for p in lstm.parameters())


def _lstm_cases(rng):
    yield 1, 1, 1, False      # 4 gates x (1 + 1 + 2 biases) = 16
    yield 10, 20, 2, False    # the second layer reads the first's 20 outputs
    yield 10, 20, 2, True     # ... or, both ways, its 40
    for _ in range(9):
        yield (int(rng.integers(1, 30)), int(rng.integers(1, 30)), int(rng.integers(1, 4)), bool(rng.integers(0, 2)))


register(Exercise(
    id="conclusion.lstm_parameter_count",
    prompt="Write lstm_parameter_count(input_size, hidden_size, num_layers, bidirectional): how many numbers "
           "torch.nn.LSTM(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional) learns. Each "
           "layer and direction has four gates, each with an input weight, a recurrent weight and PyTorch's two "
           "bias vectors (b_ih and b_hh); a layer above the first reads the outputs of the layer below, both "
           "directions' when the network is bidirectional.",
    reference=_lstm_parameter_count, cases=_lstm_cases,
    arg_names=("input_size", "hidden_size", "num_layers", "bidirectional"),
))
