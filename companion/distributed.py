"""Data-parallel training on PyTorch's own distributed engine.

``python -m companion.distributed train --out DIR`` trains a small MLP on the 8x8 digits with
``DistributedDataParallel`` (gloo on CPU, NCCL with CUDA), a ``DistributedSampler`` with a fixed seed,
logging and atomic checkpoints on rank 0 only. Run it under ``torchrun`` with :func:`launch` (a
subprocess, so it works from a notebook cell, where ``mp.spawn`` cannot pickle functions defined in the
cell); run :func:`train` in-process for the one-process reference with the same global batch. The same
command checks and times ``torch.distributed.all_reduce`` against the ring done by hand in NumPy
(:mod:`companion.parallelism`, whose names are re-exported here).
"""

import argparse
import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

# the launcher lives in companion.launch; its names stay importable from here
from companion.launch import Launch, LaunchError, launch, start_launch, torchrun_command  # noqa: F401

# the arithmetic (the ring by hand, its cost, ZeRO, GPipe) lives in companion.parallelism; its names
# stay importable from here
from companion.parallelism import (  # noqa: F401
    PHASES, allreduce_inputs, fit_ring_model, pipeline_bubble_fraction, ring_all_reduce, ring_all_reduce_cost,
    ring_contributions, shard_indices, zero_memory_per_gpu)


# --- the trainer ---------------------------------------------------------------------------------------

@dataclass
class TrainConfig:
    """What ``train`` needs. ``global_batch`` is summed over all ranks (each gets ``global_batch /
    world_size``); ``accumulate`` splits each rank's batch into that many micro-batches, synchronizing
    gradients only on the last (``no_sync`` on the others). ``n_train`` digits are used, cut down to a
    multiple of ``global_batch`` so every rank sees whole, equal batches. ``device`` is "auto" (a GPU per
    rank with NCCL where there are enough, else the CPU with gloo), "cpu" or "cuda"."""

    out: str = ""
    epochs: int = 3
    global_batch: int = 64
    accumulate: int = 1
    hidden: int = 32
    lr: float = 0.1
    momentum: float = 0.9
    n_train: int = 1024
    seed: int = 0
    device: str = "auto"
    per_rank_weights: bool = False

    def check(self, world_size):
        for name in ("epochs", "global_batch", "accumulate", "hidden", "n_train"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.global_batch % world_size or (self.global_batch // world_size) % self.accumulate:
            raise ValueError(f"global_batch {self.global_batch} must split evenly over {world_size} rank(s) "
                             f"and then into accumulate={self.accumulate} micro-batches")
        if self.n_train < self.global_batch:
            raise ValueError(f"n_train {self.n_train} is smaller than global_batch {self.global_batch}")


def digits_dataset(n_train, global_batch, seed=0):
    """A TensorDataset of the first ``n_train`` digits in a seeded shuffle, cut to a multiple of
    ``global_batch``: X (N, 64) float32 in [0, 1], y (N,) int64."""
    import torch

    from companion.data.shipped import load_digits

    X, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(y))[:n_train]
    order = order[: len(order) // global_batch * global_batch]
    return torch.utils.data.TensorDataset(torch.tensor(X[order], dtype=torch.float32),
                                          torch.tensor(y[order], dtype=torch.int64))


def _context():
    """(rank, world_size, local_rank) from torchrun's environment; (0, 1, 0) when run alone."""
    env = os.environ
    return int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0))


def _setup(world_size, local_rank, device="auto"):
    """The device, and a process group when there are several ranks: NCCL when each local rank has a GPU
    of its own (``device`` "auto" or "cuda"), gloo on the CPU otherwise (one GPU cannot hold two NCCL
    ranks, so two processes on a one-GPU machine train on the CPU)."""
    import torch
    import torch.distributed as dist

    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device == "cuda" and gpus < local_world:
        raise ValueError(f"device 'cuda' needs a GPU per local rank: {local_world} rank(s), {gpus} GPU(s)")
    cuda = device != "cpu" and gpus >= local_world
    chosen = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(chosen)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return chosen


def _step(model, optimizer, xb, yb, accumulate):
    """One optimizer step on a rank's batch (B, 64), split into ``accumulate`` equal micro-batches whose
    mean losses are divided by ``accumulate``: the gradient of the whole batch's mean loss. Returns it."""
    import torch.nn.functional as F

    total = 0.0
    pieces = list(zip(xb.chunk(accumulate), yb.chunk(accumulate)))
    for i, (x, y) in enumerate(pieces):
        last = i == len(pieces) - 1
        sync = contextlib.nullcontext() if last or not hasattr(model, "no_sync") else model.no_sync()
        with sync:  # DDP all-reduces gradients only on the last micro-batch's backward
            loss = F.cross_entropy(model(x), y) / accumulate
            loss.backward()
        total += loss.item()
    optimizer.step()
    optimizer.zero_grad()
    return total


def train(config, alone=False):
    """Train the digits MLP (64 -> hidden -> 10, ReLU) with SGD; under torchrun with DDP, else alone.

    Each epoch a ``DistributedSampler`` (seed ``config.seed``, ``set_epoch``) deals each rank its share
    of one seeded permutation, so the ranks' batches together are the one-process run's batch. Rank 0
    prints the epoch's mean loss (averaged over ranks) and samples per second, and writes atomically to
    ``config.out``: ``checkpoint.pt`` (model, optimizer, epoch) after each epoch, then ``weights.pt``
    (the model's state_dict) and ``history.json``. Returns ``(model, history)`` (the bare model, not
    the DDP wrapper). ``alone`` trains as one process even under torchrun (no DDP, the whole global batch
    per step): the one-process reference, run by rank 0 after the distributed run.
    """
    import torch
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    import companion
    from companion.checkpoint import save_checkpoint
    from companion.torch import build_mlp

    rank, world, local_rank = _context()
    if alone:
        rank, world = 0, 1
    config.check(world)
    device = _setup(world, local_rank, config.device)
    companion.seed(config.seed)  # the same initial weights everywhere (DDP also broadcasts rank 0's)
    model = build_mlp([64, config.hidden, 10], ["relu", "linear"], device=device)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum)
    data = digits_dataset(config.n_train, config.global_batch, config.seed)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=config.seed)
    loader = DataLoader(data, batch_size=config.global_batch // world, sampler=sampler)
    out = Path(config.out) if config.out else None
    if out is not None:  # every rank: with per_rank_weights each writes there
        out.mkdir(parents=True, exist_ok=True)
    history = {"world_size": world, "backend": _backend_name(world), "loss": [], "samples_per_s": [],
               "config": asdict(config)}
    for epoch in range(config.epochs):
        sampler.set_epoch(epoch)  # a new permutation each epoch, the same on every rank
        start, losses = time.perf_counter(), []
        for xb, yb in loader:
            losses.append(_step(net, optimizer, xb.to(device), yb.to(device), config.accumulate))
        loss = _mean_over_ranks(float(np.mean(losses)), world, device)
        history["loss"].append(loss)
        history["samples_per_s"].append(len(data) / (time.perf_counter() - start))
        if rank == 0:
            print(f"epoch {epoch + 1}/{config.epochs} loss {loss:.4f} "
                  f"{history['samples_per_s'][-1]:.0f} samples/s on {world} process(es)", flush=True)
            if out is not None:
                save_checkpoint(out / "checkpoint.pt", model, optimizer, epoch=epoch + 1)
    _write_results(model, history, out, rank, config.per_rank_weights)
    return model, history


def _backend_name(world):
    import torch.distributed as dist

    return dist.get_backend() if world > 1 else "none"


def _mean_over_ranks(value, world, device):
    if world == 1:
        return value
    import torch
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t) / world


def _write_results(model, history, out, rank, per_rank):
    from companion.checkpoint import atomic_save

    if out is None:
        return
    if per_rank:  # for checking that the replicas agree bit for bit
        atomic_save(model.state_dict(), out / f"weights_rank{rank}.pt")
    if rank == 0:
        atomic_save(model.state_dict(), out / "weights.pt")
        tmp = out / ".history.json.tmp"
        tmp.write_text(json.dumps(history, indent=1))
        os.replace(tmp, out / "history.json")


def load_weights(path):
    """The state_dict written by the trainer, read with ``torch.load(weights_only=True)``."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def train_args(out, per_rank_weights=False, allreduce_numel=0, allreduce_sizes=(), alone_accumulate=(),
               **options):
    """The module arguments for :func:`launch` / :func:`start_launch` that run the ``train`` command into
    ``out``: ``options`` are :class:`TrainConfig` fields (``accumulate=2`` becomes ``--accumulate 2``);
    ``per_rank_weights`` makes every rank save its weights; ``allreduce_numel`` and ``allreduce_sizes`` add
    the all-reduce check and timings to the same launch (one start-up instead of two); for each value in
    ``alone_accumulate`` rank 0 then trains alone, the one-process reference with the same global batch
    and that many micro-batches, into ``out/alone_accumulate{A}``."""
    fields = set(asdict(TrainConfig()))
    unknown = sorted(set(options) - fields)
    if unknown:
        raise ValueError(f"unknown TrainConfig field(s) {unknown}; known: {sorted(fields)}")
    args = ["companion.distributed", "train", "--out", str(out)]
    for key, value in options.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    if per_rank_weights:
        args.append("--per-rank-weights")
    if allreduce_numel:
        args += ["--allreduce-numel", str(int(allreduce_numel))]
    if len(allreduce_sizes):
        args += ["--allreduce-sizes", ",".join(str(int(n)) for n in allreduce_sizes)]
    if len(alone_accumulate):
        args += ["--alone-accumulate", ",".join(str(int(a)) for a in alone_accumulate)]
    return args


def measure_throughput(nproc, out, threads=1, timeout=300.0, **options):
    """Training samples per second on ``nproc`` processes under torchrun (1 included, for a fair
    baseline), each with ``threads`` threads: the median over epochs after the first (which pays for
    warm-up). ``options`` are :class:`TrainConfig` fields; the run writes into ``out``."""
    launch(train_args(out, **options), nproc=nproc, timeout=timeout, threads=threads)
    rates = json.loads((Path(out) / "history.json").read_text())["samples_per_s"]
    return float(np.median(rates[1:] if len(rates) > 1 else rates))


# --- all-reduce over gloo, for comparison ---------------------------------------------------------------

def measure_allreduce(nproc, out, numel, repeats=5, timeout=300.0):
    """Median seconds of ``torch.distributed.all_reduce`` of ``numel`` float64 numbers over ``nproc``
    processes here (the ``allreduce`` command under torchrun), as a dict with ``bytes`` and ``seconds``."""
    launch(["companion.distributed", "allreduce", "--out", str(out), "--numel", str(numel),
            "--repeats", str(repeats)], nproc=nproc, timeout=timeout)
    return json.loads((Path(out) / "allreduce.json").read_text())


def allreduce_check(out, numel, seed=0, repeats=5, device="auto"):
    """Each rank sums ``allreduce_inputs(numel, world, seed)[rank]`` with ``torch.distributed.all_reduce``
    and saves the result to ``out/allreduce_rank{r}.npy``; rank 0 also writes ``allreduce.json`` with the
    median seconds of ``repeats`` all-reduces of that float64 vector."""
    import torch
    import torch.distributed as dist

    rank, world, local_rank = _context()
    device = _setup(world, local_rank, device)
    if world < 2:
        raise ValueError("allreduce needs at least 2 processes: launch it with nproc >= 2")
    mine = torch.tensor(allreduce_inputs(numel, world, seed)[rank], device=device)
    total = mine.clone()
    dist.all_reduce(total)
    out = Path(out)
    np.save(out / f"allreduce_rank{rank}.npy", total.cpu().numpy())
    seconds = []
    for _ in range(repeats):
        work = mine.clone()
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(work)
        seconds.append(time.perf_counter() - start)
    if rank == 0:
        info = {"world_size": world, "numel": numel, "bytes": mine.numel() * mine.element_size(),
                "seconds": float(np.median(seconds)), "backend": dist.get_backend()}
        (out / "allreduce.json").write_text(json.dumps(info, indent=1))


def allreduce_timings(out, sizes, repeats=5, device="auto"):
    """Under torchrun: rank 0 writes ``out/allreduce_times.json``, a list of ``{"numel", "bytes",
    "seconds"}``, the median seconds of ``repeats`` ``torch.distributed.all_reduce`` calls of a float64
    vector of each size in ``sizes`` (after one untimed call that warms the connection up)."""
    import torch
    import torch.distributed as dist

    rank, world, local_rank = _context()
    device = _setup(world, local_rank, device)
    if world < 2:
        raise ValueError("allreduce timings need at least 2 processes: launch with nproc >= 2")
    rows = []
    for numel in sizes:
        work = torch.ones(int(numel), dtype=torch.float64, device=device)
        dist.all_reduce(work)
        seconds = []
        for _ in range(repeats):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(work)
            seconds.append(time.perf_counter() - start)
        rows.append({"numel": int(numel), "bytes": int(numel) * 8, "seconds": float(np.median(seconds))})
    if rank == 0:
        (Path(out) / "allreduce_times.json").write_text(json.dumps(rows, indent=1))


# --- command line ---------------------------------------------------------------------------------------

def _parser():
    parser = argparse.ArgumentParser(prog="python -m companion.distributed", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the digits MLP (under torchrun: with DDP)")
    for field, default in asdict(TrainConfig()).items():
        flag = "--" + field.replace("_", "-")
        if isinstance(default, bool):
            t.add_argument(flag, action="store_true")
        else:
            t.add_argument(flag, type=type(default), default=default)
    t.add_argument("--allreduce-numel", type=int, default=0,
                   help="afterwards, in the same process group: the allreduce check of this many numbers")
    t.add_argument("--allreduce-sizes", default="",
                   help="afterwards: time all_reduce of float64 vectors of these comma-separated sizes")
    t.add_argument("--alone-accumulate", default="",
                   help="afterwards, rank 0 trains alone (the one-process reference) once per comma-separated "
                        "accumulate value, into OUT/alone_accumulate{A}")
    a = sub.add_parser("allreduce", help="torch.distributed.all_reduce of seeded vectors (needs >= 2 ranks)")
    a.add_argument("--out", required=True)
    a.add_argument("--numel", type=int, default=10)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--repeats", type=int, default=5)
    a.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    return parser


def main(argv=None):
    """Entry point of ``python -m companion.distributed {train,allreduce} ...``."""
    args = vars(_parser().parse_args(argv))
    command = args.pop("command")
    try:
        if command == "train":  # one launch can also do the all-reduce work: start-up costs seconds
            numel, sizes = args.pop("allreduce_numel"), args.pop("allreduce_sizes")
            alone = args.pop("alone_accumulate")
            config = TrainConfig(**args)
            train(config)
            if numel:
                allreduce_check(config.out, numel, seed=config.seed, device=config.device)
            if sizes:
                allreduce_timings(config.out, [int(n) for n in sizes.split(",")], device=config.device)
            for accumulate in [int(a) for a in alone.split(",") if a] if _context()[0] == 0 else []:
                train(replace(config, out=str(Path(config.out or ".") / f"alone_accumulate{accumulate}"),
                              accumulate=accumulate, per_rank_weights=False), alone=True)
        else:
            allreduce_check(**args)
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
