"""companion.checkpoint: resuming from a checkpoint gives bitwise the weights of an uninterrupted run.

The training loop draws from every random source a real one does: a shuffling DataLoader (its own
torch.Generator), dropout (torch's global generator), NumPy's and Python's global generators (input noise
and a random skip), and Adam's moments, so a state left out of the checkpoint would show as a difference.
"""

import random

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from companion import torch as ct
from companion.checkpoint import atomic_path, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from companion.data.shipped import load_digits

EPOCHS, SPLIT = 4, 2


def _data():
    X, y = load_digits()
    return TensorDataset(torch.tensor(X[:300], dtype=torch.float32), torch.tensor(y[:300]))


def _fresh(seed):
    """A new model, optimizer and loader; ``seed`` sets every generator (the resumed run overwrites them)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    model = ct.build_mlp([64, 32, 10], ["relu", "linear"], dropout=0.2, rng=np.random.default_rng(seed),
                         device="cpu")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(_data(), batch_size=32, shuffle=True, generator=generator)
    return model, optimizer, generator, loader


def _train(model, optimizer, loader, epochs):
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            if random.random() < 0.1:  # Python's generator: skip a tenth of the batches
                continue
            x = x + torch.from_numpy(np.random.normal(0, 0.05, x.shape).astype(np.float32))  # NumPy's
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def test_resume_equals_uninterrupted_run_bitwise(tmp_path):
    model, optimizer, _, loader = _fresh(0)
    _train(model, optimizer, loader, EPOCHS)
    straight = model.state_dict()

    model, optimizer, generator, loader = _fresh(0)
    _train(model, optimizer, loader, SPLIT)
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, epoch=SPLIT,
                           generators={"loader": generator}, extra={"note": "half way", "losses": [1.5, 0.5]})
    _train(model, optimizer, loader, 1)  # the random states move on after saving; loading rewinds them

    model, optimizer, generator, loader = _fresh(123)
    info = load_checkpoint(path, model, optimizer, generators={"loader": generator})
    assert info == {"epoch": SPLIT, "extra": {"note": "half way", "losses": [1.5, 0.5]}}
    _train(model, optimizer, loader, EPOCHS - info["epoch"])
    resumed = model.state_dict()
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_without_the_loader_generator_resuming_differs(tmp_path):
    """The test above can fail: leave out one random state and the weights differ."""
    model, optimizer, _, loader = _fresh(0)
    _train(model, optimizer, loader, EPOCHS)
    straight = model.state_dict()
    model, optimizer, _, loader = _fresh(0)
    _train(model, optimizer, loader, SPLIT)
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, epoch=SPLIT)
    model, optimizer, _, loader = _fresh(123)
    load_checkpoint(path, model, optimizer)
    _train(model, optimizer, loader, EPOCHS - SPLIT)
    assert not all(torch.equal(straight[k], v) for k, v in model.state_dict().items())


def test_checkpoint_loads_with_weights_only_and_is_written_atomically(tmp_path):
    model, optimizer, _, _ = _fresh(0)
    path = save_checkpoint(tmp_path / "c.pt", model, optimizer, epoch=3)
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 3 and set(state["model"]) == set(model.state_dict())
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_rng_state_round_trip():
    generator = torch.Generator().manual_seed(7)
    state = rng_state({"g": generator})
    first = (torch.rand(3), np.random.rand(3), random.random(), torch.rand(3, generator=generator))
    set_rng_state(state, {"g": generator})
    again = (torch.rand(3), np.random.rand(3), random.random(), torch.rand(3, generator=generator))
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert first[2] == again[2] and torch.equal(first[3], again[3])


class _OnAnotherDevice:
    """Stands for a state tensor that ``torch.load(map_location="cuda")`` put on a GPU: usable only via .cpu()."""

    def __init__(self, tensor):
        self.tensor = tensor

    def cpu(self):
        return self.tensor


def test_rng_states_loaded_onto_another_device_are_moved_back_to_the_cpu():
    generator = torch.Generator().manual_seed(7)
    state = rng_state({"g": generator})
    first = (torch.rand(3), np.random.rand(3), torch.rand(3, generator=generator))
    state["torch"] = _OnAnotherDevice(state["torch"])
    state["numpy"]["keys"] = _OnAnotherDevice(state["numpy"]["keys"])
    state["generators"]["g"] = _OnAnotherDevice(state["generators"]["g"])
    set_rng_state(state, {"g": generator})
    again = (torch.rand(3), np.random.rand(3), torch.rand(3, generator=generator))
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1]) and torch.equal(first[2], again[2])


def test_model_only_checkpoint(tmp_path):
    model, _, _, _ = _fresh(0)
    path = save_checkpoint(tmp_path / "m.pt", model)
    other, optimizer, _, _ = _fresh(5)
    load_checkpoint(path, other, restore_rng=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_checkpoint(path, other, optimizer)


def test_bad_input_is_named(tmp_path):
    model, _, generator, _ = _fresh(0)
    with pytest.raises(ValueError, match=r"extra\['when'\]\[1\] is a object"):
        save_checkpoint(tmp_path / "x.pt", model, extra={"when": [1, object()]})
    with pytest.raises(ValueError, match="epoch must be an int"):
        save_checkpoint(tmp_path / "x.pt", model, epoch=1.5)
    with pytest.raises(ValueError, match="folder .* does not exist"):
        save_checkpoint(tmp_path / "no" / "x.pt", model)
    assert list(tmp_path.iterdir()) == []  # nothing written by the failures
    path = save_checkpoint(tmp_path / "x.pt", model)
    with pytest.raises(ValueError, match="no generator 'loader'"):
        load_checkpoint(path, model, generators={"loader": generator})
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "other.pt", model)


def test_atomic_path_removes_the_temporary_file_on_failure(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
