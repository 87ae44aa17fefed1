"""Inference latency of one model in three runtimes: eager PyTorch, its torch.export program, and its ONNX
file in onnxruntime (companion.deploy.export), for the digits MLP (64 -> 32 -> 10) and LeNet on 8x8 images
(channels 16, 32), at batch 1 and 64, on the CPU.

    .venv/bin/python benchmarks/bench_export.py               # each runtime with its default threads
    .venv/bin/python benchmarks/bench_export.py --one-thread  # one thread each, timed in CPU seconds

Eager and the exported program run under torch.no_grad(); onnxruntime is timed on ``session.run`` alone
(``run_onnx`` adds its input checks, a few microseconds). The eager layers of companion.torch check every
input for NaN on each call; the exported graphs do not (a traced graph keeps no Python checks), which is a
part of their difference at batch 1.

Prints one table of microseconds per call and each runtime's speed-up over eager. Asserts nothing:
timings on a shared machine are noisy, so each time is the best of several repeats of CALLS calls, the
runtimes alternating so that all meet the same load.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from companion import torch as ct  # noqa: E402
from companion.deploy.export import export_onnx, export_program, onnx_session  # noqa: E402

limit_threads(torch)
CALLS = 50  # calls per timed repeat: one call of a small model is too short to time alone
MODELS = [("MLP", lambda: ct.build_mlp([64, 32, 10], ["relu", "linear"], rng=np.random.default_rng(0),
                                       device="cpu"), (64,)),
          ("LeNet", lambda: ct.build_lenet(rng=np.random.default_rng(0), device="cpu"), (1, 8, 8))]
BATCHES = (1, 64)


def _repeated(fn, x):
    def step():
        for _ in range(CALLS):
            fn(x)
    return step


def runtimes(model, shape, folder):
    """{runtime name: function of a float32 tensor} for one model, exported once with a dynamic batch."""
    example = torch.rand(4, *shape)
    program = export_program(model, example).module()
    session = onnx_session(export_onnx(model, example, Path(folder) / "model.onnx"), threads=1 if ONE_THREAD else None)
    model.eval()

    def eager(x):
        with torch.no_grad():
            return model(x)

    def exported(x):
        with torch.no_grad():
            return program(x)

    return {"eager": eager, "torch.export": exported, "onnxruntime": lambda x: session.run(None, {"x": x.numpy()})}


def main():
    print(f"threads: {'one (CPU seconds)' if ONE_THREAD else 'default (wall seconds)'}; torch "
          f"{torch.__version__}; best of 7 repeats of {CALLS} calls")
    print(f"{'model':<6} {'batch':>5} {'eager µs':>9} {'export µs':>10} {'onnx µs':>8} {'export ×':>9} {'onnx ×':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for name, build, shape in MODELS:
            fns = runtimes(build(), shape, folder)
            for batch in BATCHES:
                x = torch.rand(batch, *shape)
                t_eager, t_export, t_onnx = (1e6 * t / CALLS for t in
                                             best_times([_repeated(fn, x) for fn in fns.values()]))
                print(f"{name:<6} {batch:>5} {t_eager:>9.1f} {t_export:>10.1f} {t_onnx:>8.1f} "
                      f"{t_eager / t_export:>9.2f} {t_eager / t_onnx:>7.2f}")


if __name__ == "__main__":
    main()
