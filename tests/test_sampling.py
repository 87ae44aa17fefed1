"""sample_next in both backends: the distribution it draws from, top-k, temperature and greedy decoding.

Frequencies over many draws are compared with softmax(logits / T) by a chi-square statistic whose bound
(df + 10 sqrt(2 df), about seven standard deviations) a correct sampler does not reach; fixed seeds
make each run repeat exactly.
"""

import numpy as np
import pytest
import torch

from companion.np.activations import softmax
from companion.np.sampling import sample_next, top_k_logits
from companion.torch.sampling import sample_next as sample_next_torch

LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0, 1.5])
DRAWS = 20000


def _chi_square_ok(samples, probs):
    counts = np.bincount(samples, minlength=len(probs))
    support = probs > 0
    assert counts[~support].sum() == 0, "drew a class of probability 0"
    expected = DRAWS * probs[support]
    statistic = ((counts[support] - expected) ** 2 / expected).sum()
    df = support.sum() - 1
    return statistic < df + 10 * np.sqrt(2 * df)


def _numpy_draws(temperature, top_k, seed=0):
    rng = np.random.default_rng(seed)
    return sample_next(np.tile(LOGITS, (DRAWS, 1)), temperature, top_k, rng)


def _torch_draws(temperature, top_k, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return sample_next_torch(torch.tensor(LOGITS).repeat(DRAWS, 1), temperature, top_k, generator).numpy()


def _expected(temperature, top_k):
    z = LOGITS / temperature
    return softmax(z if top_k is None else top_k_logits(z, top_k))


@pytest.mark.parametrize("draws", [_numpy_draws, _torch_draws], ids=["numpy", "torch"])
@pytest.mark.parametrize("temperature, top_k", [(1.0, None), (0.5, None), (2.0, None), (1.0, 3), (0.7, 2)])
def test_frequencies_match_softmax_of_scaled_logits(draws, temperature, top_k):
    samples = draws(temperature, top_k)
    assert samples.shape == (DRAWS,)
    assert _chi_square_ok(samples, _expected(temperature, top_k))


@pytest.mark.parametrize("draws", [_numpy_draws, _torch_draws], ids=["numpy", "torch"])
def test_chi_square_rejects_the_wrong_temperature(draws):
    # the bound is loose, yet not so loose that T = 1 draws pass for T = 0.8's distribution
    assert not _chi_square_ok(draws(1.0, None), _expected(0.8, None))


@pytest.mark.parametrize("draws", [_numpy_draws, _torch_draws], ids=["numpy", "torch"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_leaves_exactly_k_candidates(draws, k):
    samples = draws(3.0, k)  # a hot temperature, so every candidate gets drawn
    assert set(samples) == set(np.argsort(-LOGITS)[:k])


def test_top_k_keeps_exactly_k_on_ties():
    assert np.isfinite(top_k_logits(np.zeros(5), 2)).sum() == 2


def test_temperature_zero_is_greedy_and_small_temperatures_approach_it():
    batch = np.random.default_rng(1).normal(size=(50, 8))
    assert np.array_equal(sample_next(batch, 0.0), batch.argmax(axis=1))
    assert np.array_equal(sample_next(batch, 1e-4, rng=np.random.default_rng(2)), batch.argmax(axis=1))
    assert np.array_equal(sample_next_torch(torch.tensor(batch), 0.0).numpy(), batch.argmax(axis=1))
    assert sample_next(LOGITS, 0) == 0 and isinstance(sample_next(LOGITS, 0), int)
    assert int(sample_next_torch(torch.tensor(LOGITS), 0)) == 0


@pytest.mark.parametrize("temperature", [1e-200, 1e-310])
def test_tiny_temperatures_overflow_nothing_and_stay_greedy(temperature):
    """logits / T overflows for such T; the sampler must still return the argmax (not NaN, not class 0)."""
    logits = np.array([[1.0, 2.0, 0.0], [-3.0, -4.0, -2.5], [1e300, -1e300, 0.0]])
    with np.errstate(invalid="raise"):  # no inf - inf anywhere
        assert sample_next(logits, temperature, rng=np.random.default_rng(0)).tolist() == [1, 2, 0]
    assert sample_next_torch(torch.tensor(logits), temperature).tolist() == [1, 2, 0]
    assert sample_next_torch(torch.tensor(logits[:2], dtype=torch.float32), temperature, top_k=2).tolist() == [1, 2]


def test_rows_are_drawn_from_their_own_distributions_and_seeds_repeat():
    logits = np.array([[0.0, 50.0, 0.0], [50.0, 0.0, 0.0]])  # each row all but certain of its own class
    assert list(sample_next(logits, rng=np.random.default_rng(3))) == [1, 0]
    assert sample_next_torch(torch.tensor(logits)).tolist() == [1, 0]
    assert np.array_equal(_numpy_draws(1.0, None, seed=4), _numpy_draws(1.0, None, seed=4))
    assert np.array_equal(_torch_draws(1.0, None, seed=4), _torch_draws(1.0, None, seed=4))
    assert isinstance(sample_next(LOGITS, rng=np.random.default_rng(5)), int)


@pytest.mark.parametrize("sample", [sample_next, sample_next_torch], ids=["numpy", "torch"])
@pytest.mark.parametrize("logits, kwargs, match", [
    (np.zeros((2, 3, 4)), {}, "logits must be"),
    (np.zeros(0), {}, "logits must be"),
    (np.array([0.0, np.nan]), {}, "non-finite"),
    (np.zeros(4), {"temperature": -1.0}, "temperature"),
    (np.zeros(4), {"top_k": 0}, "top_k"),
    (np.zeros(4), {"top_k": 5}, "top_k"),
    (np.zeros(4), {"top_k": 2.0}, "top_k"),
])
def test_bad_arguments_are_named(sample, logits, kwargs, match):
    logits = torch.tensor(logits) if sample is sample_next_torch else logits
    with pytest.raises(ValueError, match=match):
        sample(logits, **kwargs)
