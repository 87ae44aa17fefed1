"""The models the service serves: saved as a state_dict plus a small metadata dict, loaded with
``torch.load(weights_only=True)``, and two quick trainers (the digits MLP, the breast-cancer MLP).

A model file holds only tensors and plain Python values (str, int, float, list, dict), so
``weights_only=True`` can load it: unpickling it never runs code from the file::

    {"state_dict": {"0.weight": tensor (64 -> hidden), ...},        # build_mlp's layer names
     "input_mean": tensor (d,), "input_std": tensor (d,),          # standardization, or absent
     "metadata": {"version": str, "input_size": d, "class_names": [str, ...] (C of them),
                  "sizes": [d, ..., C], "activations": [...], "test_accuracy": float, ...}}
"""

from dataclasses import dataclass

import numpy as np
import torch

from companion import torch as ct
from companion.checkpoint import atomic_save
from companion.data import shipped
from companion.data.splits import Standardizer, train_val_test_split
from companion.train import evaluate, fit

REQUIRED_METADATA = ("version", "input_size", "class_names", "sizes", "activations")


@dataclass
class ServedModel:
    """A loaded model: the network (float32, CPU, eval mode), its input scaling and its metadata."""

    net: torch.nn.Module
    metadata: dict
    input_mean: torch.Tensor | None = None
    input_std: torch.Tensor | None = None

    @property
    def input_size(self):
        return int(self.metadata["input_size"])

    @property
    def class_names(self):
        return list(self.metadata["class_names"])

    @property
    def version(self):
        return str(self.metadata["version"])

    def predict_proba(self, X):
        """Class probabilities, softmax of the logits: X (N, input_size) -> (N, C) float64 array."""
        x = torch.as_tensor(np.asarray(X, dtype=np.float32))
        if self.input_mean is not None:
            x = (x - self.input_mean) / self.input_std
        with torch.inference_mode():
            return torch.softmax(self.net(x), dim=1).double().numpy()


def _check_metadata(metadata):
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ValueError(f"model metadata lacks {missing}; it needs {list(REQUIRED_METADATA)}")
    sizes = list(metadata["sizes"])
    if sizes[0] != metadata["input_size"] or sizes[-1] != len(metadata["class_names"]):
        raise ValueError(f"sizes {sizes} must start at input_size {metadata['input_size']} and end at "
                         f"the number of class names ({len(metadata['class_names'])})")


def save_model(path, net, metadata, input_mean=None, input_std=None):
    """Write ``net``'s state_dict, the input scaling and ``metadata`` to ``path`` atomically.

    The file is written through :func:`companion.checkpoint.atomic_save` (a temporary name beside ``path``,
    then ``os.replace``), so a reader never sees half a file and a failed save leaves any previous file as
    it was.
    """
    _check_metadata(metadata)
    payload = {"state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
               "metadata": dict(metadata)}
    if input_mean is not None:
        payload["input_mean"] = torch.as_tensor(np.asarray(input_mean), dtype=torch.float32)
        payload["input_std"] = torch.as_tensor(np.asarray(input_std), dtype=torch.float32)
    atomic_save(payload, path)
    return path


def load_model(path):
    """Read a file written by :func:`save_model` (``weights_only=True``) into a :class:`ServedModel`."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or "state_dict" not in payload or "metadata" not in payload:
        raise ValueError(f"{path} is not a model file written by save_model (no state_dict and metadata)")
    metadata = payload["metadata"]
    _check_metadata(metadata)
    net = ct.build_mlp(list(metadata["sizes"]), list(metadata["activations"]), dtype=torch.float32,
                       device="cpu")
    net.load_state_dict(payload["state_dict"])
    return ServedModel(net.eval(), metadata, payload.get("input_mean"), payload.get("input_std"))


def _train_and_save(path, X, y, sizes, class_names, version, description, standardize, seed, **settings):
    """Split (70/15/15, stratified), train a ReLU MLP with Adam, save it; returns the test accuracy."""
    split = train_val_test_split(X, y, val=0.15, test=0.15, stratify=True, seed=seed)
    scaler = Standardizer().fit(split.train[0]) if standardize else None
    scale = scaler.transform if standardize else np.asarray
    net = ct.build_mlp(sizes, ["relu"] * (len(sizes) - 2) + ["linear"], rng=np.random.default_rng(seed),
                       dtype=torch.float32, device="cpu")
    fit(net, scale(split.train[0]), split.train[1], optimizer="adam", seed=seed, train_accuracy=False,
        **settings)
    accuracy = float(evaluate(net, scale(split.test[0]), split.test[1], "cross_entropy")[1])
    metadata = {"version": version, "input_size": sizes[0], "class_names": class_names, "sizes": list(sizes),
                "activations": ["relu"] * (len(sizes) - 2) + ["linear"], "description": description,
                "test_accuracy": accuracy}
    save_model(path, net, metadata, *((scaler.mean, scaler.std) if standardize else ()))
    return accuracy


def train_digits_model(path, hidden=64, epochs=15, seed=0, version="digits-mlp-1"):
    """Train the book's digit classifier (MLP 64-hidden-10 on the 8x8 digits) and save it to ``path``.

    Inputs are the 64 pixel intensities in [0, 1] as ``companion.data.shipped.load_digits`` gives
    them (row by row), so a client sends an image as it is; Adam, lr 0.003, batch 64, as the CNN
    chapter's MLP. Takes about a second on a CPU. Returns the test accuracy (15% held out).
    """
    X, y = shipped.load_digits()
    return _train_and_save(path, X, y, [64, hidden, 10], [str(d) for d in range(10)], version,
                           "MLP on the 8x8 digits: 64 pixel intensities in [0, 1], row by row",
                           standardize=False, seed=seed, lr=0.003, epochs=epochs, batch_size=64)


def train_breast_cancer_model(path, hidden=32, epochs=15, seed=0, version="breast-cancer-mlp-1"):
    """Train an MLP 30-hidden-2 on the breast-cancer measurements and save it with its standardization.

    Clients send the 30 raw measurements (in ``feature_names("breast_cancer")`` order); the model
    standardizes them with the training set's mean and std stored in the file. Classes are
    scikit-learn's: 0 = "malignant", 1 = "benign". Returns the test accuracy.
    """
    X, y = shipped.load_breast_cancer()
    return _train_and_save(path, X, y, [30, hidden, 2], ["malignant", "benign"], version,
                           "MLP on the breast-cancer measurements: the 30 raw features, standardized inside",
                           standardize=True, seed=seed, lr=0.003, epochs=epochs, batch_size=32)


TRAINERS = {"digits": train_digits_model, "breast_cancer": train_breast_cancer_model}


def main(argv=None):
    """``python -m companion.deploy.models {digits,breast_cancer} PATH``: train a model, save it to PATH."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m companion.deploy.models", description=main.__doc__)
    parser.add_argument("model", choices=sorted(TRAINERS))
    parser.add_argument("path", help="where to write the model file (its folder must exist)")
    options = parser.parse_args(argv)
    accuracy = TRAINERS[options.model](options.path)
    print(f"saved {options.model} to {options.path} (test accuracy {accuracy:.3f})")


if __name__ == "__main__":
    main()
