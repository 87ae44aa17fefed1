"""companion.frameworks: seeded DataLoaders, mixed precision on the CPU, and the same MLP in Keras and PyTorch.

The CUDA branch of mixed precision (float16 with a GradScaler) is chosen by device and is not run here.
"""

import ast
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

import companion
from companion import frameworks as fw
from companion import keras_bridge as kb
from companion import torch as ct
from companion.data.shipped import load_digits


class NoisyIndex(Dataset):
    """Item i is (i, a NumPy draw, a torch draw): the batches show both the order and each worker's RNGs."""

    def __len__(self):
        return 24

    def __getitem__(self, i):
        return i, np.random.rand(), torch.rand(())


def _batches(seed, num_workers):
    companion.seed(0)  # as a chapter's first cell does: without workers the dataset draws from these
    loader = fw.seeded_loader(NoisyIndex(), batch_size=4, seed=seed, num_workers=num_workers)
    return [torch.stack([torch.as_tensor(part, dtype=torch.float64) for part in batch]) for epoch in range(2)
            for batch in loader]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_seeded_loader_repeats_and_seeds_differ(num_workers):
    first, again, other = _batches(7, num_workers), _batches(7, num_workers), _batches(8, num_workers)
    assert all(torch.equal(a, b) for a, b in zip(first, again)) and len(first) == len(again) == 12
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(first, other))  # another order
    if num_workers:  # each worker's NumPy stream comes from the loader's seed
        assert not all(torch.equal(a[1], b[1]) for a, b in zip(first, other))
    else:  # in the main process the draws follow the global seed, whatever the loader's seed
        assert all(torch.equal(a[1], b[1]) for a, b in zip(first, other))
    # the two epochs come in different orders (the generator moves on), and every item appears once each
    order = torch.cat([b[0] for b in first]).long()
    assert sorted(order[:24].tolist()) == list(range(24)) and not torch.equal(order[:24], order[24:])


def test_seeded_loader_workers_have_distinct_numpy_streams():
    draws = torch.cat([b[1] for b in _batches(3, 2)])
    assert len(set(draws.tolist())) == len(draws)  # without seed_worker, forked workers would repeat draws


def test_worker_noise_lines_up_with_the_clean_examples_and_repeats():
    X, y = load_digits()
    clean = fw.worker_noise(fw.NoisyDigits(X[:60], y[:60]), seed=3, batch_size=10)
    assert clean.shape == (60, 64) and torch.equal(clean, torch.zeros(60, 64))  # rows matched to their examples
    noisy = fw.NoisyDigits(X[:60], y[:60], noise=0.5)
    a, b, c = (fw.worker_noise(noisy, seed, batch_size=10) for seed in (3, 3, 4))
    assert torch.equal(a, b) and not torch.equal(a, c) and abs(a.std().item() - 0.5) < 0.05
    assert not torch.equal(a[:10], a[10:20])  # the two workers' first batches: distinct NumPy streams


def test_seeded_loader_no_shuffle_keeps_order():
    order = torch.cat([b[0] for b in fw.seeded_loader(NoisyIndex(), 5, seed=0, shuffle=False)])
    assert order.tolist() == list(range(24))


@pytest.mark.parametrize("kwargs, message", [({"batch_size": 0}, "batch_size"), ({"num_workers": -1}, "num_workers"),
                                             ({"seed": 1.5}, "seed"), ({"batch_size": 2.0}, "batch_size")])
def test_seeded_loader_bad_arguments(kwargs, message):
    args = {"batch_size": 4, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=message):
        fw.seeded_loader(NoisyIndex(), **args)


def _digits(n=400):
    X, y = load_digits()
    return torch.tensor(X[:n], dtype=torch.float32), torch.tensor(y[:n])


def test_autocast_step_cpu_dtypes():
    x, y = _digits(32)
    model = ct.build_mlp([64, 16, 10], ["relu", "linear"], rng=np.random.default_rng(0), dtype=torch.float32,
                         device="cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    step = fw.autocast_step(model, x, y, optimizer)
    assert step.output_dtype == torch.bfloat16  # the matrix products ran in bfloat16
    assert step.loss_dtype == torch.float32  # autocast runs cross_entropy in float32
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters())
    assert all(not torch.equal(a, p) for a, p in zip(before, model.parameters()))
    # the bfloat16 forward differs from the float32 one, by about bfloat16's precision (8 bits of mantissa)
    with torch.no_grad():
        exact = torch.nn.functional.cross_entropy(model(x), y).item()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = torch.nn.functional.cross_entropy(model(x), y).item()
    assert exact != low and abs(exact - low) < 0.05 * exact


def test_train_mixed_precision_learns():
    x, y = _digits()
    torch.manual_seed(0)
    model = ct.build_mlp([64, 32, 10], ["relu", "linear"], rng=np.random.default_rng(0), dtype=torch.float32,
                         device="cpu")
    loader = fw.seeded_loader(TensorDataset(x, y), batch_size=32, seed=0)
    losses = fw.train_mixed_precision(model, loader, epochs=8, lr=0.2)
    assert len(losses) == 8 * 13
    assert np.mean(losses[-13:]) < 0.3 * np.mean(losses[:13])
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.9 and all(p.dtype == torch.float32 for p in model.parameters())


def test_autocast_dtype_by_device():
    assert fw.autocast_dtype("cpu") == torch.bfloat16 and fw.autocast_dtype("cuda") == torch.float16
    with pytest.raises(ValueError, match="'cpu' and 'cuda'"):
        fw.autocast_dtype("meta")
    with pytest.raises(ValueError, match="epochs"):
        fw.train_mixed_precision(torch.nn.Linear(2, 2), [], epochs=0)


def test_side_by_side_agrees():
    X, y = load_digits()
    result = fw.train_side_by_side(X[:256], y[:256], [64, 32, 10], epochs=3, batch_size=32, lr=0.5)
    torch_loss, keras_loss = result["torch_loss"], result["keras_loss"]
    assert len(torch_loss) == len(keras_loss) == 3 * 8
    assert torch_loss[0] == pytest.approx(keras_loss[0], rel=1e-6)  # the same starting weights
    np.testing.assert_allclose(keras_loss, torch_loss, rtol=1e-5)
    assert torch_loss[-1] < 0.8 * torch_loss[0]  # both really trained
    assert result["max_weight_difference"] < 1e-5
    x = X[:100].astype(np.float32)
    ours = result["torch_model"](torch.from_numpy(x)).detach().numpy()
    theirs = result["keras_model"](x).detach().cpu().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


def test_weight_copies_transpose_and_round_trip():
    model = ct.build_mlp([5, 4, 3], ["tanh", "sigmoid"], rng=np.random.default_rng(1), dtype=torch.float32,
                         device="cpu")
    keras_model = fw.torch_to_keras(model, fw.keras_mlp([5, 4, 3], ["tanh", "sigmoid"]))
    assert tuple(keras_model.layers[0].kernel.shape) == (5, 4) and tuple(model[0].weight.shape) == (4, 5)
    np.testing.assert_array_equal(kb._array(keras_model.layers[0].kernel), model[0].weight.detach().numpy().T)
    x = np.random.default_rng(2).normal(size=(6, 5)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(keras_model(x).detach().cpu()), model(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    other = ct.build_mlp([5, 4, 3], ["tanh", "sigmoid"], rng=np.random.default_rng(9), dtype=torch.float32,
                         device="cpu")
    fw.keras_to_torch(keras_model, other)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), other.parameters()))
    assert fw.max_weight_difference(other, keras_model) == 0.0


def test_keras_errors():
    with pytest.raises(ValueError, match="gelu"):
        fw.keras_mlp([3, 2], ["gelu"])
    with pytest.raises(ValueError, match="need 2 activations"):
        fw.keras_mlp([3, 4, 2], ["relu"])
    with pytest.raises(ValueError, match="dense layers"):
        fw.torch_to_keras(ct.build_mlp([3, 2], ["linear"], device="cpu"), fw.keras_mlp([3, 4, 2]))
    with pytest.raises(ValueError, match="transpose"):
        fw.torch_to_keras(ct.build_mlp([3, 2], ["linear"], device="cpu"), fw.keras_mlp([2, 3]))
    with pytest.raises(ValueError, match="x must have shape"):
        fw.train_side_by_side(np.zeros((4, 3)), np.zeros(4), [5, 2])


def test_keras_with_another_backend_is_refused(monkeypatch):
    fake = types.SimpleNamespace(backend=types.SimpleNamespace(backend=lambda: "tensorflow"))
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(RuntimeError, match="KERAS_BACKEND"):
        fw.import_keras()


@pytest.mark.parametrize("module", [fw, kb], ids=["frameworks", "keras_bridge"])
def test_keras_is_imported_only_inside_functions(module):
    tree = ast.parse(Path(module.__file__).read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = [alias.name for node in top_level for alias in node.names] + [node.module for node in top_level
                                                                          if isinstance(node, ast.ImportFrom)]
    assert "torch" in names and not any(name and name.split(".")[0] == "keras" for name in names)


def test_import_keras_sets_the_torch_backend():
    keras = fw.import_keras()
    assert keras.backend.backend() == "torch" and os.environ["KERAS_BACKEND"] == "torch"


def test_framework_table():
    rows = fw.framework_table()
    assert [r["aspect"] for r in rows][:2] == ["Execution model", "Automatic differentiation"]
    assert all(set(r) == {"aspect", *fw.FRAMEWORKS} and all(r.values()) for r in rows)
    assert "jax.grad" in rows[1]["JAX"] and "GradientTape" in rows[1]["TensorFlow/Keras"]


def _noisy_digits(n=200, noise=0.05):
    X, y = load_digits()
    return fw.NoisyDigits(X[:n], y[:n], noise=noise)


def test_noisy_digits_items_and_noise_from_numpy():
    data = _noisy_digits(noise=0.0)
    x, y = data[3]
    X, labels = load_digits()
    assert len(data) == 200 and x.dtype == torch.float32 and x.shape == (64,) and y.item() == labels[3]
    np.testing.assert_array_equal(x.numpy(), X[3].astype(np.float32))
    noisy = _noisy_digits(noise=0.5)
    np.random.seed(1)
    first = noisy[3][0]
    np.random.seed(1)
    assert torch.equal(first, noisy[3][0]) and not torch.equal(first, x)
    with pytest.raises(ValueError, match="y must have shape"):
        fw.NoisyDigits(X[:5], labels[:4])
    with pytest.raises(ValueError, match="noise must be non-negative"):
        fw.NoisyDigits(X[:5], labels[:5], noise=-1)


def test_digits_net_registers_its_layers_and_trains():
    torch.manual_seed(0)
    model = fw.DigitsNet(64, 16, 10)
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    loader = fw.seeded_loader(_noisy_digits(noise=0.0), 32, seed=0)
    losses = fw.train_epochs(model, torch.optim.Adam(model.parameters(), lr=1e-2), loader, epochs=10)
    assert len(losses) == 10 * len(loader) and np.mean(losses[-7:]) < 0.3 * np.mean(losses[:7])


def test_resume_experiment_is_bitwise_and_needs_the_loader_generator(tmp_path):
    result = fw.resume_experiment(_noisy_digits(), tmp_path / "ck.pt", epochs=3, split=1)
    assert result["resumed_difference"] == 0.0
    assert result["without_generator_difference"] > 1e-3
    assert result["keys"] == ["epoch", "extra", "format", "model", "optimizer", "rng"]
    with pytest.raises(ValueError, match="split must be between"):
        fw.resume_experiment(_noisy_digits(), tmp_path / "ck.pt", epochs=3, split=3)


def test_compile_matches_eager():
    torch.manual_seed(0)
    out, ref, gap = fw.compile_matches_eager(fw.DigitsNet(), torch.rand(8, 64), backend="aot_eager")
    assert out.shape == ref.shape == (8, 10) and gap == float((out - ref).abs().max()) and gap < 1e-6


def test_weights_only_refuses_a_pickle_that_calls_a_function(tmp_path, capsys):
    result = fw.weights_only_demo(tmp_path / "surprise.pt")
    assert result["refused"] == "UnpicklingError" and "print" in result["refusal"]
    assert result["ran"] is None and result["printed"] == "this ran while the checkpoint was loading"
    assert capsys.readouterr().out == ""                      # the demo captured what the call printed
    state = torch.load(tmp_path / "surprise.pt", weights_only=False)   # and the call really happens on load
    assert "this ran while the checkpoint was loading" in capsys.readouterr().out and state["surprise"] is None
