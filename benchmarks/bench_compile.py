"""torch.compile against eager PyTorch: training steps per second of a small MLP on the CPU.

    .venv/bin/python benchmarks/bench_compile.py               # torch's default threads
    .venv/bin/python benchmarks/bench_compile.py --one-thread  # one thread, timed in CPU seconds

The models are plain ``torch.nn.Sequential`` stacks of ``Linear`` and ``ReLU`` (companion.torch's Dense
checks its inputs for NaN in Python on every call, which would break torch.compile's graph). A step is
forward, cross-entropy, backward and an SGD update on a batch of 64; ``torch.compile(model)`` compiles
the forward and backward (the optimizer step stays eager). Compile time (wall seconds of the first
STEPS compiled steps, which include compiling; wall time because inductor compiles in worker processes)
is reported apart from the steady speed. Prints one table; asserts nothing. At this
size Python overhead and the tiny matrix products dominate, so expect little or no speed-up.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables


import time  # noqa: E402

import torch  # noqa: E402

limit_threads(torch)
STEPS = 50  # steps per timed repeat
BATCH = 64
SIZES = ([64, 32, 10], [64, 256, 256, 10])


def mlp(sizes):
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def trainer(model, x, y):
    """A function running STEPS SGD steps of ``model`` on (x, y)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def run():
        for _ in range(STEPS):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return run


def main():
    print(f"threads: {'one (CPU seconds)' if ONE_THREAD else 'default (wall seconds)'}; torch "
          f"{torch.__version__}; batch {BATCH}; best of 7 repeats of {STEPS} steps")
    print(f"{'sizes':<18} {'compile s':>9} {'eager steps/s':>14} {'compiled steps/s':>17} {'speed-up':>9}")
    for sizes in SIZES:
        x, y = torch.rand(BATCH, sizes[0]), torch.randint(0, sizes[-1], (BATCH,))
        eager = trainer(mlp(sizes), x, y)
        compiled_model = torch.compile(mlp(sizes))
        compiled = trainer(compiled_model, x, y)
        start = time.perf_counter()
        try:
            compiled()  # the first call compiles the forward and backward graphs
        except Exception as error:  # e.g. no C compiler for the CPU backend
            print(f"{str(sizes):<18} torch.compile failed: {type(error).__name__}: {str(error)[:200]}")
            continue
        compile_s = time.perf_counter() - start  # wall seconds: inductor compiles in worker processes
        t_eager, t_compiled = best_times([eager, compiled])
        print(f"{str(sizes):<18} {compile_s:>9.2f} {STEPS / t_eager:>14.0f} {STEPS / t_compiled:>17.0f} "
              f"{t_eager / t_compiled:>9.2f}")


if __name__ == "__main__":
    main()
