"""Graph operations (companion.np.graph and .segment, their torch twins) against PyTorch Geometric, the referee:
torch_geometric.utils (scatter, softmax, self-loops, degree, to_dense_adj), gcn_norm, MessagePassing and the
global pools; values and gradients in float64 on hypothesis random graphs (isolated nodes, self-loops,
multi-edges, directed edges, no edges at all); finite differences for every NumPy backward; node outputs
equivariant and readouts invariant under relabelling the nodes; clear errors for bad input.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch_geometric import utils as pyg
from torch_geometric.nn import MessagePassing, global_add_pool, global_max_pool, global_mean_pool
from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_gcn_norm

import companion.np.graph as G
import companion.np.segment as S
import companion.torch.graph as T
from tests.finite_differences import entrywise_rel_error, numerical_gradient

REDUCES = ["sum", "add", "mean", "max", "min", "mul"]
AGGRS = ["sum", "add", "mean", "max", "min"]
PYG_POOLS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}


def random_graph(seed, n, e, self_loops=True, multi=True):
    """edge_index (2, e) on n nodes (ids drawn from the first few, so some nodes are isolated), with
    self-loops and repeated edges unless turned off."""
    rng = np.random.default_rng(seed)
    if n == 0:
        return np.zeros((2, 0), dtype=np.int64)
    used = max(1, n - int(rng.integers(0, 3)))
    pairs = rng.integers(0, used, size=(2, e))
    if not self_loops:
        pairs = pairs[:, pairs[0] != pairs[1]]
    if not multi:
        pairs = np.unique(pairs, axis=1)
    elif e >= 2:
        pairs[:, -1] = pairs[:, 0]  # at least one repeated edge
    return pairs.astype(np.int64)


def t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def graphs(max_nodes=7, max_edges=14):
    return st.tuples(st.integers(0, 2 ** 16), st.integers(1, max_nodes), st.integers(0, max_edges))


# ---------------------------------------------------------------------------------------------- scatter

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), e=st.integers(0, 12), extra=st.integers(0, 2), tail=st.sampled_from(
    [(), (3,), (2, 2)]), reduce=st.sampled_from(REDUCES), ties=st.booleans(), sized=st.booleans())
def test_scatter_equals_pyg(seed, e, extra, tail, reduce, ties, sized):
    """Values and gradients against PyG's scatter (torch autograd); ties and zeros drawn on purpose."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, 4, size=e)
    src = rng.integers(-2, 3, size=(e,) + tail).astype(float) if ties else rng.normal(size=(e,) + tail)
    if reduce in ("max", "min"):  # torch's amax/amin backward also counts the 0 it starts from as a tie, so a
        src[src == 0] = 1.0      # group whose extreme is exactly 0 gets half the gradient there; see below
    dim_size = (int(index.max()) + 1 if e else 0) + extra if sized else None
    if not sized and e == 0:
        dim_size = None
    ref_src = t(src, True)
    ref = pyg.scatter(ref_src, t(index), 0, dim_size, reduce)
    dout = rng.normal(size=ref.shape)
    ref.backward(t(dout))
    out, cache = G.scatter_forward(src, index, dim_size, reduce)
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(G.scatter_backward(dout, cache), ref_src.grad.numpy(), atol=1e-12)
    twin_src = t(src, True)
    twin = T.scatter(twin_src, t(index), dim_size, reduce)
    twin.backward(t(dout))
    np.testing.assert_allclose(twin.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(twin_src.grad.numpy(), ref_src.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_backward_finite_differences(reduce):
    rng = np.random.default_rng(1)
    index = np.array([0, 2, 2, 0, 2, 3, 0])
    src = rng.normal(size=(7, 3))
    dout = rng.normal(size=(5, 3))
    _, cache = G.scatter_forward(src, index, 5, reduce)
    numeric = numerical_gradient(lambda: float((G.scatter(src, index, 5, reduce) * dout).sum()), src)
    assert entrywise_rel_error(G.scatter_backward(dout, cache), numeric) < 1e-6


def test_scatter_empty_groups_and_ties():
    """Nothing scattered to a group: 0 (1 for mul); tied maxima share the gradient equally."""
    src = np.array([[1.0], [3.0], [3.0]])
    out, cache = G.scatter_forward(src, np.array([0, 0, 0]), 3, "max")
    np.testing.assert_array_equal(out[:, 0], [3, 0, 0])
    np.testing.assert_array_equal(G.scatter_backward(np.ones((3, 1)), cache)[:, 0], [0, 0.5, 0.5])
    np.testing.assert_array_equal(G.scatter(src, np.array([0, 0, 0]), 2, "mul")[:, 0], [9, 1])
    # a lone entry that is exactly 0 is its group's maximum and gets the whole gradient (the derivative of
    # max(x) = x); torch's scatter_reduce backward halves it, counting the zero it starts from as a tie
    _, cache = G.scatter_forward(np.array([0.0, -1.0]), np.array([0, 0]), 1, "max")
    np.testing.assert_array_equal(G.scatter_backward(np.ones(1), cache), [1, 0])


# ------------------------------------------------------------------------------------------ the softmax

@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 16), e=st.integers(0, 12), heads=st.sampled_from([None, 1, 3]),
       extra=st.integers(0, 2))
def test_scatter_softmax_equals_pyg(seed, e, heads, extra):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, 4, size=e)
    num_nodes = (int(index.max()) + 1 if e else 0) + extra
    src = rng.normal(size=(e,) if heads is None else (e, heads)) * 3
    ref_src = t(src, True)
    ref = pyg.softmax(ref_src, t(index), num_nodes=num_nodes)
    dout = rng.normal(size=src.shape)
    ref.backward(t(dout))
    out, cache = G.scatter_softmax_forward(src, index, num_nodes)
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(G.scatter_softmax_backward(dout, cache), ref_src.grad.numpy(), atol=1e-12)
    twin_src = t(src, True)
    twin = T.scatter_softmax(twin_src, t(index), num_nodes)
    twin.backward(t(dout))
    np.testing.assert_allclose(twin.detach().numpy(), out, atol=1e-12)
    np.testing.assert_allclose(twin_src.grad.numpy(), ref_src.grad.numpy(), atol=1e-12)


def test_scatter_softmax_finite_differences_and_sums():
    rng = np.random.default_rng(2)
    index = np.array([1, 1, 0, 1, 3, 3])
    src = rng.normal(size=(6, 2))
    dout = rng.normal(size=(6, 2))
    out, cache = G.scatter_softmax_forward(src, index)
    np.testing.assert_allclose(G.scatter(out, index, 4), [[1, 1], [1, 1], [0, 0], [1, 1]])
    numeric = numerical_gradient(lambda: float((G.scatter_softmax(src, index) * dout).sum()), src)
    assert entrywise_rel_error(G.scatter_softmax_backward(dout, cache), numeric) < 1e-6


# ------------------------------------------------------------------------------- self-loops and degrees

@settings(max_examples=40, deadline=None)
@given(graph=graphs(), fill=st.sampled_from([None, 2.0, -1, "sum", "add", "mean", "max", "min", "mul", "array"]),
       width=st.sampled_from([None, 2]), sized=st.booleans())
def test_self_loop_helpers_equal_pyg(graph, fill, width, sized):
    seed, n, e = graph
    ei = random_graph(seed, n, e)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(ei.shape[1],) if width is None else (ei.shape[1], width))
    fill_value = (rng.normal(size=() if width is None else (width,)) if fill == "array" else fill)
    num_nodes = n if sized else None
    torch_fill = t(fill_value) if fill == "array" else fill_value
    for name in ("add_self_loops", "add_remaining_self_loops"):
        if name == "add_remaining_self_loops":  # which of several loops a node keeps is torch's index_put order
            loops = ei[0][ei[0] == ei[1]]
            if len(np.unique(loops)) != len(loops):
                continue
        ref_ei, ref_w = getattr(pyg, name)(t(ei), t(w), torch_fill, num_nodes)
        for backend, cast in ((G, lambda a: a), (T, t)):
            got_ei, got_w = getattr(backend, name)(cast(ei), cast(w), torch_fill if backend is T else fill_value,
                                                   num_nodes)
            np.testing.assert_array_equal(np.asarray(got_ei), ref_ei.numpy())
            np.testing.assert_allclose(np.asarray(got_w), ref_w.numpy(), atol=1e-12)
        ref_ei, ref_w = getattr(pyg, name)(t(ei), None, None, num_nodes)
        assert ref_w is None and G.__dict__[name](ei, None, None, num_nodes)[1] is None
        np.testing.assert_array_equal(G.__dict__[name](ei, num_nodes=num_nodes)[0], ref_ei.numpy())
    ref_ei, ref_w = pyg.remove_self_loops(t(ei), t(w))
    for backend, cast in ((G, lambda a: a), (T, t)):
        got_ei, got_w = backend.remove_self_loops(cast(ei), cast(w))
        np.testing.assert_array_equal(np.asarray(got_ei), ref_ei.numpy())
        np.testing.assert_array_equal(np.asarray(got_w), ref_w.numpy())


def test_add_self_loops_bipartite_sizes():
    ei = np.array([[0, 1, 4], [1, 2, 0]])
    ref_ei, ref_w = pyg.add_self_loops(t(ei), t(np.ones(3)), 0.5, (5, 3))
    got_ei, got_w = G.add_self_loops(ei, np.ones(3), 0.5, (5, 3))
    np.testing.assert_array_equal(got_ei, ref_ei.numpy())
    np.testing.assert_array_equal(got_w, ref_w.numpy())
    np.testing.assert_array_equal(T.add_self_loops(t(ei), num_nodes=(5, 3))[0].numpy(), ref_ei.numpy())


@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
@pytest.mark.parametrize("num_nodes", [None, 9])
def test_degree_equals_pyg(dtype, num_nodes):
    index = np.array([0, 3, 3, 5, 0, 3])
    torch_dtype = None if dtype is None else getattr(torch, dtype)
    ref = pyg.degree(t(index), num_nodes, torch_dtype)
    got = G.degree(index, num_nodes, None if dtype is None else np.dtype(dtype))
    np.testing.assert_array_equal(got, ref.numpy())
    assert got.dtype == (np.float64 if dtype is None else np.dtype(dtype))
    twin = T.degree(t(index), num_nodes, torch_dtype)
    assert twin.dtype == ref.dtype and torch.equal(twin, ref)


# ----------------------------------------------------------------------------------------- gcn_norm

@settings(max_examples=40, deadline=None)
@given(graph=graphs(), weighted=st.booleans(), improved=st.booleans(), loops=st.booleans(),
       flow=st.sampled_from(["source_to_target", "target_to_source"]), sized=st.booleans())
def test_gcn_norm_equals_pyg(graph, weighted, improved, loops, flow, sized):
    seed, n, e = graph
    ei = random_graph(seed, n, e)
    self_loops = ei[0][ei[0] == ei[1]]
    if loops and len(np.unique(self_loops)) != len(self_loops):
        ei = ei[:, ~np.isin(np.arange(ei.shape[1]), np.flatnonzero(ei[0] == ei[1])[1:])]
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 2, size=ei.shape[1]) if weighted else None
    num_nodes = n if sized else None
    ref_w_in = t(w, True) if weighted else None
    ref_ei, ref_w = pyg_gcn_norm(t(ei), ref_w_in, num_nodes, improved, loops, flow, torch.float64)
    got_ei, got_w = G.gcn_norm(ei, w, num_nodes, improved, loops, flow)
    np.testing.assert_array_equal(got_ei, ref_ei.numpy())
    np.testing.assert_allclose(got_w, ref_w.detach().numpy(), atol=1e-12)
    twin_w_in = t(w, True) if weighted else None
    twin_ei, twin_w = T.gcn_norm(t(ei), twin_w_in, num_nodes, improved, loops, flow, torch.float64)
    assert torch.equal(twin_ei, ref_ei)
    np.testing.assert_allclose(twin_w.detach().numpy(), ref_w.detach().numpy(), atol=1e-12)
    if weighted and ref_w.numel():
        dout = t(rng.normal(size=ref_w.shape))
        ref_w.backward(dout)
        twin_w.backward(dout)
        np.testing.assert_allclose(twin_w_in.grad.numpy(), ref_w_in.grad.numpy(), atol=1e-12)


def test_gcn_norm_default_dtypes():
    ei = np.array([[0, 1], [1, 2]])
    assert G.gcn_norm(ei)[1].dtype == np.float64
    assert G.gcn_norm(ei, dtype=np.float32)[1].dtype == np.float32
    assert T.gcn_norm(t(ei))[1].dtype == pyg_gcn_norm(t(ei))[1].dtype


# ------------------------------------------------------------------------------------------- propagate

class Referee(MessagePassing):
    """PyG's own message passing: message w_ji * x_j (or a given function), aggregation ``aggr``."""

    def __init__(self, aggr, message=None, update=None):
        super().__init__(aggr=aggr)
        self.custom_message, self.custom_update = message, update

    def forward(self, x, edge_index, edge_weight=None):
        return self.propagate(edge_index, x=x, edge_weight=edge_weight)

    def message(self, x_i, x_j, edge_weight):
        if self.custom_message is not None:
            return self.custom_message(x_i, x_j, edge_weight)
        return x_j if edge_weight is None else x_j * edge_weight.view(-1, *[1] * (x_j.dim() - 1))

    def update(self, aggregated, x):
        return aggregated if self.custom_update is None else self.custom_update(aggregated, x)


@settings(max_examples=50, deadline=None)
@given(graph=graphs(), aggr=st.sampled_from(AGGRS), weighted=st.booleans(), features=st.sampled_from([1, 3]))
def test_propagate_equals_pyg_message_passing(graph, aggr, weighted, features):
    seed, n, e = graph
    ei = random_graph(seed, n, e)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    w = rng.uniform(-2, 2, size=ei.shape[1]) if weighted else None
    ref_x, ref_w = t(x, True), (t(w, True) if weighted else None)
    ref = Referee("add" if aggr == "sum" else aggr)(ref_x, t(ei), ref_w)
    dout = rng.normal(size=ref.shape)
    ref.backward(t(dout))
    out, cache = G.propagate_forward(x, ei, w, aggr)
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-12)
    dx, dw = G.propagate_backward(dout, cache)
    np.testing.assert_allclose(dx, ref_x.grad.numpy(), atol=1e-12)
    if weighted:
        np.testing.assert_allclose(dw, ref_w.grad.numpy(), atol=1e-12)
    else:
        assert dw is None
    twin_x, twin_w = t(x, True), (t(w, True) if weighted else None)
    twin = T.propagate(twin_x, t(ei), twin_w, aggr)
    twin.backward(t(dout))
    np.testing.assert_allclose(twin.detach().numpy(), out, atol=1e-12)
    np.testing.assert_allclose(twin_x.grad.numpy(), dx, atol=1e-12)
    if weighted:
        np.testing.assert_allclose(twin_w.grad.numpy(), dw, atol=1e-12)


@pytest.mark.parametrize("aggr", AGGRS)
def test_propagate_backward_finite_differences(aggr):
    rng = np.random.default_rng(3)
    ei = random_graph(5, 6, 12)
    x = rng.normal(size=(6, 2))
    w = rng.uniform(0.5, 2, size=ei.shape[1])
    dout = rng.normal(size=(6, 2))
    _, cache = G.propagate_forward(x, ei, w, aggr)
    dx, dw = G.propagate_backward(dout, cache)
    loss = lambda: float((G.propagate(x, ei, w, aggr) * dout).sum())  # noqa: E731
    assert entrywise_rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    assert entrywise_rel_error(dw, numerical_gradient(loss, w)) < 1e-6
    dx_only, none = G.propagate_backward(dout, cache, weight_grad=False)  # constant weights: no d edge_weight
    assert none is None
    np.testing.assert_array_equal(dx_only, dx)


@pytest.mark.parametrize("sort_entries, dense_nodes", [(0, 0), (10 ** 9, 10 ** 9)], ids=["scipy", "small"])
def test_both_code_paths_equal_pyg(monkeypatch, sort_entries, dense_nodes):
    """Small inputs take argsort / reduceat / a dense adjacency, large ones scipy's sparse matrices (the
    hypothesis graphs above are all small): force each path on a graph of 300 nodes and 3000 edges."""
    monkeypatch.setattr(S, "SORT_ENTRIES", sort_entries)
    monkeypatch.setattr(G, "DENSE_NODES", dense_nodes)
    rng = np.random.default_rng(7)
    n = 300
    ei = random_graph(7, n, 3000)
    x, w, dout = rng.normal(size=(n, 4)), rng.uniform(0.5, 2, size=3000), rng.normal(size=(n, 4))
    for aggr in AGGRS:
        ref_x, ref_w = t(x, True), t(w, True)
        Referee("add" if aggr == "sum" else aggr)(ref_x, t(ei), ref_w).backward(t(dout))
        out, cache = G.propagate_forward(x, ei, w, aggr)
        dx, dw = G.propagate_backward(dout, cache)
        np.testing.assert_allclose(dx, ref_x.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(dw, ref_w.grad.numpy(), atol=1e-10)
    src = rng.normal(size=(3000, 2))
    for reduce in REDUCES:
        ref_src = t(src, True)
        ref = pyg.scatter(ref_src, t(ei[1]), 0, n, reduce)
        ref.backward(t(dout[:, :2]))
        out, cache = G.scatter_forward(src, ei[1], n, reduce)
        np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(G.scatter_backward(dout[:, :2], cache), ref_src.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(G.scatter_softmax(src, ei[1], n), pyg.softmax(t(src), t(ei[1]), num_nodes=n).numpy(),
                               atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(graph=graphs(), aggr=st.sampled_from(AGGRS), weighted=st.booleans())
def test_propagate_is_permutation_equivariant(graph, aggr, weighted):
    """Relabel the nodes by a permutation p: the outputs are the old ones, relabelled the same way."""
    seed, n, e = graph
    ei = random_graph(seed, n, e)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    w = rng.uniform(0.5, 2, size=ei.shape[1]) if weighted else None
    perm = rng.permutation(n)  # new label of old node k is perm[k]
    x_new = np.empty_like(x)
    x_new[perm] = x
    out = G.propagate(x, ei, w, aggr)
    np.testing.assert_allclose(G.propagate(x_new, perm[ei], w, aggr)[perm], out, atol=1e-12)
    np.testing.assert_allclose(T.propagate(t(x_new), t(perm[ei]), None if w is None else t(w), aggr).numpy()[perm],
                               out, atol=1e-12)


def test_graph_without_nodes():
    """No nodes, no edges: every op gives empty results of the right shape, as PyG's."""
    x, ei = np.zeros((0, 3)), np.zeros((2, 0), dtype=np.int64)
    for aggr in AGGRS:
        ref = Referee("add" if aggr == "sum" else aggr)(t(x), t(ei))
        out, cache = G.propagate_forward(x, ei, None, aggr)
        assert out.shape == tuple(ref.shape) == G.propagate_backward(out, cache)[0].shape == (0, 3)
        assert tuple(T.propagate(t(x), t(ei), aggr=aggr).shape) == (0, 3)
    for backend, cast in ((G, np.asarray), (T, torch.as_tensor)):
        edges, weights = backend.gcn_norm(cast(ei))
        assert tuple(edges.shape) == (2, 0) and tuple(weights.shape) == (0,)
        assert tuple(backend.degree(cast(ei[1])).shape) == (0,)
    np.testing.assert_array_equal(G.global_add_pool(x, np.zeros(0, dtype=np.int64), 2),
                                  global_add_pool(t(x), t(np.zeros(0, dtype=np.int64)), 2).numpy())


def test_message_passing_general_form_equals_pyg():
    rng = np.random.default_rng(4)
    ei = random_graph(6, 5, 10)
    x = rng.normal(size=(5, 3))
    w = rng.uniform(0.5, 2, size=ei.shape[1])
    np.testing.assert_allclose(G.message_passing(x, ei, edge_weight=w), G.propagate(x, ei, w), atol=1e-12)
    for aggr in AGGRS:
        def message(x_i, x_j, weight, lib=np):
            return lib.tanh(x_i - x_j) * weight.reshape(-1, 1)

        def update(aggregated, x_old):
            return aggregated + 2 * x_old

        ref = Referee("add" if aggr == "sum" else aggr, lambda a, b, c: message(a, b, c, torch), update)
        want = ref(t(x), t(ei), t(w)).numpy()
        np.testing.assert_allclose(G.message_passing(x, ei, message, aggr, update, edge_weight=w), want, atol=1e-12)
        got = T.message_passing(t(x), t(ei), lambda a, b, c: message(a, b, c, torch), aggr, update, edge_weight=t(w))
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


# ----------------------------------------------------------------------------------- dense, for teaching

@settings(max_examples=30, deadline=None)
@given(graph=graphs(), weighted=st.booleans(), improved=st.booleans(), loops=st.booleans())
def test_dense_views_equal_sparse(graph, weighted, improved, loops):
    seed, n, e = graph
    ei = random_graph(seed, n, e, multi=False)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 2, size=ei.shape[1]) if weighted else None
    A = G.adjacency_matrix(ei, n, w)
    ref = pyg.to_dense_adj(t(ei), edge_attr=None if w is None else t(w), max_num_nodes=n)[0].T.numpy()
    np.testing.assert_allclose(A, ref, atol=1e-12)
    np.testing.assert_allclose(T.adjacency_matrix(t(ei), n, None if w is None else t(w)).numpy(), A, atol=1e-12)
    np.testing.assert_allclose(np.diag(G.degree_matrix(A)), G.scatter(np.ones(ei.shape[1]) if w is None else w,
                                                                      ei[1], n), atol=1e-12)
    np.testing.assert_allclose(T.degree_matrix(t(A)).numpy(), G.degree_matrix(A))
    # unit weights given explicitly: without weights PyG's gcn_norm gives every self-loop weight 1 even
    # when improved (its fill value 2 only reaches given weights); the dense operator is the paper's A + 2I
    unit = np.ones(ei.shape[1])
    norm_ei, norm_w = pyg_gcn_norm(t(ei), t(unit if w is None else w), n, improved, loops)
    scattered = G.adjacency_matrix(norm_ei.numpy(), n, norm_w.numpy())
    np.testing.assert_allclose(G.normalized_adjacency(A, loops, improved), scattered, atol=1e-12)
    np.testing.assert_allclose(T.normalized_adjacency(t(A), loops, improved).numpy(), scattered, atol=1e-12)
    x = rng.normal(size=(n, 2))
    for aggr in AGGRS:
        sparse = G.propagate(x, ei, w, aggr)
        np.testing.assert_allclose(G.propagate_dense(A, x, aggr), sparse, atol=1e-12)
        np.testing.assert_allclose(T.propagate_dense(t(A), t(x), aggr).numpy(), sparse, atol=1e-12)


# --------------------------------------------------------------------------------------------- readouts

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), n=st.integers(1, 9), reduce=st.sampled_from(["sum", "mean", "max"]),
       shape=st.sampled_from(["1d", "2d", "3d"]), batched=st.booleans(), extra=st.integers(0, 2))
def test_global_pools_equal_pyg(seed, n, reduce, shape, batched, extra):
    rng = np.random.default_rng(seed)
    x = rng.normal(size={"1d": (n,), "2d": (n, 3), "3d": (2, n, 3)}[shape])
    batch = np.sort(rng.integers(0, 3, size=n)) if batched else None
    size = int(batch.max()) + 1 + extra if batched and extra else None
    ref_x = t(x, True)
    ref = PYG_POOLS[reduce](ref_x, None if batch is None else t(batch), size)
    dout = rng.normal(size=ref.shape)
    ref.backward(t(dout))
    out, cache = G.global_pool_forward(x, batch, reduce, size)
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(G.global_pool_backward(dout, cache), ref_x.grad.numpy(), atol=1e-12)
    name = {"sum": "global_add_pool", "mean": "global_mean_pool", "max": "global_max_pool"}[reduce]
    np.testing.assert_allclose(getattr(G, name)(x, batch, size), out)
    twin_x = t(x, True)
    twin = getattr(T, name)(twin_x, None if batch is None else t(batch), size)
    twin.backward(t(dout))
    np.testing.assert_allclose(twin.detach().numpy(), out, atol=1e-12)
    np.testing.assert_allclose(twin_x.grad.numpy(), ref_x.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_global_pool_finite_differences_and_invariance(reduce):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 2))
    batch = np.array([0, 0, 1, 1, 1, 3, 3])
    dout = rng.normal(size=(4, 2))
    out, cache = G.global_pool_forward(x, batch, reduce)
    numeric = numerical_gradient(lambda: float((G.global_pool_forward(x, batch, reduce)[0] * dout).sum()), x)
    assert entrywise_rel_error(G.global_pool_backward(dout, cache), numeric) < 1e-6
    perm = rng.permutation(7)  # shuffling the nodes (with their graph ids) changes no graph's readout
    np.testing.assert_allclose(G.global_pool_forward(x[perm], batch[perm], reduce)[0], out, atol=1e-12)


# ------------------------------------------------------------------------------------------------ errors

@pytest.mark.parametrize("backend, cast", [(G, np.asarray), (T, torch.as_tensor)], ids=["np", "torch"])
@pytest.mark.parametrize("call, message", [
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([0, 1, 2]))), "shape \\(2, E\\)"),
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([[0.0], [1.0]]))), "integer"),
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([[0], [-1]]))), "negative"),
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([[0], [3]]))), "out of range"),
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([[0], [1]])), aggr="median"), "unknown aggr"),
    (lambda B, c: B.propagate(c(np.ones((3, 2))), c(np.array([[0], [1]])), c(np.ones(2))), "edge_weight has 2"),
    (lambda B, c: B.scatter(c(np.ones(3)), c(np.array([0, 1, 1])), reduce="prod"), "unknown reduce"),
    (lambda B, c: B.scatter(c(np.ones(3)), c(np.array([0, 1]))), "index has 2 entries"),
    (lambda B, c: B.scatter(c(np.ones(3)), c(np.array([0, 1, 5])), 3), "out of range"),
    (lambda B, c: B.scatter_softmax(c(np.ones(2)), c(np.array([[0, 1]]))), "1-D"),
    (lambda B, c: B.gcn_norm(c(np.array([[0], [1]])), flow="sideways"), "unknown flow"),
    (lambda B, c: B.add_self_loops(c(np.array([[0], [1]])), c(np.ones(1)), fill_value="median"), "fill_value"),
    (lambda B, c: B.degree(c(np.array([0, 2])), num_nodes=-1), "non-negative"),
    (lambda B, c: B.normalized_adjacency(c(np.ones((2, 3)))), "square"),
    (lambda B, c: B.global_mean_pool(c(np.ones((3, 2))), c(np.array([0, 1]))), "batch has 2 entries"),
    (lambda B, c: B.global_max_pool(c(np.ones((3, 2))), c(np.array([0, 1, 2])), 2), "batch holds 2, out of range"),
])
def test_bad_input_raises_clear_errors(backend, cast, call, message):
    with pytest.raises(ValueError, match=message):
        call(backend, cast)
