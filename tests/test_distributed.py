"""companion.distributed: the ring all-reduce by hand, its cost, and the DDP trainer under torchrun.

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


# --- ring all-reduce, simulated -------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(12,), (5,), (3, 4), (2,)])
def test_ring_all_reduce_gives_every_worker_the_sum(p, shape):
    rng = np.random.default_rng(p)
    arrays = [rng.standard_normal(shape) for _ in range(p)]
    results, log = D.ring_all_reduce(arrays)
    assert len(results) == p and len(log) == 2 * (p - 1)
    for r in results:
        assert r.shape == shape
        np.testing.assert_allclose(r, np.sum(arrays, axis=0), rtol=1e-12, atol=1e-12)
    # the all-gather copies: every worker ends with bitwise the same numbers
    assert all(np.array_equal(results[0], r) for r in results)
    assert all(a is not r for a, r in zip(arrays, results))


def test_ring_all_reduce_leaves_its_inputs_alone_and_keeps_integers_exact():
    arrays = [np.arange(10) * (i + 1) for i in range(3)]
    copies = [a.copy() for a in arrays]
    results, _ = D.ring_all_reduce(arrays)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))
    assert results[0].dtype == arrays[0].dtype and np.array_equal(results[2], np.arange(10) * 6)


def test_ring_log_follows_the_schedule_and_counts_bytes():
    p, n = 4, 10  # chunks of 3, 3, 2, 2 elements
    results, log = D.ring_all_reduce([np.ones(n) for _ in range(p)])
    sizes = [len(c) * 8 for c in np.array_split(np.zeros(n), p)]
    assert [e["phase"] for e in log] == ["reduce-scatter"] * 3 + ["all-gather"] * 3
    for entry in log:
        s = entry["step"]
        offset = -s if entry["phase"] == "reduce-scatter" else 1 - s
        assert entry["chunks"] == [(i + offset) % p for i in range(p)]
        assert entry["bytes"] == [sizes[c] for c in entry["chunks"]]
    # each phase, worker i sends every chunk but one: not (i + 1) in reduce-scatter (it ends up owning
    # it), not (i + 2) in all-gather (its neighbour owns that one already)
    sent = np.sum([e["bytes"] for e in log], axis=0)
    assert all(sent[i] == 2 * sum(sizes) - sizes[(i + 1) % p] - sizes[(i + 2) % p] for i in range(p))


def test_after_reduce_scatter_worker_i_owns_the_sum_of_chunk_i_plus_1():
    p = 3
    arrays = [np.arange(6.0) + 10 * i for i in range(p)]
    _, log = D.ring_all_reduce(arrays)
    # the first all-gather step sends exactly the owned (fully reduced) chunks
    assert log[p - 1]["chunks"] == [(i + 1) % p for i in range(p)]


@pytest.mark.parametrize("p", [2, 4, 8])
def test_cost_model_matches_the_bytes_the_simulation_sends(p):
    n, bandwidth, latency = 8 * 1024, 1e9, 5e-6
    _, log = D.ring_all_reduce([np.zeros(n // 8) for _ in range(p)])
    # steps are synchronous: each lasts as long as its largest message plus one latency
    simulated = sum(max(e["bytes"]) / bandwidth + latency for e in log)
    assert D.ring_all_reduce_cost(n, p, bandwidth, latency) == pytest.approx(simulated, rel=1e-12)
    assert D.ring_all_reduce_cost(n, 1, bandwidth, latency) == 0.0


def test_cost_bandwidth_term_approaches_twice_the_array():
    one = D.ring_all_reduce_cost(1e9, 2, 1e9)
    many = D.ring_all_reduce_cost(1e9, 1000, 1e9)
    assert one == pytest.approx(1.0) and many == pytest.approx(2 * 999 / 1000)


@pytest.mark.parametrize("arrays, match", [
    ([], "non-empty list"),
    (np.ones(3), "non-empty list"),
    ([np.ones(3), np.ones(4)], "same shape"),
    ([np.array(["a", "b"]), np.array(["c", "d"])], "numeric"),
])
def test_ring_all_reduce_rejects_bad_input(arrays, match):
    with pytest.raises(ValueError, match=match):
        D.ring_all_reduce(arrays)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_bytes=-1, workers=2, bandwidth=1.0), "n_bytes"),
    (dict(n_bytes=1, workers=0, bandwidth=1.0), "workers"),
    (dict(n_bytes=1, workers=2.5, bandwidth=1.0), "workers"),
    (dict(n_bytes=1, workers=2, bandwidth=0.0), "bandwidth must be > 0"),
    (dict(n_bytes=1, workers=2, bandwidth=float("inf")), "bandwidth"),
    (dict(n_bytes=1, workers=2, bandwidth=1.0, latency=float("nan")), "latency"),
])
def test_cost_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.ring_all_reduce_cost(**kwargs)


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


# --- the ring, replayed ---------------------------------------------------------------------------------

def test_recorded_ring_keeps_each_step_s_buffers():
    arrays = [np.arange(6.0) * (i + 1) for i in range(3)]
    results, log = D.ring_all_reduce(arrays, record=True)
    assert all(len(e["after"]) == 3 for e in log)
    assert all(np.array_equal(a, r) for a, r in zip(log[-1]["after"], results))
    # after the first reduce-scatter step, worker 1 has added worker 0's chunk 0 to its own
    np.testing.assert_array_equal(log[0]["after"][1][:2], arrays[0][:2] + arrays[1][:2])
    assert "after" not in D.ring_all_reduce(arrays)[1][0]


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_ring_contributions_track_whose_numbers_each_copy_holds(p):
    held, log = D.ring_contributions(p)
    assert held.shape == (2 * (p - 1) + 1, p, p, p) and len(log) == 2 * (p - 1)
    np.testing.assert_array_equal(held[0], np.broadcast_to(np.eye(p, dtype=bool)[:, None, :], (p, p, p)))
    for t, entry in enumerate(log, start=1):
        for i, c in enumerate(entry["chunks"]):
            receiver = (i + 1) % p
            expected = held[t - 1, i, c] | held[t - 1, receiver, c] if entry["phase"] == "reduce-scatter" \
                else held[t - 1, i, c]
            np.testing.assert_array_equal(held[t, receiver, c], expected)
    after_scatter = held[p - 1]
    assert all(after_scatter[i, (i + 1) % p].all() for i in range(p))
    assert after_scatter.all(-1).sum() == p and held[-1].all()


@pytest.mark.parametrize("workers", [0, 63, 2.0, True])
def test_ring_contributions_reject_bad_worker_counts(workers):
    with pytest.raises(ValueError, match="workers must be an integer from 1 to 62"):
        D.ring_contributions(workers)


# --- DistributedSampler's shards, ZeRO, GPipe, the fitted model ------------------------------------------

def test_shard_indices_equal_distributed_sampler_without_shuffling():
    from torch.utils.data.distributed import DistributedSampler

    for n in range(0, 14):
        for world in range(1, 6):
            for rank in range(world):
                for drop_last in (False, True):
                    theirs = list(DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False,
                                                     drop_last=drop_last))
                    ours = D.shard_indices(n, world, rank, drop_last)
                    assert ours.dtype == np.int64 and ours.tolist() == theirs, (n, world, rank, drop_last)


@pytest.mark.parametrize("args, match", [((10, 0, 0), "world_size >= 1"), ((10, 2, 2), "rank < world_size"),
                                         ((-1, 2, 0), "n >= 0"), ((10.0, 2, 0), "n must be an integer")])
def test_shard_indices_reject_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        D.shard_indices(*args)


def test_zero_memory_gives_the_paper_s_example():
    """Rajbhandari et al. (2020), Figure 1: 7.5B parameters, N_d = 64, K = 12."""
    gb = [D.zero_memory_per_gpu(7.5e9, 64, stage) / 1e9 for stage in range(4)]
    assert [round(g, 1) for g in gb] == [120.0, 31.4, 16.6, 1.9]
    assert D.zero_memory_per_gpu(1e9, 1, 3) == D.zero_memory_per_gpu(1e9, 1, 0) == 16e9   # one GPU: no sharding
    assert D.zero_memory_per_gpu(1e9, 8, 1, k=8) == 4e9 + 1e9                          # another optimizer
    assert D.zero_memory_per_gpu(1e9, 8, 0, bytes_per_weight=4) == (4 + 4 + 12) * 1e9     # float32 weights


@pytest.mark.parametrize("kwargs, match", [(dict(params=-1, gpus=2), "params"), (dict(params=1, gpus=0), "gpus"),
                                           (dict(params=1, gpus=2, stage=4), "stage")])
def test_zero_memory_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.zero_memory_per_gpu(**kwargs)


def _gpipe_idle_fraction(stages, micro_batches):
    """Referee: simulate the forward schedule slot by slot; micro-batch m may enter stage s once stage s - 1
    has finished it and stage s has finished micro-batch m - 1."""
    finish = np.zeros((stages, micro_batches), dtype=int)
    for s in range(stages):
        for m in range(micro_batches):
            ready = max(finish[s - 1, m] if s else 0, finish[s, m - 1] if m else 0)
            finish[s, m] = ready + 1
    slots = finish[-1, -1]
    return (slots - micro_batches) / slots


@pytest.mark.parametrize("stages, micro_batches", [(1, 1), (1, 5), (4, 1), (4, 4), (8, 32), (3, 7)])
def test_bubble_fraction_matches_a_simulated_schedule(stages, micro_batches):
    assert D.pipeline_bubble_fraction(stages, micro_batches) == pytest.approx(
        _gpipe_idle_fraction(stages, micro_batches), abs=1e-15)


def test_bubble_fraction_rejects_bad_input():
    with pytest.raises(ValueError, match="stages must be an integer >= 1"):
        D.pipeline_bubble_fraction(0, 4)
    with pytest.raises(ValueError, match="micro_batches must be an integer >= 1"):
        D.pipeline_bubble_fraction(4, 2.5)


def test_fit_ring_model_recovers_bandwidth_and_latency():
    sizes = [8, 1024, 2**16, 2**20, 2**24]
    rows = [{"bytes": n, "seconds": D.ring_all_reduce_cost(n, 4, 3e9, 2e-5)} for n in sizes]
    bandwidth, latency = D.fit_ring_model(rows, 4)
    assert bandwidth == pytest.approx(3e9, rel=1e-9) and latency == pytest.approx(2e-5, rel=1e-9)
    noisy = [{**r, "seconds": r["seconds"] * f} for r, f in zip(rows, [1.1, 0.9, 1.05, 0.95, 1.0])]
    b, a = D.fit_ring_model(noisy, 4)
    assert b == pytest.approx(3e9, rel=0.2) and a == pytest.approx(2e-5, rel=0.2)


def test_fit_ring_model_keeps_both_terms_non_negative():
    # times that fall as messages grow would need a negative cost per byte: the fit keeps latency only
    rows = [{"bytes": 1e3, "seconds": 2e-3}, {"bytes": 1e6, "seconds": 1e-3}]
    bandwidth, latency = D.fit_ring_model(rows, 2)
    assert bandwidth == float("inf") and latency > 0
    # times proportional to bytes alone: no latency
    rows = [{"bytes": n, "seconds": D.ring_all_reduce_cost(n, 2, 1e9)} for n in (1e3, 1e6)]
    bandwidth, latency = D.fit_ring_model(rows, 2)
    assert bandwidth == pytest.approx(1e9) and latency == pytest.approx(0, abs=1e-15)


@pytest.mark.parametrize("rows, workers, match", [
    ([{"bytes": 8, "seconds": 1.0}], 2, "at least 2"),
    ([{"bytes": 8, "seconds": 1.0}] * 2, 1, "workers must be an integer >= 2"),
    ([{"bytes": 8, "seconds": 0.0}] * 2, 2, "seconds > 0"),
])
def test_fit_ring_model_rejects_bad_input(rows, workers, match):
    with pytest.raises(ValueError, match=match):
        D.fit_ring_model(rows, workers)
