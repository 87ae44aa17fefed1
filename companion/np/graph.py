"""Graph operations in NumPy, forward and backward by hand: self-loops, degrees, the GCN normalization,
message passing, dense adjacency views and global pooling, with PyTorch Geometric's conventions and
results (``torch_geometric.utils``). The reductions they are built on, scatter (sum, mean, max, min, mul)
and the softmax over each node's incoming edges, live in :mod:`companion.np.segment` and are re-exported
here.

``edge_index`` is an integer array (2, E): row 0 the source j, row 1 the target i of each edge j -> i.
Messages flow from source to target, and node i aggregates over its incoming edges. A node (or a graph id)
that receives nothing gets 0 (1 for ``reduce="mul"``, as PyG).

Speed: no Python loop over nodes or edges. The edges are sorted by target once (a counting sort, see
:class:`~companion.np.segment.Groups`) and the sort is kept in the cache for the backward pass. Sum and
mean are one product with the adjacency matrix (scipy's CSR matrix built straight from the sort; a dense
one for a small graph), which gathers and adds in one pass; max and min reduce each target's run of
messages with ``np.maximum.reduceat`` / ``np.minimum.reduceat``.
"""

import numpy as np

from companion._graph import (AGGRS, FLOWS, check_count, check_edge_index, check_edge_values, check_fill_value,
                              check_index, check_reduce, check_square, graph_size)
from companion._validate import check_choice
from companion.np.segment import (REDUCE_UFUNCS, Groups, flat_rows, scatter,  # noqa: F401 (re-exported)
                                  scatter_backward, scatter_forward, scatter_softmax, scatter_softmax_backward,
                                  scatter_softmax_forward)

# A graph of at most DENSE_NODES nodes sums its messages with a dense adjacency matrix (the chapter's
# 34-node karate club): below that, scipy's per-matrix overhead outweighs its speed.
DENSE_NODES = 256


# ------------------------------------------------------------------------------- self-loops and degrees

def _num_nodes(edge_index, num_nodes):
    edge_index = np.asarray(edge_index)
    return edge_index, check_edge_index(edge_index, num_nodes)


def _loop_values(edge_index, edge_attr, num_nodes, fill_value):
    """The self-loops' attributes (num_nodes, ...), as PyG's compute_loop_attr."""
    check_fill_value(fill_value)
    shape = (num_nodes,) + edge_attr.shape[1:]
    if fill_value is None:
        return np.ones(shape, dtype=edge_attr.dtype)
    if isinstance(fill_value, str):
        return scatter(edge_attr, edge_index[1], num_nodes, fill_value).astype(edge_attr.dtype, copy=False)
    fill = np.asarray(fill_value, dtype=edge_attr.dtype)
    if fill.ndim != edge_attr.ndim and fill.ndim > 0:
        fill = fill[None]
    return np.broadcast_to(fill, shape).copy()


def _loop_index(n):
    return np.tile(np.arange(n, dtype=np.int64), (2, 1))


def add_self_loops(edge_index, edge_weight=None, fill_value=None, num_nodes=None):
    """Append one self-loop i -> i per node, as ``torch_geometric.utils.add_self_loops``.

    Returns (edge_index (2, E + N), edge_weight (E + N, ...) or None). The loops' weights: ``fill_value``
    None -> 1, a number or array, or a reduce name ("sum", "mean", "max", ...) of each node's incoming
    weights. ``num_nodes`` may be a pair (n_src, n_dst) for a bipartite graph: min of the two get loops.
    """
    if isinstance(num_nodes, (tuple, list)):
        edge_index = np.asarray(edge_index)
        check_edge_index(edge_index)
        n = min(check_count(num_nodes[0], "num_nodes[0]"), check_count(num_nodes[1], "num_nodes[1]"))
    else:
        edge_index, n = _num_nodes(edge_index, num_nodes)
    full = np.concatenate([edge_index.astype(np.int64, copy=False), _loop_index(n)], axis=1)
    if edge_weight is None:
        return full, None
    edge_weight = np.asarray(edge_weight)
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    return full, np.concatenate([edge_weight, _loop_values(edge_index, edge_weight, n, fill_value)], axis=0)


def add_remaining_self_loops(edge_index, edge_weight=None, fill_value=None, num_nodes=None):
    """Give every node exactly one self-loop, as ``torch_geometric.utils.add_remaining_self_loops``.

    Existing self-loops are removed and re-added at the end; a node that had one keeps its weight
    (the last one where it had several), the others get ``fill_value`` (as :func:`add_self_loops`).
    """
    edge_index, n = _num_nodes(edge_index, num_nodes)
    keep = edge_index[0] != edge_index[1]
    full = np.concatenate([edge_index[:, keep].astype(np.int64, copy=False), _loop_index(n)], axis=1)
    if edge_weight is None:
        return full, None
    edge_weight = np.asarray(edge_weight)
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    loops = _loop_values(edge_index, edge_weight, n, fill_value)
    loops[edge_index[0][~keep]] = edge_weight[~keep]
    return full, np.concatenate([edge_weight[keep], loops], axis=0)


def remove_self_loops(edge_index, edge_weight=None):
    """Drop every edge i -> i, as ``torch_geometric.utils.remove_self_loops``; returns (edge_index, weight)."""
    edge_index = np.asarray(edge_index)
    check_edge_index(edge_index)
    keep = edge_index[0] != edge_index[1]
    if edge_weight is None:
        return edge_index[:, keep], None
    edge_weight = np.asarray(edge_weight)
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    return edge_index[:, keep], edge_weight[keep]


def degree(index, num_nodes=None, dtype=None):
    """How often each id occurs in ``index`` (N,), as ``torch_geometric.utils.degree``.

    degree(edge_index[1]) is each node's in-degree, degree(edge_index[0]) its out-degree. dtype defaults to
    float64 (NumPy's default float; PyG's is torch's default float).
    """
    index = np.asarray(index)
    n = check_index(index, "index", num_nodes)
    return np.bincount(index.astype(np.int64, copy=False), minlength=n).astype(dtype or np.float64)


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, improved=False, add_self_loops=True,
             flow="source_to_target", dtype=None):
    """The GCN edge weights D̂^-1/2 Â D̂^-1/2, as ``torch_geometric.nn.conv.gcn_conv.gcn_norm``.

    Â = A plus one self-loop per node of weight 1 (2 if ``improved``; existing loops keep theirs),
    D̂_ii = the sum of node i's incoming weights in Â (its outgoing ones for flow="target_to_source");
    edge j -> i gets weight w_ji / sqrt(D̂_jj D̂_ii), and a node of degree 0 gets 0 (not infinity).
    Returns (edge_index (2, E'), edge_weight (E',)); dtype (default float64) for the weights when none given.
    """
    check_choice(flow, "flow", FLOWS)
    edge_index, n = _num_nodes(edge_index, num_nodes)
    if edge_weight is not None:
        edge_weight = np.asarray(edge_weight)
        check_edge_values(edge_weight, edge_index)
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 2.0 if improved else 1.0, n)
    if edge_weight is None:
        edge_weight = np.ones(edge_index.shape[1], dtype=dtype or np.float64)
    row, col = edge_index
    # each node's weighted degree; np.bincount sums weights by id in one pass (no sort needed here)
    deg = np.bincount(col if flow == "source_to_target" else row, edge_weight, n).astype(edge_weight.dtype)
    with np.errstate(divide="ignore"):
        inv_sqrt = deg ** -0.5
    inv_sqrt[np.isinf(inv_sqrt)] = 0
    return edge_index, inv_sqrt[row] * edge_weight * inv_sqrt[col]


# ------------------------------------------------------------------------------------------- propagate

def propagate_forward(x, edge_index, edge_weight=None, aggr="sum", num_nodes=None):
    """out_i = AGGR over the edges j -> i of w_ji * x_j (w = 1 without ``edge_weight``); 0 for no edges.

    x (N, ...) node features, edge_index (2, E), edge_weight (E,) or None; aggr "sum" (= "add"), "mean",
    "max", "min" as PyG's aggregations. num_nodes defaults to len(x). Returns (out (N, ...), cache).
    Sum and mean are one sparse product A @ x, A[i, j] = the total weight of the edges j -> i.
    """
    x = np.asarray(x)
    aggr = check_reduce(aggr, AGGRS, "aggr")
    n = graph_size(x, edge_index, num_nodes)
    edge_index = np.asarray(edge_index, dtype=np.int64)
    if edge_weight is not None:
        edge_weight = np.asarray(edge_weight)
        check_edge_values(edge_weight, edge_index)
    source, target = edge_index
    groups = Groups(target, n)
    flat = flat_rows(x)
    if aggr in ("sum", "mean"):
        adjacency = _adjacency(source, groups, edge_weight, flat.dtype)
        out = np.asarray(adjacency @ flat)
        if aggr == "mean":
            out = out / groups.divisor(out.dtype)
        messages = None
    else:
        adjacency = None
        messages = _sorted_messages(flat, source, edge_weight, groups)
        out = groups.reduce_sorted(messages[1], REDUCE_UFUNCS[aggr], 0)
    cache = (flat, x.shape, edge_index, edge_weight, aggr, groups, adjacency, messages, out)
    return out.reshape(x.shape), cache


def propagate_backward(dout, cache, weight_grad=True):
    """(dx like x, d edge_weight (E,) or None): the scatter undone by a gather, the gather by a scatter.

    ``weight_grad=False`` skips d edge_weight (returns None), for weights that are constants (GCN's
    normalization): it is one product per edge and feature, the costliest part of the backward pass.

    sum: dx = Aᵀ dout, d w_ji = dout_i · x_j; mean: dout divided by each target's number of edges first;
    max/min: each message's gradient from :func:`scatter_backward`'s rule, then scattered to its source.
    """
    flat, shape, edge_index, edge_weight, aggr, groups, adjacency, messages, out = cache
    dout = flat_rows(np.asarray(dout))
    source, target = edge_index
    if aggr in ("sum", "mean"):
        if aggr == "mean":
            dout = dout / groups.divisor(dout.dtype)
        transposed = adjacency.T if isinstance(adjacency, np.ndarray) else adjacency.T.tocsr()  # CSR: faster
        dx = np.asarray(transposed @ dout)
        dmessages = None
    else:
        return _extreme_backward(dout, cache, weight_grad)
    dweight = None
    if edge_weight is not None and weight_grad:
        dweight = np.einsum("ek,ek->e", np.take(dout, target, axis=0), np.take(flat, source, axis=0))
        dweight = dweight.astype(edge_weight.dtype, copy=False)
    return dx.reshape(shape), dweight


def _adjacency(source, groups, edge_weight, dtype):
    """A (N, N), A[i, j] = the total weight of the edges j -> i: dense for a small graph, else scipy CSR."""
    n = groups.size
    weights = None if edge_weight is None else edge_weight.astype(dtype, copy=False)
    if n <= DENSE_NODES:
        return np.bincount(groups.index * n + source, weights, n * n).astype(dtype, copy=False).reshape(n, n)
    return groups.matrix(weights, source, n, dtype=dtype)


def _sorted_messages(flat, source, edge_weight, groups):
    """For max/min: (x_j, w_ji * x_j) per edge as (K, E) columns in target order (see Groups.reduce_sorted)."""
    gathered = np.take(np.ascontiguousarray(flat.T), source[groups.order], axis=1)
    if edge_weight is None:
        return gathered, gathered
    return gathered, gathered * edge_weight[groups.order].astype(flat.dtype, copy=False)


def _extreme_backward(dout, cache, weight_grad):
    """max/min: each target's gradient shared among its tied winning messages (scatter_backward's rule),
    then each message's gradient (times its weight) summed at its source; all in the (K, E) layout."""
    flat, shape, edge_index, edge_weight, aggr, groups, _, (gathered, messages), out = cache
    target = groups.index[groups.order]
    winner = messages == np.take(np.ascontiguousarray(out.T), target, axis=1)
    ties = groups.reduce_sorted(winner.astype(dout.dtype), np.add, 1)
    dmessages = np.where(winner, np.take(np.ascontiguousarray((dout / ties).T), target, axis=1), 0)
    source = edge_index[0][groups.order]
    scaled = dmessages if edge_weight is None else dmessages * edge_weight[groups.order].astype(dout.dtype)
    by_source = Groups(source, flat.shape[0])
    dx = by_source.reduce_sorted(np.take(scaled, by_source.order, axis=1), np.add, 0)
    dweight = None
    if edge_weight is not None and weight_grad:
        dweight = np.empty(len(target), dtype=edge_weight.dtype)
        dweight[groups.order] = np.einsum("ke,ke->e", dmessages, gathered)
    return dx.reshape(shape), dweight


def propagate(x, edge_index, edge_weight=None, aggr="sum", num_nodes=None):
    """The forward of :func:`propagate_forward` alone."""
    return propagate_forward(x, edge_index, edge_weight, aggr, num_nodes)[0]


def message_passing(x, edge_index, message=None, aggr="sum", update=None, num_nodes=None, edge_weight=None):
    """The general form, for teaching: message, aggregate, update.

    For each edge j -> i, ``message(x_i, x_j, edge_weight)`` (arrays (E, F), (E, F), (E,) or None; default:
    w_ji * x_j) gives its message; the messages are aggregated at each target with ``aggr`` (as
    :func:`scatter`); ``update(aggregated, x)`` (default: the aggregate itself) gives the new features.
    Forward only: the callables are the reader's, so the backward pass is :func:`propagate_backward`'s
    job for the standard message.
    """
    x = np.asarray(x)
    aggr = check_reduce(aggr, AGGRS, "aggr")
    n = graph_size(x, edge_index, num_nodes)
    edge_index = np.asarray(edge_index)
    if edge_weight is not None:
        edge_weight = np.asarray(edge_weight)
        check_edge_values(edge_weight, edge_index)
    source, target = edge_index
    if message is None:
        messages = x[source] if edge_weight is None else x[source] * edge_weight.reshape(-1, *[1] * (x.ndim - 1))
    else:
        messages = np.asarray(message(x[target], x[source], edge_weight))
    aggregated = scatter(messages, target, n, aggr)
    return aggregated if update is None else update(aggregated, x)


# ----------------------------------------------------------------------------------- dense, for teaching

def adjacency_matrix(edge_index, num_nodes=None, edge_weight=None):
    """A (N, N) with A[i, j] = the total weight of the edges j -> i (1 each without weights).

    Row i lists node i's incoming edges, so A @ x sums each node's incoming messages. Equals
    ``to_dense_adj(edge_index, edge_attr=edge_weight, max_num_nodes=N)[0].T``.
    """
    edge_index, n = _num_nodes(edge_index, num_nodes)
    weights = np.ones(edge_index.shape[1]) if edge_weight is None else np.asarray(edge_weight)
    check_edge_values(weights, edge_index)
    A = np.zeros((n, n), dtype=np.result_type(weights.dtype, np.float64) if weights.dtype.kind != "f"
                 else weights.dtype)
    np.add.at(A, (edge_index[1], edge_index[0]), weights)
    return A


def degree_matrix(A):
    """D (N, N), diagonal, D_ii = sum_j A[i, j]: node i's (weighted) in-degree."""
    A = np.asarray(A)
    check_square(A)
    return np.diag(A.sum(axis=1))


def normalized_adjacency(A, add_self_loops=True, improved=False):
    """The dense GCN operator D̂^-1/2 Â D̂^-1/2, Â = A + I (2I if ``improved``), D̂ = degree_matrix(Â).

    As :func:`gcn_norm`: a node that already has a self-loop (a non-zero diagonal entry) keeps it instead of
    getting another, and a node of degree 0 gets a zero row. Equals gcn_norm's weights scattered into a
    matrix (for graphs without repeated self-loops). Note: without ``edge_weight`` PyG's gcn_norm gives
    every self-loop weight 1 even when ``improved`` (its fill value 2 reaches only given weights), while
    this is Kipf & Welling's A + 2I either way; with explicit unit weights the two agree.
    """
    A = np.asarray(A, dtype=np.result_type(np.asarray(A).dtype, np.float64))
    check_square(A)
    A_hat = A.copy()
    if add_self_loops:
        diagonal = np.diag(A)
        np.fill_diagonal(A_hat, np.where(diagonal != 0, diagonal, 2.0 if improved else 1.0))
    deg = A_hat.sum(axis=1)
    with np.errstate(divide="ignore"):
        inv_sqrt = deg ** -0.5
    inv_sqrt[np.isinf(inv_sqrt)] = 0
    return inv_sqrt[:, None] * A_hat * inv_sqrt[None, :]


def propagate_dense(A, x, aggr="sum"):
    """:func:`propagate` on a dense adjacency: out_i = AGGR over j with A[i, j] != 0 of A[i, j] * x_j.

    "sum" is A @ x; "mean" divides by the number of non-zero entries in row i (a dense matrix cannot tell
    repeated edges apart); "max"/"min" compare the weighted neighbours; a row with no entry gives 0.
    """
    A, x = np.asarray(A), np.asarray(x)
    check_square(A)
    aggr = check_reduce(aggr, AGGRS, "aggr")
    if x.shape[0] != A.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but A is {A.shape}: one row per node")
    flat = flat_rows(x)
    if aggr in ("sum", "mean"):
        out = A @ flat
        if aggr == "mean":
            out = out / np.maximum((A != 0).sum(axis=1), 1).astype(out.dtype)[:, None]
    else:
        edge = (A != 0)[:, :, None]
        weighted = A[:, :, None] * flat[None, :, :]
        extreme = np.inf if aggr == "min" else -np.inf
        reduced = (np.min if aggr == "min" else np.max)(np.where(edge, weighted, extreme), axis=1)
        out = np.where(edge.any(axis=1), reduced, 0.0)
    return out.reshape(x.shape)


# --------------------------------------------------------------------------------------------- readouts

def global_pool_forward(x, batch=None, reduce="sum", size=None):
    """One vector per graph: REDUCE over each graph's nodes, as torch_geometric.nn's global_*_pool.

    x (N, F) (or (N,), or (..., N, F): the node axis is the second last), batch (N,) the graph id of each
    node (None: all one graph, out (1, F)), size the number of graphs (default batch.max() + 1).
    reduce "sum" (global_add_pool), "mean", "max". Returns (out (size, F), cache).
    """
    x = np.asarray(x)
    reduce = check_reduce(reduce, ("sum", "add", "mean", "max"))
    if x.ndim < 1:
        raise ValueError(f"x must have one row per node, got shape {x.shape}")
    axis = 0 if x.ndim == 1 else x.ndim - 2
    moved = np.moveaxis(x, axis, 0)
    squeeze = batch is None and x.ndim > 2
    if batch is None:
        batch, size = np.zeros(moved.shape[0], dtype=np.int64), 1
    else:
        batch = np.asarray(batch)
        check_index(batch, "batch", size, length=moved.shape[0])
    out, cache = scatter_forward(moved, batch, size, reduce)
    out = np.moveaxis(out, 0, axis)
    return (np.squeeze(out, axis) if squeeze else out), (cache, axis, squeeze)


def global_pool_backward(dout, cache):
    """d x from d out, through :func:`scatter_backward`."""
    cache, axis, squeeze = cache
    dout = np.asarray(dout)
    if squeeze:
        dout = np.expand_dims(dout, axis)
    return np.moveaxis(scatter_backward(np.moveaxis(dout, axis, 0), cache), 0, axis)


def global_add_pool(x, batch=None, size=None):
    """Sum of each graph's node features, as ``torch_geometric.nn.global_add_pool``."""
    return global_pool_forward(x, batch, "sum", size)[0]


def global_mean_pool(x, batch=None, size=None):
    """Mean of each graph's node features, as ``torch_geometric.nn.global_mean_pool``."""
    return global_pool_forward(x, batch, "mean", size)[0]


def global_max_pool(x, batch=None, size=None):
    """Feature-wise maximum over each graph's nodes, as ``torch_geometric.nn.global_max_pool``."""
    return global_pool_forward(x, batch, "max", size)[0]


__all__ = ["Groups", "scatter", "scatter_forward", "scatter_backward", "scatter_softmax", "scatter_softmax_forward",
           "scatter_softmax_backward", "add_self_loops", "add_remaining_self_loops", "remove_self_loops", "degree",
           "gcn_norm", "propagate", "propagate_forward", "propagate_backward", "message_passing",
           "adjacency_matrix", "degree_matrix", "normalized_adjacency", "propagate_dense", "global_pool_forward",
           "global_pool_backward", "global_add_pool", "global_mean_pool", "global_max_pool"]
