"""Graph classification (chapter: Graph neural networks): a graph neural network with a readout, the
fingerprint MLP it is compared with, and their training and evaluation on the molecule-like graphs of
:mod:`companion.data.molecules`.

A graph classifier turns a graph into one prediction:

    h_0 = x,   h_l = ReLU(conv_l(h_{l-1}, edge_index))  (l = 1 .. L),   logits_g = W readout_g(h_L) + b,

where the readout (sum, mean or max over each graph's nodes, PyG's ``batch`` vector saying which graph a
node is in) makes the prediction the same for any numbering of the atoms. With L = 0 layers of message
passing the network sees each atom alone (h = ReLU(x W_0^T + b_0) per atom, then the readout): the baseline
that knows which atoms there are but not how they are bonded.
"""

from dataclasses import dataclass

import numpy as np
import torch

from companion import metrics
from companion._runtime import device as default_device
from companion._validate import check_choice, check_nonnegative_int, check_positive_int
from companion.data.molecules import batch_graphs, fingerprint
from companion.torch.dense import Dense
from companion.torch.gnn import GCNConv, SAGEConv
from companion.torch.graph import global_add_pool, global_max_pool, global_mean_pool
from companion.torch.losses import cross_entropy
from companion.torch.optim import adam_epochs

READOUTS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}
CONVS = {"gcn": GCNConv, "sage": SAGEConv}


@dataclass(frozen=True)
class GraphBatch:
    """Several graphs as one, as tensors: x (N, F), edge_index (2, E), batch (N,), y (G,), num_graphs G."""

    x: torch.Tensor
    edge_index: torch.Tensor
    batch: torch.Tensor
    y: torch.Tensor
    num_graphs: int


def graph_batch(graphs, dtype=None, device=None):
    """A :class:`GraphBatch` of ``graphs`` (objects with x, edge_index and an int label y), on ``device``."""
    x, edge_index, batch = batch_graphs(graphs)
    device = default_device() if device is None else device
    dtype = torch.get_default_dtype() if dtype is None else dtype
    return GraphBatch(torch.as_tensor(x, dtype=dtype, device=device), torch.as_tensor(edge_index, device=device),
                      torch.as_tensor(batch, device=device),
                      torch.as_tensor(np.array([g.y for g in graphs], dtype=np.int64), device=device), len(graphs))


class GraphClassifier(torch.nn.Module):
    """logits = head(readout(h_L)), h_l = ReLU(conv_l(h_{l-1}, edge_index)), h_0 = x (see the module docstring).

    ``conv``: "gcn" (:class:`companion.torch.GCNConv`) or "sage" (:class:`companion.torch.SAGEConv`, mean
    aggregation); ``num_layers`` message-passing layers of width ``hidden_channels`` (0: a per-atom dense layer
    instead, no message passing); ``readout``: "sum", "mean" or "max". Parameters are drawn from the NumPy
    ``rng``. ``forward(x, edge_index, batch, num_graphs=None)``: x (N, in) -> logits (num_graphs, num_classes).
    """

    def __init__(self, in_channels, hidden_channels=32, num_classes=2, num_layers=2, conv="gcn", readout="max", *,
                 rng=None, dtype=None, device=None):
        super().__init__()
        for value, name in ((in_channels, "in_channels"), (hidden_channels, "hidden_channels"),
                            (num_classes, "num_classes")):
            check_positive_int(value, name)
        check_nonnegative_int(num_layers, "num_layers")
        check_choice(conv, "conv", CONVS)
        check_choice(readout, "readout", READOUTS)
        rng = np.random.default_rng(rng)
        device = default_device() if device is None else device
        dtype = torch.get_default_dtype() if dtype is None else dtype
        kw = dict(rng=rng, dtype=dtype, device=device)
        widths = [in_channels] + [hidden_channels] * num_layers
        self.convs = torch.nn.ModuleList(CONVS[conv](a, b, **kw) for a, b in zip(widths[:-1], widths[1:]))
        self.atom = Dense(in_channels, hidden_channels, **kw) if num_layers == 0 else None
        self.head = Dense(hidden_channels, num_classes, **kw)
        self.readout = readout

    def forward(self, x, edge_index, batch, num_graphs=None):
        h = torch.relu(self.atom(x)) if self.atom is not None else x
        for conv in self.convs:
            h = torch.relu(conv(h, edge_index))                                  # (N, hidden)
        return self.head(READOUTS[self.readout](h, batch, num_graphs))           # (G, classes)

    def predict(self, data):
        """Class of each graph of a :class:`GraphBatch`, (G,) int64 (no gradients)."""
        with torch.no_grad():
            return self(data.x, data.edge_index, data.batch, data.num_graphs).argmax(dim=1)


class FingerprintMLP(torch.nn.Module):
    """The baseline: logits = W_2 ReLU(W_1 z + b_1) + b_2 on standardized count features z = (f - mean) / std
    (``mean`` and ``std`` of the training set's features, kept as buffers; a constant feature gets std 1)."""

    def __init__(self, mean, std, hidden=32, num_classes=2, *, rng=None, dtype=None, device=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        device = default_device() if device is None else device
        dtype = torch.get_default_dtype() if dtype is None else dtype
        std = np.where(np.asarray(std) > 0, std, 1.0)
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean), dtype=dtype, device=device))
        self.register_buffer("std", torch.as_tensor(std, dtype=dtype, device=device))
        kw = dict(rng=rng, dtype=dtype, device=device)
        self.hidden = Dense(len(self.mean), hidden, **kw)
        self.out = Dense(hidden, num_classes, **kw)

    def forward(self, features):
        z = (torch.as_tensor(features, dtype=self.mean.dtype, device=self.mean.device) - self.mean) / self.std
        return self.out(torch.relu(self.hidden(z)))


def train_graph_classifier(model, graphs, epochs=60, lr=0.01, batch_size=None, seed=0):
    """Adam on the cross-entropy of ``model``'s logits for ``graphs`` (each with x, edge_index, y); returns each
    epoch's mean loss. ``batch_size=None`` takes all graphs as one batch (one update per epoch)."""
    check_positive_int(epochs, "epochs")
    n = len(graphs)
    batch_size = n if batch_size is None else batch_size
    check_positive_int(batch_size, "batch_size")
    weight = next(model.parameters())
    kw = dict(dtype=weight.dtype, device=weight.device)
    full = graph_batch(graphs, **kw)

    def batch_loss(idx):
        # the full batch is built once: its mean loss does not depend on the graphs' order
        data = full if len(idx) == n else graph_batch([graphs[i] for i in idx.tolist()], **kw)
        return cross_entropy(model(data.x, data.edge_index, data.batch, data.num_graphs), data.y)

    return adam_epochs(model, n, batch_loss, epochs, batch_size, lr, seed=seed)


def train_fingerprint_mlp(graphs, hidden=32, epochs=60, lr=0.01, seed=0, rng=None, dtype=None, device=None):
    """A :class:`FingerprintMLP` standardized on and trained (Adam, full batch) on ``graphs``' fingerprints;
    returns (model, losses)."""
    features = fingerprint(graphs)
    model = FingerprintMLP(features.mean(axis=0), features.std(axis=0), hidden, rng=rng, dtype=dtype, device=device)
    y = torch.as_tensor(np.array([g.y for g in graphs]), device=model.mean.device)
    losses = adam_epochs(model, len(graphs), lambda idx: cross_entropy(model(features)[idx], y[idx]), epochs,
                         len(graphs), lr, seed=seed)
    return model, losses


def accuracy(model, graphs):
    """The fraction of ``graphs`` whose label ``model`` predicts (a GraphClassifier or a FingerprintMLP)."""
    y = np.array([g.y for g in graphs])
    if isinstance(model, FingerprintMLP):
        with torch.no_grad():
            predicted = model(fingerprint(graphs)).argmax(dim=1)
    else:
        weight = next(model.parameters())
        predicted = model.predict(graph_batch(graphs, dtype=weight.dtype, device=weight.device))
    return metrics.accuracy(y, predicted.cpu().numpy())


def gnn_name(num_layers, readout):
    """The name :func:`compare_on_molecules` gives a graph network: "GCN, 1 layer, max readout", or
    "no message passing, max readout" for 0 layers."""
    depth = "no message passing" if num_layers == 0 else f"GCN, {num_layers} layer{'s' * (num_layers > 1)}"
    return f"{depth}, {readout} readout"


def compare_on_molecules(seeds=(0, 1, 2), n_train=200, n_test=200, gnns=((0, "max"), (1, "max")), hidden=16,
                         epochs=40, lr=0.03, device=None):
    """The page's experiment: for each seed, fresh molecules (:func:`companion.data.molecules.molecules`,
    n_train + n_test of them, the first n_train for training), the fingerprint MLP and one GCN graph
    classifier per (message-passing layers, readout) pair in ``gnns`` (0 layers: the per-atom baseline), all
    trained with Adam on the full training set for ``epochs`` updates, parameters drawn from the seed.

    Returns {model name: {"train": [accuracy per seed], "test": [...]}}, the names "fingerprint MLP" and
    those of :func:`gnn_name`."""
    from companion.data.molecules import molecules

    results = {}

    def record(name, model, train, test):
        entry = results.setdefault(name, {"train": [], "test": []})
        entry["train"].append(accuracy(model, train))
        entry["test"].append(accuracy(model, test))

    for seed in seeds:
        data = molecules(n_train + n_test, rng=seed)
        train, test = data[:n_train], data[n_train:]
        mlp, _ = train_fingerprint_mlp(train, hidden, epochs, lr, seed=seed, rng=seed, device=device)
        record("fingerprint MLP", mlp, train, test)
        for num_layers, readout in gnns:
            gnn = GraphClassifier(train[0].x.shape[1], hidden, num_layers=num_layers, readout=readout, rng=seed,
                                  device=device)
            train_graph_classifier(gnn, train, epochs, lr, seed=seed)
            record(gnn_name(num_layers, readout), gnn, train, test)
    return results
