"""What every benchmark here shares: the ``--one-thread`` switch and best-of-repeats timing.

Import it before NumPy and torch: the thread variables must be set before their BLAS and OpenMP pools
start. With ``--one-thread`` each call runs on one thread and is timed in CPU seconds, which do not count
the time a process waits for a core, so it is the steadier comparison on a shared machine.
"""

import os
import sys
import time

ONE_THREAD = "--one-thread" in sys.argv[1:]
if ONE_THREAD:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
CLOCK = time.process_time if ONE_THREAD else time.perf_counter


def limit_threads(torch):
    """torch.set_num_threads(1) under ``--one-thread`` (torch's pool ignores the variables once started)."""
    if ONE_THREAD:
        torch.set_num_threads(1)


def best_times(steps, repeats=7):
    """The best time of each function, their calls alternating so that all meet the same load (after one
    warm-up call each)."""
    for step in steps:
        step()
    best = [float("inf")] * len(steps)
    for _ in range(repeats):
        for i, step in enumerate(steps):
            start = CLOCK()
            step()
            best[i] = min(best[i], CLOCK() - start)
    return best
