"""The graph convolutions' parameter names, initialization and option checks, shared by both backends.

The layout is PyTorch Geometric's (``torch_geometric.nn.GCNConv`` and ``SAGEConv``), so state dicts load
both ways:

* GCNConv: ``bias`` (out,) when ``bias``, then ``lin.weight`` (out, in), Glorot-uniform; the bias starts at 0;
* SAGEConv: ``lin.weight`` (in_src, in_src) and ``lin.bias`` (in_src,) with ``project``; ``lin_l.weight``
  (out, in_src) and ``lin_l.bias`` (out,) when ``bias`` (the aggregated neighbours); ``lin_r.weight``
  (out, in_dst) with ``root_weight`` (the node itself), each drawn as ``torch.nn.Linear`` draws it.

The checks look at shapes and dtypes only, so they serve NumPy arrays and torch tensors alike.
"""

import numpy as np

from companion._graph import check_edge_index, check_index
from companion._init import dense_init, xavier_uniform
from companion._validate import check_choice, check_positive_int

SAGE_AGGRS = ("mean", "add", "sum", "max", "min")


def _bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def gcn_options(in_channels, out_channels, improved, cached, add_self_loops, normalize, bias):
    """Checked GCNConv options; returns ``add_self_loops`` resolved (None means: as ``normalize``).

    As PyG: self-loops need the on-the-fly normalization (``add_self_loops=True, normalize=False`` raises).
    """
    check_positive_int(in_channels, "in_channels")
    check_positive_int(out_channels, "out_channels")
    for value, name in ((improved, "improved"), (cached, "cached"), (normalize, "normalize"), (bias, "bias")):
        _bool(value, name)
    add_self_loops = normalize if add_self_loops is None else _bool(add_self_loops, "add_self_loops")
    if add_self_loops and not normalize:
        raise ValueError("GCNConv cannot add self-loops without the on-the-fly normalization "
                         "(add_self_loops=True needs normalize=True)")
    return add_self_loops


def sage_channels(in_channels):
    """SAGEConv's ``in_channels``, an int or a (source, target) pair for bipartite graphs -> (in_src, in_dst)."""
    pair = tuple(in_channels) if isinstance(in_channels, (tuple, list)) else (in_channels, in_channels)
    if len(pair) != 2:
        raise ValueError(f"in_channels must be an int or a (source, target) pair, got {in_channels!r}")
    check_positive_int(pair[0], "in_channels (source)")
    check_positive_int(pair[1], "in_channels (target)")
    return pair


def sage_options(in_channels, out_channels, aggr, normalize, root_weight, project, bias):
    """Checked SAGEConv options; returns (in_src, in_dst)."""
    pair = sage_channels(in_channels)
    check_positive_int(out_channels, "out_channels")
    check_choice(aggr, "aggr", SAGE_AGGRS)
    for value, name in ((normalize, "normalize"), (root_weight, "root_weight"), (project, "project"),
                        (bias, "bias")):
        _bool(value, name)
    return pair


def gcn_init(in_channels, out_channels, bias=True, rng=None, dtype=np.float64):
    """{PyG name: array}: ``lin.weight`` Glorot-uniform (PyG's ``glorot``), ``bias`` zeros; PyG's order."""
    params = {"bias": np.zeros(out_channels, dtype)} if bias else {}
    params["lin.weight"] = xavier_uniform((out_channels, in_channels), rng=rng, dtype=dtype)
    return params


def sage_init(in_channels, out_channels, root_weight=True, project=False, bias=True, rng=None, dtype=np.float64):
    """{PyG name: array}, each linear map drawn as ``torch.nn.Linear`` (PyG's default); PyG's order."""
    in_src, in_dst = sage_channels(in_channels)
    params = {}
    if project:
        params["lin.weight"], params["lin.bias"] = dense_init(in_src, in_src, rng, dtype)
    params["lin_l.weight"], lin_l_bias = dense_init(in_src, out_channels, rng, dtype)
    if bias:
        params["lin_l.bias"] = lin_l_bias
    if root_weight:
        params["lin_r.weight"] = dense_init(in_dst, out_channels, rng, dtype)[0]
    return params


def node_pair(x):
    """SAGEConv's input: one feature matrix, or a (source, target) pair whose target may be None."""
    if isinstance(x, (tuple, list)):
        if len(x) != 2 or x[0] is None:
            raise ValueError("x must be a feature matrix or a (source, target) pair with source features")
        return x[0], x[1]
    return x, x


def out_size(x_src, x_dst, size):
    """How many target nodes a bipartite layer writes: ``size[1]``, else the target's rows, else the source's."""
    if size is not None:
        if len(size) != 2:
            raise ValueError(f"size must be a (num_src, num_dst) pair, got {size!r}")
        if size[0] is not None and size[0] != x_src.shape[0]:
            raise ValueError(f"size[0] = {size[0]} but the source features have {x_src.shape[0]} rows")
        if size[1] is not None:
            if x_dst is not None and size[1] != x_dst.shape[0]:
                raise ValueError(f"size[1] = {size[1]} but the target features have {x_dst.shape[0]} rows")
            return int(size[1])
    return int((x_src if x_dst is None else x_dst).shape[0])


def check_features(x, in_channels, name="x"):
    """x must be (N, in_channels)."""
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[1] != in_channels:
        raise ValueError(f"{name} must have shape (num_nodes, {in_channels}), got {shape}")


def bipartite_edges(edge_index, num_src, num_dst):
    """edge_index (2, E) of integers, sources in [0, num_src) and targets in [0, num_dst)."""
    check_edge_index(edge_index)
    check_index(edge_index[0], "edge_index[0] (the sources)", num_src)
    check_index(edge_index[1], "edge_index[1] (the targets)", num_dst)
