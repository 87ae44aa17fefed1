"""GCNConv and SAGEConv (companion.np.gnn and companion.torch.gnn) against PyTorch Geometric's layers with
copied state dicts, float64: outputs and the gradients of x, the edge weights and every parameter, on random
graphs (hypothesis: isolated nodes, self-loops, multi-edges, directed edges, no edges) for every constructor
option (GCN: improved, cached, add_self_loops, normalize, bias, edge weights; SAGE: aggr, normalize,
root_weight, project, bias, bipartite pairs and size); state dicts both ways; the NumPy backward against
finite differences and the torch twin; permutation equivariance; errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch_geometric.nn import GCNConv as PygGCN, SAGEConv as PygSAGE

import companion.np.gnn as ng
import companion.torch.gnn as tg
from tests.finite_differences import numerical_gradient

TOL = dict(rtol=1e-9, atol=1e-10)
CPU = torch.device("cpu")


@st.composite
def graphs(draw, max_nodes=7, max_edges=16, num_src=None):
    """(num_nodes, edge_index (2, E) int64 array): random directed edges, so self-loops, multi-edges and
    isolated nodes all occur; ``num_src`` draws the sources from another node set (bipartite)."""
    n = draw(st.integers(1, max_nodes))
    e = draw(st.integers(0, max_edges))
    m = n if num_src is None else num_src
    src = draw(st.lists(st.integers(0, m - 1), min_size=e, max_size=e))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=e, max_size=e))
    return n, np.array([src, dst], dtype=np.int64).reshape(2, e)


def _random_state(module, seed):
    """Every parameter of a PyG layer (biases too) drawn at random, in float64."""
    rng = np.random.default_rng(seed)
    module.double()
    module.load_state_dict({k: torch.from_numpy(rng.normal(0, 0.7, tuple(v.shape)))
                            for k, v in module.state_dict().items()})
    return module


def _run(module, inputs, dout):
    """module(*inputs) and, after backward(dout), the gradients of the float inputs and of every parameter."""
    inputs = [t.detach().clone().requires_grad_(True) if torch.is_tensor(t) and t.is_floating_point() else t
              for t in inputs]
    for p in module.parameters():
        p.grad = None
    out = module(*inputs)
    out.backward(dout)
    leaves = [t for t in inputs if torch.is_tensor(t) and t.requires_grad]
    return out.detach(), [t.grad for t in leaves], {k: p.grad for k, p in module.named_parameters()}


def _pair(ref, ours, inputs, dout):
    """Outputs and gradients of the reference and of ours are equal; returns the reference's."""
    out_r, din_r, dp_r = _run(ref, inputs, dout)
    out_o, din_o, dp_o = _run(ours, inputs, dout)
    torch.testing.assert_close(out_o, out_r, **TOL)
    for a, b in zip(din_o, din_r):
        torch.testing.assert_close(a, b, **TOL)
    assert set(dp_o) == set(dp_r)
    for k in dp_r:
        torch.testing.assert_close(dp_o[k], dp_r[k], **TOL, msg=k)
    return out_r, din_r, dp_r


def _numpy_twin(ref, cls, *args, **kwargs):
    ours = cls(*args, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return ours


def _close(a, b):
    np.testing.assert_allclose(a, b.detach().numpy() if torch.is_tensor(b) else b, **TOL)


def _numpy_gcn_matches(layer, reference, inputs, dout):
    """The NumPy GCNConv's output, dx, d edge_weight and parameter gradients equal the reference's."""
    out_r, din_r, dp_r = reference
    out = layer.forward(*[t.numpy() for t in inputs])
    _close(out, out_r)
    _close(layer.backward(dout.numpy()), din_r[0])
    if len(inputs) == 3:
        _close(layer.grads_inputs["edge_weight"], din_r[1])
    assert set(layer.grads) == set(dp_r)
    for k in dp_r:
        _close(layer.grads[k], dp_r[k])


def _twin(ref, cls, *args, **kwargs):
    ours = cls(*args, **kwargs, dtype=torch.float64, device=CPU)
    ours.load_state_dict(ref.state_dict())
    return ours


# ----------------------------------------------------------------------------------------------------- GCN

GCN_OPTIONS = [dict(), dict(improved=True), dict(bias=False), dict(add_self_loops=False),
               dict(normalize=False), dict(normalize=False, add_self_loops=False),
               dict(improved=True, add_self_loops=False, bias=False)]


@pytest.mark.parametrize("options", GCN_OPTIONS, ids=str)
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=12, deadline=None)
@given(graph=graphs(), in_ch=st.integers(1, 4), out_ch=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_gcn_equals_pyg(options, weighted, graph, in_ch, out_ch, seed):
    n, edge_index = graph
    ref = _random_state(PygGCN(in_ch, out_ch, **options), seed)
    ours = _twin(ref, tg.GCNConv, in_ch, out_ch, **options)
    rng = np.random.default_rng(seed + 1)
    x = torch.from_numpy(rng.normal(size=(n, in_ch)))
    ei = torch.from_numpy(edge_index)
    inputs = [x, ei]
    if weighted:  # positive, so every degree is positive and its inverse square root real
        inputs.append(torch.from_numpy(rng.uniform(0.2, 2.0, edge_index.shape[1])))
    dout = torch.from_numpy(rng.normal(size=(n, out_ch)))
    reference = _pair(ref, ours, inputs, dout)
    _numpy_gcn_matches(_numpy_twin(ref, ng.GCNConv, in_ch, out_ch, **options), reference, inputs, dout)


def test_torch_gcn_cached_keeps_the_first_normalization():
    """With cached=True, a second call on another graph reuses the first graph's edges and weights, as PyG;
    reset_parameters forgets them."""
    ref = _random_state(PygGCN(3, 2, cached=True), 0)
    ours = _twin(ref, tg.GCNConv, 3, 2, cached=True)
    x = torch.randn(4, 3, dtype=torch.float64)
    first, second = torch.tensor([[0, 1, 2], [1, 2, 3]]), torch.tensor([[3, 3], [0, 1]])
    for ei in (first, second):
        torch.testing.assert_close(ours(x, ei), ref(x, ei), **TOL)
    torch.testing.assert_close(ours(x, second), ours(x, first), **TOL)
    ours.reset_parameters()
    with torch.no_grad():
        ours.lin.weight.copy_(ref.lin.weight)
        ours.bias.copy_(ref.bias)
    fresh = _twin(ref, tg.GCNConv, 3, 2)
    torch.testing.assert_close(ours(x, second), fresh(x, second), **TOL)


def test_gcn_state_dicts_load_both_ways_and_init():
    ours = tg.GCNConv(5, 3, rng=np.random.default_rng(0), dtype=torch.float64, device=CPU)
    assert list(ours.state_dict()) == list(PygGCN(5, 3).state_dict()) == ["bias", "lin.weight"]
    ref = PygGCN(5, 3).double()
    ref.load_state_dict(ours.state_dict())
    x, ei = torch.randn(4, 5, dtype=torch.float64), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    torch.testing.assert_close(ref(x, ei), ours(x, ei), **TOL)
    bound = np.sqrt(6 / (5 + 3))  # Glorot uniform, as PyG's glorot
    w = ours.lin.weight.detach().numpy()
    assert np.all(np.abs(w) <= bound) and w.std() > bound / 4
    assert torch.all(ours.bias == 0)
    assert list(tg.GCNConv(5, 3, bias=False).state_dict()) == ["lin.weight"]


# ---------------------------------------------------------------------------------------------------- SAGE

SAGE_OPTIONS = [dict(), dict(aggr="sum"), dict(aggr="add"), dict(aggr="max"), dict(aggr="min"),
                dict(normalize=True), dict(root_weight=False), dict(project=True), dict(bias=False),
                dict(aggr="max", project=True, normalize=True, bias=False)]


@pytest.mark.parametrize("options", SAGE_OPTIONS, ids=str)
@settings(max_examples=12, deadline=None)
@given(graph=graphs(), in_ch=st.integers(1, 4), out_ch=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_sage_equals_pyg(options, graph, in_ch, out_ch, seed):
    n, edge_index = graph
    ref = _random_state(PygSAGE(in_ch, out_ch, **options), seed)
    ours = _twin(ref, tg.SAGEConv, in_ch, out_ch, **options)
    rng = np.random.default_rng(seed + 1)
    x = torch.from_numpy(rng.normal(size=(n, in_ch)))
    dout = torch.from_numpy(rng.normal(size=(n, out_ch)))
    out_r, din_r, dp_r = _pair(ref, ours, [x, torch.from_numpy(edge_index)], dout)
    layer = _numpy_twin(ref, ng.SAGEConv, in_ch, out_ch, **options)
    _close(layer.forward(x.numpy(), edge_index), out_r)
    _close(layer.backward(dout.numpy()), din_r[0])
    assert set(layer.grads) == set(dp_r)
    for k in dp_r:
        _close(layer.grads[k], dp_r[k])


@pytest.mark.parametrize("options", [dict(), dict(aggr="max", project=True), dict(root_weight=False),
                                     dict(aggr="sum", normalize=True)], ids=str)
@pytest.mark.parametrize("target", ["features", "none", "size"])
@settings(max_examples=8, deadline=None)
@given(num_src=st.integers(1, 5), data=st.data(), seed=st.integers(0, 2**16))
def test_torch_sage_bipartite_equals_pyg(options, target, num_src, data, seed):
    """x = (x_src, x_dst) with in_channels (3, 2); x_dst None writes num_src rows (or size[1] when given)."""
    n_dst, edge_index = data.draw(graphs(num_src=num_src))
    if target != "features":
        n_dst = max(n_dst, num_src)  # PyG adds the root term only with target features
    ref = _random_state(PygSAGE((3, 2), 2, **options), seed)
    ours = _twin(ref, tg.SAGEConv, (3, 2), 2, **options)
    rng = np.random.default_rng(seed + 1)
    x_src = torch.from_numpy(rng.normal(size=(num_src, 3)))
    x_dst = torch.from_numpy(rng.normal(size=(n_dst, 2))) if target == "features" else None
    size = (num_src, n_dst) if target == "size" else None
    rows = num_src if target == "none" else n_dst
    if target == "none" and edge_index.shape[1] and edge_index[1].max() >= num_src:
        edge_index = edge_index[:, edge_index[1] < num_src]
    inputs = [(x_src, x_dst), torch.from_numpy(edge_index), size]
    # the pair's tensors need gradients: _run only wraps top-level tensors, so compare by hand
    outs = []
    for module in (ref, ours):
        xs = x_src.clone().requires_grad_(True)
        xd = None if x_dst is None else x_dst.clone().requires_grad_(True)
        for p in module.parameters():
            p.grad = None
        out = module((xs, xd), inputs[1], size)
        assert out.shape == (rows, 2)
        out.backward(torch.ones_like(out) * torch.arange(out.numel(), dtype=out.dtype).view_as(out))
        outs.append((out.detach(), xs.grad, None if xd is None else xd.grad,
                     {k: p.grad for k, p in module.named_parameters()}))
    (o1, s1, d1, p1), (o2, s2, d2, p2) = outs
    torch.testing.assert_close(o2, o1, **TOL)
    torch.testing.assert_close(s2, s1, **TOL)
    if d1 is not None:
        torch.testing.assert_close(d2, d1, **TOL)
    for k in p1:
        torch.testing.assert_close(p2[k], p1[k], **TOL, msg=k)
    layer = _numpy_twin(ref, ng.SAGEConv, (3, 2), 2, **options)
    out = layer.forward((x_src.numpy(), None if x_dst is None else x_dst.numpy()), edge_index, size)
    _close(out, o1)
    dx_src, dx_dst = layer.backward(np.arange(out.size, dtype=float).reshape(out.shape))
    _close(dx_src, s1)
    if x_dst is None:
        assert dx_dst is None
    else:  # torch leaves an unused input's gradient None; the NumPy layer gives zeros
        _close(dx_dst, torch.zeros_like(x_dst) if d1 is None else d1)
    for k in p1:  # likewise for lin_r.weight when there are no target features
        _close(layer.grads[k], torch.zeros_like(ref.get_parameter(k)) if p1[k] is None else p1[k])


def test_sage_state_dicts_load_both_ways_and_init():
    for options in (dict(), dict(project=True), dict(bias=False, root_weight=False)):
        ours = tg.SAGEConv((4, 3), 2, **options, rng=np.random.default_rng(1), dtype=torch.float64, device=CPU)
        ref = PygSAGE((4, 3), 2, **options).double()
        assert list(ours.state_dict()) == list(ref.state_dict())
        ref.load_state_dict(ours.state_dict())
    bound = 1 / np.sqrt(4)  # torch.nn.Linear's default, U(-1/sqrt(in), 1/sqrt(in))
    w = tg.SAGEConv(4, 8, rng=np.random.default_rng(2)).lin_l.weight.detach().numpy()
    assert np.all(np.abs(w) <= bound) and w.std() > bound / 4


def test_numpy_gcn_cached_keeps_the_first_normalization():
    """The NumPy layer caches as PyG does; the call that normalized gives the edge weights a gradient, the
    cached calls give None (torch's autograd never reaches them)."""
    ref = _random_state(PygGCN(3, 2, cached=True), 0)
    layer = _numpy_twin(ref, ng.GCNConv, 3, 2, cached=True)
    x = np.random.default_rng(0).normal(size=(4, 3))
    first, second = np.array([[0, 1, 2], [1, 2, 3]]), np.array([[3, 3], [0, 1]])
    w1, w2 = np.array([1.0, 2.0, 0.5]), np.array([1.0, 1.0])
    for ei, w in ((first, w1), (second, w2)):
        _close(layer.forward(x, ei, w), ref(torch.from_numpy(x), torch.from_numpy(ei), torch.from_numpy(w)))
        layer.backward(np.ones((4, 2)))
    assert layer.grads_inputs["edge_weight"] is None
    layer.reset_parameters()
    layer.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    _close(layer.forward(x, second, w2), _numpy_twin(ref, ng.GCNConv, 3, 2).forward(x, second, w2))


def _loss_and_grads(layer, x, edge_index, edge_weight, dout):
    """A scalar sum(out * dout) of the layer, and the backward's gradients."""
    out = layer.forward(x, edge_index, edge_weight) if edge_weight is not None else layer.forward(x, edge_index)
    dx = layer.backward(dout)
    return float(np.sum(out * dout)), dx


@pytest.mark.parametrize("make, weighted", [
    (lambda r: ng.GCNConv(3, 2, rng=r), True), (lambda r: ng.GCNConv(3, 2, improved=True, rng=r), True),
    (lambda r: ng.GCNConv(3, 2, normalize=False, rng=r), True),
    (lambda r: ng.GCNConv(3, 2, add_self_loops=False, bias=False, rng=r), True),
    (lambda r: ng.SAGEConv(3, 2, rng=r), False), (lambda r: ng.SAGEConv(3, 2, aggr="max", project=True, rng=r), False),
    (lambda r: ng.SAGEConv(3, 2, aggr="sum", normalize=True, rng=r), False)])
def test_numpy_backward_equals_finite_differences(make, weighted):
    """dx, d edge_weight and every parameter's gradient against centred differences, on a small graph with a
    self-loop, a multi-edge, a one-way edge and an isolated node."""
    rng = np.random.default_rng(3)
    layer = make(rng)
    layer.load_state_dict({k: rng.normal(0, 0.7, v.shape) for k, v in layer.state_dict().items()})
    edge_index = np.array([[0, 1, 1, 2, 2, 3, 0], [1, 0, 2, 1, 2, 0, 1]])  # node 4 has no edge
    x = rng.normal(size=(5, 3))
    w = rng.uniform(0.5, 2.0, edge_index.shape[1]) if weighted else None
    dout = rng.normal(size=(5, 2))
    _, dx = _loss_and_grads(layer, x, edge_index, w, dout)
    grads = dict(layer.grads)
    dw = layer.grads_inputs["edge_weight"] if weighted else None

    def loss():
        return _loss_and_grads(layer, x, edge_index, w, dout)[0]

    assert np.max(np.abs(dx - numerical_gradient(loss, x))) < 1e-7
    for name, value in layer.parameters().items():
        assert np.max(np.abs(grads[name] - numerical_gradient(loss, value))) < 1e-7, name
    if weighted:
        assert np.max(np.abs(dw - numerical_gradient(loss, w))) < 1e-7


# --------------------------------------------------------------------------------------- properties, errors

@pytest.mark.parametrize("make", [lambda: tg.GCNConv(3, 2, dtype=torch.float64, device=CPU),
                                  lambda: tg.SAGEConv(3, 2, aggr="max", dtype=torch.float64, device=CPU)])
def test_torch_layers_are_permutation_equivariant(make):
    """Relabelling the nodes permutes the output rows the same way: f(P x, P A P^T) = P f(x, A)."""
    layer, rng = make(), np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(6, 3)))
    ei = torch.from_numpy(rng.integers(0, 6, size=(2, 14)))
    perm = torch.from_numpy(rng.permutation(6))
    inverse = torch.argsort(perm)  # new label of old node k is inverse[k]
    torch.testing.assert_close(layer(x[perm], inverse[ei]), layer(x, ei)[perm], **TOL)


@pytest.mark.parametrize("layer", [ng.GCNConv(3, 2), ng.SAGEConv(3, 2), ng.SAGEConv(3, 2, aggr="max")], ids=repr)
def test_numpy_layers_are_permutation_equivariant(layer):
    """The same for the NumPy layers, and their input gradients permute with the nodes too."""
    rng = np.random.default_rng(1)
    x, ei, perm = rng.normal(size=(6, 3)), rng.integers(0, 6, size=(2, 14)), rng.permutation(6)
    inverse, dout = np.argsort(perm), rng.normal(size=(6, 2))
    out = layer.forward(x, ei)
    dx = layer.backward(dout)
    np.testing.assert_allclose(layer.forward(x[perm], inverse[ei]), out[perm], **TOL)
    np.testing.assert_allclose(layer.backward(dout[perm]), dx[perm], **TOL)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="self-loops"):
        tg.GCNConv(3, 2, add_self_loops=True, normalize=False)
    with pytest.raises(ValueError, match="in_channels"):
        tg.GCNConv(0, 2)
    with pytest.raises(ValueError, match="aggr"):
        tg.SAGEConv(3, 2, aggr="median")
    with pytest.raises(ValueError, match="in_channels"):
        tg.SAGEConv((3, 2, 1), 2)
    layer = tg.GCNConv(3, 2, device=CPU)
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"\(num_nodes, 3\)"):
        layer(torch.zeros(2, 4), ei)
    with pytest.raises(ValueError, match="pair"):
        layer((torch.zeros(2, 3), torch.zeros(2, 3)), ei)
    with pytest.raises(ValueError, match="edge_index"):
        layer(torch.zeros(2, 3), torch.tensor([[0, 1, 2]]))
    with pytest.raises(ValueError, match="out of range"):
        layer(torch.zeros(2, 3), torch.tensor([[0, 5], [1, 0]]))
    with pytest.raises(ValueError, match="out of range|edge_index"):
        tg.SAGEConv(3, 2, device=CPU)(torch.zeros(2, 3), torch.tensor([[0, 5], [1, 0]]))


def test_numpy_errors_are_clear():
    with pytest.raises(ValueError, match="self-loops"):
        ng.GCNConv(3, 2, add_self_loops=True, normalize=False)
    with pytest.raises(ValueError, match="improved"):
        ng.GCNConv(3, 2, improved=1)
    with pytest.raises(ValueError, match="aggr"):
        ng.SAGEConv(3, 2, aggr="lstm")
    with pytest.raises(ValueError, match=r"\(num_nodes, 3\)"):
        ng.GCNConv(3, 2).forward(np.zeros((2, 4)), np.array([[0], [1]]))
    with pytest.raises(ValueError, match="out of range"):
        ng.GCNConv(3, 2).forward(np.zeros((2, 3)), np.array([[0, 5], [1, 0]]))
    with pytest.raises(ValueError, match="sources"):
        ng.SAGEConv((3, 2), 2).forward((np.zeros((2, 3)), np.zeros((4, 2))), np.array([[3], [1]]))
    with pytest.raises(ValueError, match="size"):
        ng.SAGEConv(3, 2).forward(np.zeros((2, 3)), np.array([[0], [1]]), size=(3, None))
    with pytest.raises(ValueError, match="state_dict keys"):
        ng.GCNConv(3, 2).load_state_dict({"lin.weight": np.zeros((2, 3))})
    with pytest.raises(RuntimeError, match="before forward"):
        ng.SAGEConv(3, 2).backward(np.zeros((2, 2)))


@pytest.mark.parametrize("np_cls, torch_cls, options", [
    (ng.GCNConv, tg.GCNConv, dict()), (ng.SAGEConv, tg.SAGEConv, dict(aggr="max", project=True, normalize=True))])
def test_float32_twins_agree_and_keep_their_dtype(np_cls, torch_cls, options):
    """In float32 (both libraries' usual dtype) the NumPy layer stays float32 and matches its torch twin."""
    rng = np.random.default_rng(4)
    layer = np_cls(5, 3, **options, rng=rng, dtype=np.float32)
    twin = torch_cls(5, 3, **options, device=CPU)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x, ei = rng.normal(size=(8, 5)).astype(np.float32), rng.integers(0, 8, size=(2, 20))
    x_t = torch.from_numpy(x).requires_grad_(True)
    out_t = twin(x_t, torch.from_numpy(ei))
    out_t.sum().backward()
    out = layer.forward(x, ei)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32 and all(g.dtype == np.float32 for g in layer.grads.values())
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-5, atol=1e-5)
    for name, param in twin.named_parameters():
        np.testing.assert_allclose(layer.grads[name], param.grad.numpy(), rtol=1e-5, atol=1e-5)
