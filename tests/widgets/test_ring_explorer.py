"""The ring panel: the workers and step sliders show companion.distributed's simulated ring at that step,
and the summary counts the complete chunk copies and the bytes sent against the cost model (torch-free)."""

import numpy as np
import pytest

from companion.parallelism import ring_contributions
from companion.widgets import RingExplorer
from companion.widgets.ring_explorer import ring_summary


def test_summary_follows_the_simulation():
    held, sent, total = ring_summary(4, 3, n_bytes=8e6)
    np.testing.assert_array_equal(held, ring_contributions(4)[0][3])
    assert sent == 3 * 2e6 and total == 2 * 3 / 4 * 8e6
    assert ring_summary(4, 6, n_bytes=8e6)[1] == ring_summary(4, 6, n_bytes=8e6)[2]   # the end: the model's total
    with pytest.raises(ValueError, match="step must be from 0 to 2 for 2 workers"):
        ring_summary(2, 3)


def test_sliders_move_through_the_ring():
    panel = RingExplorer(draw=False)
    assert panel.step.max == 6 and "4 workers, step 0 of 6 (start)" in panel.summary.value
    assert "<b class='nnx-full'>0</b> of 16" in panel.summary.value
    panel.step.value = 3                                        # end of the reduce-scatter
    assert "(reduce-scatter)" in panel.summary.value and "<b class='nnx-full'>4</b> of 16" in panel.summary.value
    assert "<b class='nnx-sent'>3.00</b> MB of <b class='nnx-total'>6.00</b> MB" in panel.summary.value
    panel.step.value = 6
    assert "<b class='nnx-full'>16</b> of 16" in panel.summary.value
    panel.workers.value = 2                                     # the step slider shrinks and clamps
    assert panel.step.max == 2 and panel.step.value == 2
    assert "2 workers, step 2 of 2 (all-gather)" in panel.summary.value
    panel.workers.value = 8
    assert panel.step.max == 14 and panel.held.shape == (15, 8, 8, 8)


def test_redraw_draws_the_current_state(monkeypatch):
    import companion.viz.distributed as viz

    drawn = []
    monkeypatch.setattr(viz, "draw_ring_state", lambda held, log, t, ax: drawn.append((held.shape, t)))
    panel = RingExplorer(workers=3)
    panel.step.value = 2
    assert drawn[-1] == ((5, 3, 3, 3), 2)
