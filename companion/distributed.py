"""Data-parallel training on PyTorch's own distributed engine, and the all-reduce under it done by hand.

Two halves:

* **All-reduce explained by doing it.** :func:`ring_all_reduce` simulates ``p`` workers in NumPy: a
  reduce-scatter (``p - 1`` steps; afterwards each worker owns the full sum of one chunk) then an
  all-gather (``p - 1`` steps; the owned sums travel round the ring), logging the bytes each worker
  sends at each step. :func:`ring_all_reduce_cost` is the usual cost model of that algorithm
  {cite}`patarasuk2009bandwidth,thakur2005optimization`.
* **The trainer under torchrun.** ``python -m companion.distributed train --out DIR`` trains a small MLP
  on the 8x8 digits with ``DistributedDataParallel`` (gloo on CPU, NCCL with CUDA), a
  ``DistributedSampler`` with a fixed seed, logging and atomic checkpoints on rank 0 only. Run it under
  ``torchrun`` with :func:`launch` (a subprocess, so it works from a notebook cell, where ``mp.spawn``
  cannot pickle functions defined in the cell); run :func:`train` in-process for the one-process
  reference with the same global batch.
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

PHASES = ("reduce-scatter", "all-gather")


# --- all-reduce, by hand -------------------------------------------------------------------------------

def _check_workers(arrays):
    if not isinstance(arrays, (list, tuple)) or len(arrays) == 0:
        raise ValueError("ring_all_reduce needs a non-empty list with one array per worker")
    arrays = [np.asarray(a) for a in arrays]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"every worker's array must have the same shape, got {sorted(shapes)}")
    if any(a.dtype.kind not in "iufc" for a in arrays):
        raise ValueError(f"arrays must be numeric, got dtypes {sorted({str(a.dtype) for a in arrays})}")
    return arrays


def ring_all_reduce(chunks_per_worker, record=False):
    """Sum the workers' arrays with a ring all-reduce; every worker ends with the whole sum.

    Each worker's array (any shape, the same for all ``p`` workers) is flattened and cut into ``p``
    chunks (``np.array_split``: sizes differ by at most one). Worker ``i`` sends only to worker
    ``(i + 1) % p``; all sends of a step happen at once.

    * reduce-scatter, step ``s = 0 .. p-2``: worker ``i`` sends chunk ``(i - s) % p``; the receiver adds
      it to its own copy. Afterwards worker ``i`` holds the full sum of chunk ``(i + 1) % p``.
    * all-gather, step ``s = 0 .. p-2``: worker ``i`` sends chunk ``(i + 1 - s) % p``; the receiver
      overwrites its copy with it.

    Each worker sends ``2 (p - 1)`` messages of about ``n / p`` elements: ``2 (p - 1) / p`` times the
    array, nearly independent of ``p``, the bandwidth-optimal amount {cite}`patarasuk2009bandwidth`.

    Args:
        chunks_per_worker: list of ``p`` arrays, each of shape ``S`` (what each worker holds).
    Returns:
        record: also keep, in each step's ``after``, every worker's flattened buffer after that step
            (a list of ``p`` arrays of ``prod(S)`` elements), to draw or replay the ring step by step.
    Returns:
        ``(results, log)``: ``results`` a list of ``p`` arrays of shape ``S`` (each worker's copy of the
        sum, in the inputs' common dtype); ``log`` a list of ``2 (p - 1)`` dicts, one per step, with
        ``phase``, ``step``, ``chunks`` (the chunk index each worker sends, length ``p``) and ``bytes``
        (the bytes each worker sends, length ``p``), and ``after`` when ``record`` is true.
    """
    arrays = _check_workers(chunks_per_worker)
    p, shape = len(arrays), arrays[0].shape
    dtype = np.result_type(*arrays)
    buffers = [np.array_split(a.astype(dtype).ravel(), p) for a in arrays]  # buffers[worker][chunk]
    log = []
    for phase in PHASES:
        for s in range(p - 1):
            offset = -s if phase == "reduce-scatter" else 1 - s
            chunks = [(i + offset) % p for i in range(p)]
            sent = [buffers[i][c].copy() for i, c in enumerate(chunks)]  # every send reads the old state
            for i, c in enumerate(chunks):
                receiver = buffers[(i + 1) % p]
                receiver[c] = receiver[c] + sent[i] if phase == "reduce-scatter" else sent[i]
            log.append({"phase": phase, "step": s, "chunks": chunks, "bytes": [m.nbytes for m in sent]})
            if record:
                log[-1]["after"] = [np.concatenate(b) for b in buffers]
    results = [np.concatenate(b).reshape(shape) for b in buffers]
    return results, log


def ring_all_reduce_cost(n_bytes, workers, bandwidth, latency=0.0):
    """Seconds a ring all-reduce of ``n_bytes`` takes over ``workers`` in the alpha-beta model.

    .. math:: T = 2\\,\\frac{p-1}{p}\\,\\frac{n}{B} + 2\\,(p-1)\\,\\alpha

    with ``p`` workers, ``n`` bytes per worker, link bandwidth ``B`` (bytes per second, each direction)
    and per-message latency ``alpha`` (seconds): ``2 (p - 1)`` steps, each sending ``n / p`` bytes.
    The bandwidth term is the lower bound that Patarasuk and Yuan (2009) prove and reach with a ring
    {cite}`patarasuk2009bandwidth`. Thakur et al. (2005) {cite}`thakur2005optimization` give MPICH's
    long-message all-reduce (Rabenseifner's reduce-scatter then all-gather) the same bandwidth term with
    a latency term of ``2 log2(p) alpha``; both also spend ``(p-1)/p n gamma`` on the additions, which
    this model leaves out (it is small beside the transfers on a network).
    """
    for name, value in (("n_bytes", n_bytes), ("bandwidth", bandwidth), ("latency", latency)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if bandwidth == 0:
        raise ValueError("bandwidth must be > 0 (bytes per second)")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    p = int(workers)
    return 2 * (p - 1) / p * n_bytes / bandwidth + 2 * (p - 1) * latency


def fit_ring_model(rows, workers):
    """The bandwidth ``B`` (bytes/s) and latency ``alpha`` (s) that make :func:`ring_all_reduce_cost` fit
    measured all-reduce times best, as ``(B, alpha)``.

    ``rows`` is a list of dicts with ``bytes`` and ``seconds`` (at least two sizes). The model is linear
    in ``1/B`` and ``alpha``: ``t = 2 (p-1)/p n (1/B) + 2 (p-1) alpha``. It is fitted by least squares on
    relative errors (each row divided by its measured time, so that small and large messages count
    alike), with both coefficients kept >= 0: when the unconstrained fit gives one a negative value, the
    other is fitted alone (a zero latency gives ``alpha = 0``; a zero ``1/B`` gives ``B = inf``).
    """
    if len(rows) < 2:
        raise ValueError(f"fitting B and alpha needs at least 2 measured sizes, got {len(rows)}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 2:
        raise ValueError(f"workers must be an integer >= 2, got {workers!r}")
    n = np.array([r["bytes"] for r in rows], dtype=float)
    t = np.array([r["seconds"] for r in rows], dtype=float)
    if not (np.all(np.isfinite(t)) and np.all(t > 0) and np.all(n >= 0)):
        raise ValueError("every row needs bytes >= 0 and a finite seconds > 0")
    p = workers
    A = np.stack([2 * (p - 1) / p * n, np.full_like(n, 2 * (p - 1))], axis=1) / t[:, None]
    target = np.ones_like(t)                                              # t_k / t_k: relative errors
    coef = np.linalg.lstsq(A, target, rcond=None)[0]
    if coef.min() < 0:  # refit with the negative coefficient at zero; keep the better of the two one-term fits
        fits = []
        for j in (0, 1):
            c = np.zeros(2)
            c[j] = max(A[:, j] @ target / (A[:, j] @ A[:, j]), 0.0)
            fits.append((np.sum((A @ c - target) ** 2), tuple(c)))
        coef = np.array(min(fits)[1])
    inv_bandwidth, latency = coef
    return (float(1 / inv_bandwidth) if inv_bandwidth > 0 else float("inf")), float(latency)


def allreduce_inputs(numel, world_size, seed=0):
    """The float64 vectors, shape ``(numel,)``, that rank ``r`` of the ``allreduce`` command sums:
    ``default_rng(seed + r).standard_normal(numel)`` for each ``r < world_size``."""
    return [np.random.default_rng(seed + r).standard_normal(numel) for r in range(world_size)]


def ring_contributions(workers):
    """Whose numbers each worker holds, chunk by chunk, before and after every step of the ring.

    Runs :func:`ring_all_reduce` on ``workers`` vectors of ``workers`` elements (one element per chunk),
    worker ``j``'s all equal to ``2**j``: every element is then a sum of distinct powers of two, and its
    bits name the workers whose contributions it holds.

    Returns:
        ``(held, log)``: ``held`` a boolean array of shape ``(2 (p - 1) + 1, p, p, p)``, ``held[t, i, c, j]``
        true when, after ``t`` steps, worker ``i``'s copy of chunk ``c`` includes worker ``j``'s numbers
        (``t = 0``: the start, each worker its own); ``log`` the ring's log.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not 1 <= workers <= 62:
        raise ValueError(f"workers must be an integer from 1 to 62, got {workers!r}")
    p = int(workers)
    start = [np.full(p, 2 ** j, dtype=np.int64) for j in range(p)]
    _, log = ring_all_reduce(start, record=True)
    states = np.stack([np.stack(start)] + [np.stack(entry["after"]) for entry in log])  # (T, p, p) bitmasks
    held = (states[..., None] >> np.arange(p)) & 1                                      # (T, p, p, p)
    return held.astype(bool), log


def shard_indices(n, world_size, rank, drop_last=False):
    """The sample indices that ``DistributedSampler(dataset of n, world_size, rank, shuffle=False,
    drop_last=drop_last)`` deals to ``rank``: ``0 .. n-1`` cut to a multiple of ``world_size``
    (``drop_last``) or padded to one by repeating from the start, then every ``world_size``-th from
    ``rank``. Returns an int64 array of ``ceil(n / world_size)`` indices (``floor`` with ``drop_last``).
    """
    for name, value in (("n", n), ("world_size", world_size), ("rank", rank)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if n < 0 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need n >= 0, world_size >= 1 and 0 <= rank < world_size, got n={n}, "
                         f"world_size={world_size}, rank={rank}")
    per_rank = n // world_size if drop_last else -(-n // world_size)
    total = per_rank * world_size
    indices = np.arange(n, dtype=np.int64)
    if total > n:  # padding: the first indices again, as often as needed (n may be smaller than the pad)
        indices = np.resize(indices, total) if n else indices
    return indices[:total][rank:total:world_size]


def zero_memory_per_gpu(params, gpus, stage=0, k=12, bytes_per_weight=2):
    """Bytes of model states per GPU for mixed-precision Adam under ZeRO-DP {cite}`rajbhandari2020zero`.

    With ``params`` parameters (the paper's Psi), 2-byte weights and gradients and ``k`` bytes of
    optimizer state per parameter (Adam: a float32 copy of the weights, momentum and variance, K = 12),
    data parallelism keeps ``(2 + 2 + K) Psi`` bytes on every GPU (stage 0). ZeRO partitions them over
    the ``gpus`` (N_d) data-parallel ranks: stage 1 the optimizer states, ``(2 + 2) Psi + K Psi / N_d``;
    stage 2 the gradients too, ``2 Psi + (2 + K) Psi / N_d``; stage 3 the weights too,
    ``(2 + 2 + K) Psi / N_d``. Activations, buffers and fragmentation are not counted.
    """
    if not params >= 0 or not np.isfinite(params):
        raise ValueError(f"params must be a finite number >= 0, got {params!r}")
    if isinstance(gpus, bool) or not isinstance(gpus, (int, np.integer)) or gpus < 1:
        raise ValueError(f"gpus must be an integer >= 1, got {gpus!r}")
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3, got {stage!r}")
    w = g = bytes_per_weight
    if stage == 0:
        return (w + g + k) * params
    if stage == 1:
        return (w + g) * params + k * params / gpus
    if stage == 2:
        return w * params + (g + k) * params / gpus
    return (w + g + k) * params / gpus


def pipeline_bubble_fraction(stages, micro_batches):
    """The idle fraction of a GPipe schedule {cite}`huang2019gpipe`: with ``stages`` (K) pipeline stages and
    ``micro_batches`` (M) micro-batches of equal cost, a step lasts ``M + K - 1`` slots and each stage
    works in ``M`` of them, so it idles ``(K - 1) / (M + K - 1)`` of the time."""
    for name, value in (("stages", stages), ("micro_batches", micro_batches)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return (stages - 1) / (micro_batches + stages - 1)


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
