"""Graph attention (Veličković et al. 2018), forward and backward by hand, equal to PyTorch Geometric's
``GATConv`` (chapter: Graph neural networks).

Each of H heads projects the nodes, h_j = Θ x_j (C features per head), and lets node i weigh its incoming
edges j -> i (and itself, with ``add_self_loops``) by a softmax over them::

    e_ji     = LeakyReLU(a_s · h_j + a_t · h_i + a_e · Θ_e e_ji)      (slope ``negative_slope``, 0.2)
    alpha_ji = exp(e_ji) / sum over the edges k -> i of exp(e_ki)     (then dropout on the alphas)
    x'_i     = sum over the edges j -> i of alpha_ji h_j              (per head)

The paper writes the score as LeakyReLU(a^T [W h_i ‖ W h_j]) (its h is our x, its W our Θ): a_t and a_s are
the two halves of its a, and one Θ serves both ends (a bipartite layer has Θ_s for the sources and Θ_t for
the targets). The heads are concatenated (H·C features) or averaged (C); then the residual term W_res x_i
and the bias are added (the paper's nonlinearity after the sum is left to the model). The edge term
a_e · Θ_e e_ji is there with ``edge_dim`` and edge features; the self-loops' edge features come from
``fill_value`` (a number, or a reduce over each node's incoming edges such as "mean").
Conventions and parameter names are PyG's (see :mod:`companion._gat`); :mod:`companion.torch.gat` is the twin.

The sum over the edges can be another of PyG's aggregations (``aggr``: "mean", "max", "min", "mul").
The backward pass runs these steps in reverse: the aggregation back to each edge (for the sum, a gather), the
softmax's Jacobian within each node's group (:func:`companion.np.graph.scatter_softmax_backward`), the
LeakyReLU's slope, and each edge's gradients summed back at its source and target nodes (a scatter).
"""

import numpy as np

from companion._gat import (check_dropout, check_edge_attr, check_loop_fill, check_node_features,
                            check_params, gat_init, self_loop_nodes, store_options)
from companion._gnn import bipartite_edges, node_pair, out_size
from companion.np._state import DictParams
from companion.np.activations import leaky_relu, leaky_relu_derivative
from companion.np.dense import linear_backward, linear_forward
from companion.np.graph import (Groups, add_self_loops as with_self_loops, scatter_backward, scatter_forward,
                                scatter_softmax_backward, scatter_softmax_forward)
from companion.np.regularization import dropout_forward


def _dropout(alpha, p, training, rng):
    """Inverted dropout on the coefficients; returns (out, scale or None). p = 1 zeroes them all, as
    ``F.dropout`` does (:func:`companion.np.dropout_forward` itself stops short of p = 1)."""
    if training and p == 1:
        scale = np.zeros_like(alpha)
        return alpha * scale, scale
    return dropout_forward(alpha, p, training, rng)


def _self_loops(edge_index, edge_attr, fill_value, loop_nodes):
    """PyG's remove_self_loops then add_self_loops; returns (edge_index', edge_attr', keep, fill cache).

    ``keep`` marks the input edges that are not self-loops (they come first in edge_index'); with a reduce
    ``fill_value`` the loops' features are a scatter of the kept edges' features, whose cache the backward
    pass needs.
    """
    keep = edge_index[0] != edge_index[1]
    edge_index = edge_index[:, keep]
    edge_attr = None if edge_attr is None else edge_attr[keep]
    check_loop_fill(edge_index, edge_attr, fill_value, loop_nodes)
    fill_cache = None
    if isinstance(fill_value, str) and edge_attr is not None:
        fill_value, fill_cache = scatter_forward(edge_attr, edge_index[1], min(loop_nodes), fill_value)
    edge_index, edge_attr = with_self_loops(edge_index, edge_attr, fill_value, num_nodes=tuple(loop_nodes))
    return edge_index, edge_attr, keep, fill_cache


def _heads(rows, heads):
    """(N, H·C) -> (N, H, C)."""
    return rows.reshape(rows.shape[0], heads, rows.shape[1] // heads)


def _checked_inputs(x, edge_index, edge_attr, params, heads, concat, size):
    """The forward's inputs as arrays, checked: (params, x_src, x_dst, edge_index (int64), edge_attr, N_t,
    out_channels)."""
    params = {k: np.asarray(v.detach().cpu() if hasattr(v, "detach") else v) for k, v in params.items()
              if v is not None}
    out_channels, (in_src, in_dst), edge_dim, _ = check_params(params, heads, concat)
    x_src, x_dst = (None if t is None else np.asarray(t) for t in node_pair(x))
    check_node_features(x_src, x_dst, in_src, in_dst)
    n_out = out_size(x_src, x_dst, size)
    edge_index = np.asarray(edge_index)
    bipartite_edges(edge_index, x_src.shape[0], n_out)
    edge_attr = None if edge_attr is None else np.asarray(edge_attr)
    check_edge_attr(edge_attr, edge_index.shape[1], edge_dim)
    return params, x_src, x_dst, edge_index.astype(np.int64, copy=False), edge_attr, n_out, out_channels


def _project(x, params, name, heads, c):
    """Θ x as (N, H, C), its linear cache kept in ``c[name]``; None for no x."""
    if x is None:
        return None
    h, c[name] = linear_forward(x, params[name + ".weight" if name + ".weight" in params else "lin.weight"])
    return _heads(h, heads)


def _scores(h_src, h_dst, edge_index, edge_attr, params, heads, c):
    """a_s · h_j + a_t · h_i (+ a_e · Θ_e e_ji) per edge j -> i and head, (E', H)."""
    src, dst = edge_index
    scores = np.take((h_src * params["att_src"]).sum(-1), src, axis=0)
    if h_dst is not None:
        scores = scores + np.take((h_dst * params["att_dst"]).sum(-1), dst, axis=0)
    if edge_attr is not None and "lin_edge.weight" in params:
        rows = edge_attr.reshape(-1, 1) if edge_attr.ndim == 1 else edge_attr
        h_edge, c["lin_edge"] = linear_forward(rows, params["lin_edge.weight"])
        c["h_edge"] = _heads(h_edge, heads)  # (E', H, C)
        scores = scores + (c["h_edge"] * params["att_edge"]).sum(-1)
    return scores


def gat_conv_forward(x, edge_index, params, heads=1, *, concat=True, negative_slope=0.2, dropout=0.0,
                     add_self_loops=True, fill_value="mean", training=False, edge_attr=None, size=None, aggr="add",
                     rng=None):
    """One graph attention layer, as PyG's ``GATConv.forward``; returns ((out, (edge_index', alpha)), cache).

    edge_index' (2, E') is the edge list the attention ran over (self-loops removed, then one added per
    node, with ``add_self_loops``) and alpha (E', H) the coefficients after dropout, which draws its mask
    from ``rng`` (NumPy's global generator when None) when ``training`` and ``dropout`` > 0.

    Shapes: x (N, in) or a pair (x_src (N_s, in_src), x_dst (N_t, in_dst) or None); edge_index (2, E);
    edge_attr (E,) or (E, edge_dim) or None; ``params`` {PyG name: array} (see :mod:`companion._gat`);
    ``size`` (N_s, N_t) or None. out is (N_t, H·C) with ``concat``, else (N_t, C). ``aggr`` combines the
    weighted messages at each target: "add" (the paper's sum, PyG's default), "mean", "max", "min", "mul".
    """
    check_dropout(dropout)
    params, x_src, x_dst, edge_index, edge_attr, n_out, out_channels = _checked_inputs(
        x, edge_index, edge_attr, params, heads, concat, size)
    c = {"pair": isinstance(x, (tuple, list)), "x_dst_shape": None if x_dst is None else x_dst.shape,
         "attr": edge_attr, "heads": heads, "width": heads * out_channels, "concat": concat,
         "slope": negative_slope, "keep": None, "params": params, "n_out": n_out, "bias": "bias" in params}
    h_src, h_dst = _project(x_src, params, "lin_src", heads, c), _project(x_dst, params, "lin_dst", heads, c)
    if add_self_loops:
        loops = self_loop_nodes(x_src.shape[0], None if x_dst is None else x_dst.shape[0], size)
        edge_index, edge_attr, c["keep"], c["fill"] = _self_loops(edge_index, edge_attr, fill_value, loops)
    scores = _scores(h_src, h_dst, edge_index, edge_attr, params, heads, c)
    alpha, c["softmax"] = scatter_softmax_forward(leaky_relu(scores, negative_slope), edge_index[1], n_out)
    alpha, c["dropout"] = _dropout(alpha, dropout, training, rng)
    h_j = np.take(h_src, edge_index[0], axis=0)  # (E', H, C): each edge's source, projected
    messages = (alpha[..., None] * h_j).reshape(len(h_j), c["width"])  # (E', H·C)
    out, c["aggr"] = scatter_forward(messages, edge_index[1], n_out, aggr)  # (N_t, H·C)
    out = out if concat else _heads(out, heads).mean(axis=1)
    if "res.weight" in params and x_dst is not None:
        res, c["res"] = linear_forward(x_dst, params["res.weight"])
        out = out + res
    if "bias" in params:
        out = out + params["bias"]
    c.update(h_src=h_src, h_dst=h_dst, h_j=h_j, scores=scores, alpha=alpha, edge_index=edge_index)
    return (out, (edge_index, alpha)), c


def _attention_backward(dscores, c, grads):
    """From d scores (E', H): the attention vectors' gradients into ``grads``; returns d h_src (N_s, H, C),
    d h_dst or None, d h_edge (E', H, C) or None."""
    src, dst = c["edge_index"]
    params, h_src, h_dst = c["params"], c["h_src"], c["h_dst"]
    dsrc = Groups(src, h_src.shape[0]).sum(dscores)[..., None]  # (N_s, H, 1): each node's scores as a source
    grads["att_src"] = (dsrc * h_src).sum(0, keepdims=True)
    dh_src, dh_dst, dh_edge = dsrc * params["att_src"], None, None
    grads["att_dst"] = np.zeros_like(params["att_dst"])
    if h_dst is not None:
        ddst = Groups(dst, h_dst.shape[0]).sum(dscores)[..., None]
        grads["att_dst"] = (ddst * h_dst).sum(0, keepdims=True)
        dh_dst = ddst * params["att_dst"]
    if "h_edge" in c:
        grads["att_edge"] = (dscores[..., None] * c["h_edge"]).sum(0, keepdims=True)
        dh_edge = dscores[..., None] * params["att_edge"]
    return dh_src, dh_dst, dh_edge


def _edge_attr_backward(dh_edge, c, grads):
    """d edge_attr (E, ...) for the input edges: through Θ_e, then the self-loops' features back to the edges
    they were reduced from, and zeros at the self-loops that were removed."""
    attr = c["attr"]
    if attr is None:
        return None
    if dh_edge is None:  # the layer has no edge_dim, or no edge features reached the attention
        return np.zeros_like(attr)
    drows, grads["lin_edge.weight"], _ = linear_backward(dh_edge.reshape(len(dh_edge), c["width"]),
                                                         c["lin_edge"])
    dfull = drows.reshape((len(drows),) + attr.shape[1:])
    if c["keep"] is None:
        return dfull
    n_kept = int(c["keep"].sum())
    dkept = dfull[:n_kept]
    if c["fill"] is not None:
        dkept = dkept + scatter_backward(dfull[n_kept:], c["fill"])
    dattr = np.zeros_like(attr, dtype=dfull.dtype)
    dattr[c["keep"]] = dkept
    return dattr


def _aggregation_backward(dout, dalpha, c):
    """From d out (and d alpha): d h_src through the messages alpha_ji h_j (N_s, H·C), and d scores (E', H)
    through dropout, the softmax within each target's edges and the LeakyReLU."""
    heads, src = c["heads"], c["edge_index"][0]
    if c["concat"]:
        dagg = _heads(dout, heads)
    else:  # the mean over heads hands each head 1/H of the gradient
        dagg = np.repeat(dout[:, None, :] / heads, heads, axis=1)
    # (E', H, C): the aggregation's gradient back to each of its edges (the whole of it, for a sum)
    dmessages = scatter_backward(dagg.reshape(len(dagg), c["width"]), c["aggr"]).reshape(c["h_j"].shape)
    dalpha = (dmessages * c["h_j"]).sum(-1) + (0 if dalpha is None else np.asarray(dalpha))
    dh_src = Groups(src, c["h_src"].shape[0]).sum((c["alpha"][..., None] * dmessages).reshape(len(src),
                                                                                              c["width"]))
    dalpha = dalpha if c["dropout"] is None else dalpha * c["dropout"]
    dscores = scatter_softmax_backward(dalpha, c["softmax"]) * leaky_relu_derivative(c["scores"], c["slope"])
    return dh_src, dscores


def _projection_backward(dh_src, dh_dst, dx_dst, c, grads):
    """Through h = Θ x at both ends: (dx_src, dx_dst), Θ's gradients into ``grads`` (one Θ sums both)."""
    params = c["params"]
    dx_src, w_src_grad, _ = linear_backward(dh_src, c["lin_src"])
    bipartite = "lin.weight" not in params
    w_dst_grad = np.zeros_like(params["lin_dst.weight" if bipartite else "lin.weight"])
    if dh_dst is not None:
        dx_dst_lin, w_dst_grad, _ = linear_backward(dh_dst.reshape(len(dh_dst), c["width"]), c["lin_dst"])
        dx_dst = dx_dst_lin if dx_dst is None else dx_dst + dx_dst_lin
    if bipartite:
        grads["lin_src.weight"], grads["lin_dst.weight"] = w_src_grad, w_dst_grad
    else:
        grads["lin.weight"] = w_src_grad + w_dst_grad
    if c["x_dst_shape"] is not None and dx_dst is None:
        dx_dst = np.zeros(c["x_dst_shape"], dx_src.dtype)
    return dx_src, dx_dst


def gat_conv_backward(dout, cache, dalpha=None):
    """(dx, dedge_attr, grads) from d out (and ``dalpha`` (E', H), a gradient on the returned coefficients).

    dx is like the forward's x: a pair (dx_src, dx_dst or None) for a pair; dedge_attr like edge_attr, or
    None without it; grads {PyG name: array}, zeros for a parameter the forward did not use.
    """
    dout = np.asarray(dout)
    grads = {"bias": dout.sum(0)} if cache["bias"] else {}
    dx_dst = None
    if "res" in cache:
        dx_dst, grads["res.weight"], _ = linear_backward(dout, cache["res"])
    dh_src, dscores = _aggregation_backward(dout, dalpha, cache)
    dh_src_att, dh_dst, dh_edge = _attention_backward(dscores, cache, grads)
    dedge_attr = _edge_attr_backward(dh_edge, cache, grads)
    dx_src, dx_dst = _projection_backward(dh_src + dh_src_att.reshape(dh_src.shape), dh_dst, dx_dst, cache, grads)
    grads = {name: grads.get(name, np.zeros_like(value)) for name, value in cache["params"].items()}
    if cache["pair"]:
        return (dx_src, dx_dst), dedge_attr, grads
    return dx_src + dx_dst, dedge_attr, grads  # one matrix served as both sources and targets


def gat_conv(x, edge_index, params, heads=1, **options):
    """The forward of :func:`gat_conv_forward` alone: (out, (edge_index', alpha))."""
    return gat_conv_forward(x, edge_index, params, heads, **options)[0]


class GATConv(DictParams):
    """PyG's ``GATConv`` in NumPy: constructor, parameters (see :mod:`companion._gat`) and results.

    ``forward`` returns out, or (out, (edge_index', alpha)) when ``return_attention_weights`` is true, and
    keeps (edge_index', alpha) in ``attention``. ``backward(dout, dalpha=None)`` returns dx (a pair for a
    pair), fills ``grads`` {PyG name: array} and ``grads_inputs`` {"edge_attr": array or None}. Dropout
    draws from ``rng`` (NumPy's global generator when None) in training mode. ``aggr`` is the MessagePassing
    option PyG's layer passes on (scatter reductions only); ``in_channels=-1`` (lazy) is not supported.
    """

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                 add_self_loops=True, edge_dim=None, fill_value="mean", bias=True, residual=False, *, aggr="add",
                 rng=None, dtype=np.float64):
        store_options(self, in_channels, out_channels, heads, concat, negative_slope, dropout, add_self_loops,
                      edge_dim, fill_value, bias, residual, aggr)
        self.rng, self.dtype = rng, dtype
        self._params = gat_init(in_channels, out_channels, heads, concat, edge_dim, bias, residual, rng, dtype)
        self.grads, self.grads_inputs, self.attention, self._cache = {}, {}, None, None
        self.training = True

    def reset_parameters(self, rng=None):
        """Fresh Glorot weights and a zero bias, as PyG's ``reset_parameters`` draws them."""
        self._params = gat_init(self.in_channels, self.out_channels, self.heads, self.concat, self.edge_dim,
                                "bias" in self._params, self.residual, rng, self.dtype)

    def forward(self, x, edge_index, edge_attr=None, size=None, return_attention_weights=None):
        (out, self.attention), self._cache = gat_conv_forward(
            x, edge_index, self._params, self.heads, concat=self.concat, negative_slope=self.negative_slope,
            dropout=self.dropout, add_self_loops=self.add_self_loops, fill_value=self.fill_value,
            training=self.training, edge_attr=edge_attr, size=size, aggr=self.aggr, rng=self.rng)
        return (out, self.attention) if return_attention_weights else out

    __call__ = forward

    def backward(self, dout, dalpha=None):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dedge_attr, self.grads = gat_conv_backward(dout, self._cache, dalpha)
        self.grads_inputs = {"edge_attr": dedge_attr}
        return dx

    def __repr__(self):
        return f"GATConv({self.in_channels}, {self.out_channels}, heads={self.heads})"
