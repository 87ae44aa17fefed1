"""Graph operations in PyTorch, the twins of :mod:`companion.np.graph` (same names and arguments, tensors in
and out, autograd for the backward pass), equal to PyTorch Geometric's ``torch_geometric.utils`` functions,
``gcn_norm`` and global pools, from plain torch ops (``index_add_``, ``scatter_reduce``) and without
importing PyG. scatter and scatter_softmax live in :mod:`companion.torch.segment` and are re-exported here.

``edge_index`` is an int64 tensor (2, E): row 0 the source j, row 1 the target i of each edge j -> i.
Outputs live on the inputs' device.
"""

import torch

from companion._graph import (AGGRS, FLOWS, check_count, check_edge_index, check_edge_values, check_fill_value,
                              check_index, check_reduce, check_square, graph_size)
from companion._validate import check_choice
from companion.torch.segment import scatter, scatter_softmax  # noqa: F401 (re-exported: the graph ops' names)


def _loop_values(edge_index, edge_attr, num_nodes, fill_value):
    """The self-loops' attributes (num_nodes, ...), as PyG's compute_loop_attr."""
    check_fill_value(fill_value)
    shape = (num_nodes,) + tuple(edge_attr.shape[1:])
    if fill_value is None:
        return edge_attr.new_ones(shape)
    if isinstance(fill_value, str):
        return scatter(edge_attr, edge_index[1], num_nodes, fill_value)
    if isinstance(fill_value, (int, float)):
        return edge_attr.new_full(shape, fill_value)
    fill = torch.as_tensor(fill_value).to(edge_attr.device, edge_attr.dtype)
    if fill.dim() != edge_attr.dim() and fill.dim() > 0:
        fill = fill.unsqueeze(0)
    return fill.expand(shape).contiguous()


def _loop_index(n, device):
    return torch.arange(n, device=device).view(1, -1).repeat(2, 1)


def add_self_loops(edge_index, edge_weight=None, fill_value=None, num_nodes=None):
    """Append one self-loop per node, as ``torch_geometric.utils.add_self_loops``; see the NumPy twin."""
    if isinstance(num_nodes, (tuple, list)):
        check_edge_index(edge_index)
        n = min(check_count(num_nodes[0], "num_nodes[0]"), check_count(num_nodes[1], "num_nodes[1]"))
    else:
        n = check_edge_index(edge_index, num_nodes)
    full = torch.cat([edge_index, _loop_index(n, edge_index.device)], dim=1)
    if edge_weight is None:
        return full, None
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    return full, torch.cat([edge_weight, _loop_values(edge_index, edge_weight, n, fill_value)], dim=0)


def add_remaining_self_loops(edge_index, edge_weight=None, fill_value=None, num_nodes=None):
    """One self-loop per node, existing ones keep their weight, as
    ``torch_geometric.utils.add_remaining_self_loops``; see the NumPy twin."""
    n = check_edge_index(edge_index, num_nodes)
    keep = edge_index[0] != edge_index[1]
    full = torch.cat([edge_index[:, keep], _loop_index(n, edge_index.device)], dim=1)
    if edge_weight is None:
        return full, None
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    loops = _loop_values(edge_index, edge_weight, n, fill_value)
    loops[edge_index[0][~keep]] = edge_weight[~keep]
    return full, torch.cat([edge_weight[keep], loops], dim=0)


def remove_self_loops(edge_index, edge_weight=None):
    """Drop every edge i -> i, as ``torch_geometric.utils.remove_self_loops``."""
    check_edge_index(edge_index)
    keep = edge_index[0] != edge_index[1]
    if edge_weight is None:
        return edge_index[:, keep], None
    check_edge_values(edge_weight, edge_index, ranks=range(1, 8))
    return edge_index[:, keep], edge_weight[keep]


def degree(index, num_nodes=None, dtype=None):
    """How often each id occurs in ``index``, as ``torch_geometric.utils.degree`` (dtype: torch's default)."""
    n = check_index(index, "index", num_nodes)
    out = torch.zeros(n, dtype=dtype, device=index.device)
    return out.index_add_(0, index, torch.ones(index.shape[0], dtype=out.dtype, device=index.device))


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, improved=False, add_self_loops=True,
             flow="source_to_target", dtype=None):
    """The GCN edge weights D̂^-1/2 Â D̂^-1/2, as ``torch_geometric.nn.conv.gcn_conv.gcn_norm``."""
    check_choice(flow, "flow", FLOWS)
    n = check_edge_index(edge_index, num_nodes)
    check_edge_values(edge_weight, edge_index)
    if add_self_loops:
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 2.0 if improved else 1.0, n)
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.shape[1], dtype=dtype, device=edge_index.device)
    row, col = edge_index[0], edge_index[1]
    deg = scatter(edge_weight, col if flow == "source_to_target" else row, n)
    inv_sqrt = deg.pow(-0.5)
    inv_sqrt = inv_sqrt.masked_fill(inv_sqrt == float("inf"), 0)
    return edge_index, inv_sqrt[row] * edge_weight * inv_sqrt[col]


def _edge_weights(edge_weight, like):
    return edge_weight.view((-1,) + (1,) * (like.dim() - 1))


def propagate(x, edge_index, edge_weight=None, aggr="sum", num_nodes=None):
    """out_i = AGGR over the edges j -> i of w_ji * x_j: gather x[edge_index[0]], scatter to edge_index[1]."""
    aggr = check_reduce(aggr, AGGRS, "aggr")
    n = graph_size(x, edge_index, num_nodes)
    check_edge_values(edge_weight, edge_index)
    edge_index = edge_index.to(x.device)
    messages = x.index_select(0, edge_index[0])
    if edge_weight is not None:
        messages = messages * _edge_weights(edge_weight, messages)
    return scatter(messages, edge_index[1], n, aggr)


def message_passing(x, edge_index, message=None, aggr="sum", update=None, num_nodes=None, edge_weight=None):
    """The general form: message(x_i, x_j, edge_weight) per edge, aggregate at each target, update(aggr, x)."""
    aggr = check_reduce(aggr, AGGRS, "aggr")
    n = graph_size(x, edge_index, num_nodes)
    check_edge_values(edge_weight, edge_index)
    source, target = edge_index[0].to(x.device), edge_index[1].to(x.device)
    if message is None:
        messages = x[source] if edge_weight is None else x[source] * _edge_weights(edge_weight, x[source])
    else:
        messages = message(x[target], x[source], edge_weight)
    aggregated = scatter(messages, target, n, aggr)
    return aggregated if update is None else update(aggregated, x)


def adjacency_matrix(edge_index, num_nodes=None, edge_weight=None):
    """A (N, N), A[i, j] = the total weight of the edges j -> i; ``to_dense_adj(...)[0].T``."""
    n = check_edge_index(edge_index, num_nodes)
    check_edge_values(edge_weight, edge_index)
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.shape[1], device=edge_index.device)
    A = edge_weight.new_zeros(n * n)
    return A.index_add_(0, edge_index[1] * n + edge_index[0], edge_weight).view(n, n)


def degree_matrix(A):
    """D (N, N), diagonal, D_ii = sum_j A[i, j]."""
    check_square(A)
    return torch.diag(A.sum(dim=1))


def normalized_adjacency(A, add_self_loops=True, improved=False):
    """The dense GCN operator D̂^-1/2 Â D̂^-1/2; see the NumPy twin."""
    check_square(A)
    if not A.is_floating_point():
        A = A.to(torch.get_default_dtype())
    A_hat = A
    if add_self_loops:
        diagonal = torch.diagonal(A)
        fill = torch.where(diagonal != 0, diagonal, torch.full_like(diagonal, 2.0 if improved else 1.0))
        A_hat = A - torch.diag(diagonal) + torch.diag(fill)
    inv_sqrt = A_hat.sum(dim=1).pow(-0.5)
    inv_sqrt = inv_sqrt.masked_fill(inv_sqrt == float("inf"), 0)
    return inv_sqrt[:, None] * A_hat * inv_sqrt[None, :]


def propagate_dense(A, x, aggr="sum"):
    """:func:`propagate` on a dense adjacency; see the NumPy twin."""
    check_square(A)
    aggr = check_reduce(aggr, AGGRS, "aggr")
    if x.shape[0] != A.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but A is {tuple(A.shape)}: one row per node")
    flat = x.reshape(x.shape[0], -1)
    if aggr in ("sum", "mean"):
        out = A @ flat
        if aggr == "mean":
            out = out / (A != 0).sum(dim=1).clamp(min=1)[:, None].to(out.dtype)
    else:
        edge = (A != 0)[:, :, None]
        weighted = A[:, :, None] * flat[None, :, :]
        extreme = float("inf") if aggr == "min" else float("-inf")
        masked = weighted.masked_fill(~edge, extreme)
        reduced = masked.amin(dim=1) if aggr == "min" else masked.amax(dim=1)
        out = torch.where(edge.any(dim=1), reduced, torch.zeros_like(reduced))
    return out.reshape(x.shape)


def _global_pool(x, batch, reduce, size):
    if x.dim() < 1:
        raise ValueError(f"x must have one row per node, got shape {tuple(x.shape)}")
    axis = 0 if x.dim() == 1 else x.dim() - 2
    moved = x.movedim(axis, 0)
    if batch is None:
        out = scatter(moved, torch.zeros(moved.shape[0], dtype=torch.long, device=x.device), 1, reduce)
        out = out.movedim(0, axis)
        return out.squeeze(axis) if x.dim() > 2 else out
    check_index(batch, "batch", size, length=moved.shape[0])
    return scatter(moved, batch, size, reduce).movedim(0, axis)


def global_add_pool(x, batch=None, size=None):
    """Sum of each graph's node features, as ``torch_geometric.nn.global_add_pool``."""
    return _global_pool(x, batch, "sum", size)


def global_mean_pool(x, batch=None, size=None):
    """Mean of each graph's node features, as ``torch_geometric.nn.global_mean_pool``."""
    return _global_pool(x, batch, "mean", size)


def global_max_pool(x, batch=None, size=None):
    """Feature-wise maximum over each graph's nodes, as ``torch_geometric.nn.global_max_pool``."""
    return _global_pool(x, batch, "max", size)
