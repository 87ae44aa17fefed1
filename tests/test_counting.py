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


def padding_mode(kind, h, w):
    """A convolution's padding may also be "valid", or "same" where both strides are 1; None keeps the ints."""
    modes = [None] if kind != "conv" else [None, "valid"] + (["same"] if h[1] == w[1] == 1 else [])
    return st.sampled_from(modes)


layer = st.sampled_from(["conv", "avg", "max"]).flatmap(
    lambda kind: st.tuples(st.just(kind), axis_geometry(kind), axis_geometry(kind))).flatmap(
    lambda t: st.tuples(*map(st.just, t), padding_mode(*t)))


def axis_pads(k, p, d, mode):
    """(before, after) along one axis, as torch pads: "same" puts the odd one of d (k - 1) after."""
    if mode == "valid":
        return 0, 0
    if mode == "same":
        return d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2
    return p, p


def torch_layers(stack):
    """The stack as torch.nn modules, and a stand-in for measuring: each MaxPool2d (whose gradient goes to one
    argmax) becomes a ones-convolution with the same window, which sums over it."""
    modules, measured = [], []
    for kind, h, w, mode in stack:
        k, s, p, d = zip(h, w)
        if kind == "avg":
            modules.append(torch.nn.AvgPool2d(k, s, p))
            measured.append(modules[-1])
            continue
        conv = torch.nn.Conv2d(1, 1, k, s, mode or p, d, bias=False, dtype=torch.float64)
        torch.nn.init.ones_(conv.weight)
        modules.append(torch.nn.MaxPool2d(k, s, p, d) if kind == "max" else conv)
        measured.append(conv)
    return modules, measured


def input_size_and_index(geometry, r, jump, start):
    """The smallest input size along one axis with an output whose field lies inside it, and that output."""
    n = r
    while True:
        size = n
        for k, s, p, d, mode in geometry:
            before, after = axis_pads(k, p, d, mode)
            size = (size + before + after - d * (k - 1) - 1) // s + 1
        inside = [i for i in range(max(size, 0))
                  if start + i * jump - (r - 1) / 2 >= 0 and start + i * jump + (r - 1) / 2 <= n - 1]
        if inside:
            return n, inside[len(inside) // 2]
        n += 1


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@settings(max_examples=40, deadline=None)
@given(st.lists(layer, min_size=1, max_size=5))
def test_formulas_match_the_field_autograd_measures(stack):
    modules, measured = torch_layers(stack)
    fields = receptive_field(modules)
    assert [f.index for f in fields] == list(range(len(stack)))
    specs = [Window(k, s, mode or p, d, name=type(m).__name__) for (_, h, w, mode), m in zip(stack, modules)
             for k, s, p, d in [zip(h, w)]]
    assert fields == receptive_field(specs)
    last = fields[-1]
    sizes, index = zip(*(input_size_and_index([(*g[axis], mode) for _, *g, mode in stack],
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


@pytest.mark.parametrize("backend", [cnp, ctorch])
def test_package_layers_read_as_torch_nn_layers(backend):
    """Dilation, pairs and padding strings on the package's layers give the fields of the same torch.nn layers."""
    kw = {"rng": np.random.default_rng(0)}
    ours = [backend.Conv2d(1, 2, (3, 2), padding="same", dilation=(2, 1), **kw), backend.Activation("relu"),
            backend.MaxPool2d((2, 3), stride=(2, 1), padding=1, dilation=(1, 2)),
            backend.Conv2d(2, 2, 3, stride=(1, 2), padding=(0, 1), dilation=3, groups=2, **kw),
            backend.AvgPool2d(3, padding=1), backend.Conv2d(2, 1, 2, padding="valid", **kw), backend.Flatten(),
            backend.Dense(4, 1, **kw)]
    reference = [torch.nn.Conv2d(1, 2, (3, 2), padding="same", dilation=(2, 1)), torch.nn.ReLU(),
                 torch.nn.MaxPool2d((2, 3), stride=(2, 1), padding=1, dilation=(1, 2)),
                 torch.nn.Conv2d(2, 2, 3, stride=(1, 2), padding=(0, 1), dilation=3, groups=2),
                 torch.nn.AvgPool2d(3, padding=1), torch.nn.Conv2d(2, 1, 2, padding="valid"), torch.nn.Flatten()]
    fields = receptive_field(ours)
    assert [(f.index, f.r, f.jump, f.start) for f in fields] == \
        [(f.index, f.r, f.jump, f.start) for f in receptive_field(reference)]
    # by hand along the height: r = 1 + 2*2 = 5; pool k2 p1: r 6, jump 2, start 0.5 - 1 = -0.5; conv k3 d3:
    # r 6 + 2*3*2 = 18, start -0.5 + 3*2 = 5.5; avg k3 s3 p1: r 22, jump 6, start 5.5; conv k2: r 28, start 8.5
    assert fields[-1].r[0] == 28 and fields[-1].jump[0] == 6 and fields[-1].start[0] == 8.5


@pytest.mark.parametrize("layer, match", [
    (torch.nn.ConvTranspose2d(1, 1, 3), "transposed convolution"),
    (cnp.ConvTranspose2d(1, 1, 3, rng=np.random.default_rng(0)), "transposed convolution"),
    (ctorch.ConvTranspose2d(1, 1, 3, rng=np.random.default_rng(0)), "transposed convolution"),
    (torch.nn.Conv1d(1, 1, 3), "not 2-D"),
    (cnp.Conv1d(1, 1, 3, rng=np.random.default_rng(0)), "not 2-D"),
    (torch.nn.MaxPool1d(2), "not 2-D"),
])
def test_layers_it_does_not_follow_are_refused(layer, match):
    with pytest.raises(ValueError, match=match):
        receptive_field([torch.nn.BatchNorm1d(1), layer])


def test_padding_strings_in_specs():
    same, valid = receptive_field([{"kernel_size": (4, 3), "padding": "same", "dilation": 2}, Window(3, padding="valid")])
    assert same.r == (7, 5) and same.start == (0.0, 0.0)  # d (k - 1) // 2 = 3 and 2 before: centres at 3 - 3, 2 - 2
    assert valid.r == (9, 7) and valid.start == (1.0, 1.0)
