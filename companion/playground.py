"""The Playground's engine: data, features, network and training, without any widgets.

:class:`PlaygroundConfig` is everything a reader can set, seed included; it travels as a short
string (``to_string`` / ``from_string``) so that an exact set-up can be shared. :class:`PlaygroundModel`
builds the data and the network from a config and trains it epoch by epoch.
"""

import base64
import json
import zlib
from dataclasses import asdict, dataclass, fields

import numpy as np

from companion._validate import check_choice
from companion.data.features import FEATURES, make_features
from companion.data.toy import CLASSIFICATION, REGRESSION, make_dataset
from companion.train import Trainer, predict

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = {"sgd": ("sgd", {}), "momentum": ("sgd", {"momentum": 0.9}), "adam": ("adam", {})}
EXTENT = (-4.0, 4.0, -4.0, 4.0)


@dataclass
class PlaygroundConfig:
    dataset: str = "circle"
    noise: float = 0.0
    train_percent: int = 50
    n_points: int = 500
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    lr: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    batch_size: int = 10
    dropout: float = 0.0
    optimizer: str = "sgd"
    backend: str = "numpy"
    seed: int = 0

    def validate(self):
        check_choice(self.dataset, "dataset", {**CLASSIFICATION, **REGRESSION})
        check_choice(self.activation, "activation", ACTIVATIONS)
        check_choice(self.regularization, "regularization", ("none", "l1", "l2"))
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_choice(self.backend, "backend", ("numpy", "torch"))
        if not self.features or any(f not in FEATURES for f in self.features):
            raise ValueError(f"features must be a non-empty choice from {list(FEATURES)}, got {list(self.features)}")
        if len(self.hidden) > 6 or any(not 1 <= int(h) <= 8 for h in self.hidden):
            raise ValueError(f"hidden layers: at most 6, each with 1 to 8 neurons; got {list(self.hidden)}")
        if not 10 <= self.train_percent <= 90:
            raise ValueError(f"train_percent must lie in [10, 90], got {self.train_percent}")
        if not self.lr > 0:
            raise ValueError(f"the learning rate must be positive, got {self.lr}")
        if not 1 <= self.batch_size <= self.n_points:
            raise ValueError(f"batch_size must lie in [1, {self.n_points}], got {self.batch_size}")
        return self

    @property
    def is_classification(self):
        return self.dataset in CLASSIFICATION

    def to_string(self):
        """A short, URL-safe string holding the whole configuration."""
        packed = json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(zlib.compress(packed, 9)).decode().rstrip("=")

    @classmethod
    def from_string(cls, text):
        """The configuration a :meth:`to_string` string describes; a clear ValueError if it is damaged."""
        try:
            raw = json.loads(zlib.decompress(base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))))
        except (ValueError, zlib.error, TypeError) as error:
            raise ValueError(f"not a Playground state string ({error})") from None
        known = {f.name for f in fields(cls)}
        if not isinstance(raw, dict) or set(raw) - known:
            raise ValueError(f"not a Playground state string (unexpected keys {sorted(set(raw) - known)})")
        raw["features"], raw["hidden"] = tuple(raw.get("features", ())), tuple(raw.get("hidden", ()))
        return cls(**raw).validate()


class PlaygroundModel:
    """Data, features and a network built from a config, trained one epoch at a time."""

    def __init__(self, config):
        self.config = config.validate()
        X, y = make_dataset(config.dataset, n=config.n_points, noise=config.noise, seed=config.seed)
        n_train = int(round(len(y) * config.train_percent / 100))
        order = np.random.default_rng(config.seed).permutation(len(y))
        self.X_train, self.y_train = X[order[:n_train]], y[order[:n_train]]
        self.X_test, self.y_test = X[order[n_train:]], y[order[n_train:]]
        self.net = self._build_net()
        rule, hyper = OPTIMIZERS[config.optimizer]
        regularization = None if config.regularization == "none" else (config.regularization, config.reg_rate)
        self.loss = "binary_cross_entropy" if config.is_classification else "mse"
        self.trainer = Trainer(self.net, self.loss, rule, config.batch_size, config.seed, regularization,
                               warn=False, lr=config.lr, **hyper)

    def _build_net(self):
        c = self.config
        sizes = [len(c.features), *map(int, c.hidden), 1]
        acts = [c.activation] * len(c.hidden) + ["sigmoid" if c.is_classification else "linear"]
        rng = np.random.default_rng(c.seed)
        if c.backend == "numpy":
            from companion.np import build_mlp
            return build_mlp(sizes, acts, rng=rng, dropout=c.dropout)
        from companion.torch import build_mlp
        return build_mlp(sizes, acts, rng=rng, dropout=c.dropout)

    def features(self, X):
        return make_features(X, self.config.features)

    @property
    def history(self):
        return self.trainer.history

    @property
    def epoch(self):
        return len(self.history.epoch)

    def step(self, epochs=1):
        """Train ``epochs`` more epochs; False once training has diverged."""
        test = (self.features(self.X_test), self.y_test) if len(self.y_test) else None
        for _ in range(epochs):
            if not self.trainer.run_epoch(self.features(self.X_train), self.y_train, test):
                return False
        return True

    def output_grid(self, n=50):
        """The network's output on an n x n grid over the plane (rows: y, columns: x)."""
        points = _grid(n)
        return predict(self.net, self.features(points)).reshape(n, n)

    def neuron_grids(self, n=24):
        """For every hidden layer, each neuron's activation on an n x n grid: [[(n, n), …], …]."""
        points = _grid(n)
        outputs = _layer_outputs(self.net, self.features(points))
        return [[layer[:, j].reshape(n, n) for j in range(layer.shape[1])] for layer in outputs]


def _grid(n):
    xs, ys = np.linspace(EXTENT[0], EXTENT[1], n), np.linspace(EXTENT[2], EXTENT[3], n)
    XX, YY = np.meshgrid(xs, ys)
    return np.c_[XX.ravel(), YY.ravel()]


def _layer_outputs(net, X):
    """Outputs of every hidden layer's activation (dropout off), as NumPy arrays."""
    net.eval()
    if hasattr(net, "layers"):  # NumPy reference
        outs = net.trace(X)
        kinds = [type(layer).__name__ for layer in net.layers]
    else:
        import torch

        with torch.no_grad():
            first = next(net.parameters())
            outs = [o.cpu().numpy() for o in net.trace(torch.as_tensor(X, dtype=first.dtype, device=first.device))]
        kinds = [type(layer).__name__ for layer in net]
    hidden = [out for out, kind in zip(outs, kinds) if kind == "Activation"]
    return hidden[:-1]  # the last activation is the output neuron
