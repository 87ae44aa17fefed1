"""Node classification: the NumPy stack of graph convolutions against finite differences, its torch twin and
PyG's GCNConv in the same model (values, gradients, whole training runs in float64); the over-smoothing
measures against values worked out by hand."""

import dataclasses

import numpy as np
import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv
from torch_geometric.nn import GCNConv as PyGGCNConv
from torch_geometric.nn import SAGEConv as PyGSAGEConv

from companion.data.karate import karate_club
from companion.node_classification import (GNN, TorchGNN, accuracy, mean_pairwise_distance, predict_torch,
                                           run_numpy, smoothing_curve, train_numpy, train_torch)
from companion.np.graph import normalized_adjacency, adjacency_matrix
from tests.finite_differences import entrywise_rel_error, numerical_gradient

# a small directed graph with a multi-edge, a self-loop and an isolated node (5)
EDGES = np.array([[0, 1, 1, 2, 3, 3, 4, 2, 2], [1, 0, 2, 3, 1, 1, 4, 0, 4]])
CONFIGS = [("gcn", "mean"), ("sage", "mean"), ("sage", "sum"), ("sage", "max"), ("gat", "mean")]
PYG = {"gcn": PyGGCNConv, "sage": PyGSAGEConv, "gat": PyGGATConv}


def small_data(rng=0, n=6, f=3):
    rng = np.random.default_rng(rng)
    y = np.array([0, 1, 0, 1, 1, 0])
    return dataclasses.replace(karate_club(), x=rng.normal(size=(n, f)), edge_index=EDGES, y=y,
                               train_mask=np.array([True, True, False, False, True, False]))


@pytest.mark.parametrize("layer, aggr", CONFIGS)
def test_numpy_backward_matches_finite_differences(layer, aggr):
    data = small_data()
    model = GNN([3, 4, 4, 2], layer=layer, aggr=aggr, heads=2, rng=1)
    x = data.x.copy()
    dout = np.random.default_rng(2).normal(size=(6, 2))
    model.forward(x, EDGES)
    dx = model.backward(dout)
    params = model.parameters()

    def loss():
        model.load_state_dict(params)
        return float((model.forward(x, EDGES) * dout).sum())

    assert entrywise_rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    for name, value in params.items():
        assert entrywise_rel_error(model.grads[name], numerical_gradient(loss, value)) < 1e-6, name


@pytest.mark.parametrize("layer, aggr", CONFIGS)
def test_torch_twin_and_pyg_layers_equal_numpy_in_values_and_gradients(layer, aggr):
    data = small_data()
    ours = GNN([3, 5, 2], layer=layer, aggr=aggr, heads=3, rng=3)
    pyg = PYG[layer]
    dout = np.random.default_rng(4).normal(size=(6, 2))
    out = ours.forward(data.x, EDGES)
    dx = ours.backward(dout)
    for conv in (None, pyg):
        twin = TorchGNN([3, 5, 2], layer=layer, aggr=aggr, heads=3, conv=conv, rng=3, device="cpu",
                        dtype=torch.float64)
        if conv is not None:
            assert all(isinstance(c, pyg) for c in twin.convs)
        assert list(twin.state_dict()) == list(ours.state_dict())
        x = torch.tensor(data.x, requires_grad=True)
        out_t = twin(x, torch.as_tensor(EDGES))
        (out_t * torch.as_tensor(dout)).sum().backward()
        np.testing.assert_allclose(out_t.detach().numpy(), out, atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), dx, atol=1e-12)
        for name, param in twin.named_parameters():
            np.testing.assert_allclose(param.grad.numpy(), ours.grads[name], atol=1e-12, err_msg=name)
        np.testing.assert_allclose(twin.hidden.detach().numpy(), ours.hidden, atol=1e-12)


def test_training_runs_agree_across_numpy_twin_and_pyg():
    data = karate_club()
    ours = GNN([34, 8, 2], rng=0)
    history = train_numpy(ours, data, epochs=12, lr=0.05, record_every=4)
    assert history.steps == [0, 4, 8, 12] and len(history.losses) == 12
    assert history.losses[-1] < history.losses[0]
    for conv in (None, PyGGCNConv):
        twin = TorchGNN([34, 8, 2], conv=conv, rng=0, device="cpu", dtype=torch.float64)
        theirs = train_torch(twin, data, epochs=12, lr=0.05, record_every=4)
        np.testing.assert_allclose(theirs.losses, history.losses, rtol=1e-10)
        np.testing.assert_allclose(np.array(theirs.snapshots), np.array(history.snapshots), atol=1e-10)
        assert theirs.accuracies == history.accuracies
        np.testing.assert_allclose(predict_torch(twin, data), ours.forward(data.x, data.edge_index), atol=1e-10)
        assert not twin.training


def test_history_records_logits_and_unlabelled_accuracy():
    data = karate_club()
    model = GNN([34, 4, 2], rng=1)
    history = train_numpy(model, data, epochs=3, lr=0.01, record_every=1)
    assert history.steps == [0, 1, 2, 3]
    for logits, acc in zip(history.snapshots, history.accuracies):
        assert logits.shape == (34, 2) and acc == accuracy(logits, data.y, data.test_mask)
    np.testing.assert_allclose(history.snapshots[-1], model.forward(data.x, data.edge_index))
    assert train_numpy(GNN([34, 4, 2], rng=1), data, epochs=3).steps == []


def test_without_edges_the_gcn_is_an_mlp():
    # no edges: only the self-loops remain, D̂^-1/2 (0 + I) D̂^-1/2 = I, and each layer is x W^T + b
    data = karate_club()
    model = GNN([34, 4, 2], rng=5)
    p = model.parameters()
    hidden = np.maximum(data.x @ p["convs.0.lin.weight"].T + p["convs.0.bias"], 0)
    expected = hidden @ p["convs.1.lin.weight"].T + p["convs.1.bias"]
    np.testing.assert_allclose(model.forward(data.x, np.zeros((2, 0), dtype=np.int64)), expected, atol=1e-14)


def test_accuracy_on_a_mask():
    logits = np.array([[2.0, 1.0], [0.0, 1.0], [3.0, -1.0], [0.0, 5.0]])
    y = np.array([0, 1, 1, 0])
    assert accuracy(logits, y) == 0.5
    assert accuracy(logits, y, np.array([True, True, False, False])) == 1.0
    assert accuracy(logits, y, np.array([False, False, True, True])) == 0.0


def test_mean_pairwise_distance_by_hand():
    assert mean_pairwise_distance(np.array([[1.0, 0.0], [0.0, 3.0]])) == pytest.approx(np.sqrt(2))
    assert mean_pairwise_distance(np.array([[1.0, 1.0], [2.0, 2.0], [5.0, 5.0]])) == 0.0   # one direction
    h = np.random.default_rng(0).normal(size=(5, 3))
    pairs = [np.linalg.norm(h[i] / np.linalg.norm(h[i]) - h[j] / np.linalg.norm(h[j]))
             for i in range(5) for j in range(5) if i != j]
    assert mean_pairwise_distance(h) == pytest.approx(np.mean(pairs))
    assert mean_pairwise_distance(h * np.arange(1, 6)[:, None]) == pytest.approx(np.mean(pairs))  # per-row scale
    assert mean_pairwise_distance(np.array([[0.0, 0.0], [1.0, 0.0]])) == pytest.approx(1.0)       # zero row
    with pytest.raises(ValueError, match="at least two rows"):
        mean_pairwise_distance(np.ones((1, 3)))


def test_smoothing_curve_is_repeated_gcn_propagation_and_flattens():
    data = karate_club()
    a_hat = normalized_adjacency(adjacency_matrix(data.edge_index, 34))
    depths = [0, 1, 3]
    expected = [mean_pairwise_distance(np.linalg.matrix_power(a_hat, k) @ data.x) for k in depths]
    np.testing.assert_allclose(smoothing_curve(data.x, data.edge_index, depths), expected, rtol=1e-10)
    curve = smoothing_curve(data.x, data.edge_index, [0, 2, 8, 32, 128])
    assert np.all(np.diff(curve) < 0) and curve[-1] < 1e-3 * curve[0]
    mean_curve = smoothing_curve(data.x, data.edge_index, [1, 2], aggr="mean")
    a = adjacency_matrix(data.edge_index, 34) + np.eye(34)
    walk = a / a.sum(1, keepdims=True)
    assert mean_curve[1] == pytest.approx(mean_pairwise_distance(walk @ walk @ data.x))
    # max of one-hot features: after as many rounds as the graph's diameter (5) every node has seen every node
    np.testing.assert_allclose(smoothing_curve(data.x, data.edge_index, [5], aggr="max"), [0.0])
    with pytest.raises(ValueError, match="increasing"):
        smoothing_curve(data.x, data.edge_index, [2, 1])
    with pytest.raises(ValueError, match="aggr"):
        smoothing_curve(data.x, data.edge_index, [1], aggr="median")


def test_run_numpy_reports_the_trained_model():
    data = karate_club()
    result = run_numpy(data, num_layers=2, hidden=8, epochs=30, lr=0.05, seed=0)
    model = GNN([34, 8, 2], rng=0)
    train_numpy(model, data, epochs=30, lr=0.05)
    logits = model.forward(data.x, data.edge_index)
    np.testing.assert_allclose(result.logits, logits)
    assert result.accuracy == accuracy(logits, data.y, data.test_mask) > 0.8
    assert result.spread == pytest.approx(mean_pairwise_distance(model.hidden))
    assert run_numpy(data, num_layers=1, epochs=2).hidden.shape == (34, 34)          # one layer reads x itself


@pytest.mark.parametrize("kwargs, message", [
    ({"channels": [3], "layer": "gcn"}, "channels must list"),
    ({"channels": [3, 0, 2], "layer": "gcn"}, "channels must list"),
    ({"channels": [3, 2], "layer": "gin"}, "layer"),
])
def test_bad_models(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GNN(**kwargs)
    with pytest.raises(ValueError, match=message):
        TorchGNN(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"lr": 0.0}, "learning rate must be positive"),
    ({"record_every": 0}, "record_every"),
])
def test_bad_training_arguments(kwargs, message):
    data = karate_club()
    with pytest.raises(ValueError, match=message):
        train_numpy(GNN([34, 2]), data, **kwargs)
    with pytest.raises(ValueError, match=message):
        train_torch(TorchGNN([34, 2], device="cpu"), data, **kwargs)
    with pytest.raises(ValueError, match="num_layers"):
        run_numpy(data, num_layers=0)
