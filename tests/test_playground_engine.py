"""The Playground's engine without widgets: both backends, configuration strings."""

import numpy as np
import pytest

from companion.playground import PlaygroundConfig, PlaygroundModel


def test_both_backends_train_the_same_network_alike():
    runs = {}
    for backend in ("numpy", "torch"):
        model = PlaygroundModel(PlaygroundConfig(backend=backend, hidden=(8, 8), features=("x1", "x2", "x1*x2")))
        assert model.step(5)
        runs[backend] = model
    np.testing.assert_allclose(runs["numpy"].history.step_loss, runs["torch"].history.step_loss, rtol=1e-4)
    np.testing.assert_allclose(runs["numpy"].output_grid(10), runs["torch"].output_grid(10), atol=1e-4)
    shapes = [[g.shape for g in layer] for layer in runs["torch"].neuron_grids(6)]
    assert shapes == [[(6, 6)] * 8, [(6, 6)] * 8]


@pytest.mark.parametrize("dataset", ["plane", "gaussian"])
def test_regression_sets_use_mse(dataset):
    model = PlaygroundModel(PlaygroundConfig(dataset=dataset, lr=0.01))
    assert model.loss == "mse" and model.step(10)
    assert model.history.train_loss[-1] < model.history.train_loss[0]


def test_state_string_is_short_and_exact():
    config = PlaygroundConfig(dataset="xor", noise=0.25, hidden=(6, 3, 2), features=("x1", "sin(x2)"),
                              regularization="l2", reg_rate=0.003, dropout=0.1, optimizer="adam", seed=42)
    text = config.to_string()
    assert len(text) < 300 and text.isascii()
    assert PlaygroundConfig.from_string(text) == config
    with pytest.raises(ValueError, match="not a Playground state string"):
        PlaygroundConfig.from_string(text[:-10])
