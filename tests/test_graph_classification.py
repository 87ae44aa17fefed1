"""companion.graph_classification: the graph classifier equals the same model built from PyTorch Geometric's
layers (float64, copied weights), its predictions do not depend on how atoms are numbered or graphs batched,
and the page's story holds: one round of message passing finds the carboxylic acids, counts do not."""

import numpy as np
import pytest
import torch
import torch_geometric.nn as pyg

from companion.data.molecules import fingerprint, molecules
from companion.graph_classification import (FingerprintMLP, GraphBatch, GraphClassifier, accuracy,
                                            compare_on_molecules, gnn_name, graph_batch, train_fingerprint_mlp,
                                            train_graph_classifier)

CPU = torch.device("cpu")
POOLS = {"sum": pyg.global_add_pool, "mean": pyg.global_mean_pool, "max": pyg.global_max_pool}


@pytest.fixture(scope="module")
def mols():
    return molecules(12, rng=1)


def model(**kw):
    kw = dict(dict(hidden_channels=8, rng=0, dtype=torch.float64, device=CPU), **kw)
    return GraphClassifier(5, **kw)


def pyg_twin(ours, conv, readout):
    """The same network from torch_geometric.nn's layers, with our weights copied in."""
    layers = [(pyg.GCNConv if conv == "gcn" else pyg.SAGEConv)(c.in_channels, c.out_channels).double()
              for c in ours.convs]
    for theirs, mine in zip(layers, ours.convs):
        theirs.load_state_dict({k: v.detach().clone() for k, v in mine.state_dict().items()})

    def forward(x, edge_index, batch, size):
        h = x
        for layer in layers:
            h = torch.relu(layer(h, edge_index))
        return torch.nn.functional.linear(POOLS[readout](h, batch, size), ours.head.weight, ours.head.bias)
    return forward, layers


@pytest.mark.parametrize("conv", ["gcn", "sage"])
@pytest.mark.parametrize("readout", ["sum", "mean", "max"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_equals_pyg_values_and_gradients(mols, conv, readout, num_layers):
    ours = model(conv=conv, readout=readout, num_layers=num_layers)
    theirs, layers = pyg_twin(ours, conv, readout)
    data = graph_batch(mols, dtype=torch.float64, device=CPU)
    x1 = data.x.clone().requires_grad_()
    x2 = data.x.clone().requires_grad_()
    out1 = ours(x1, data.edge_index, data.batch, data.num_graphs)
    out2 = theirs(x2, data.edge_index, data.batch, data.num_graphs)
    torch.testing.assert_close(out1, out2, rtol=1e-12, atol=1e-12)
    weights = torch.randn_like(out1)
    (out1 * weights).sum().backward()
    (out2 * weights).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-12)
    for mine, other in zip(ours.convs, layers):
        mine_grads = {k: p.grad for k, p in mine.named_parameters()}
        for k, p in other.named_parameters():
            torch.testing.assert_close(mine_grads[k], p.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("num_layers", [0, 1, 2])
@pytest.mark.parametrize("readout", ["sum", "mean", "max"])
def test_invariant_to_atom_numbering_and_batching(mols, num_layers, readout):
    net = model(num_layers=num_layers, readout=readout)
    data = graph_batch(mols, dtype=torch.float64, device=CPU)
    out = net(data.x, data.edge_index, data.batch, data.num_graphs)
    perm = torch.as_tensor(np.random.default_rng(0).permutation(len(data.x)))
    new_id = torch.empty_like(perm)
    new_id[perm] = torch.arange(len(perm))
    shuffled = net(data.x[perm], new_id[data.edge_index], data.batch[perm], data.num_graphs)
    torch.testing.assert_close(out, shuffled, rtol=1e-10, atol=1e-12)
    alone = graph_batch(mols[3:4], dtype=torch.float64, device=CPU)
    torch.testing.assert_close(out[3:4], net(alone.x, alone.edge_index, alone.batch, 1), rtol=1e-10, atol=1e-12)


def test_no_message_passing_sees_only_the_atoms(mols):
    """With 0 layers, shuffling the bonds changes nothing: the baseline reads atom types alone."""
    net = model(num_layers=0, readout="sum")
    data = graph_batch(mols, dtype=torch.float64, device=CPU)
    rewired = torch.zeros_like(data.edge_index)
    torch.testing.assert_close(net(data.x, data.edge_index, data.batch, data.num_graphs),
                               net(data.x, rewired, data.batch, data.num_graphs))
    assert not any("convs" in name for name, _ in net.named_parameters())


def test_graph_batch(mols):
    data = graph_batch(mols, device=CPU)
    assert isinstance(data, GraphBatch) and data.num_graphs == len(mols)
    assert data.x.dtype == torch.get_default_dtype() and data.edge_index.dtype == torch.int64
    assert data.y.tolist() == [m.y for m in mols]
    assert int(data.batch.max()) == len(mols) - 1


def test_fingerprint_mlp_standardizes_and_survives_constant_features(mols):
    f = fingerprint(mols)
    net = FingerprintMLP(f.mean(axis=0), f.std(axis=0), hidden=4, rng=0, dtype=torch.float64, device=CPU)
    assert torch.all(net.std > 0)                    # constant columns (e.g. F=F bonds) get std 1, not 0
    assert torch.isfinite(net(f)).all()
    z = (torch.as_tensor(f) - net.mean) / net.std
    torch.testing.assert_close(net(f), net.out(torch.relu(net.hidden(z))))


def test_mini_batches_and_full_batch_both_learn(mols):
    train = molecules(60, rng=2)
    for batch_size in (None, 16):
        net = model(num_layers=1, rng=1)
        losses = train_graph_classifier(net, train, epochs=15, lr=0.03, batch_size=batch_size, seed=0)
        assert len(losses) == 15 and losses[-1] < losses[0]
    assert not net.training                           # eval mode after training, as adam_epochs leaves it


def test_the_story_one_layer_finds_acids_counts_do_not():
    """The page's claim on one seed: a 1-layer GCN with a max readout classifies held-out molecules almost
    perfectly; the fingerprint MLP fits part of its training set but is near chance on new molecules, and
    so is the network without message passing."""
    results = compare_on_molecules(seeds=(5,), n_train=160, n_test=160, device=CPU)
    assert list(results) == ["fingerprint MLP", "no message passing, max readout", "GCN, 1 layer, max readout"]
    assert results["GCN, 1 layer, max readout"]["test"][0] >= 0.95
    assert results["fingerprint MLP"]["train"][0] > results["fingerprint MLP"]["test"][0] + 0.15
    for name in ("fingerprint MLP", "no message passing, max readout"):
        assert abs(results[name]["test"][0] - 0.5) < 0.15


def test_gnn_names():
    assert gnn_name(0, "max") == "no message passing, max readout"
    assert gnn_name(1, "sum") == "GCN, 1 layer, sum readout"
    assert gnn_name(3, "mean") == "GCN, 3 layers, mean readout"


def test_accuracy_counts_correct_predictions(mols):
    net = model(num_layers=1)
    data = graph_batch(mols, dtype=torch.float64, device=CPU)
    predicted = net.predict(data).numpy()
    assert accuracy(net, mols) == np.mean(predicted == np.array([m.y for m in mols]))
    mlp, losses = train_fingerprint_mlp(mols, hidden=4, epochs=3, rng=0, device=CPU)
    assert len(losses) == 3 and 0.0 <= accuracy(mlp, mols) <= 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(readout="median"), "unknown readout 'median'"),
    (dict(conv="gat"), "unknown conv 'gat'"),
    (dict(num_layers=-1), "num_layers must be a non-negative integer"),
    (dict(hidden_channels=0), "hidden_channels must be a positive integer"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        model(**kwargs)


def test_bad_training_arguments(mols):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        train_graph_classifier(model(), mols, batch_size=0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        train_graph_classifier(model(), mols, epochs=0)
