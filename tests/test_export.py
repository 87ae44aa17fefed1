"""companion.deploy.export: torch.export and ONNX (onnxruntime) give eager PyTorch's outputs.

The models are the book's digits MLP (64 -> 32 -> 10) and LeNet on 8x8 images, exported once per module
(tracing takes a few seconds). Eager PyTorch is the referee; the maximum difference is printed (run with -s).
"""

import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from companion import torch as ct
from companion.deploy.export import export_onnx, export_program, onnx_session, plain_torch, run_onnx

TOL = 1e-5  # float32: the runtimes may sum in another order, a few units in the last place


def _mlp():
    torch.manual_seed(0)
    return ct.build_mlp([64, 32, 10], ["relu", "linear"], rng=np.random.default_rng(0), device="cpu")


def _lenet():
    return ct.build_lenet(channels=(4, 8), rng=np.random.default_rng(1), device="cpu")


MODELS = {"mlp": (_mlp, (64,)), "lenet": (_lenet, (1, 8, 8))}


@pytest.fixture(scope="module", params=sorted(MODELS))
def exported(request, tmp_path_factory):
    """(name, model, program, session, feature shape), the ONNX file in a fresh temporary folder."""
    build, shape = MODELS[request.param]
    model = build()
    example = torch.rand(4, *shape)
    program = export_program(model, example)
    path = export_onnx(model, example, tmp_path_factory.mktemp("onnx") / f"{request.param}.onnx")
    return request.param, model, program, onnx_session(path, threads=1), shape, path


def _batch(shape, n, seed):
    return torch.from_numpy(np.random.default_rng(seed).random((n, *shape), dtype=np.float32))


@pytest.mark.parametrize("n", [1, 37])
def test_outputs_equal_eager(exported, n):
    name, model, program, session, shape, _ = exported
    x = _batch(shape, n, seed=n)
    with torch.no_grad():
        eager = model(x).numpy()
        from_program = program.module()(x).numpy()
    from_onnx = run_onnx(session, x.numpy())
    assert from_program.shape == from_onnx.shape == (n, 10)
    diff_program = np.abs(from_program - eager).max()
    diff_onnx = np.abs(from_onnx - eager).max()
    print(f"\n{name} batch {n}: max |export - eager| = {diff_program:.1e}, max |onnx - eager| = {diff_onnx:.1e}")
    assert diff_program <= TOL and diff_onnx <= TOL


def test_onnx_file_is_valid_with_symbolic_batch(exported):
    name, _, _, session, shape, path = exported
    onnx.checker.check_model(str(path))
    spec = session.get_inputs()[0]
    assert spec.name == "x" and not isinstance(spec.shape[0], int) and tuple(spec.shape[1:]) == shape
    assert session.get_outputs()[0].name == "logits"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left beside it


def test_run_onnx_accepts_a_tensor(exported):
    _, model, _, session, shape, _ = exported
    x = _batch(shape, 3, seed=5)
    assert np.array_equal(run_onnx(session, x), run_onnx(session, x.numpy()))


def test_bad_input_is_named(exported):
    _, _, _, session, shape, _ = exported
    good = _batch(shape, 2, seed=0).numpy()
    with pytest.raises(ValueError, match="dtype float64, the model expects float32"):
        run_onnx(session, good.astype(np.float64))
    with pytest.raises(ValueError, match=r"has shape \(2, 5\), the model expects \(batch, "):
        run_onnx(session, np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"the model expects"):
        run_onnx(session, good[0])  # one row without its batch dimension
    with pytest.raises(ValueError, match="dtype <U1"):
        run_onnx(session, [["a"]])
    with pytest.raises(ValueError, match="not a rectangular array"):
        run_onnx(session, [[0.0, 1.0], [2.0]])
    with pytest.raises(ValueError, match="empty batch"):
        run_onnx(session, good[:0])
    bad = good.copy()
    bad.flat[3] = np.nan
    with pytest.raises(ValueError, match="1 non-finite value"):
        run_onnx(session, bad)


def test_fixed_batch_export_keeps_that_batch():
    program = export_program(_mlp(), torch.rand(3, 64), dynamic_batch=False)
    assert program.module()(torch.rand(3, 64)).shape == (3, 10)
    with pytest.raises(Exception):
        program.module()(torch.rand(4, 64))


def test_batch_one_example_still_gives_a_dynamic_batch():
    program = export_program(_mlp(), torch.rand(1, 64))  # torch.export would otherwise fix the batch at 1
    assert program.module()(torch.rand(5, 64)).shape == (5, 10)


def test_export_restores_training_mode():
    model = _mlp().train()
    export_program(model, torch.rand(2, 64))
    assert model.training
    with_dropout = ct.build_mlp([64, 16, 10], ["relu", "linear"], dropout=0.5, device="cpu")
    x = torch.rand(6, 64)
    program = export_program(with_dropout, x)  # traced in eval mode: dropout is the identity
    with torch.no_grad():
        assert torch.equal(program.module()(x), with_dropout.eval()(x))


class _Branchy(torch.nn.Module):
    """A model torch.export cannot trace: Python branches on a tensor's value."""

    def forward(self, x):
        return x if x.sum() > 0 else -x


def test_failed_export_leaves_no_file(tmp_path):
    target = tmp_path / "model.onnx"
    with pytest.raises(Exception):
        export_onnx(_Branchy(), torch.rand(2, 3), target)
    assert list(tmp_path.iterdir()) == []


class _HalfWriter:
    """Stands in for torch.onnx's ONNXProgram: its save writes half a file, then fails."""

    def save(self, destination, **kwargs):
        with open(destination, "wb") as f:
            f.write(b"half a model")
        raise OSError("disk full")


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    monkeypatch.setattr(torch.onnx, "export", lambda *args, **kwargs: _HalfWriter())
    with pytest.raises(OSError, match="disk full"):
        export_onnx(_mlp(), torch.rand(2, 64), target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    with pytest.raises(OSError, match="disk full"):
        export_onnx(_mlp(), torch.rand(2, 64), tmp_path / "new.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        export_program(lambda x: x, torch.rand(2, 3))
    with pytest.raises(ValueError, match="example must be a torch.Tensor"):
        export_program(_mlp(), np.zeros((2, 64), np.float32))
    with pytest.raises(ValueError, match="batch dimension"):
        export_program(_mlp(), torch.rand(0, 64))


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        export_onnx(_mlp(), torch.rand(2, 64), tmp_path / "nowhere" / "m.onnx")


def test_importing_deploy_is_cheap():
    code = "import sys, companion.deploy; print(any(m in sys.modules for m in ('torch', 'onnxruntime', 'fastapi')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_batch_norm_lenet_exports_its_running_statistics():
    model = ct.build_lenet(channels=(4, 8), batch_norm=True, rng=np.random.default_rng(2), device="cpu")
    model(torch.rand(16, 1, 8, 8) * 3 + 1)  # one training-mode pass moves the running statistics
    x = torch.rand(5, 1, 8, 8)
    program = export_program(model, x)
    with torch.no_grad():
        assert model.training and (program.module()(x) - model.eval()(x)).abs().max() <= TOL


def test_best_latency_is_the_fastest_round_per_call():
    import time

    from companion.deploy.export import best_latency_us

    calls = []
    assert 2000 <= best_latency_us(lambda: (calls.append(1), time.sleep(0.002)), number=3, repeats=2) < 50_000
    assert len(calls) == 1 + 3 * 2                                     # one warm-up, then the rounds
    with pytest.raises(ValueError, match="number and repeats must be positive"):
        best_latency_us(lambda: None, number=0)


def test_best_latency_reads_the_clock_it_is_given():
    from companion.deploy.export import best_latency_us

    ticks = iter(range(0, 1000, 2))                                    # each reading 2 s after the previous
    assert best_latency_us(lambda: None, number=4, repeats=3, clock=lambda: next(ticks)) == 2 / 4 * 1e6


def test_onnx_export_keeps_the_cell_quiet(tmp_path):
    """In a fresh process (the exporter warns about torchvision once per process), nothing is printed."""
    script = ("import logging, numpy as np, torch\n"
              "from companion import torch as ct\n"
              "from companion.deploy.export import export_onnx\n"
              "net = ct.build_mlp([4, 3], ['linear'], rng=np.random.default_rng(0), dtype=torch.float32, device='cpu')\n"
              f"export_onnx(net, torch.zeros(1, 4), {str(tmp_path / 'quiet.onnx')!r})\n"
              "assert logging.getLogger('torch.onnx').level == logging.NOTSET  # restored\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "torchvision is not installed" not in done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr


def test_plain_torch_copies_the_network_into_torch_nn_layers():
    net = ct.build_mlp([6, 5, 4, 3], ["relu", "tanh", "linear"], rng=np.random.default_rng(0), dtype=torch.float32,
                       device="cpu", dropout=0.2)
    net.eval()
    plain = plain_torch(net)
    kinds = [type(layer) for layer in plain]
    assert kinds == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout, torch.nn.Linear, torch.nn.Tanh,
                     torch.nn.Dropout, torch.nn.Linear, torch.nn.Identity]
    assert not plain.training and plain[2].p == 0.2
    x = torch.randn(7, 6)
    with torch.no_grad():
        assert torch.equal(plain(x), net(x))  # the same F.linear calls: bitwise equal
        plain[0].weight.add_(1.0)
    assert not torch.equal(plain[0].weight, net[0].weight)  # copies, not shared parameters
    with pytest.raises(ValueError, match="no plain torch.nn counterpart"):
        plain_torch(ct.build_mlp([2, 2], ["softmax"], rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match="must be a Sequential"):
        plain_torch(torch.nn.Linear(2, 2))
