"""companion.distributed: the DDP trainer under torchrun, and the NumPy ring (companion.parallelism) against gloo.

The multi-process tests launch ``torchrun`` with two workers on this machine (gloo on CPU); each launch
is bounded by a timeout and the files it writes go to ``tmp_path``.
"""

import contextlib
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from companion import distributed as D
from companion import launch as L

LAUNCH_TIMEOUT = 90  # seconds; a launch takes about 10-15 s on a busy 2-core machine
TRAIN = dict(epochs=3, global_batch=64, n_train=512, hidden=16, lr=0.3, device="cpu")  # tiny: launches are start-up


# --- the trainer, in one process ------------------------------------------------------------------------

def test_one_process_training_learns_and_writes_atomically(tmp_path):
    model, history = D.train(D.TrainConfig(out=str(tmp_path), **TRAIN))
    assert history["world_size"] == 1 and len(history["loss"]) == TRAIN["epochs"]
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    saved = D.load_weights(tmp_path / "weights.pt")
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)  # companion.checkpoint's format
    assert checkpoint["epoch"] == TRAIN["epochs"] and checkpoint["optimizer"]["state"]
    assert all(torch.equal(checkpoint["model"][k], v) for k, v in model.state_dict().items())
    assert json.loads((tmp_path / "history.json").read_text())["loss"] == history["loss"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "history.json", "weights.pt"]


def test_accumulating_micro_batches_equals_one_bigger_batch_in_one_process():
    big, _ = D.train(D.TrainConfig(**TRAIN))
    small, _ = D.train(D.TrainConfig(accumulate=4, **TRAIN))
    for k, v in big.state_dict().items():
        torch.testing.assert_close(small.state_dict()[k], v, rtol=0, atol=1e-6)


class _Recorder(torch.nn.Linear):
    """A model with DDP's ``no_sync``, recording whether each backward ran inside it."""

    def __init__(self):
        super().__init__(64, 10)
        self.inside, self.calls = False, []

    @contextlib.contextmanager
    def no_sync(self):
        self.inside = True
        yield
        self.inside = False

    def forward(self, x):
        self.calls.append(self.inside)
        return super().forward(x)


def test_step_skips_synchronization_on_all_but_the_last_micro_batch():
    model = _Recorder()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(12, 64), torch.randint(0, 10, (12,))
    D._step(model, optimizer, x, y, accumulate=3)
    assert model.calls == [True, True, False]


@pytest.mark.parametrize("options, match", [
    (dict(accumulate=3), "split evenly"),
    (dict(epochs=0), "epochs must be >= 1"),
    (dict(n_train=32), "smaller than global_batch"),
    (dict(device="tpu"), "device must be 'auto', 'cpu' or 'cuda'"),
])
def test_bad_training_configuration_is_named(options, match):
    with pytest.raises(ValueError, match=match):
        D.train(D.TrainConfig(**{**TRAIN, **options}))


def test_global_batch_must_split_over_the_ranks():
    with pytest.raises(ValueError, match="global_batch 63 must split evenly over 2 rank"):
        D.TrainConfig(global_batch=63).check(world_size=2)
    D.TrainConfig(global_batch=63).check(world_size=1)


def test_launch_rejects_bad_arguments():
    with pytest.raises(ValueError, match="module_args"):
        D.launch("companion.distributed train")
    with pytest.raises(ValueError, match="nproc"):
        D.launch(["json.tool"], nproc=0)
    with pytest.raises(ValueError, match="timeout"):
        D.launch(["json.tool"], timeout=0)


# --- under torchrun, two processes ----------------------------------------------------------------------

ACCUMULATE, NUMEL, REDUCERS = 2, 11, 3  # three ranks: the order of the additions can differ
TIMED = [16, 1024]  # the train launch also times all_reduce of these sizes, and trains alone on rank 0


@pytest.fixture(scope="module")
def single():
    model, _ = D.train(D.TrainConfig(**TRAIN))
    return model.state_dict()


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """The two torchrun launches, run at the same time: most of a launch is start-up (torchrun's agent,
    then its workers, each importing torch), and one launch's agent can start beside the other's
    workers. Returns {"train": (folder, stdout), "allreduce": (folder, stdout)}."""
    train_dir, reduce_dir = tmp_path_factory.mktemp("train"), tmp_path_factory.mktemp("allreduce")
    jobs = {"train": (train_dir, D.train_args(train_dir, per_rank_weights=True, allreduce_sizes=TIMED,
                                              alone_accumulate=[1], accumulate=ACCUMULATE, **TRAIN)),
            "allreduce": (reduce_dir, ["companion.distributed", "allreduce", "--out", str(reduce_dir),
                                       "--numel", str(NUMEL), "--repeats", "3", "--device", "cpu"])}
    nproc = {"train": 2, "allreduce": REDUCERS}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(D.launch, args, nproc=nproc[name], timeout=LAUNCH_TIMEOUT)
                   for name, (_, args) in jobs.items()}
        return {name: (jobs[name][0], future.result()) for name, future in futures.items()}


def test_two_ranks_agree_bitwise_and_match_one_process(launched, single):
    """2 ranks x 2 micro-batches of 16 (the first under no_sync) = the one process's batch of 64.

    One launch checks both claims: DDP with the same global batch matches one process, and gradient
    accumulation with no_sync matches the bigger batch (each rank's 32 samples in two pieces).
    """
    out, stdout = launched["train"]
    assert stdout.count("on 2 process(es)") == TRAIN["epochs"]  # rank 0 alone logs
    rank0, rank1 = (D.load_weights(out / f"weights_rank{r}.pt") for r in (0, 1))
    largest = 0.0
    for k, v in single.items():
        assert torch.equal(rank0[k], rank1[k]), f"ranks differ in {k}"
        largest = max(largest, float((rank0[k] - v).abs().max()))
    print(f"accumulate={ACCUMULATE}: ranks bitwise equal; max |2 ranks - 1 process| = {largest:.2e}")
    assert largest < 1e-5
    history = json.loads((out / "history.json").read_text())
    assert history["world_size"] == 2 and history["backend"] == "gloo"
    assert all(torch.equal(v, rank0[k]) for k, v in D.load_weights(out / "weights.pt").items())


def test_ring_all_reduce_equals_torch_distributed_all_reduce(launched):
    out, _ = launched["allreduce"]
    ours, _ = D.ring_all_reduce(D.allreduce_inputs(NUMEL, REDUCERS))
    largest = 0.0
    for r in range(REDUCERS):
        theirs = np.load(out / f"allreduce_rank{r}.npy")
        np.testing.assert_allclose(theirs, ours[r], rtol=0, atol=1e-14)
        largest = max(largest, float(np.abs(theirs - ours[r]).max()))
    print(f"ring all-reduce vs gloo's all_reduce, {REDUCERS} ranks: max difference {largest:.1e}")
    info = json.loads((out / "allreduce.json").read_text())
    assert info["bytes"] == NUMEL * 8 and info["seconds"] > 0


def test_a_failing_launch_raises_with_the_workers_stderr(monkeypatch):
    # a stand-in for torchrun that fails as a worker would: the error must carry its code and stderr
    fail = "import sys; sys.stderr.write('rank 1: ValueError: boom'); sys.exit(3)"
    monkeypatch.setattr(L, "torchrun_command", lambda module_args, nproc: [sys.executable, "-c", fail])
    with pytest.raises(D.LaunchError, match=r"exited with code 3; workers' stderr:\nrank 1: ValueError: boom"):
        D.launch(["companion.distributed", "train"], nproc=2, timeout=LAUNCH_TIMEOUT)


def test_a_timeout_kills_workers_in_sessions_of_their_own(monkeypatch, tmp_path):
    # like torchrun: a parent whose worker runs in a new session, holding the same stdout and stderr
    pid_file = tmp_path / "worker.pid"
    worker = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    parent = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {worker!r}], "
              "start_new_session=True); time.sleep(60)")
    monkeypatch.setattr(L, "torchrun_command", lambda module_args, nproc: [sys.executable, "-c", parent])
    with pytest.raises(D.LaunchError, match="past its timeout of 4 s"):
        D.launch(["companion.distributed", "train"], nproc=2, timeout=4)
    stat = Path(f"/proc/{int(pid_file.read_text())}/stat")
    for _ in range(50):  # gone, or a zombie waiting for whoever adopted it to reap it
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the worker outlived the timeout")


def test_a_launch_past_its_timeout_is_killed():
    with pytest.raises(D.LaunchError, match="past its timeout of 0.5 s"):
        D.launch(["companion.distributed", "train"], nproc=2, timeout=0.5)


def test_the_same_launch_times_all_reduce_and_trains_the_one_process_reference(launched, single):
    """--allreduce-sizes and --alone-accumulate: one torchrun start-up does all of the page's work."""
    out, stdout = launched["train"]
    rows = json.loads((out / "allreduce_times.json").read_text())
    assert [r["numel"] for r in rows] == TIMED and [r["bytes"] for r in rows] == [8 * n for n in TIMED]
    assert all(r["seconds"] > 0 for r in rows)
    alone = out / "alone_accumulate1"
    history = json.loads((alone / "history.json").read_text())
    assert history["world_size"] == 1 and history["backend"] == "none"
    assert stdout.count("on 1 process(es)") == TRAIN["epochs"]              # rank 0 alone ran it
    reference = D.load_weights(alone / "weights.pt")
    for k, v in single.items():  # the same computation as the in-process run; thread counts may differ
        torch.testing.assert_close(reference[k], v, rtol=0, atol=1e-6)


# --- launching in the background ------------------------------------------------------------------------

def test_start_launch_returns_at_once_and_wait_collects(monkeypatch):
    script = "import sys, time; time.sleep(0.5); print('done', sys.argv[1:])"
    monkeypatch.setattr(L, "torchrun_command", lambda module_args, nproc: [sys.executable, "-c", script, *module_args])
    start = time.perf_counter()
    job = D.start_launch(["companion.distributed", "train"], nproc=2)
    assert time.perf_counter() - start < 0.4 and job.proc.poll() is None     # not waited for
    assert job.wait(timeout=30).strip() == "done ['companion.distributed', 'train']"
    job.kill()                                                                 # harmless once it has ended


def test_a_launch_used_as_a_context_kills_its_workers_on_leaving(monkeypatch):
    monkeypatch.setattr(L, "torchrun_command", lambda module_args, nproc: [sys.executable, "-c",
                                                                           "import time; time.sleep(60)"])
    with D.start_launch(["companion.distributed", "train"]) as job:
        assert job.proc.poll() is None
    assert job.proc.returncode is not None                       # killed and reaped, not left running
    with pytest.raises(ValueError, match="timeout"):
        job.wait(timeout=0)
    with pytest.raises(ValueError, match="module_args"):
        D.start_launch([])


def test_train_args_round_trip_through_the_command_line():
    args = D.train_args("run", per_rank_weights=True, allreduce_numel=7, allreduce_sizes=[8, 64],
                        alone_accumulate=[1, 4], accumulate=2, lr=0.5, device="cpu")
    assert args[:4] == ["companion.distributed", "train", "--out", "run"]
    parsed = vars(D._parser().parse_args(args[1:]))
    assert parsed["accumulate"] == 2 and parsed["lr"] == 0.5 and parsed["device"] == "cpu"
    assert parsed["per_rank_weights"] is True and parsed["allreduce_numel"] == 7
    assert parsed["allreduce_sizes"] == "8,64" and parsed["alone_accumulate"] == "1,4"
    assert vars(D._parser().parse_args(D.train_args("x")[1:]))["alone_accumulate"] == ""
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['batch'\]"):
        D.train_args("run", batch=3)


def test_training_alone_ignores_torchrun_s_environment(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")                      # as under torchrun: no process group made
    model, history = D.train(D.TrainConfig(**{**TRAIN, "epochs": 1}), alone=True)
    assert history["world_size"] == 1 and history["backend"] == "none"
