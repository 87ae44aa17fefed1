"""Page "Scaling out": the ring all-reduce step by step. The number of workers and a step slider show which
workers' numbers each worker holds, chunk by chunk, and the bytes each has sent so far against the cost
model's total. NumPy only (companion.parallelism's ring), so the panel runs where torch is absent."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from companion.parallelism import ring_contributions


def ring_summary(workers, step, n_bytes=4e6):
    """(held (p, p, p) booleans after ``step`` steps, bytes sent so far by the busiest worker, bytes the
    whole all-reduce sends per worker by the cost model, ``2 (p - 1) / p * n_bytes``).

    The chunks are ``n_bytes / p`` each (as if ``n_bytes`` divided evenly), so after ``step`` steps every
    worker has sent ``step * n_bytes / p``."""
    held, log = ring_contributions(workers)
    if not 0 <= step <= len(log):
        raise ValueError(f"step must be from 0 to {len(log)} for {workers} workers, got {step}")
    sent = step * n_bytes / workers
    return held[step], sent, 2 * (workers - 1) / workers * n_bytes


class RingExplorer(widgets.VBox):
    """A slider for the number of workers (2 to ``max_workers``) and one for the step (0 to
    ``2 (p - 1)``); the summary states the phase, what the workers hold and the bytes sent so far, and the
    drawing is :func:`companion.viz.distributed.draw_ring_state` of that step."""

    def __init__(self, draw=True, workers=4, step=0, max_workers=8, n_bytes=4e6):
        style = {"description_width": "80px"}
        self.workers = widgets.IntSlider(value=workers, min=2, max=max_workers, description="workers",
                                         continuous_update=False, style=style)
        self.step = widgets.IntSlider(value=step, min=0, max=2 * (workers - 1), description="step", style=style)
        self.summary = widgets.HTML()
        self.plot = widgets.Output()
        self._draw, self.n_bytes = draw, n_bytes
        self.workers.observe(self._new_ring, names="value")
        self.step.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.workers, self.step]), self.summary, self.plot])
        self._new_ring()

    def _new_ring(self, change=None):
        p = self.workers.value
        self.held, self.ring_log = ring_contributions(p)
        self.step.max = len(self.ring_log)                     # setting max clamps value (and calls _update)
        self._update()

    def _update(self, change=None):
        p, t = self.workers.value, self.step.value
        _, sent, total = ring_summary(p, t, self.n_bytes)
        full = int(self.held[t].all(-1).sum())            # (worker, chunk) cells holding everyone's numbers
        phase = "start" if t == 0 else self.ring_log[t - 1]["phase"]
        self.summary.value = (f"{p} workers, step {t} of {len(self.ring_log)} ({phase}): "
                              f"<b class='nnx-full'>{full}</b> of {p * p} chunk copies hold the full sum; "
                              f"each worker has sent <b class='nnx-sent'>{sent / 1e6:.2f}</b> MB of "
                              f"<b class='nnx-total'>{total / 1e6:.2f}</b> MB, 2(p-1)/p of its "
                              f"{self.n_bytes / 1e6:.2f} MB array")
        if self._draw:
            self._redraw()

    def _redraw(self):
        from companion.viz.distributed import draw_ring_state

        self.plot.clear_output(wait=True)
        with self.plot:
            p = self.workers.value
            fig, ax = plt.subplots(figsize=(0.55 * p + 1.8, 0.55 * p + 1.6))
            draw_ring_state(self.held, self.ring_log, self.step.value, ax)
            display(fig)
            plt.close(fig)
