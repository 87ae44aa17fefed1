"""Segment reductions in PyTorch, the twins of :mod:`companion.np.segment` (scatter and the softmax over the
entries that share an index, autograd for the backward pass), equal to ``torch_geometric.utils.scatter``
and ``softmax``, from plain torch ops (``index_add_``, ``scatter_reduce``); re-exported by
:mod:`companion.torch.graph`.
"""

import torch

from companion._graph import check_index, check_reduce


def _expand(index, like):
    """index (E,) viewed as (E, 1, ..., 1) and expanded to ``like``'s shape, for scatter_*_ along dim 0."""
    return index.view((-1,) + (1,) * (like.dim() - 1)).expand_as(like)


def scatter(src, index, dim_size=None, reduce="sum"):
    """out[g] = REDUCE over the rows e of ``src`` with index[e] = g, along dim 0, as
    ``torch_geometric.utils.scatter``. src (E, ...), index (E,) -> (dim_size, ...); reduce "sum"/"add",
    "mean", "max", "min", "mul"; empty groups give 0 (1 for "mul")."""
    if src.dim() < 1:
        raise ValueError(f"src must have at least one dimension (one row per entry), got shape {tuple(src.shape)}")
    reduce = check_reduce(reduce)
    dim_size = check_index(index, "index", dim_size, length=src.shape[0])
    size = (dim_size,) + tuple(src.shape[1:])
    index = index.to(device=src.device, dtype=torch.long)
    if reduce in ("sum", "mean"):
        out = src.new_zeros(size).index_add_(0, index, src)
        if reduce == "mean":
            count = torch.bincount(index, minlength=dim_size).clamp(min=1)
            out = out / count.view((-1,) + (1,) * (src.dim() - 1)).to(out.dtype)
        return out
    if reduce == "mul":
        return src.new_ones(size).scatter_reduce(0, _expand(index, src), src, reduce="prod", include_self=True)
    return src.new_zeros(size).scatter_reduce(0, _expand(index, src), src, reduce="a" + reduce, include_self=False)


def scatter_softmax(src, index, num_nodes=None):
    """softmax over the entries that share an index, as ``torch_geometric.utils.softmax(src, index,
    num_nodes=...)``: src (E,) or (E, H), each group's entries summing to 1 per column."""
    if src.dim() < 1:
        raise ValueError(f"src must have at least one dimension (one row per entry), got shape {tuple(src.shape)}")
    num_nodes = check_index(index, "index", num_nodes, length=src.shape[0])
    index = index.to(device=src.device, dtype=torch.long)
    shifted = (src - scatter(src.detach(), index, num_nodes, "max").index_select(0, index)).exp()
    return shifted / (scatter(shifted, index, num_nodes, "sum") + 1e-16).index_select(0, index)
