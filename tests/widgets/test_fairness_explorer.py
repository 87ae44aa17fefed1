"""The fairness panel: each threshold slider re-decides its group's rows, and the table, the gaps and the drawing
follow (torch-free; small synthetic arrays)."""

import numpy as np
import pytest

from companion import fairness
from companion.widgets import FairnessExplorer
from companion.widgets.fairness_explorer import table_html


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    groups = (rng.random(400) < 0.3).astype(int)
    y = (rng.random(400) < np.where(groups == 1, 0.3, 0.5)).astype(int)
    scores = np.clip(0.5 + 0.3 * (y - 0.5) - 0.15 * groups + rng.normal(0, 0.15, 400), 0, 1)
    return scores, y, groups


def test_starts_at_one_threshold_and_matches_the_package(data):
    scores, y, groups = data
    panel = FairnessExplorer(scores, y, groups, draw=False)
    expected = fairness.group_metrics(y, (scores >= 0.5).astype(int), groups)
    for name in fairness.METRICS:
        np.testing.assert_allclose(panel.table.by_group[name], expected.by_group[name])
    assert panel.demographic_parity == pytest.approx(fairness.demographic_parity_difference(y, (scores >= 0.5)
                                                                                             .astype(int), groups))
    assert f"{expected.overall['accuracy']:.3f}" in panel.summary.value
    assert f"{panel.demographic_parity:.3f}" in panel.summary.value and "group 1" in panel.summary.value


def test_a_slider_moves_only_its_group(data):
    scores, y, groups = data
    panel = FairnessExplorer(scores, y, groups, draw=False)
    before = panel.table.by_group["selection_rate"].copy()
    panel.sliders[1].value = 0.3                              # a lower bar for group 1: more of it selected
    after = panel.table.by_group["selection_rate"]
    assert after[0] == before[0] and after[1] > before[1]
    y_hat = fairness.apply_thresholds(scores, groups, {0: 0.5, 1: 0.3})
    assert panel.equalized_odds == pytest.approx(fairness.equalized_odds_difference(y, y_hat, groups))
    assert panel.thresholds == {0: 0.5, 1: 0.3}
    panel.sliders[0].value = 1.0                              # nobody in group 0 reaches 1.0 unless clipped to it
    assert panel.table.by_group["selection_rate"][0] == np.mean(scores[groups == 0] >= 1.0)


def test_starting_thresholds_and_names(data):
    scores, y, groups = data
    panel = FairnessExplorer(scores, y, groups, thresholds={1: 0.4}, group_names={0: "majority", 1: "minority"},
                             draw=False)
    assert panel.sliders[1].value == 0.4 and panel.sliders[0].value == 0.5
    assert "minority" in panel.summary.value and "minority" in panel.sliders[1].description


def test_bad_shapes_are_refused(data):
    scores, y, groups = data
    with pytest.raises(ValueError, match="1-D of one length"):
        FairnessExplorer(scores[:-1], y, groups, draw=False)


def test_table_html_has_a_row_per_group_and_overall(data):
    scores, y, groups = data
    table = fairness.group_metrics(y, (scores >= 0.5).astype(int), groups)
    text = table_html(table, {0: "A"})
    assert text.count("<tr>") == 4 and ">A<" in text and ">group 1<" in text and ">overall<" in text


def test_redraw_compares_with_the_single_threshold(data, monkeypatch):
    import companion.viz.fairness as viz

    scores, y, groups = data
    drawn = []
    monkeypatch.setattr(viz, "plot_group_rates", lambda tables, **kw: drawn.append(tables))
    panel = FairnessExplorer(scores, y, groups)
    assert list(drawn[-1]) == ["threshold 0.5", "sliders"]
    panel.sliders[0].value = 0.6
    assert len(drawn) == 2 and drawn[-1]["sliders"] is panel.table
