"""Exercises of the page *Scaling out*: the references are companion.parallelism's functions (NumPy only)."""

from companion.parallelism import pipeline_bubble_fraction, ring_all_reduce_cost, shard_indices, zero_memory_per_gpu
from companion.exercises.core import Exercise, register


def _cost_cases(rng):
    yield 1e9, 2, 1e9, 0.0                                        # two workers: one array's worth of time
    yield 8e6, 1, 1e10, 1e-5                                      # one worker sends nothing
    for _ in range(20):
        yield (float(rng.uniform(1e3, 1e10)), int(rng.integers(1, 65)), float(rng.uniform(1e8, 1e12)),
               float(rng.uniform(0, 1e-4)))


register(Exercise(
    id="scaling.ring_cost",
    prompt="Write ring_cost(n_bytes, workers, bandwidth, latency), the seconds a ring all-reduce of n_bytes per "
           "worker takes over p = workers workers: 2 (p - 1) steps, each sending n_bytes / p bytes over a link of "
           "bandwidth bytes per second and paying latency seconds on top.",
    reference=ring_all_reduce_cost, cases=_cost_cases, arg_names=("n_bytes", "workers", "bandwidth", "latency"),
    rtol=1e-9, atol=0.0,
))


def _zero_cases(rng):
    yield 7.5e9, 64, 0                                            # ZeRO's example: 120 GB without it
    yield 7.5e9, 64, 3
    for stage in (1, 2, 3, 0):
        yield 1e9, 8, stage
    for _ in range(16):
        yield float(rng.integers(1, 200)) * 1e8, int(rng.integers(1, 1025)), int(rng.integers(0, 4))


def _zero_reference(params, gpus, stage):
    return zero_memory_per_gpu(params, gpus, stage)


register(Exercise(
    id="scaling.zero_memory",
    prompt="Write zero_memory(params, gpus, stage), the bytes of model states per GPU when training with "
           "mixed-precision Adam: 2 bytes per parameter for the float16 weights, 2 for their gradients, 12 for "
           "the optimizer states (a float32 copy of the weights, momentum, variance). Stage 0 is plain data "
           "parallelism (everything on every GPU); ZeRO stage 1 divides the optimizer states over the gpus, "
           "stage 2 the gradients too, stage 3 the weights too.",
    reference=_zero_reference, cases=_zero_cases, arg_names=("params", "gpus", "stage"), rtol=1e-9, atol=0.0,
))


def _bubble_cases(rng):
    yield 4, 1                                                    # no pipelining: 3 of 4 slots idle
    yield 1, 8                                                    # one stage: no bubble
    for _ in range(20):
        yield int(rng.integers(1, 33)), int(rng.integers(1, 129))


register(Exercise(
    id="scaling.bubble_fraction",
    prompt="Write bubble_fraction(stages, micro_batches): a GPipe pipeline of K = stages stages runs M = "
           "micro_batches micro-batches of equal cost forward (then backward); return the fraction of the "
           "time each stage is idle, waiting for the pipeline to fill or drain.",
    reference=pipeline_bubble_fraction, cases=_bubble_cases, arg_names=("stages", "micro_batches"),
    rtol=1e-12, atol=1e-15,
))


def _shard_cases(rng):
    yield 10, 4, 1                                                # padded: 12 indices, 0 and 1 twice
    yield 8, 2, 0
    yield 3, 4, 3                                                 # fewer samples than ranks
    for _ in range(20):
        world = int(rng.integers(1, 9))
        yield int(rng.integers(1, 40)), world, int(rng.integers(0, world))


def _shard_reference(n, world_size, rank):
    return shard_indices(n, world_size, rank)


register(Exercise(
    id="scaling.shard",
    prompt="Write shard(n, world_size, rank), the sample indices DistributedSampler(dataset, num_replicas="
           "world_size, rank=rank, shuffle=False) gives rank from a data set of n samples: the indices 0 .. n-1, "
           "padded by repeating them from the start until their number is a multiple of world_size, then every "
           "world_size-th one starting at rank. Return them as an integer array.",
    reference=_shard_reference, cases=_shard_cases, arg_names=("n", "world_size", "rank"), rtol=0.0, atol=0.0,
))
