"""The graph attention layer's parameter names, initialization and argument checks, shared by both backends.

The layout is ``torch_geometric.nn.GATConv``'s (PyG 2.8), so state dicts load both ways. With H heads of
C = out_channels features each:

* ``att_src``, ``att_dst`` (1, H, C): the attention vectors a_s and a_t; ``att_edge`` (1, H, C) with ``edge_dim``;
* ``bias`` (H·C,) when ``concat``, (C,) when the heads are averaged; absent with ``bias=False``;
* ``lin.weight`` (H·C, in_channels), one projection Θ for source and target nodes; or, when ``in_channels``
  is a pair (source, target) for a bipartite graph, ``lin_src.weight`` (H·C, in_src) and
  ``lin_dst.weight`` (H·C, in_dst);
* ``lin_edge.weight`` (H·C, edge_dim) with ``edge_dim``;
* ``res.weight`` (H·C or C, in_dst) with ``residual``: a learned skip connection from the target nodes.

Every weight starts Glorot-uniform as PyG draws it, U(±sqrt(6 / (fan_a + fan_b))) over the last two axes
(so (1, H, C) counts H and C), in PyG's order (lin, lin_src, lin_dst, lin_edge, res, att_src, att_dst,
att_edge); the bias starts at zero. The checks look at shapes only: they serve arrays and tensors alike.
"""

import math

import numpy as np

from companion._graph import check_fill_value, check_reduce
from companion._validate import check_param_shapes, check_positive_int, check_real, shape_of


def _is_pair(in_channels):
    return isinstance(in_channels, (tuple, list))


def param_names(in_channels, edge_dim=None, bias=True, residual=False):
    """The parameters' names in the order of PyG's state dict (the layer's own parameters, then its Linears)."""
    names = ["att_src", "att_dst"] + (["att_edge"] if edge_dim is not None else []) + (["bias"] if bias else [])
    names += ["lin_src.weight", "lin_dst.weight"] if _is_pair(in_channels) else ["lin.weight"]
    names += ["lin_edge.weight"] if edge_dim is not None else []
    return names + (["res.weight"] if residual else [])


def param_shapes(in_channels, out_channels, heads=1, concat=True, edge_dim=None, bias=True, residual=False):
    """{name: shape} for :func:`param_names`."""
    hc, total = heads * out_channels, out_channels * (heads if concat else 1)
    src, dst = in_channels if _is_pair(in_channels) else (in_channels, in_channels)
    shapes = {"att_src": (1, heads, out_channels), "att_dst": (1, heads, out_channels),
              "att_edge": (1, heads, out_channels), "bias": (total,), "lin.weight": (hc, src),
              "lin_src.weight": (hc, src), "lin_dst.weight": (hc, dst), "lin_edge.weight": (hc, edge_dim),
              "res.weight": (total, dst)}
    return {name: shapes[name] for name in param_names(in_channels, edge_dim, bias, residual)}


def check_gat_options(in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                      add_self_loops=True, edge_dim=None, fill_value="mean", bias=True, residual=False, aggr="add"):
    """Raise ValueError for any constructor argument PyG's GATConv would not work with, and for an ``aggr``
    (a MessagePassing option PyG's layer passes on) other than the scatter reductions "add"/"sum", "mean",
    "max", "min" and "mul"."""
    sizes = in_channels if _is_pair(in_channels) else (in_channels,)
    if len(sizes) != (2 if _is_pair(in_channels) else 1):
        raise ValueError(f"in_channels must be an int or a (source, target) pair, got {in_channels!r}")
    for n in sizes:
        if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n == -1:
            raise ValueError("in_channels=-1 (PyG's lazy size, read from the first input) is not supported: "
                             "give the number of input features")
        check_positive_int(n, "in_channels")
    check_positive_int(out_channels, "out_channels")
    check_positive_int(heads, "heads")
    check_real(negative_slope, "negative_slope")
    check_dropout(dropout)
    if edge_dim is not None:
        check_positive_int(edge_dim, "edge_dim")
    check_fill_value(fill_value)
    check_reduce(aggr, name="aggr")
    for name, flag in (("concat", concat), ("add_self_loops", add_self_loops), ("bias", bias),
                       ("residual", residual)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {flag!r}")


def store_options(layer, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                  add_self_loops=True, edge_dim=None, fill_value="mean", bias=True, residual=False, aggr="add"):
    """The constructor's shared part in both backends: :func:`check_gat_options`, then the options kept on
    ``layer`` under PyG's attribute names (``bias`` is not kept: the parameters say whether there is one)."""
    check_gat_options(in_channels, out_channels, heads, concat, negative_slope, dropout, add_self_loops, edge_dim,
                      fill_value, bias, residual, aggr)
    layer.in_channels = tuple(in_channels) if isinstance(in_channels, (tuple, list)) else in_channels
    layer.out_channels, layer.heads, layer.concat = out_channels, heads, concat
    layer.negative_slope, layer.dropout, layer.add_self_loops = negative_slope, dropout, add_self_loops
    layer.edge_dim, layer.fill_value, layer.residual, layer.aggr = edge_dim, fill_value, residual, aggr


def check_dropout(p):
    """The attention dropout rate: a real number in [0, 1] (1 drops every coefficient, as F.dropout does)."""
    check_real(p, "dropout")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout must lie in [0, 1], got {p}")


def glorot(shape, rng=None, dtype=np.float64):
    """PyG's glorot: U(-a, a), a = sqrt(6 / (shape[-2] + shape[-1])); drawn from ``rng`` (NumPy's global
    generator when None)."""
    bound = math.sqrt(6.0 / (shape[-2] + shape[-1]))
    return (np.random if rng is None else rng).uniform(-bound, bound, size=shape).astype(dtype)


def gat_init(in_channels, out_channels, heads=1, concat=True, edge_dim=None, bias=True, residual=False, rng=None,
             dtype=np.float64):
    """PyG's ``reset_parameters``, drawn with NumPy: {name: array} in state-dict order."""
    shapes = param_shapes(in_channels, out_channels, heads, concat, edge_dim, bias, residual)
    drawn = {}
    for name in ("lin.weight", "lin_src.weight", "lin_dst.weight", "lin_edge.weight", "res.weight", "att_src",
                 "att_dst", "att_edge"):
        if name in shapes:
            drawn[name] = glorot(shapes[name], rng, dtype)
    if bias:
        drawn["bias"] = np.zeros(shapes["bias"], dtype)
    return {name: drawn[name] for name in shapes}


def check_params(params, heads, concat=True):
    """The parameter dict's names and shapes; returns (out_channels, (in_src, in_dst), edge_dim or None,
    bipartite?)."""
    for name in ("att_src", "att_dst"):
        if params.get(name) is None:
            raise ValueError(f"params needs {name!r} with shape (1, heads, out_channels)")
    shape = shape_of(params["att_src"])
    if len(shape) != 3 or shape[:2] != (1, heads):
        raise ValueError(f"att_src must have shape (1, heads={heads}, out_channels), got {shape}")
    out_channels = shape[2]
    bipartite = "lin.weight" not in params
    lins = ("lin_src.weight", "lin_dst.weight") if bipartite else ("lin.weight",)
    for name in lins:
        if params.get(name) is None or len(shape_of(params[name])) != 2:
            raise ValueError(f"params needs 'lin.weight' or both 'lin_src.weight' and 'lin_dst.weight' "
                             f"(2-D); {name!r} is missing or not 2-D")
    in_src, in_dst = (shape_of(params[name])[-1] for name in (lins if bipartite else lins * 2))
    edge = params.get("lin_edge.weight")
    edge_dim = shape_of(edge)[-1] if edge is not None and len(shape_of(edge)) == 2 else None
    if edge is not None and edge_dim is None:
        raise ValueError(f"lin_edge.weight must be 2-D (heads·out_channels, edge_dim), got {shape_of(edge)}")
    want = param_shapes((in_src, in_dst) if bipartite else in_src, out_channels, heads, concat, edge_dim,
                        params.get("bias") is not None, params.get("res.weight") is not None)
    check_param_shapes(params, want, f" (heads {heads}, out_channels {out_channels}, concat {concat})")
    extra = sorted(set(k for k, v in params.items() if v is not None) - set(want))
    if extra:
        raise ValueError(f"unexpected parameters {extra}")
    return out_channels, (in_src, in_dst), edge_dim, bipartite


def check_node_features(x_src, x_dst, in_src, in_dst):
    """x_src (N_s, in_src) and x_dst (N_t, in_dst) or None."""
    for name, x, want in (("x_src", x_src, in_src), ("x_dst", x_dst, in_dst)):
        if x is None:
            continue
        if x.ndim != 2:
            raise ValueError(f"{name} must be 2-D (num_nodes, features), got shape {shape_of(x)}")
        if x.shape[1] != want:
            raise ValueError(f"{name} has {x.shape[1]} features (shape {shape_of(x)}) but the layer expects {want}")


def check_edge_attr(edge_attr, num_edges, edge_dim):
    """edge_attr (E,) or (E, D); D must equal edge_dim (1 for a 1-D edge_attr) when the layer has one."""
    if edge_attr is None:
        return
    if edge_attr.ndim not in (1, 2) or edge_attr.shape[0] != num_edges:
        raise ValueError(f"edge_attr must be (num_edges,) or (num_edges, edge_dim) with num_edges={num_edges}, "
                         f"got shape {shape_of(edge_attr)}")
    width = 1 if edge_attr.ndim == 1 else edge_attr.shape[1]
    if edge_dim is not None and width != edge_dim:
        raise ValueError(f"edge_attr has {width} features per edge (shape {shape_of(edge_attr)}) but the layer's "
                         f"edge_dim is {edge_dim}")


def self_loop_nodes(n_src, n_dst, size):
    """(N_s, N_t) for ``add_self_loops(..., num_nodes=...)``, whose minimum is how many nodes get a self-loop:
    those that are both sources and targets (all N_s when there are no target features), or min(size) when
    ``size`` is given, as PyG's GATConv counts them. A pair, so that sources beyond the minimum stay valid."""
    if size is not None:
        if None in tuple(size):
            raise ValueError(f"add_self_loops with size={tuple(size)} needs both node counts")
        return tuple(size)
    return (n_src, n_src if n_dst is None else n_dst)


def check_loop_fill(edge_index, edge_attr, fill_value, loop_nodes):
    """A reduce-name fill_value computes each self-loop's edge features from the edges into its node, so every
    target must be one of the min(loop_nodes) nodes that get a self-loop (PyG fails there with an index error)."""
    if not isinstance(fill_value, str) or edge_attr is None or not shape_of(edge_index)[1]:
        return
    top, loops = int(edge_index[1].max()), min(loop_nodes)
    if top >= loops:
        raise ValueError(f"fill_value={fill_value!r} aggregates the edges into each node for its self-loop, but "
                         f"only {loops} nodes get one (min of {tuple(loop_nodes)}) and an edge points to node {top}; "
                         "give a number as fill_value")
