"""Node classification (page "Graph neural networks"): a stack of graph convolutions, trained on the labelled
nodes of one graph and judged on the others (semi-supervised, as Kipf & Welling 2017 train their GCN).

The NumPy model :class:`GNN` (backward by hand, Adam from :mod:`companion.np.optim`) is the reference, and
:func:`train_numpy` trains it; :class:`TorchGNN` is its twin from :mod:`companion.torch.gnn`'s layers, or
from any class with PyG's constructor (PyG's own ``GCNConv``), with the same parameter names
(``convs.{k}.lin.weight``, ...), and :func:`train_torch` trains it. The NumPy half imports no torch (the
widgets' environment has none). :func:`mean_pairwise_distance` and :func:`smoothing_curve` measure
over-smoothing.
"""

from dataclasses import dataclass, field

import numpy as np

from companion import metrics
from companion._validate import check_choice
from companion import np as np_gnn  # GCNConv, SAGEConv (companion.np.gnn) and GATConv (companion.np.gat)
from companion.np.graph import add_self_loops, gcn_norm, propagate
from companion.np.losses import cross_entropy, cross_entropy_grad
from companion.np.optim import Optimizer

LAYERS = ("gcn", "sage", "gat")
SMOOTHING = ("gcn", "sum", "mean", "max")


def _check(channels, layer):
    check_choice(layer, "layer", LAYERS)
    channels = [int(c) for c in channels]
    if len(channels) < 2 or min(channels) < 1:
        raise ValueError(f"channels must list at least an input and an output size, all positive, got {channels}")
    return channels


def _layer_options(layer, aggr, heads):
    """The constructor options of each layer: GCN's normalization is cached (one graph, transductive); GAT's
    heads are averaged (concat=False), so that every layer has the channels ``channels`` asks for."""
    if layer == "gcn":
        return {"cached": True}
    return {"aggr": aggr} if layer == "sage" else {"heads": heads, "concat": False}


def _layer_class(backend, layer):
    return {"gcn": backend.GCNConv, "sage": backend.SAGEConv, "gat": backend.GATConv}[layer]


class GNN:
    """K graph convolutions with ReLU between them, in NumPy:

        h^(0) = x,   h^(k) = ReLU(conv_k(h^(k-1), edge_index))  for k < K,   logits = conv_K(h^(K-1)).

    channels [in, hidden, ..., out] gives K = len(channels) - 1 layers; ``layer`` "gcn" (GCNConv), "sage"
    (SAGEConv with ``aggr`` "mean", "sum" or "max") or "gat" (GATConv with ``heads`` heads, averaged).
    ``hidden`` keeps the last forward's h^(K-1), the representation the output layer reads. Parameters are
    named ``convs.{k}.{PyG name}``.
    """

    def __init__(self, channels, layer="gcn", aggr="mean", heads=1, rng=None):
        channels = _check(channels, layer)
        rng = np.random.default_rng(rng)
        make = _layer_class(np_gnn, layer)
        self.channels, self.layer, self.aggr = channels, layer, aggr
        self.convs = [make(c_in, c_out, **_layer_options(layer, aggr, heads), rng=rng)
                      for c_in, c_out in zip(channels[:-1], channels[1:])]
        self.grads, self._masks, self.hidden = {}, [], None

    def forward(self, x, edge_index):
        """Logits (N, out) from x (N, in) and edge_index (2, E)."""
        h, self._masks = np.asarray(x, dtype=np.float64), []
        for conv in self.convs[:-1]:
            h = conv.forward(h, edge_index)
            self._masks.append(h > 0)
            h = np.where(self._masks[-1], h, 0.0)
        self.hidden = h
        return self.convs[-1].forward(h, edge_index)

    __call__ = forward

    def backward(self, dout):
        """dx from dlogits (N, out); fills ``grads`` with every parameter's gradient."""
        grads = {}
        for k in range(len(self.convs) - 1, -1, -1):
            if k < len(self.convs) - 1:
                dout = np.where(self._masks[k], dout, 0.0)       # ReLU passes gradient where it passed the input
            dout = self.convs[k].backward(dout)
            grads.update({f"convs.{k}.{name}": g for name, g in self.convs[k].grads.items()})
        self.grads = grads
        return dout

    def parameters(self):
        """{name: array}, in the order of torch's state dict."""
        return {f"convs.{k}.{name}": value for k, conv in enumerate(self.convs)
                for name, value in conv.parameters().items()}

    state_dict = parameters

    def load_state_dict(self, state):
        """Copy parameters in from {name: array or tensor} with :meth:`parameters`' names and shapes."""
        expected = self.parameters()
        if set(state) != set(expected):
            raise ValueError(f"state_dict keys differ: missing {sorted(set(expected) - set(state))}, "
                             f"unexpected {sorted(set(state) - set(expected))}")
        for k, conv in enumerate(self.convs):
            prefix = f"convs.{k}."
            conv.load_state_dict({name[len(prefix):]: v for name, v in state.items() if name.startswith(prefix)})


def accuracy(logits, y, mask=None):
    """The fraction of the nodes in ``mask`` (N,) bool (all when None) whose largest logit is their class."""
    logits, y = np.asarray(logits), np.asarray(y)
    mask = np.ones(len(y), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return metrics.accuracy(y[mask], logits[mask].argmax(axis=1))


@dataclass
class History:
    """What training recorded: the loss of every update; at every ``record_every``-th update (and before
    the first) its number in ``steps``, the logits in ``snapshots`` and the accuracy on the unlabelled
    nodes in ``accuracies``."""

    losses: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    accuracies: list = field(default_factory=list)

    def record(self, step, logits, data):
        self.steps.append(step)
        self.snapshots.append(np.array(logits))
        self.accuracies.append(accuracy(logits, data.y, data.test_mask))


def _check_training(epochs, lr, record_every):
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")
    if record_every is not None and record_every < 1:
        raise ValueError(f"record_every must be at least 1 or None, got {record_every}")


def train_numpy(model, data, epochs=100, lr=0.01, weight_decay=5e-4, record_every=None):
    """Train a :class:`GNN` with Adam (``weight_decay`` added to the gradient, as torch.optim.Adam does) on
    the cross-entropy of the labelled nodes, ``data.train_mask``; full batch, one update per epoch.

    data: :class:`companion.data.karate.NodeClassification` (x, edge_index, y, train_mask). Returns a
    :class:`History`; the model keeps its trained parameters.
    """
    _check_training(epochs, lr, record_every)
    optimizer, history = Optimizer("adam", lr=lr, weight_decay=weight_decay), History()
    mask = np.asarray(data.train_mask, dtype=bool)
    for epoch in range(epochs + 1):
        logits = model.forward(data.x, data.edge_index)
        if record_every is not None and epoch % record_every == 0:
            history.record(epoch, logits, data)
        if epoch == epochs:
            break
        history.losses.append(cross_entropy(logits[mask], data.y[mask]))
        dlogits = np.zeros_like(logits)
        dlogits[mask] = cross_entropy_grad(logits[mask], data.y[mask])
        model.backward(dlogits)
        model.load_state_dict(optimizer.step(model.parameters(), model.grads))
    return history


def mean_pairwise_distance(h):
    """How alike the nodes' representations are: the mean Euclidean distance between rows of h (N, F) after
    each row is scaled to length 1 (rows of zeros stay zero), over all ordered pairs i != j; 0 when every
    node points the same way. Scaling first makes it blind to an overall growth or shrinkage with depth."""
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2 or len(h) < 2:
        raise ValueError(f"h must be 2-D with at least two rows (nodes), got shape {h.shape}")
    norms = np.linalg.norm(h, axis=1, keepdims=True)
    unit = h / np.where(norms > 0, norms, 1.0)
    distances = np.sqrt(((unit[:, None] - unit[None]) ** 2).sum(-1))   # (N, N); no 2 - 2cos: it cancels
    n = len(h)
    return float(distances.sum() / (n * (n - 1)))


def smoothing_curve(x, edge_index, depths, aggr="gcn"):
    """:func:`mean_pairwise_distance` of x after k rounds of message passing without weights, for each k in
    ``depths`` (increasing): ``aggr`` "gcn" repeats x <- D̂^-1/2 (A + I) D̂^-1/2 x (GCN's propagation);
    "sum", "mean" and "max" aggregate each node's neighbours and itself (self-loops added) that way.
    Returns an array (len(depths),)."""
    check_choice(aggr, "aggr", SMOOTHING)
    depths = [int(d) for d in depths]
    if any(d < 0 for d in depths) or depths != sorted(depths):
        raise ValueError(f"depths must be non-negative and increasing, got {depths}")
    h = np.asarray(x, dtype=np.float64)
    if aggr == "gcn":
        edges, weight = gcn_norm(edge_index, num_nodes=len(h))
    else:
        edges, weight = add_self_loops(edge_index, num_nodes=len(h))[0], None
    out, done = [], 0
    for depth in depths:
        for _ in range(depth - done):
            h = propagate(h, edges, weight, aggr="sum" if aggr == "gcn" else aggr, num_nodes=len(h))
            h = h / max(np.abs(h).max(), 1e-300)          # the scale drifts with "sum"; distances ignore it
        done = depth
        out.append(mean_pairwise_distance(h))
    return np.array(out)


@dataclass
class Result:
    """One trained model's outcome: accuracy on the unlabelled nodes, logits (N, out), the representation the
    output layer reads (N, hidden), its :func:`mean_pairwise_distance`, and the training losses."""

    accuracy: float
    logits: np.ndarray
    hidden: np.ndarray
    spread: float
    losses: list


def run_numpy(data, num_layers=2, hidden=16, layer="gcn", aggr="mean", epochs=100, lr=0.01, weight_decay=5e-4,
              seed=0):
    """Build a :class:`GNN` of ``num_layers`` layers (``hidden`` channels between them), train it with
    :func:`train_numpy` and return a :class:`Result`."""
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    channels = [data.x.shape[1]] + [hidden] * (num_layers - 1) + [int(data.y.max()) + 1]
    model = GNN(channels, layer=layer, aggr=aggr, rng=seed)
    history = train_numpy(model, data, epochs=epochs, lr=lr, weight_decay=weight_decay)
    logits = model.forward(data.x, data.edge_index)
    hidden_rep = model.hidden
    return Result(accuracy(logits, data.y, data.test_mask), logits, hidden_rep,
                  mean_pairwise_distance(hidden_rep) if np.abs(hidden_rep).sum() > 0 else 0.0, history.losses)


# ----------------------------------------------------------------------------------------------- PyTorch

try:
    import torch
except ImportError:  # the widgets' environment has no torch; the NumPy half above works without it
    torch = None

if torch is not None:
    class TorchGNN(torch.nn.Module):
        """:class:`GNN` in PyTorch, with the same names (``convs.{k}.{PyG name}``): companion.torch.gnn's
        GCNConv, SAGEConv or GATConv, or ``conv``, any class with PyG's constructor (e.g.
        ``torch_geometric.nn.GCNConv``). With ``rng`` the parameters are the NumPy :class:`GNN`'s drawn from
        the same ``rng``, whatever the layer class, so that the three start from the same weights.
        """

        def __init__(self, channels, layer="gcn", aggr="mean", heads=1, conv=None, rng=None, device=None,
                     dtype=None):
            super().__init__()
            from companion import torch as torch_gnn
            from companion._runtime import device as default_device

            channels = _check(channels, layer)
            make = conv or _layer_class(torch_gnn, layer)
            self.convs = torch.nn.ModuleList(make(c_in, c_out, **_layer_options(layer, aggr, heads))
                                             for c_in, c_out in zip(channels[:-1], channels[1:]))
            self.to(device=device or default_device(), dtype=dtype or torch.get_default_dtype())
            if rng is not None:
                self.load_arrays(GNN(channels, layer, aggr, heads, rng=rng).state_dict())
            self.hidden = None

        def load_arrays(self, state):
            """Load {name: NumPy array} (a :class:`GNN`'s state dict) onto this model's device and dtype."""
            reference = next(self.parameters())
            self.load_state_dict({name: torch.as_tensor(np.asarray(value), dtype=reference.dtype,
                                                        device=reference.device) for name, value in state.items()})

        def forward(self, x, edge_index):
            h = x
            for conv in self.convs[:-1]:
                h = torch.relu(conv(h, edge_index))
            self.hidden = h
            return self.convs[-1](h, edge_index)

    def train_torch(model, data, epochs=100, lr=0.01, weight_decay=5e-4, record_every=None):
        """:func:`train_numpy` for a :class:`TorchGNN`, with torch.optim.Adam and autograd; returns a
        :class:`History` (logits as NumPy arrays)."""
        _check_training(epochs, lr, record_every)
        reference = next(model.parameters())
        x = torch.as_tensor(data.x, dtype=reference.dtype, device=reference.device)
        edge_index = torch.as_tensor(data.edge_index, dtype=torch.int64, device=reference.device)
        y = torch.as_tensor(data.y, device=reference.device)
        mask = torch.as_tensor(np.asarray(data.train_mask, dtype=bool), device=reference.device)
        optimizer, history = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay), History()
        model.train()
        for epoch in range(epochs + 1):
            logits = model(x, edge_index)
            if record_every is not None and epoch % record_every == 0:
                history.record(epoch, logits.detach().cpu().numpy(), data)
            if epoch == epochs:
                break
            loss = torch.nn.functional.cross_entropy(logits[mask], y[mask])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.losses.append(loss.item())
        model.eval()
        return history

    def predict_torch(model, data):
        """The model's logits (N, out) for ``data`` as a NumPy array, without gradients."""
        reference = next(model.parameters())
        with torch.no_grad():
            logits = model(torch.as_tensor(data.x, dtype=reference.dtype, device=reference.device),
                           torch.as_tensor(data.edge_index, dtype=torch.int64, device=reference.device))
        return logits.cpu().numpy()
