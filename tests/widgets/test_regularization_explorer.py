"""The regularization panel: each slider retrains, and the numbers shown are the run's."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from companion.widgets import RegularizationExplorer  # noqa: E402
from companion.widgets.regularization_explorer import digits_run  # noqa: E402


@pytest.fixture(scope="module")
def panel():
    return RegularizationExplorer(draw=False, epochs=15)


def shown_val(panel):
    return float(panel.summary.value.split("nnx-val'>")[1].split("<")[0])


def test_starts_with_a_run_it_reports(panel):
    assert len(panel.history.epoch) == 15
    assert shown_val(panel) == pytest.approx(panel.history.val_accuracy[-1], abs=5e-4)


def test_more_training_data_closes_the_gap(panel):
    panel.n_train.value = 50
    small_gap = panel.history.train_accuracy[-1] - panel.history.val_accuracy[-1]
    small_val = panel.history.val_accuracy[-1]
    panel.n_train.value = 1000
    assert panel.history.val_accuracy[-1] > small_val
    assert panel.history.train_accuracy[-1] - panel.history.val_accuracy[-1] < small_gap


def test_dropout_and_weight_decay_sliders_change_the_run(panel):
    panel.n_train.value = 200
    before = list(panel.history.train_loss)
    panel.dropout.value = 0.5
    assert panel.history.train_loss != before
    reference = digits_run(dropout=0.5, weight_decay=0.0, n_train=200, epochs=15)
    assert panel.history.train_loss == pytest.approx(reference.train_loss)
    panel.weight_decay.value = 1.0
    assert panel.history.train_loss != reference.train_loss
