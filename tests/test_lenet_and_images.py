"""The LeNet builders agree across backends; the shipped images and filters load offline."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct
from companion.data import shipped
from companion.data.images import FILTERS, get_filter, sample_photos


def test_lenet_twins_start_equal_and_compute_alike():
    net = cnp.build_lenet(rng=np.random.default_rng(0))
    twin = ct.build_lenet(rng=np.random.default_rng(0), dtype=torch.float64, device="cpu")
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key].numpy())
    x = np.random.default_rng(1).normal(size=(4, 1, 8, 8))
    np.testing.assert_allclose(net(x), twin(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert net(x).shape == (4, 10)


def test_photos_and_filters():
    photos = sample_photos(32)
    assert set(photos) == {"china", "flower"} and photos["china"].shape == (32, 32)
    assert 0 <= photos["flower"].min() and photos["flower"].max() <= 1
    assert get_filter("blur").sum() == pytest.approx(1.0) and len(FILTERS) >= 6
    with pytest.raises(ValueError, match="unknown filter 'emboss'"):
        get_filter("emboss")


def test_photos_are_scikit_learns_without_its_loader(monkeypatch):
    import sys

    from sklearn.datasets import load_sample_images

    from companion.data.images import _sample_images

    theirs = load_sample_images().images
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # importing it now fails: ours must not need it
    ours = _sample_images()
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert sample_photos(16)["china"].shape == (16, 16)


def test_colour_photos_are_channels_first_and_average_to_the_grey_ones():
    grey, colour = sample_photos(32), sample_photos(32, colour=True)
    assert colour["china"].shape == (3, 32, 32)
    np.testing.assert_allclose(colour["flower"].mean(axis=0), grey["flower"], atol=1e-12)
    assert np.ptp(colour["flower"].mean(axis=(1, 2))) > 0.05  # the channels differ: a red flower is not grey


def test_diabetes_ships():
    X, y = shipped.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
