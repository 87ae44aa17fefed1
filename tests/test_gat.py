"""Graph attention (companion.np and companion.torch GATConv / gat_conv) against torch_geometric.nn.GATConv with
copied weights in float64: outputs, attention coefficients and the gradients of the node features, the edge
features and every parameter, for every option (heads, concat, negative_slope, add_self_loops, edge_dim with
1-D and 2-D edge_attr and every fill_value, bias, residual, bipartite in_channels with pairs and single
matrices, x_dst None and size, the MessagePassing aggregations, return_attention_weights, dropout in training
through torch's own mask and at its limits); hypothesis over random graphs with isolated nodes, self-loops, multi-edges and directed edges;
state dicts both ways; initialization; errors. The NumPy layer's backward by hand against finite differences
and against autograd; permutation equivariance."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch_geometric.nn import GATConv as PyGGATConv

import companion.np.gat as npg
import companion.torch.gat as tg
from companion._gat import gat_init, param_names
from tests.finite_differences import numerical_gradient

TOL = dict(rtol=1e-9, atol=1e-10)
FILLS = ("mean", "add", "sum", "max", "min", "mul", None, 0.5, "tensor")


def _t(a):
    return torch.as_tensor(np.asarray(a), dtype=torch.float64)


def _fill(fill_value, edge_dim):
    """'tensor' stands for a per-feature fill tensor (PyG takes one)."""
    if isinstance(fill_value, str) and fill_value == "tensor":
        return torch.linspace(-1.0, 1.0, edge_dim or 1, dtype=torch.float64)
    return fill_value


def _reference(in_channels, out_channels, seed=0, **options):
    """PyG's GATConv in float64 with every parameter (the bias too) drawn at random, in eval mode."""
    module = PyGGATConv(in_channels, out_channels, **options).double()
    rng = np.random.default_rng(seed)
    module.load_state_dict({k: _t(rng.normal(0, 0.6, tuple(v.shape))) for k, v in module.state_dict().items()})
    return module.eval()


def _ours(reference, in_channels, out_channels, **options):
    layer = tg.GATConv(in_channels, out_channels, device="cpu", dtype=torch.float64, **options)
    layer.load_state_dict(reference.state_dict())
    return layer.eval()


def _graph(rng, n_src, n_dst, n_edges, self_loops=True):
    """A random directed multigraph (repeats and self-loops allowed, some nodes isolated)."""
    src = rng.integers(0, n_src, n_edges) if n_src else np.zeros(0, int)
    dst = rng.integers(0, n_dst, n_edges) if n_dst else np.zeros(0, int)
    if self_loops and n_edges and min(n_src, n_dst):
        k = min(n_src, n_dst)
        src[: n_edges // 4], dst[: n_edges // 4] = (np.arange(n_edges // 4) % k,) * 2
    return torch.as_tensor(np.stack([src, dst]), dtype=torch.long)


def _leaves(*tensors):
    return [None if t is None else t.detach().clone().requires_grad_(True) for t in tensors]


def _run(module, x, edge_index, edge_attr, size=None):
    out, (ei, alpha) = module(x, edge_index, edge_attr, size, return_attention_weights=True)
    return out, ei, alpha


def _numpy(x):
    if isinstance(x, tuple):
        return tuple(None if t is None else t.numpy() for t in x)
    return None if x is None else x.numpy()


def _numpy_run(reference, in_channels, out_channels, x, edge_index, edge_attr, size, dout, dalpha, options):
    """The NumPy layer with PyG's weights: (out, edge_index', alpha, input grads, parameter grads)."""
    fill = options["fill_value"]
    options = options | {"fill_value": fill.numpy() if torch.is_tensor(fill) else fill}
    net = npg.GATConv(in_channels, out_channels, **options).eval()
    net.load_state_dict(reference.state_dict())
    out, (ei, alpha) = net(_numpy(x), edge_index.numpy(), _numpy(edge_attr), size, return_attention_weights=True)
    dx = net.backward(dout.numpy(), dalpha.numpy())
    inputs = [t for t in (list(dx) if isinstance(dx, tuple) else [dx]) + [net.grads_inputs["edge_attr"]]
              if t is not None]
    return out, ei, alpha, inputs, net.grads


def _compare(in_channels, out_channels, x, edge_index, edge_attr=None, size=None, seed=0, **options):
    """Values, attention and gradients (inputs and parameters) of ours (torch and NumPy) against PyG's, with one
    upstream gradient on the output and one on the attention coefficients."""
    options["fill_value"] = _fill(options.get("fill_value", "mean"), options.get("edge_dim"))
    ref = _reference(in_channels, out_channels, seed, **options)
    ours = _ours(ref, in_channels, out_channels, **options)
    results, upstream = [], None
    for module in (ref, ours):
        xs = _leaves(*x) if isinstance(x, tuple) else _leaves(x)[0]
        (ea,) = _leaves(edge_attr)
        out, ei, alpha = _run(module, xs if not isinstance(xs, list) else tuple(xs), edge_index, ea, size)
        if upstream is None:
            rng = np.random.default_rng(seed + 1)
            upstream = _t(rng.normal(size=out.shape)), _t(rng.normal(size=alpha.shape))
        loss = (out * upstream[0]).sum() + (alpha * upstream[1]).sum()
        inputs = [t for t in (xs if isinstance(xs, list) else [xs]) + [ea] if t is not None and t.requires_grad]
        params = dict(module.named_parameters())
        grads = torch.autograd.grad(loss, inputs + list(params.values()), allow_unused=True)
        grads = [torch.zeros_like(t) if g is None else g for t, g in zip(inputs + list(params.values()), grads)]
        results.append((out, ei, alpha, grads[: len(inputs)], dict(zip(params, grads[len(inputs):]))))
    results.append(_numpy_run(ref, in_channels, out_channels, x, edge_index, edge_attr, size, *upstream, options))
    out_r, ei_r, a_r, gi_r, gp_r = results[0]
    for out_o, ei_o, a_o, gi_o, gp_o in results[1:]:
        torch.testing.assert_close(torch.as_tensor(out_o), out_r, **TOL)
        assert np.array_equal(np.asarray(ei_o), ei_r.numpy())
        torch.testing.assert_close(torch.as_tensor(a_o), a_r, **TOL)
        assert len(gi_o) == len(gi_r)
        for g_o, g_r in zip(gi_o, gi_r):
            torch.testing.assert_close(torch.as_tensor(g_o), g_r, **TOL)
        assert set(gp_o) == set(gp_r)
        for name in gp_r:
            torch.testing.assert_close(torch.as_tensor(gp_o[name]), gp_r[name], **TOL,
                                       msg=lambda m, name=name: f"{name}: {m}")
    return results[1][0], results[1][2]


def _features(rng, n, f):
    return _t(rng.normal(size=(n, f)))


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (3, False), (1, False)])
@pytest.mark.parametrize("add_self_loops", [True, False])
def test_matches_pyg_heads_concat_loops(heads, concat, add_self_loops):
    rng = np.random.default_rng(heads)
    x, edge_index = _features(rng, 7, 4), _graph(rng, 7, 7, 15)
    _compare(4, 3, x, edge_index, heads=heads, concat=concat, add_self_loops=add_self_loops)


@pytest.mark.parametrize("fill_value", FILLS)
@pytest.mark.parametrize("edge_dim,attr_rank", [(3, 2), (1, 1), (1, 2)])
def test_matches_pyg_edge_features(fill_value, edge_dim, attr_rank):
    rng = np.random.default_rng(7)
    x, edge_index = _features(rng, 6, 4), _graph(rng, 6, 6, 14)
    attr = rng.normal(size=(14, edge_dim) if attr_rank == 2 else (14,))
    _compare(4, 2, x, edge_index, _t(attr), heads=2, edge_dim=edge_dim, fill_value=fill_value)


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_edge_attr_without_edge_dim_is_ignored_as_in_pyg(add_self_loops):
    rng = np.random.default_rng(3)
    x, edge_index = _features(rng, 5, 3), _graph(rng, 5, 5, 9)
    _compare(3, 2, x, edge_index, _t(rng.normal(size=(9, 2))), heads=2, add_self_loops=add_self_loops)


@pytest.mark.parametrize("bias,residual,concat", [(False, False, True), (True, True, True), (False, True, False),
                                                  (True, True, False)])
def test_matches_pyg_bias_residual(bias, residual, concat):
    rng = np.random.default_rng(11)
    x, edge_index = _features(rng, 6, 5), _graph(rng, 6, 6, 12)
    _compare(5, 3, x, edge_index, heads=2, bias=bias, residual=residual, concat=concat)


@pytest.mark.parametrize("n_src,n_dst", [(5, 3), (3, 5), (4, 4)])
@pytest.mark.parametrize("residual", [False, True])
def test_matches_pyg_bipartite_pairs(n_src, n_dst, residual):
    rng = np.random.default_rng(n_src * 10 + n_dst)
    x = (_features(rng, n_src, 3), _features(rng, n_dst, 4))
    fill = "mean" if n_dst <= n_src else 0.5  # PyG's reduce fill fails when targets lie beyond min(N_s, N_t)
    _compare((3, 4), 2, x, _graph(rng, n_src, n_dst, 10), heads=2, residual=residual, edge_dim=2,
             edge_attr=_t(rng.normal(size=(10, 2))), fill_value=fill)


def test_reduce_fill_with_targets_beyond_the_looped_nodes_is_a_clear_error():
    rng = np.random.default_rng(1)
    x, edge_index = (_features(rng, 2, 3), _features(rng, 4, 3)), torch.tensor([[0, 1], [3, 0]])
    attr = _t(rng.normal(size=(2, 2)))
    with pytest.raises(RuntimeError):  # PyG: an index error inside its scatter
        _reference((3, 3), 2, edge_dim=2)(x, edge_index, attr)
    with pytest.raises(ValueError, match="only 2 nodes get one"):
        tg.GATConv((3, 3), 2, edge_dim=2, device="cpu", dtype=torch.float64)(x, edge_index, attr)


def test_matches_pyg_bipartite_layer_on_one_matrix_and_shared_layer_on_pairs():
    rng = np.random.default_rng(5)
    x, edge_index = _features(rng, 6, 3), _graph(rng, 6, 6, 11)
    _compare((3, 3), 2, x, edge_index, heads=2, residual=True)
    _compare(3, 2, (x, _features(rng, 4, 3)), _graph(rng, 6, 4, 9), heads=2, residual=True)


def test_matches_pyg_without_target_features_and_with_size():
    rng = np.random.default_rng(9)
    xs = _features(rng, 6, 3)
    _compare((3, 4), 2, (xs, None), _graph(rng, 6, 6, 10), heads=2, residual=True)
    _compare((3, 4), 2, (xs, None), _graph(rng, 6, 4, 10), size=(6, 4), heads=2)
    _compare(3, 2, (xs, _features(rng, 4, 3)), _graph(rng, 6, 4, 10), size=(6, 4), heads=2)


@pytest.mark.parametrize("aggr", ["add", "sum", "mean", "max", "min", "mul"])
@pytest.mark.parametrize("concat", [True, False])
def test_matches_pyg_aggregations(aggr, concat):
    """PyG's layer passes ``aggr`` on to MessagePassing: the weighted messages reduced another way."""
    rng = np.random.default_rng(12)
    _compare(3, 2, _features(rng, 7, 3), _graph(rng, 7, 7, 16), heads=2, concat=concat, aggr=aggr, edge_dim=2,
             edge_attr=_t(rng.normal(size=(16, 2))))


@pytest.mark.parametrize("negative_slope", [0.2, 0.0, 1.0, -0.5, 3.0])
def test_matches_pyg_negative_slope(negative_slope):
    rng = np.random.default_rng(2)
    _compare(3, 2, _features(rng, 6, 3), _graph(rng, 6, 6, 12), heads=2, negative_slope=negative_slope)


@pytest.mark.parametrize("n,n_edges,add_self_loops", [(1, 0, True), (1, 0, False), (4, 0, True), (4, 0, False),
                                                     (3, 2, False), (0, 0, True), (0, 0, False)])
def test_matches_pyg_small_and_empty_graphs(n, n_edges, add_self_loops):
    rng = np.random.default_rng(n)
    _compare(3, 2, _features(rng, n, 3), _graph(rng, n, n, n_edges), heads=2, add_self_loops=add_self_loops,
             edge_dim=2, edge_attr=_t(rng.normal(size=(n_edges, 2))))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_matches_pyg_on_random_graphs(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    bipartite = data.draw(st.booleans())
    n_src = data.draw(st.integers(1, 8))
    n_dst = data.draw(st.integers(1, 8)) if bipartite else n_src
    n_edges = data.draw(st.integers(0, 20))
    in_src, in_dst = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    edge_dim = data.draw(st.sampled_from([None, 1, 3]))
    options = dict(heads=data.draw(st.integers(1, 3)), concat=data.draw(st.booleans()),
                   negative_slope=data.draw(st.sampled_from([0.2, 0.01, 0.5])),
                   add_self_loops=data.draw(st.booleans()), edge_dim=edge_dim,
                   fill_value=data.draw(st.sampled_from(FILLS)), bias=data.draw(st.booleans()),
                   residual=data.draw(st.booleans()), aggr=data.draw(st.sampled_from(["add", "mean", "max"])))
    x = (_features(rng, n_src, in_src), _features(rng, n_dst, in_dst)) if bipartite else _features(rng, n_src, in_src)
    attr = None
    if edge_dim is not None or data.draw(st.booleans()):
        attr = _t(rng.normal(size=(n_edges,) if edge_dim == 1 and data.draw(st.booleans()) else
                             (n_edges, edge_dim or 2)))
    if n_dst > n_src and isinstance(options["fill_value"], str) and options["add_self_loops"] and attr is not None:
        options["fill_value"] = 0.5  # PyG fails there (see the test of that error below)
    _compare((in_src, in_dst) if bipartite else in_src, data.draw(st.integers(1, 3)), x,
             _graph(rng, n_src, n_dst, n_edges), attr, seed=data.draw(st.integers(0, 99)), **options)


@pytest.mark.parametrize("concat", [True, False])
def test_training_dropout_uses_torchs_mask(concat):
    """Seeded alike, F.dropout draws the same mask in both layers, so training mode matches too."""
    rng = np.random.default_rng(4)
    x, edge_index = _features(rng, 8, 3), _graph(rng, 8, 8, 20)
    ref = _reference(3, 2, heads=2, concat=concat, dropout=0.5).train()
    ours = _ours(ref, 3, 2, heads=2, concat=concat, dropout=0.5).train()
    torch.manual_seed(0)
    out_r, (_, a_r) = ref(x, edge_index, return_attention_weights=True)
    torch.manual_seed(0)
    out_o, (_, a_o) = ours(x, edge_index, return_attention_weights=True)
    torch.testing.assert_close(out_o, out_r, **TOL)
    torch.testing.assert_close(a_o, a_r, **TOL)
    assert (a_o == 0).any() and (a_o > 1).any()  # some dropped, survivors scaled by 1 / (1 - p)
    ours.eval()
    out_eval, (_, a_eval) = ours(x, edge_index, return_attention_weights=True)
    torch.testing.assert_close(out_eval, ref.eval()(x, edge_index), **TOL)
    assert not (a_eval == 0).any()


def test_dropout_limits():
    rng = np.random.default_rng(6)
    x, edge_index = _features(rng, 6, 3), _graph(rng, 6, 6, 12)
    ref = _reference(3, 2, heads=2, residual=True, dropout=1.0)
    ours = _ours(ref, 3, 2, heads=2, residual=True, dropout=1.0).train()
    out, (_, alpha) = ours(x, edge_index, return_attention_weights=True)
    assert torch.equal(alpha, torch.zeros_like(alpha))  # every coefficient dropped: only skip and bias remain
    torch.testing.assert_close(out, x @ ours.res.weight.T + ours.bias, **TOL)
    no_drop = _ours(ref, 3, 2, heads=2, residual=True, dropout=0.0)
    torch.testing.assert_close(no_drop.train()(x, edge_index), ours.eval()(x, edge_index), **TOL)


def test_return_attention_weights_and_stored_attention():
    rng = np.random.default_rng(8)
    x, edge_index = _features(rng, 5, 3), _graph(rng, 5, 5, 8)
    ours = _ours(_reference(3, 2, heads=2), 3, 2, heads=2)
    assert torch.is_tensor(ours(x, edge_index)) and torch.is_tensor(ours(x, edge_index,
                                                                        return_attention_weights=False))
    out, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    assert ours.attention[0] is ei and ours.attention[1] is alpha
    assert ei.shape == (2, 8 - int((edge_index[0] == edge_index[1]).sum()) + 5) and alpha.shape == (ei.shape[1], 2)
    sums = torch.zeros(5, 2, dtype=torch.float64).index_add_(0, ei[1], alpha)
    torch.testing.assert_close(sums, torch.ones(5, 2, dtype=torch.float64), **TOL)  # each node's weights sum to 1


@pytest.mark.parametrize("options", [dict(), dict(heads=3, edge_dim=2, residual=True, concat=False),
                                     dict(in_channels=(3, 5), residual=True, bias=False)])
def test_state_dict_keys_shapes_and_both_ways(options):
    in_channels = options.pop("in_channels", 4)
    ref = PyGGATConv(in_channels, 2, **options).double()
    ours = tg.GATConv(in_channels, 2, device="cpu", dtype=torch.float64, rng=np.random.default_rng(0), **options)
    assert list(ours.state_dict()) == list(ref.state_dict()) == param_names(
        in_channels, options.get("edge_dim"), options.get("bias", True), options.get("residual", False))
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    ref.load_state_dict(ours.state_dict())  # ours -> PyG, strict
    for k, v in ours.state_dict().items():
        assert torch.equal(ref.state_dict()[k], v)


def test_initialization_as_pyg_draws_it():
    """Glorot-uniform bounds sqrt(6 / (fan_a + fan_b)) over the last two axes, bias zero; one rng, one layer."""
    params = gat_init(40, 30, heads=5, edge_dim=20, residual=True, rng=np.random.default_rng(0))
    for name, (a, b) in {"lin.weight": (150, 40), "att_src": (5, 30), "lin_edge.weight": (150, 20),
                         "res.weight": (150, 40)}.items():
        bound = np.sqrt(6 / (a + b))
        assert np.abs(params[name]).max() <= bound and np.abs(params[name]).max() > 0.95 * bound
    assert not params["bias"].any()
    again = tg.GATConv(40, 30, heads=5, edge_dim=20, residual=True, rng=np.random.default_rng(0), device="cpu",
                       dtype=torch.float64)
    for name, value in again.state_dict().items():
        assert np.array_equal(value.numpy(), params[name])
    ref = PyGGATConv(40, 30, heads=5, edge_dim=20, residual=True)
    for name, value in ref.state_dict().items():  # PyG's own draw lies within the same bounds
        if name != "bias":
            assert value.abs().max() <= np.sqrt(6 / sum(value.shape[-2:])) + 1e-6


@pytest.mark.parametrize("options,match", [
    (dict(in_channels=-1), "lazy"), (dict(in_channels=0), "in_channels"), (dict(out_channels=0), "out_channels"),
    (dict(heads=0), "heads"), (dict(dropout=1.5), "dropout"), (dict(dropout=-0.1), "dropout"),
    (dict(edge_dim=0), "edge_dim"), (dict(fill_value="median"), "fill_value"), (dict(concat="yes"), "concat"),
    (dict(negative_slope=float("nan")), "negative_slope"), (dict(in_channels=(3, 4, 5)), "pair"),
    (dict(aggr="softmax"), "aggr")])
def test_constructor_errors(options, match):
    args = dict(in_channels=3, out_channels=2) | options
    with pytest.raises(ValueError, match=match):
        tg.GATConv(args.pop("in_channels"), args.pop("out_channels"), device="cpu", **args)


def test_forward_errors():
    layer = tg.GATConv(3, 2, heads=2, edge_dim=2, device="cpu", dtype=torch.float64)
    x, edge_index = torch.zeros(4, 3, dtype=torch.float64), torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="features"):
        layer(torch.zeros(4, 5, dtype=torch.float64), edge_index)
    with pytest.raises(ValueError, match="edge_index"):
        layer(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="negative"):
        layer(x, torch.tensor([[0, -1], [1, 2]]))
    with pytest.raises(ValueError, match="integer"):
        layer(x, edge_index.double())
    with pytest.raises(ValueError, match="edge_dim"):
        layer(x, edge_index, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="num_edges"):
        layer(x, edge_index, torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="size"):
        layer(x, edge_index, size=(5, 4))


# ------------------------------------------------------------------ the NumPy backward by finite differences

def _rel_error(a, b):
    return np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b))


def _finite_differences(in_channels, out_channels, x, edge_index, edge_attr=None, size=None, training=False,
                        **options):
    """The NumPy layer's dx, d edge_attr and parameter gradients against centred differences of
    L = sum(out * R) + sum(alpha * S); in training the dropout mask is redrawn from the same seed each time."""
    rng = np.random.default_rng(0)
    net = npg.GATConv(in_channels, out_channels, **options).train(training)
    net.load_state_dict({k: rng.normal(0, 0.6, v.shape) for k, v in net.state_dict().items()})

    def forward():
        net.rng = np.random.default_rng(5)
        return net(x, edge_index, edge_attr, size, return_attention_weights=True)

    out, (_, alpha) = forward()
    weights_out, weights_alpha = rng.normal(size=out.shape), rng.normal(size=alpha.shape)
    dx = net.backward(weights_out, weights_alpha)
    analytic = dict(net.grads, edge_attr=net.grads_inputs["edge_attr"])
    arrays = dict(net._params, edge_attr=edge_attr)
    for i, (xi, dxi) in enumerate(zip(x, dx) if isinstance(x, tuple) else [(x, dx)]):
        arrays[f"x{i}"], analytic[f"x{i}"] = xi, dxi

    def loss():
        out, (_, alpha) = forward()
        return float(np.sum(out * weights_out) + np.sum(alpha * weights_alpha))

    checked = 0
    for name, array in arrays.items():
        if array is None:
            continue
        numeric = numerical_gradient(loss, array)
        # a gradient that is zero in exact arithmetic (a_t's, when every score into a node has one sign, so
        # that a_t · h_i shifts the whole softmax group) compares its rounding noise: allow 1e-8 absolute
        assert _rel_error(analytic[name], numeric) < 1e-7 or np.abs(analytic[name] - numeric).max() < 1e-8, name
        checked += bool(np.abs(numeric).max() > 1e-6)
    assert checked >= 4  # the check looked at gradients that are not all zero


def _small(rng, n_src, n_dst, n_edges, in_src=3, in_dst=None, edge_dim=None, attr_rank=2):
    x = rng.normal(size=(n_src, in_src))
    if in_dst is not None:
        x = (x, None if n_dst is None else rng.normal(size=(n_dst, in_dst)))
    edge_index = _graph(rng, n_src, n_dst or n_src, n_edges).numpy()
    attr = None
    if edge_dim is not None:
        attr = rng.normal(size=(n_edges, edge_dim) if attr_rank == 2 else (n_edges,))
    return x, edge_index, attr


@pytest.mark.parametrize("options,graph", [
    (dict(heads=2), dict()),
    (dict(heads=3, concat=False, residual=True, negative_slope=0.1), dict()),
    (dict(heads=2, add_self_loops=False, bias=False), dict()),
    (dict(heads=2, edge_dim=2, fill_value="mean"), dict(edge_dim=2)),
    (dict(heads=2, edge_dim=2, fill_value="max"), dict(edge_dim=2)),
    (dict(heads=1, edge_dim=1, fill_value="mul"), dict(edge_dim=1, attr_rank=1)),
    (dict(heads=2, edge_dim=2, fill_value=0.5, residual=True), dict(edge_dim=2)),
    (dict(heads=2, in_channels=(3, 4), residual=True, edge_dim=2, fill_value="add"),
     dict(n_dst=4, in_dst=4, edge_dim=2)),
    (dict(heads=2, in_channels=(3, 4)), dict(n_dst=None, in_dst=4)),
    (dict(heads=2, in_channels=3, residual=True), dict(n_dst=4, in_dst=3)),
    (dict(heads=2, dropout=0.4, training=True), dict()),
    (dict(heads=2, aggr="mean", edge_dim=2), dict(edge_dim=2)),
    (dict(heads=2, aggr="max", concat=False), dict()),
    (dict(heads=2, aggr="mul"), dict()),
])
def test_numpy_backward_matches_finite_differences(options, graph):
    rng = np.random.default_rng(len(str(options)))
    graph = dict(n_src=6, n_dst=6, n_edges=14) | graph
    x, edge_index, attr = _small(rng, **graph)
    in_channels = options.pop("in_channels", 3)
    _finite_differences(in_channels, 2, x, edge_index, attr, **options)


def test_numpy_dropout_draws_from_its_rng():
    """Each coefficient is dropped with probability p and the survivors scaled by 1 / (1 - p); p = 1 drops
    all of them (then only the skip connection and the bias reach the output), and eval mode drops none."""
    rng = np.random.default_rng(0)
    x, edge_index = rng.normal(size=(200, 3)), rng.integers(0, 200, size=(2, 2000))
    net = npg.GATConv(3, 2, heads=2, dropout=0.3, residual=True, rng=np.random.default_rng(1))
    out, (_, alpha) = net(x, edge_index, return_attention_weights=True)
    _, (_, clean) = net.eval()(x, edge_index, return_attention_weights=True)
    dropped = alpha == 0
    assert abs(dropped.mean() - 0.3) < 0.02
    np.testing.assert_allclose(alpha[~dropped], clean[~dropped] / 0.7, rtol=1e-12)
    net.dropout = 1.0
    out, (_, alpha) = net.train()(x, edge_index, return_attention_weights=True)
    assert not alpha.any()
    np.testing.assert_allclose(out, x @ net.state_dict()["res.weight"].T + net.state_dict()["bias"], rtol=1e-12)
    net.backward(np.ones_like(out))
    assert not net.grads["att_src"].any() and not net.grads["lin.weight"].any()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_permutation_equivariance(backend):
    """Relabelling the nodes permutes the outputs' rows and the input gradient's rows, and nothing else."""
    rng = np.random.default_rng(3)
    n = 7
    x, edge_index, attr = rng.normal(size=(n, 3)), _graph(rng, n, n, 16).numpy(), rng.normal(size=(16, 2))
    perm = rng.permutation(n)  # new label of old node i is perm[i]
    x_perm = np.empty_like(x)
    x_perm[perm] = x
    dout = rng.normal(size=(n, 4))
    dout_perm = np.empty_like(dout)
    dout_perm[perm] = dout
    results = []
    for xs, ei, d in ((x, edge_index, dout), (x_perm, perm[edge_index], dout_perm)):
        if backend == "numpy":
            net = npg.GATConv(3, 2, heads=2, edge_dim=2, rng=np.random.default_rng(0))
            out = net(xs, ei, attr)
            results.append((out, net.backward(d)))
        else:
            net = tg.GATConv(3, 2, heads=2, edge_dim=2, rng=np.random.default_rng(0), device="cpu",
                             dtype=torch.float64)
            xt = _t(xs).requires_grad_(True)
            out = net(xt, torch.as_tensor(ei), _t(attr))
            (out * _t(d)).sum().backward()
            results.append((out.detach().numpy(), xt.grad.numpy()))
    (out, dx), (out_p, dx_p) = results
    np.testing.assert_allclose(out_p[perm], out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx_p[perm], dx, rtol=1e-10, atol=1e-12)


def test_numpy_and_torch_layers_draw_the_same_weights_and_agree():
    rng_np, rng_t = np.random.default_rng(2), np.random.default_rng(2)
    net = npg.GATConv((3, 4), 5, heads=2, edge_dim=2, residual=True, rng=rng_np)
    twin = tg.GATConv((3, 4), 5, heads=2, edge_dim=2, residual=True, rng=rng_t, device="cpu", dtype=torch.float64)
    for name, value in twin.state_dict().items():
        assert np.array_equal(value.numpy(), net.state_dict()[name])
    rng = np.random.default_rng(0)
    x, edge_index, attr = (rng.normal(size=(5, 3)), rng.normal(size=(4, 4))), _graph(rng, 5, 4, 9), rng.normal(size=(9, 2))
    out, (ei, alpha) = net(x, edge_index.numpy(), attr, return_attention_weights=True)
    out_t = twin(tuple(_t(a) for a in x), edge_index, _t(attr), return_attention_weights=True)
    np.testing.assert_allclose(out, out_t[0].detach().numpy(), rtol=1e-12)
    assert net.attention[0] is ei and np.array_equal(ei, twin.attention[0].numpy())
    twin.load_state_dict({k: torch.as_tensor(v) for k, v in net.state_dict().items()})


@pytest.mark.parametrize("options,match", [
    (dict(in_channels=-1), "lazy"), (dict(in_channels=0), "in_channels"), (dict(heads=0), "heads"),
    (dict(dropout=1.5), "dropout"), (dict(fill_value="median"), "fill_value"), (dict(residual=1), "residual"),
    (dict(aggr="median"), "aggr")])
def test_numpy_constructor_errors(options, match):
    args = dict(in_channels=3, out_channels=2) | options
    with pytest.raises(ValueError, match=match):
        npg.GATConv(args.pop("in_channels"), args.pop("out_channels"), **args)


def test_numpy_forward_and_state_errors():
    net = npg.GATConv(3, 2, heads=2, edge_dim=2)
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward(np.zeros((4, 4)))
    x, edge_index = np.zeros((4, 3)), np.array([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="features"):
        net(np.zeros((4, 5)), edge_index)
    with pytest.raises(ValueError, match="out of range"):
        net(x, np.array([[0, 4], [1, 2]]))
    with pytest.raises(ValueError, match="edge_dim"):
        net(x, edge_index, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        net.load_state_dict(dict(net.state_dict(), att_src=np.zeros((1, 3, 2))))
    with pytest.raises(ValueError, match="missing"):
        net.load_state_dict({k: v for k, v in net.state_dict().items() if k != "bias"})
    with pytest.raises(ValueError, match="att_src"):
        npg.gat_conv(x, edge_index, {k: v for k, v in net.state_dict().items() if k != "att_src"}, heads=2)
