"""companion.parallelism: the ring all-reduce by hand and its cost, DistributedSampler's shards, ZeRO's memory,
GPipe's bubble and the fitted cost model, all in NumPy. The comparison with torch.distributed.all_reduce
over gloo is in tests/test_distributed.py, which launches torchrun."""

import numpy as np
import pytest
import torch

from companion import parallelism as P


# --- ring all-reduce, simulated -------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(12,), (5,), (3, 4), (2,)])
def test_ring_all_reduce_gives_every_worker_the_sum(p, shape):
    rng = np.random.default_rng(p)
    arrays = [rng.standard_normal(shape) for _ in range(p)]
    results, log = P.ring_all_reduce(arrays)
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
    results, _ = P.ring_all_reduce(arrays)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))
    assert results[0].dtype == arrays[0].dtype and np.array_equal(results[2], np.arange(10) * 6)


def test_ring_log_follows_the_schedule_and_counts_bytes():
    p, n = 4, 10  # chunks of 3, 3, 2, 2 elements
    results, log = P.ring_all_reduce([np.ones(n) for _ in range(p)])
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
    _, log = P.ring_all_reduce(arrays)
    # the first all-gather step sends exactly the owned (fully reduced) chunks
    assert log[p - 1]["chunks"] == [(i + 1) % p for i in range(p)]


@pytest.mark.parametrize("p", [2, 4, 8])
def test_cost_model_matches_the_bytes_the_simulation_sends(p):
    n, bandwidth, latency = 8 * 1024, 1e9, 5e-6
    _, log = P.ring_all_reduce([np.zeros(n // 8) for _ in range(p)])
    # steps are synchronous: each lasts as long as its largest message plus one latency
    simulated = sum(max(e["bytes"]) / bandwidth + latency for e in log)
    assert P.ring_all_reduce_cost(n, p, bandwidth, latency) == pytest.approx(simulated, rel=1e-12)
    assert P.ring_all_reduce_cost(n, 1, bandwidth, latency) == 0.0


def test_cost_bandwidth_term_approaches_twice_the_array():
    one = P.ring_all_reduce_cost(1e9, 2, 1e9)
    many = P.ring_all_reduce_cost(1e9, 1000, 1e9)
    assert one == pytest.approx(1.0) and many == pytest.approx(2 * 999 / 1000)


@pytest.mark.parametrize("arrays, match", [
    ([], "non-empty list"),
    (np.ones(3), "non-empty list"),
    ([np.ones(3), np.ones(4)], "same shape"),
    ([np.array(["a", "b"]), np.array(["c", "d"])], "numeric"),
])
def test_ring_all_reduce_rejects_bad_input(arrays, match):
    with pytest.raises(ValueError, match=match):
        P.ring_all_reduce(arrays)


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
        P.ring_all_reduce_cost(**kwargs)


# --- the ring, replayed ---------------------------------------------------------------------------------

def test_recorded_ring_keeps_each_step_s_buffers():
    arrays = [np.arange(6.0) * (i + 1) for i in range(3)]
    results, log = P.ring_all_reduce(arrays, record=True)
    assert all(len(e["after"]) == 3 for e in log)
    assert all(np.array_equal(a, r) for a, r in zip(log[-1]["after"], results))
    # after the first reduce-scatter step, worker 1 has added worker 0's chunk 0 to its own
    np.testing.assert_array_equal(log[0]["after"][1][:2], arrays[0][:2] + arrays[1][:2])
    assert "after" not in P.ring_all_reduce(arrays)[1][0]


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_ring_contributions_track_whose_numbers_each_copy_holds(p):
    held, log = P.ring_contributions(p)
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
        P.ring_contributions(workers)


# --- DistributedSampler's shards, ZeRO, GPipe, the fitted model ------------------------------------------

def test_shard_indices_equal_distributed_sampler_without_shuffling():
    from torch.utils.data.distributed import DistributedSampler

    for n in range(0, 14):
        for world in range(1, 6):
            for rank in range(world):
                for drop_last in (False, True):
                    theirs = list(DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False,
                                                     drop_last=drop_last))
                    ours = P.shard_indices(n, world, rank, drop_last)
                    assert ours.dtype == np.int64 and ours.tolist() == theirs, (n, world, rank, drop_last)


@pytest.mark.parametrize("args, match", [((10, 0, 0), "world_size >= 1"), ((10, 2, 2), "rank < world_size"),
                                         ((-1, 2, 0), "n >= 0"), ((10.0, 2, 0), "n must be an integer")])
def test_shard_indices_reject_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        P.shard_indices(*args)


def test_zero_memory_gives_the_paper_s_example():
    """Rajbhandari et al. (2020), Figure 1: 7.5B parameters, N_d = 64, K = 12."""
    gb = [P.zero_memory_per_gpu(7.5e9, 64, stage) / 1e9 for stage in range(4)]
    assert [round(g, 1) for g in gb] == [120.0, 31.4, 16.6, 1.9]
    assert P.zero_memory_per_gpu(1e9, 1, 3) == P.zero_memory_per_gpu(1e9, 1, 0) == 16e9   # one GPU: no sharding
    assert P.zero_memory_per_gpu(1e9, 8, 1, k=8) == 4e9 + 1e9                          # another optimizer
    assert P.zero_memory_per_gpu(1e9, 8, 0, bytes_per_weight=4) == (4 + 4 + 12) * 1e9     # float32 weights


@pytest.mark.parametrize("kwargs, match", [(dict(params=-1, gpus=2), "params"), (dict(params=1, gpus=0), "gpus"),
                                           (dict(params=1, gpus=2, stage=4), "stage")])
def test_zero_memory_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        P.zero_memory_per_gpu(**kwargs)


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
    assert P.pipeline_bubble_fraction(stages, micro_batches) == pytest.approx(
        _gpipe_idle_fraction(stages, micro_batches), abs=1e-15)


def test_bubble_fraction_rejects_bad_input():
    with pytest.raises(ValueError, match="stages must be an integer >= 1"):
        P.pipeline_bubble_fraction(0, 4)
    with pytest.raises(ValueError, match="micro_batches must be an integer >= 1"):
        P.pipeline_bubble_fraction(4, 2.5)


def test_fit_ring_model_recovers_bandwidth_and_latency():
    sizes = [8, 1024, 2**16, 2**20, 2**24]
    rows = [{"bytes": n, "seconds": P.ring_all_reduce_cost(n, 4, 3e9, 2e-5)} for n in sizes]
    bandwidth, latency = P.fit_ring_model(rows, 4)
    assert bandwidth == pytest.approx(3e9, rel=1e-9) and latency == pytest.approx(2e-5, rel=1e-9)
    noisy = [{**r, "seconds": r["seconds"] * f} for r, f in zip(rows, [1.1, 0.9, 1.05, 0.95, 1.0])]
    b, a = P.fit_ring_model(noisy, 4)
    assert b == pytest.approx(3e9, rel=0.2) and a == pytest.approx(2e-5, rel=0.2)


def test_fit_ring_model_keeps_both_terms_non_negative():
    # times that fall as messages grow would need a negative cost per byte: the fit keeps latency only
    rows = [{"bytes": 1e3, "seconds": 2e-3}, {"bytes": 1e6, "seconds": 1e-3}]
    bandwidth, latency = P.fit_ring_model(rows, 2)
    assert bandwidth == float("inf") and latency > 0
    # times proportional to bytes alone: no latency
    rows = [{"bytes": n, "seconds": P.ring_all_reduce_cost(n, 2, 1e9)} for n in (1e3, 1e6)]
    bandwidth, latency = P.fit_ring_model(rows, 2)
    assert bandwidth == pytest.approx(1e9) and latency == pytest.approx(0, abs=1e-15)


@pytest.mark.parametrize("rows, workers, match", [
    ([{"bytes": 8, "seconds": 1.0}], 2, "at least 2"),
    ([{"bytes": 8, "seconds": 1.0}] * 2, 1, "workers must be an integer >= 2"),
    ([{"bytes": 8, "seconds": 0.0}] * 2, 2, "seconds > 0"),
])
def test_fit_ring_model_rejects_bad_input(rows, workers, match):
    with pytest.raises(ValueError, match=match):
        P.fit_ring_model(rows, workers)
