"""Receptive fields: the recurrences against the field torch's autograd measures, LeNet by hand, errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from companion import np as cnp
from companion import torch as ctorch
from companion.counting import ReceptiveField, Window, receptive_field


def axis_geometry(kind):
    """(kernel, stride, padding, dilation) for one axis; torch pools pad at most half the kernel, and
    AvgPool2d has no dilation."""
    return st.integers(1, 5).flatmap(lambda k: st.tuples(
        st.just(k), st.integers(1, 3), st.integers(0, 2 if kind == "conv" else k // 2),
        st.just(1) if kind == "avg" else st.integers(1, 3)))


layer = st.sampled_from(["conv", "avg", "max"]).flatmap(
    lambda kind: st.tuples(st.just(kind), axis_geometry(kind), axis_geometry(kind)))


def torch_layers(stack):
    """The stack as torch.nn modules, and a stand-in for measuring: each MaxPool2d (whose gradient goes to one
    argmax) becomes a ones-convolution with the same window, which sums over it."""
    modules, measured = [], []
    for kind, h, w in stack:
        k, s, p, d = zip(h, w)
        if kind == "avg":
            modules.append(torch.nn.AvgPool2d(k, s, p))
            measured.append(modules[-1])
            continue
        conv = torch.nn.Conv2d(1, 1, k, s, p, d, bias=False, dtype=torch.float64)
        torch.nn.init.ones_(conv.weight)
        modules.append(torch.nn.MaxPool2d(k, s, p, d) if kind == "max" else conv)
        measured.append(conv)
    return modules, measured


def input_size_and_index(geometry, r, jump, start):
    """The smallest input size along one axis with an output whose field lies inside it, and that output."""
    n = r
    while True:
        size = n
        for k, s, p, d in geometry:
            size = (size + 2 * p - d * (k - 1) - 1) // s + 1
        inside = [i for i in range(max(size, 0))
                  if start + i * jump - (r - 1) / 2 >= 0 and start + i * jump + (r - 1) / 2 <= n - 1]
        if inside:
            return n, inside[len(inside) // 2]
        n += 1


@settings(max_examples=40, deadline=None)
@given(st.lists(layer, min_size=1, max_size=5))
def test_formulas_match_the_field_autograd_measures(stack):
    modules, measured = torch_layers(stack)
    fields = receptive_field(modules)
    assert [f.index for f in fields] == list(range(len(stack)))
    assert fields == receptive_field([Window(*zip(h, w), name=type(m).__name__) for (_, h, w), m in
                                      zip(stack, modules)])
    last = fields[-1]
    sizes, index = zip(*(input_size_and_index([g[axis] for g in [(h, w) for _, h, w in stack]],
                                              last.r[axis], last.jump[axis], last.start[axis]) for axis in (0, 1)))
    x = torch.ones(1, 1, *sizes, dtype=torch.float64, requires_grad=True)
    y, z = x, x.detach()
    for module, stand_in in zip(modules, measured):
        y = stand_in(y)
        z = module(z)
        assert z.shape == y.shape  # a max pool has its stand-in's geometry
    y[0, 0, index[0], index[1]].backward()
    for axis in (0, 1):
        hit = np.flatnonzero(x.grad[0, 0].numpy().any(axis=1 - axis))
        assert hit[-1] - hit[0] + 1 == last.r[axis]
        assert (hit[0] + hit[-1]) / 2 == last.start[axis] + index[axis] * last.jump[axis]


def test_lenet_by_hand():
    # conv3 p1, conv3 p1: r 3, 5; pool 2: r 6, jump 2, start 0.5; conv3 p1: r 10; pool 2: r 12, jump 4, 1.5
    expected = [(0, "Conv2d", 3, 1, 0.0), (2, "Conv2d", 5, 1, 0.0), (4, "MaxPool2d", 6, 2, 0.5),
                (5, "Conv2d", 10, 2, 0.5), (7, "MaxPool2d", 12, 4, 1.5)]
    expected = [ReceptiveField(i, name, (r, r), (j, j), (s, s)) for i, name, r, j, s in expected]
    assert receptive_field(cnp.build_lenet(rng=np.random.default_rng(0))) == expected
    assert receptive_field(list(ctorch.build_lenet(rng=np.random.default_rng(0)))) == expected


def test_specs_pairs_and_same_padding():
    fields = receptive_field([{"kernel_size": (3, 1)}, {"kernel_size": 2, "stride": (2, 1), "name": "pool"}])
    assert fields[-1] == ReceptiveField(1, "pool", (4, 2), (2, 1), (1.5, 0.5))
    same = receptive_field([torch.nn.Conv2d(1, 1, 5, padding="same", dilation=2)])[0]
    assert same.r == (9, 9) and same.start == (0.0, 0.0)


@pytest.mark.parametrize("spec, match", [
    ({"kernel_size": 0}, "kernel_size must be a positive integer"),
    ({"kernel_size": 3, "stride": 0}, "stride must be a positive integer"),
    ({"kernel_size": 3, "dilation": (1, -1)}, "dilation must be a positive integer"),
    ({"kernel_size": 3, "padding": -1}, "padding must be a non-negative integer"),
    ({"kernel_size": 3, "strides": 2}, "takes only"),
    ({"stride": 2}, "needs kernel_size"),
    ({"kernel_size": (3, 3, 3)}, r"an \(h, w\) pair"),
    (torch.nn.Linear(4, 2), "stops at Flatten"),
])
def test_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        receptive_field([{"kernel_size": 1}, spec])
