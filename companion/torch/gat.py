"""Graph attention (Veličković et al. 2018) in PyTorch, written from the graph operations of
:mod:`companion.torch.graph` step by step as the NumPy twin is; autograd does the backward pass. Same names,
options and parameter names as :mod:`companion.np.gat`, and the same results as PyTorch Geometric's
``GATConv`` (2.8), whose state dicts load both ways. The formulas are in :mod:`companion.np.gat`.

Conventions (PyG's): ``edge_index`` (2, E) int64, row 0 the source j, row 1 the target i; node i attends
over its incoming edges j -> i (and itself, with ``add_self_loops``).
"""

import torch
import torch.nn.functional as F

from companion._gat import (check_dropout, check_edge_attr, check_loop_fill, check_node_features,
                            check_params, gat_init, self_loop_nodes, store_options)
from companion._gnn import bipartite_edges, node_pair, out_size
from companion.torch.dense import as_tensor
from companion.torch.gnn import _linear_maps
from companion.torch.graph import add_self_loops as with_self_loops
from companion.torch.graph import remove_self_loops, scatter, scatter_softmax


def _project(x, weight, heads):
    """x W^T as (N, H, C)."""
    return F.linear(x, weight).view(x.shape[0], heads, weight.shape[0] // heads)


def _edge_scores(edge_attr, params, heads):
    """a_e · Θ_e e_ji per edge and head, (E, H); e_ji (E,) is read as (E, 1)."""
    edge_attr = edge_attr.view(-1, 1) if edge_attr.dim() == 1 else edge_attr
    return (_project(edge_attr, params["lin_edge.weight"], heads) * params["att_edge"]).sum(-1)


def gat_conv(x, edge_index, params, heads=1, *, concat=True, negative_slope=0.2, dropout=0.0, add_self_loops=True,
             fill_value="mean", training=False, edge_attr=None, size=None, aggr="add"):
    """One graph attention layer, as PyG's ``GATConv.forward``; returns (out, (edge_index', alpha)).

    edge_index' is the edge list the attention ran over (self-loops removed, then one per node added, when
    ``add_self_loops``) and alpha (E', H) the attention coefficients after dropout.

    Shapes: x (N, in) or a pair (x_src (N_s, in_src), x_dst (N_t, in_dst) or None); edge_index (2, E);
    edge_attr (E,) or (E, edge_dim) or None; ``params`` {PyG name: tensor} (see :mod:`companion._gat`);
    ``size`` (N_s, N_t) or None. out is (N_t, H·C) with ``concat``, else (N_t, C). ``aggr`` combines the
    weighted messages at each target: "add" (the paper's sum, PyG's default), "mean", "max", "min", "mul".
    """
    check_dropout(dropout)
    params = {k: v for k, v in params.items() if v is not None}
    _, (in_src, in_dst), edge_dim, bipartite = check_params(params, heads, concat)
    x_src, x_dst = node_pair(x)
    check_node_features(x_src, x_dst, in_src, in_dst)
    n_out = out_size(x_src, x_dst, size)
    bipartite_edges(edge_index, x_src.shape[0], n_out)
    check_edge_attr(edge_attr, edge_index.shape[1], edge_dim)
    edge_index = edge_index.to(x_src.device)  # a CPU edge list serves a layer on a GPU
    res = None if x_dst is None or "res.weight" not in params else F.linear(x_dst, params["res.weight"])
    h_src = _project(x_src, params["lin_src.weight" if bipartite else "lin.weight"], heads)  # (N_s, H, C)
    h_dst = None if x_dst is None else _project(x_dst, params["lin_dst.weight" if bipartite else "lin.weight"],
                                                heads)
    if add_self_loops:
        loops = self_loop_nodes(x_src.shape[0], None if x_dst is None else x_dst.shape[0], size)
        edge_index, edge_attr = remove_self_loops(edge_index, edge_attr)
        check_loop_fill(edge_index, edge_attr, fill_value, loops)
        edge_index, edge_attr = with_self_loops(edge_index, edge_attr, fill_value=fill_value, num_nodes=loops)
    src, dst = edge_index[0], edge_index[1]
    scores = (h_src * params["att_src"]).sum(-1)[src]  # (E', H)
    if h_dst is not None:
        scores = scores + (h_dst * params["att_dst"]).sum(-1)[dst]
    if edge_attr is not None and edge_dim is not None:
        scores = scores + _edge_scores(edge_attr, params, heads)
    alpha = scatter_softmax(F.leaky_relu(scores, negative_slope), dst, num_nodes=n_out)
    alpha = F.dropout(alpha, p=dropout, training=training)
    out = scatter(alpha.unsqueeze(-1) * h_src[src], dst, dim_size=n_out, reduce=aggr)  # (N_t, H, C)
    out = out.reshape(n_out, heads * h_src.shape[2]) if concat else out.mean(dim=1)
    if res is not None:
        out = out + res
    if "bias" in params:
        out = out + params["bias"]
    return out, (edge_index, alpha)


class GATConv(torch.nn.Module):
    """PyG's ``GATConv``: its constructor, parameter names and results, computed by :func:`gat_conv`;
    parameters drawn from a NumPy ``rng`` as the NumPy twin draws them. ``aggr`` is the MessagePassing option
    PyG's layer passes on (scatter reductions only); ``in_channels=-1`` (lazy) is not supported. After each forward pass ``attention`` holds (edge_index', alpha (E', H))."""

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                 add_self_loops=True, edge_dim=None, fill_value="mean", bias=True, residual=False, *, aggr="add",
                 rng=None, device=None, dtype=None):
        super().__init__()
        store_options(self, in_channels, out_channels, heads, concat, negative_slope, dropout, add_self_loops,
                      edge_dim, fill_value, bias, residual, aggr)
        self.attention = None
        _linear_maps(self, gat_init(in_channels, out_channels, heads, concat, edge_dim, bias, residual, rng), dtype,
                    device)
        for name in ("att_edge", "bias", "res"):  # absent parts are None, as in PyG's layer
            if not hasattr(self, name):
                self.register_parameter(name, None)
        for name in ("lin", "lin_src", "lin_dst", "lin_edge"):
            if not hasattr(self, name):
                setattr(self, name, None)

    def reset_parameters(self, rng=None):
        """Fresh Glorot weights and a zero bias, as PyG's ``reset_parameters`` draws them."""
        values = gat_init(self.in_channels, self.out_channels, self.heads, self.concat, self.edge_dim,
                          self.bias is not None, self.residual, rng)
        with torch.no_grad():
            for name, value in values.items():
                param = self.get_parameter(name)
                param.copy_(as_tensor(value, param.dtype, param.device))

    def forward(self, x, edge_index, edge_attr=None, size=None, return_attention_weights=None):
        """out, or (out, (edge_index', alpha)) when ``return_attention_weights`` is true, as PyG."""
        out, self.attention = gat_conv(
            x, edge_index, dict(self.named_parameters()), self.heads, concat=self.concat,
            negative_slope=self.negative_slope, dropout=self.dropout, add_self_loops=self.add_self_loops,
            fill_value=self.fill_value, training=self.training, edge_attr=edge_attr, size=size, aggr=self.aggr)
        return (out, self.attention) if return_attention_weights else out

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
