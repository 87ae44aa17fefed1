"""Graph convolutions in PyTorch, written from the graph operations of :mod:`companion.torch.graph` as the
NumPy twin is; autograd does the backward pass. Same names, options and parameter names as
:mod:`companion.np.gnn`, and the same results as PyTorch Geometric's ``GCNConv`` and ``SAGEConv`` (2.8),
whose state dicts load both ways.

Conventions (PyG's): ``edge_index`` (2, E) int64, row 0 the source j, row 1 the target i; node i
aggregates over its incoming edges j -> i, and a node without any gets 0.
"""

import torch
import torch.nn.functional as F

from companion._gnn import (bipartite_edges, check_features, gcn_init, gcn_options, node_pair, out_size, sage_init,
                            sage_options)
from companion._runtime import device as default_device
from companion.torch.dense import Dense, as_tensor
from companion.torch.graph import gcn_norm, propagate, scatter


def gcn_conv(x, edge_index, weight, bias=None, edge_weight=None, *, improved=False, add_self_loops=True,
             normalize=True):
    """x' = D̂^-1/2 Â D̂^-1/2 x W^T + b (Kipf & Welling 2017), Â = A + I (A + 2I when ``improved``).

    Node-wise: x'_i = W^T sum over j in N(i) ∪ {i} of e_ji / sqrt(d̂_j d̂_i) x_j + b, with d̂_i = the
    total weight of the edges into i, self-loop included. ``normalize=False`` sums e_ji x_j as given.
    As in PyG 2.8, ``improved`` acts only with ``edge_weight``: without weights every edge, the added
    self-loops too, weighs 1 (PyG's ``add_remaining_self_loops`` has no weights to fill).

    Shapes: x (N, in); edge_index (2, E); weight (out, in); bias (out,) or None; edge_weight (E,) or None;
    returns (N, out).
    """
    n = x.shape[0]
    if normalize:
        edge_index, edge_weight = gcn_norm(edge_index, edge_weight, n, improved, add_self_loops, dtype=x.dtype)
    return _gcn_propagate(x, edge_index, edge_weight, weight, bias)


def _gcn_propagate(x, edge_index, edge_weight, weight, bias):
    """x W^T, each row sent along the edges scaled by its weight, summed at the targets, plus the bias."""
    out = propagate(F.linear(x, weight), edge_index, edge_weight, aggr="sum", num_nodes=x.shape[0])
    return out if bias is None else out + bias


def sage_conv(x, edge_index, params, *, aggr="mean", normalize=False, root_weight=True, project=False,
              size=None):
    """GraphSAGE (Hamilton et al. 2017): x'_i = W_l AGGR_{j -> i} x_j + b_l + W_r x_i, as PyG's ``SAGEConv``.

    With ``project`` the sources first pass through x_j <- relu(W x_j + b); with ``normalize`` each output
    row is divided by its L2 norm (at least 1e-12); without ``root_weight`` the W_r x_i term is left out.
    AGGR is ``aggr``: "mean", "sum"/"add", "max" or "min" (a node with no incoming edge gets 0).

    Shapes: x (N, in) or a bipartite pair (x_src (N_src, in_src), x_dst (N_dst, in_dst) or None);
    edge_index (2, E) from sources to targets; ``size`` (N_src, N_dst) or None; ``params`` {PyG name:
    tensor} (see :mod:`companion._gnn`); returns (N_dst, out).
    """
    x_src, x_dst = node_pair(x)
    n_out = out_size(x_src, x_dst, size)
    bipartite_edges(edge_index, x_src.shape[0], n_out)
    if project:
        x_src = F.relu(F.linear(x_src, params["lin.weight"], params["lin.bias"]))
    aggregated = scatter(x_src[edge_index[0]], edge_index[1], dim_size=n_out, reduce=aggr)
    out = F.linear(aggregated, params["lin_l.weight"], params.get("lin_l.bias"))
    if root_weight and x_dst is not None:
        out = out + F.linear(x_dst, params["lin_r.weight"])
    return F.normalize(out, p=2.0, dim=-1) if normalize else out


def _linear_maps(module, values, dtype, device):
    """Register {PyG name: array} on ``module``: "lin.weight" and "lin.bias" become a child
    :class:`~companion.torch.dense.Dense` named "lin" (so the state dict has PyG's keys), a plain name
    ("bias") a parameter of the module itself."""
    dtype = torch.get_default_dtype() if dtype is None else dtype
    device = default_device() if device is None else device
    for name, value in values.items():
        if "." not in name:
            module.register_parameter(name, torch.nn.Parameter(as_tensor(value, dtype, device)))
        elif name.endswith(".weight"):
            child = name[:-len(".weight")]
            bias = values.get(f"{child}.bias")
            out_features, in_features = value.shape
            module.add_module(child, Dense(in_features, out_features, bias is not None, weight=value,
                                           bias_value=bias, dtype=dtype, device=device))


class GCNConv(torch.nn.Module):
    """PyG's ``GCNConv``: constructor, parameter names (``lin.weight``, ``bias``) and results, computed by
    :func:`gcn_conv`; parameters drawn from a NumPy ``rng`` as the NumPy twin draws them.

    ``cached`` keeps the normalized edges of the first call for every later one (transductive use only);
    ``reset_parameters`` clears that cache, as PyG does.
    """

    def __init__(self, in_channels, out_channels, improved=False, cached=False, add_self_loops=None,
                 normalize=True, bias=True, *, rng=None, device=None, dtype=None):
        super().__init__()
        self.add_self_loops = gcn_options(in_channels, out_channels, improved, cached, add_self_loops, normalize,
                                          bias)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached, self.normalize = improved, cached, normalize
        self._cached_edge_index = None
        _linear_maps(self, gcn_init(in_channels, out_channels, bias, rng), dtype, device)
        if not bias:
            self.register_parameter("bias", None)

    def reset_parameters(self, rng=None):
        """Fresh Glorot weights and a zero bias; forgets the cached normalization."""
        with torch.no_grad():
            for name, value in gcn_init(self.in_channels, self.out_channels, self.bias is not None, rng).items():
                param = self.get_parameter(name)
                param.copy_(as_tensor(value, param.dtype, param.device))
        self._cached_edge_index = None

    def forward(self, x, edge_index, edge_weight=None):
        """(N, out) from x (N, in), edge_index (2, E) and edge_weight (E,) or None."""
        if isinstance(x, (tuple, list)):
            raise ValueError("GCNConv does not take a (source, target) pair of node features; "
                             "use SAGEConv for bipartite graphs")
        check_features(x, self.in_channels)
        if self.normalize:
            if self._cached_edge_index is None:
                normalized = gcn_norm(edge_index, edge_weight, x.shape[0], self.improved, self.add_self_loops,
                                      dtype=x.dtype)
                if self.cached:
                    self._cached_edge_index = normalized
            else:
                normalized = self._cached_edge_index
            edge_index, edge_weight = normalized
        return _gcn_propagate(x, edge_index, edge_weight, self.lin.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"


class SAGEConv(torch.nn.Module):
    """PyG's ``SAGEConv``: constructor, parameter names (``lin_l.weight``, ``lin_l.bias``, ``lin_r.weight``;
    ``lin.weight``, ``lin.bias`` with ``project``) and results, computed by :func:`sage_conv`.

    ``in_channels`` may be a (source, target) pair, and x then a pair of feature matrices (bipartite).
    """

    def __init__(self, in_channels, out_channels, aggr="mean", normalize=False, root_weight=True, project=False,
                 bias=True, *, rng=None, device=None, dtype=None):
        super().__init__()
        self._pair = sage_options(in_channels, out_channels, aggr, normalize, root_weight, project, bias)
        self.in_channels, self.out_channels, self.aggr = in_channels, out_channels, aggr
        self.normalize, self.root_weight, self.project, self.has_bias = normalize, root_weight, project, bias
        _linear_maps(self, sage_init(in_channels, out_channels, root_weight, project, bias, rng), dtype, device)

    def reset_parameters(self, rng=None):
        """Fresh weights, drawn as ``torch.nn.Linear`` draws them."""
        values = sage_init(self.in_channels, self.out_channels, self.root_weight, self.project, self.has_bias, rng)
        with torch.no_grad():
            for name, value in values.items():
                param = self.get_parameter(name)
                param.copy_(as_tensor(value, param.dtype, param.device))

    def forward(self, x, edge_index, size=None):
        """(N_dst, out) from x (N, in) or (x_src, x_dst) and edge_index (2, E); ``size`` (N_src, N_dst)."""
        x_src, x_dst = node_pair(x)
        check_features(x_src, self._pair[0], "x (source)")
        if x_dst is not None:
            check_features(x_dst, self._pair[1], "x (target)")
        params = dict(self.named_parameters())
        return sage_conv(x, edge_index, params, aggr=self.aggr, normalize=self.normalize,
                         root_weight=self.root_weight, project=self.project, size=size)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr}"


# Graph attention is its own module (companion.torch.gat, which borrows _linear_maps above, hence this import
# at the end); the graph layers are all reachable from here too.
from companion.torch.gat import GATConv, gat_conv  # noqa: E402,F401
