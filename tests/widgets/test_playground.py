"""The Playground driven as a reader drives it: set controls, press buttons, read what it shows."""

import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.playground import PlaygroundConfig, PlaygroundModel  # noqa: E402
from companion.widgets import Playground  # noqa: E402


@pytest.fixture
def pg():
    playground = Playground()
    yield playground
    playground.stop()


def test_step_trains_one_epoch_and_redraws(pg):
    before = pg.image.value
    pg.step_button.click()
    assert pg.model.epoch == 1 and "nnx-epoch'>1<" in pg.epoch_label.value
    assert pg.image.value != before and pg.image.value[:4] == b"\x89PNG"
    assert list(pg.figure.train_line.get_xdata()) == [1]


def test_training_lowers_the_loss_and_the_map_follows_the_network(pg):
    pg.step(30)
    h = pg.model.history
    assert h.train_loss[-1] < h.train_loss[0]
    np.testing.assert_allclose(pg.figure.map_image.get_array(), pg.model.output_grid(pg.figure.grid_n))


def test_changing_a_setting_rebuilds_the_network(pg):
    pg.step(3)
    pg.controls["hidden"].value = "3, 3, 2"
    assert pg.model.epoch == 0 and pg.model.config.hidden == (3, 3, 2)
    assert [len(images) for images in pg.figure.neuron_images] == [3, 3, 2]
    pg.feature_boxes["x1^2"].value = True
    assert pg.model.config.features == ("x1", "x2", "x1^2")
    assert pg.model.net.layers[0].weight.shape == (3, 3)


def test_invalid_hidden_layers_are_named_and_the_old_network_kept(pg):
    model = pg.model
    pg.controls["hidden"].value = "4, 9"
    assert "at most 6, each with 1 to 8 neurons" in pg.status.value and pg.model is model
    pg.controls["hidden"].value = "four"
    assert "numbers separated by commas" in pg.status.value


def test_a_huge_learning_rate_shows_divergence_and_stays_usable(pg):
    pg.controls["dataset"].value = "plane"
    pg.controls["lr"].value = 10.0
    pg.controls["activation"].value = "relu"
    pg.step(20)
    assert "diverged" in pg.status.value and "try 1" in pg.status.value
    assert pg.model.history.diverged
    pg.controls["lr"].value = 0.03
    assert pg.status.value == "" and pg.step(2) and pg.model.epoch == 2


def test_share_string_round_trips_every_setting(pg):
    pg.controls["dataset"].value = "spiral"
    pg.controls["noise"].value = 0.2
    pg.controls["seed"].value = 7
    pg.feature_boxes["sin(x1)"].value = True
    text = pg.share.value
    other = Playground(draw=False)
    assert other.load(text)
    assert other.config() == pg.config()
    assert other.model.X_train.tolist() == pg.model.X_train.tolist()
    assert not other.load("not-a-state")
    assert "not a Playground state string" in other.status.value


def test_reset_and_regenerate(pg):
    pg.step(5)
    pg.reset_button.click()
    assert pg.model.epoch == 0
    old = pg.model.X_train.copy()
    pg.regenerate_button.click()
    assert pg.model.config.seed == 1 and not np.array_equal(old, pg.model.X_train)


def test_hiding_test_points_and_discretizing(pg):
    pg.step(5)
    pg.show_test.value = False
    assert not pg.figure.test_points.get_visible()
    pg.discretize.value = True
    assert set(np.unique(pg.figure.map_image.get_array())) <= {0.0, 1.0}


def test_play_trains_in_the_background_until_paused(pg):
    pg.play.value = True
    time.sleep(0.6)
    pg.play.value = False
    pg.stop()
    reached = pg.model.epoch
    assert reached > 1
    time.sleep(0.3)
    assert pg.model.epoch == reached


def test_config_validation():
    with pytest.raises(ValueError, match="unknown dataset 'moons'"):
        PlaygroundConfig(dataset="moons").validate()
    with pytest.raises(ValueError, match="features must be a non-empty choice"):
        PlaygroundConfig(features=()).validate()
    model = PlaygroundModel(PlaygroundConfig(hidden=()))  # no hidden layer: logistic regression
    assert model.neuron_grids(4) == [] and model.step(2)
