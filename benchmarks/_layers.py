"""What the layer benchmarks share (bench_attention, bench_gnn, bench_gat): the dtypes they time, the line
that says the threads, and the timed step, a layer's forward pass and its gradients for L = Σ output ⊙ dout.

Import it after ``_timing`` (which sets the thread variables before NumPy and torch start).
"""

import numpy as np
import torch

from _timing import ONE_THREAD

DTYPES = [("float32", np.float32, torch.float32), ("float64", np.float64, torch.float64)]


def print_threads():
    print(f"threads: {'one' if ONE_THREAD else 'default'} (torch uses {torch.get_num_threads()})")


def numpy_step(layer, inputs, dout, **options):
    """Forward and backward of a NumPy layer: ``layer.forward(*inputs, **options)``, ``layer.backward(dout)``."""
    def step():
        layer.forward(*inputs, **options)
        layer.backward(dout)
    return step


def torch_step(net, inputs, dout, **options):
    """The same with a torch module and autograd; ``inputs[0]`` (x) gets its gradient too, as the NumPy
    backward computes it. Where the module returns a tuple (out, weights), out is the output."""
    def step():
        net.zero_grad()
        inputs[0].grad = None
        out = net(*inputs, **options)
        if isinstance(out, tuple):
            out = out[0]
        (out * dout).sum().backward()
    return step
