"""Graph convolutions, forward and backward by hand, equal to PyTorch Geometric's ``GCNConv`` and ``SAGEConv``
(chapter: Graph neural networks).

Conventions (PyG's): ``edge_index`` (2, E) ints, row 0 the source j, row 1 the target i; node i aggregates
over its incoming edges j -> i, and a node without any gets 0. Parameters are {PyG name: array} in PyG's
layout (see :mod:`companion._gnn`), so state dicts load both ways with PyG's layers and
:mod:`companion.torch.gnn`.

GCN (Kipf & Welling 2017)::

    Â = A + I (existing self-loops keep their weight), d̂_i = sum_j Â_ij   (the weight into node i)
    x'_i = sum over edges j -> i of Â_ij / sqrt(d̂_j d̂_i) · (W x_j) + b

GraphSAGE (Hamilton et al. 2017)::

    x'_i = W_l · AGGR_{j -> i} x_j + b_l + W_r x_i        (then x'_i / ||x'_i|| with ``normalize``)

The backward passes run the forward's steps in reverse with the graph operations' own backward functions
(:func:`companion.np.graph.propagate_backward`, :func:`~companion.np.graph.scatter_backward`).
"""

import numpy as np

from companion._gnn import (bipartite_edges, check_features, gcn_init, gcn_options, node_pair, out_size, sage_init,
                            sage_options)
from companion.np._state import DictParams
from companion.np.dense import linear_backward, linear_forward
from companion.np.graph import (add_remaining_self_loops, gcn_norm, propagate_backward, propagate_forward, scatter,
                                scatter_backward, scatter_forward)

NORMALIZE_EPS = 1e-12  # F.normalize's floor on a row's norm


# ------------------------------------------------------------------------------------------------------ GCN

def gcn_conv_forward(x, edge_index, weight, bias=None, edge_weight=None, *, improved=False, add_self_loops=True,
                     normalize=True, normalized=None):
    """x' = D̂^-1/2 Â D̂^-1/2 x W^T + b; returns (x' (N, out), cache).

    Shapes: x (N, in); edge_index (2, E); weight (out, in); bias (out,) or None; edge_weight (E,) or None.
    ``normalize=False`` sums e_ji W x_j as given. ``normalized`` = (edge_index, edge_weight) already
    normalized (GCNConv's ``cached``) skips the normalization; the given edge weights then get no gradient.
    As in PyG 2.8, ``improved`` (Â = A + 2I) acts only with ``edge_weight``: without weights every edge, the
    added self-loops too, weighs 1.
    """
    x, weight = np.asarray(x), np.asarray(weight)
    n = x.shape[0]
    norm_cache = None
    if normalized is not None:
        edges, weights = normalized
    elif normalize:
        edges, weights = gcn_norm(edge_index, edge_weight, n, improved, add_self_loops, dtype=x.dtype)
        norm_cache = (np.asarray(edge_index), edge_weight, n, improved, add_self_loops)
    else:
        edges, weights = edge_index, edge_weight
    h, lin_cache = linear_forward(x, weight)
    out, prop_cache = propagate_forward(h, edges, weights, "sum", n)
    if bias is not None:
        out = out + bias
    gets_grad = edge_weight is not None and normalized is None
    return out, (lin_cache, prop_cache, norm_cache if gets_grad else None, gets_grad, bias is not None,
                 (edges, weights))


def gcn_conv_backward(dout, cache):
    """(dx (N, in), dweight (out, in), dbias (out,) or None, dedge_weight (E,) or None).

    Reverse order: the bias sums dout over nodes; the propagation's backward gives d(xW^T) and the
    normalized weights' gradient; the linear map's backward gives dx and dW; the normalization's backward
    (:func:`gcn_norm_backward`) carries the weights' gradient to the given edge weights.
    """
    lin_cache, prop_cache, norm_cache, gets_grad, has_bias, _ = cache
    dout = np.asarray(dout)
    dbias = dout.sum(axis=0) if has_bias else None
    dh, dweights = propagate_backward(dout, prop_cache)
    dx, dweight, _ = linear_backward(dh, lin_cache)
    dedge = None
    if gets_grad:
        dedge = dweights if norm_cache is None else gcn_norm_backward(dweights, norm_cache)
    return dx, dweight, dbias, dedge


def gcn_norm_backward(dnormed, norm_cache):
    """d edge_weight (E,) from the gradient of gcn_norm's output weights (E',).

    With the loops added (Â), w'_e = r_s w_e r_t for an edge s -> t, r = d̂^-1/2 (0 where d̂ = 0) and
    d̂_i = sum of w_e over the edges into i. So dw_e = dw'_e r_s r_t + dd̂_t, where
    dr_k = sum of dw'_e w_e r_other over the edges touching k at either end and dd̂ = -1/2 r³ dr.
    A given self-loop's weight became its node's loop weight, so it gets that loop's gradient (each of
    several loops on one node gets it, as torch's indexed copy does).
    """
    edge_index, edge_weight, n, improved, add_loops = norm_cache
    edge_weight = np.asarray(edge_weight)
    if add_loops:
        edges, weights = add_remaining_self_loops(edge_index, edge_weight, 2.0 if improved else 1.0, n)
    else:
        edges, weights = np.asarray(edge_index), edge_weight
    source, target = edges
    deg = scatter(weights, target, n)
    with np.errstate(divide="ignore"):
        r = np.where(deg == 0, 0.0, deg ** -0.5).astype(weights.dtype, copy=False)
    dr = (scatter(dnormed * weights * r[target], source, n) + scatter(dnormed * weights * r[source], target, n))
    ddeg = -0.5 * r ** 3 * dr
    dweights = dnormed * r[source] * r[target] + ddeg[target]
    if not add_loops:
        return dweights
    keep = edge_index[0] != edge_index[1]
    dedge = np.empty_like(edge_weight, dtype=dweights.dtype)
    dedge[keep] = dweights[:keep.sum()]
    dedge[~keep] = dweights[keep.sum() + edge_index[0][~keep]]  # the loops come last, node by node
    return dedge


def gcn_conv(x, edge_index, weight, bias=None, edge_weight=None, *, improved=False, add_self_loops=True,
             normalize=True):
    """The forward of :func:`gcn_conv_forward` alone."""
    return gcn_conv_forward(x, edge_index, weight, bias, edge_weight, improved=improved,
                            add_self_loops=add_self_loops, normalize=normalize)[0]


class GCNConv(DictParams):
    """PyG's ``GCNConv`` in NumPy: constructor, parameters (``lin.weight`` Glorot-uniform, ``bias`` zeros)
    and results. ``backward(dout)`` returns dx and fills ``grads`` ({PyG name: array}) and
    ``grads_inputs`` ({"edge_weight": array or None}).

    ``cached`` keeps the first call's normalized edges for every later call (transductive use only);
    ``reset_parameters`` forgets them, as PyG does.
    """

    def __init__(self, in_channels, out_channels, improved=False, cached=False, add_self_loops=None,
                 normalize=True, bias=True, *, rng=None, dtype=np.float64):
        self.add_self_loops = gcn_options(in_channels, out_channels, improved, cached, add_self_loops, normalize,
                                          bias)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached, self.normalize, self.dtype = improved, cached, normalize, dtype
        self._params = gcn_init(in_channels, out_channels, bias, rng, dtype)
        self._cached_edge_index = None
        self.grads, self.grads_inputs, self._cache = {}, {}, None
        self.training = True

    def reset_parameters(self, rng=None):
        """Fresh Glorot weights and a zero bias; forgets the cached normalization."""
        self._params = gcn_init(self.in_channels, self.out_channels, "bias" in self._params, rng, self.dtype)
        self._cached_edge_index = None

    def forward(self, x, edge_index, edge_weight=None):
        """(N, out) from x (N, in), edge_index (2, E) and edge_weight (E,) or None."""
        if isinstance(x, (tuple, list)):
            raise ValueError("GCNConv does not take a (source, target) pair of node features; "
                             "use SAGEConv for bipartite graphs")
        x = np.asarray(x)
        check_features(x, self.in_channels)
        normalized = self._cached_edge_index if self.normalize else None
        out, self._cache = gcn_conv_forward(x, edge_index, self._params["lin.weight"], self._params.get("bias"),
                                            edge_weight, improved=self.improved,
                                            add_self_loops=self.add_self_loops, normalize=self.normalize,
                                            normalized=normalized)
        if self.normalize and self.cached and normalized is None:
            self._cached_edge_index = self._cache[-1]  # this call's normalized edges, for every later call
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dweight, dbias, dedge = gcn_conv_backward(dout, self._cache)
        self.grads = {"lin.weight": dweight} if dbias is None else {"bias": dbias, "lin.weight": dweight}
        self.grads_inputs = {"edge_weight": dedge}
        return dx

    def __repr__(self):
        return f"GCNConv({self.in_channels}, {self.out_channels})"


# ----------------------------------------------------------------------------------------------------- SAGE

def sage_conv_forward(x, edge_index, params, *, aggr="mean", normalize=False, root_weight=True, project=False,
                      size=None):
    """x'_i = W_l AGGR_{j -> i} x_j + b_l + W_r x_i, as PyG's ``SAGEConv``; returns (x' (N_dst, out), cache).

    With ``project`` the sources first become relu(W x_j + b); ``normalize`` divides each output row by
    its L2 norm (at least 1e-12). x (N, in) or a pair (x_src (N_src, in_src), x_dst (N_dst, in_dst) or
    None); ``size`` (N_src, N_dst) or None; ``params`` {PyG name: array}.
    """
    pair = isinstance(x, (tuple, list))
    x_src, x_dst = (None if t is None else np.asarray(t) for t in node_pair(x))
    n_out = out_size(x_src, x_dst, size)
    edge_index = np.asarray(edge_index)
    bipartite_edges(edge_index, x_src.shape[0], n_out)
    source, target = edge_index
    caches = {}
    if project:
        z, caches["lin"] = linear_forward(x_src, params["lin.weight"], params["lin.bias"])
        caches["relu"] = z > 0
        x_src = np.where(caches["relu"], z, 0.0)
    aggregated, caches["scatter"] = scatter_forward(x_src[source], target, n_out, aggr)
    out, caches["lin_l"] = linear_forward(aggregated, params["lin_l.weight"], params.get("lin_l.bias"))
    if root_weight and x_dst is not None:
        root, caches["lin_r"] = linear_forward(x_dst, params["lin_r.weight"])
        out = out + root
    if normalize:
        norm = np.linalg.norm(out, axis=-1, keepdims=True)
        caches["normalize"] = (out / np.maximum(norm, NORMALIZE_EPS), norm)
        out = caches["normalize"][0]
    dst_shape = None if x_dst is None else x_dst.shape
    return out, (caches, source, x_src.shape, pair, dst_shape, params.get("lin_l.bias") is not None)


def sage_conv_backward(dout, cache):
    """(dx, grads): dx like the forward's x (a pair (dx_src, dx_dst or None) for a pair), grads {PyG name}.

    Reverse order: the row normalization's Jacobian (I - y yᵀ) / ||x'|| (1 / 1e-12 where the norm was
    floored), the root and neighbour linear maps, the aggregation's backward, the gather undone by a sum
    of each edge's gradient at its source, and the projection's ReLU and linear map.
    """
    caches, source, src_shape, pair, dst_shape, has_bias = cache
    dout = np.asarray(dout)
    grads = {}
    if "normalize" in caches:
        y, norm = caches["normalize"]
        dout = np.where(norm > NORMALIZE_EPS, (dout - y * np.sum(y * dout, axis=-1, keepdims=True)) / norm,
                        dout / NORMALIZE_EPS)
    dx_dst = None
    if "lin_r" in caches:
        dx_dst, grads["lin_r.weight"], _ = linear_backward(dout, caches["lin_r"])
    dagg, grads["lin_l.weight"], dbias = linear_backward(dout, caches["lin_l"])
    if has_bias:
        grads["lin_l.bias"] = dbias
    dmessages = scatter_backward(dagg, caches["scatter"])
    dx_src = scatter(dmessages, source, src_shape[0]) if len(source) else np.zeros(src_shape, dagg.dtype)
    if "lin" in caches:
        dx_src, grads["lin.weight"], grads["lin.bias"] = linear_backward(np.where(caches["relu"], dx_src, 0.0),
                                                                         caches["lin"])
    if dst_shape is not None and dx_dst is None:  # target features given but unused (no root weight)
        dx_dst = np.zeros(dst_shape, dagg.dtype)
    if pair:
        return (dx_src, dx_dst), grads
    return dx_src + dx_dst, grads  # one matrix served as both sources and targets


def sage_conv(x, edge_index, params, **options):
    """The forward of :func:`sage_conv_forward` alone."""
    return sage_conv_forward(x, edge_index, params, **options)[0]


class SAGEConv(DictParams):
    """PyG's ``SAGEConv`` in NumPy: constructor, parameters (``lin_l.weight``, ``lin_l.bias``,
    ``lin_r.weight``; ``lin.weight``, ``lin.bias`` with ``project``) and results. ``in_channels`` may be a
    (source, target) pair and x then a pair of feature matrices (bipartite). ``backward(dout)`` returns dx
    (a pair for a pair) and fills ``grads``.
    """

    def __init__(self, in_channels, out_channels, aggr="mean", normalize=False, root_weight=True, project=False,
                 bias=True, *, rng=None, dtype=np.float64):
        self._pair = sage_options(in_channels, out_channels, aggr, normalize, root_weight, project, bias)
        self.in_channels, self.out_channels, self.aggr = in_channels, out_channels, aggr
        self.normalize, self.root_weight, self.project, self.dtype = normalize, root_weight, project, dtype
        self._params = sage_init(in_channels, out_channels, root_weight, project, bias, rng, dtype)
        self.grads, self._cache = {}, None
        self.training = True

    def reset_parameters(self, rng=None):
        """Fresh weights, drawn as ``torch.nn.Linear`` draws them."""
        self._params = sage_init(self.in_channels, self.out_channels, self.root_weight, self.project,
                                 "lin_l.bias" in self._params, rng, self.dtype)

    def forward(self, x, edge_index, size=None):
        """(N_dst, out) from x (N, in) or (x_src, x_dst) and edge_index (2, E); ``size`` (N_src, N_dst)."""
        x_src, x_dst = node_pair(x)
        check_features(np.asarray(x_src), self._pair[0], "x (source)")
        if x_dst is not None:
            check_features(np.asarray(x_dst), self._pair[1], "x (target)")
        out, self._cache = sage_conv_forward(x, edge_index, self._params, aggr=self.aggr, normalize=self.normalize,
                                             root_weight=self.root_weight, project=self.project, size=size)
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, grads = sage_conv_backward(dout, self._cache)
        # a parameter the forward did not use (lin_r without target features) has gradient 0
        self.grads = {name: grads[name] if name in grads else np.zeros_like(value)
                      for name, value in self._params.items()}
        return dx

    def __repr__(self):
        return f"SAGEConv({self.in_channels}, {self.out_channels}, aggr={self.aggr})"


# Graph attention is its own module (companion.np.gat); the graph layers are all reachable from here too.
from companion.np.gat import GATConv, gat_conv, gat_conv_backward, gat_conv_forward  # noqa: E402,F401
