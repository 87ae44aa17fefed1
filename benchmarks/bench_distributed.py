"""The companion's DDP trainer on 1 and 2 processes of this machine (samples per second), and
torch.distributed.all_reduce over gloo against the ring's cost model.

    .venv/bin/python benchmarks/bench_distributed.py

Every run goes through torchrun (companion.distributed.launch), one thread per process unless the row says
otherwise, so the rows differ only in how the work is split. Asserts nothing: on a machine with 2 cores
shared with other work, two processes compete with everything else, and a scaling table here says more
about the cores than about DDP. Each training figure is the median over epochs after the first.
"""

import os
import tempfile

from companion import distributed as D

TRAIN = dict(epochs=5, global_batch=128, n_train=1792, hidden=256)  # the whole digits set, a wider MLP
ROWS = [("1 process, 1 thread", 1, 1), ("1 process, 2 threads", 1, 2), ("2 processes, 1 thread each", 2, 1)]
NUMELS = [2**10, 2**16, 2**20]  # float64: 8 KiB, 512 KiB, 8 MiB


def training_table(workdir):
    print(f"Trainer: MLP 64-{TRAIN['hidden']}-10, global batch {TRAIN['global_batch']}, "
          f"{TRAIN['n_train']} digits, {os.cpu_count()} CPU cores here")
    print(f"{'run':<28} {'samples/s':>10} {'vs 1 process, 1 thread':>24}")
    base = None
    for i, (name, nproc, threads) in enumerate(ROWS):
        rate = D.measure_throughput(nproc, os.path.join(workdir, f"train{i}"), threads=threads, **TRAIN)
        base = base or rate
        print(f"{name:<28} {rate:>10.0f} {rate / base:>23.2f}x")


def allreduce_table(workdir, nproc=2):
    print(f"\nall_reduce over gloo, {nproc} processes, float64 (median of 5); the ring sends "
          f"2(p-1)/p x bytes per worker")
    print(f"{'bytes':>10} {'seconds':>10} {'effective bandwidth (GB/s)':>28}")
    for n in NUMELS:
        info = D.measure_allreduce(nproc, workdir, n)
        # the bandwidth that would make the cost model's bandwidth term equal the measured time
        moved = D.ring_all_reduce_cost(info["bytes"], nproc, bandwidth=1.0)
        print(f"{info['bytes']:>10} {info['seconds']:>10.2e} {moved / info['seconds'] / 1e9:>28.2f}")


def main():
    with tempfile.TemporaryDirectory() as workdir:
        training_table(workdir)
        allreduce_table(workdir)


if __name__ == "__main__":
    main()
