"""The arithmetic of parallel training, in NumPy: the all-reduce done by hand, its cost, and the numbers
that decide how to split a model across devices.

* :func:`ring_all_reduce` simulates ``p`` workers: a reduce-scatter (``p - 1`` steps; afterwards each
  worker owns the full sum of one chunk) then an all-gather (``p - 1`` steps; the owned sums travel round
  the ring), logging the bytes each worker sends at each step; :func:`ring_contributions` records whose
  numbers each copy of each chunk holds. :func:`ring_all_reduce_cost` is the usual cost model of that
  algorithm {cite}`patarasuk2009bandwidth,thakur2005optimization`, and :func:`fit_ring_model` fits it to
  measured times.
* :func:`shard_indices` is ``DistributedSampler``'s split without shuffling; :func:`zero_memory_per_gpu`
  counts ZeRO's model states per GPU {cite}`rajbhandari2020zero`; :func:`pipeline_bubble_fraction` is
  GPipe's idle fraction {cite}`huang2019gpipe`.

No torch: the ring panel and the exercises use this module where torch is absent. The trainer that runs
on PyTorch's own engine is :mod:`companion.distributed`, which re-exports these names.
"""

import numpy as np

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
