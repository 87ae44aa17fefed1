"""companion.ngram: counts, add-k and interpolated probabilities by hand, distributions that sum to one,
and perplexity's definition."""

import itertools

import numpy as np
import pytest

from companion.ngram import NgramModel, perplexity

STREAM = np.array([0, 1, 2, 0, 1, 1, 2, 0, 2, 1])      # V = 3


def _count(seq, gram):
    n = len(gram)
    return sum(tuple(seq[i:i + n]) == tuple(gram) for i in range(len(seq) - n + 1))


def test_add_k_bigram_matches_counting_by_hand():
    k, V = 0.5, 3
    model = NgramModel(2, V, smoothing="add-k", k=k).fit(STREAM)
    test = np.array([1, 2, 2, 0])
    got = model.log_prob(test, context=[0])
    for t, (prev, w) in enumerate(zip([0] + list(test[:-1]), test)):
        context = _count(STREAM[:-1], [prev])             # contexts that some token follows
        want = (_count(STREAM, [prev, w]) + k) / (context + k * V)
        assert got[t] == pytest.approx(np.log(want))


def test_unigram_and_the_first_tokens_without_context():
    model = NgramModel(3, 3, k=1.0).fit(STREAM)
    got = model.log_prob([2, 0])                           # no context: unigram, then bigram
    assert got[0] == pytest.approx(np.log((_count(STREAM, [2]) + 1) / (len(STREAM) + 3)))
    assert got[1] == pytest.approx(np.log((_count(STREAM, [2, 0]) + 1) / (_count(STREAM[:-1], [2]) + 3)))


def test_interpolated_trigram_mixes_the_orders():
    lambdas = [0.2, 0.3, 0.5]
    model = NgramModel(3, 3, smoothing="interpolated", k=0.1, lambdas=lambdas).fit(STREAM)
    u, v, w = 0, 1, 1
    p1 = (_count(STREAM, [w]) + 0.1) / (len(STREAM) + 0.3)
    p2 = _count(STREAM, [v, w]) / _count(STREAM[:-1], [v])
    p3 = _count(STREAM, [u, v, w]) / _count(STREAM[:-1], [u, v])
    got = model.log_prob([w], context=[u, v])[0]
    assert got == pytest.approx(np.log(0.2 * p1 + 0.3 * p2 + 0.5 * p3))


@pytest.mark.parametrize("order, smoothing", list(itertools.product([1, 2, 3, 4], ["add-k", "interpolated"])))
def test_next_probs_sum_to_one_and_agree_with_log_prob(order, smoothing):
    rng = np.random.default_rng(order)
    stream = rng.integers(0, 5, size=300)
    model = NgramModel(order, 5, smoothing=smoothing, k=0.3).fit(stream)
    for context in ([], [1], [3, 4], [0, 2, 1], [4, 4, 4, 4]):   # seen and unseen contexts
        probs = model.next_probs(context)
        assert probs.shape == (5,) and probs.min() > 0 and probs.sum() == pytest.approx(1.0)
        for w in range(5):
            assert np.log(probs[w]) == pytest.approx(model.log_prob([w], context=context)[0])


def test_interpolation_renormalizes_over_the_orders_whose_context_was_seen():
    stream = np.tile([0, 1, 2, 3], 30)
    model = NgramModel(3, 5, smoothing="interpolated", k=0.1, lambdas=[0.2, 0.3, 0.5]).fit(stream)
    probs = model.next_probs([3, 2])          # "3 2" never occurs; "2" does, followed by 3 every time
    assert probs.sum() == pytest.approx(1.0)
    p1 = (np.bincount(stream, minlength=5) + 0.1) / (len(stream) + 0.5)
    np.testing.assert_allclose(probs, (0.2 * p1 + 0.3 * np.eye(5)[3]) / 0.5)


def test_log_prob_of_a_stream_equals_token_by_token_scoring():
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 4, 500), rng.integers(0, 4, 40)
    model = NgramModel(3, 4, k=0.5).fit(train)
    whole = model.log_prob(test, context=[1, 2])
    history = [1, 2]
    for t, w in enumerate(test):
        assert whole[t] == pytest.approx(np.log(model.next_probs(history)[w]))
        history.append(int(w))


def test_perplexity_is_exp_of_mean_negative_log_likelihood():
    assert perplexity(np.full(9, -np.log(7.0))) == pytest.approx(7.0)    # uniform over 7 tokens
    assert perplexity([0.0, 0.0]) == 1.0
    assert perplexity(np.log([0.5, 0.25])) == pytest.approx(np.exp(-(np.log(0.5) + np.log(0.25)) / 2))
    model = NgramModel(2, 3).fit(STREAM)
    assert model.perplexity([1, 2], context=[0]) == pytest.approx(perplexity(model.log_prob([1, 2], context=[0])))
    with pytest.raises(ValueError, match="at least one"):
        perplexity([])


def test_more_context_helps_on_structured_text_and_smoothing_keeps_unseen_tokens_possible():
    stream = np.tile([0, 1, 2, 3], 50)
    uni, bi = NgramModel(1, 5).fit(stream), NgramModel(2, 5, k=0.01).fit(stream)
    assert bi.perplexity(stream[:20]) < 1.1 < 3.9 < uni.perplexity(stream[:20])
    assert np.isfinite(bi.log_prob([4], context=[0])[0])             # token 4 never seen


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="order"):
        NgramModel(0, 3)
    with pytest.raises(ValueError, match="smoothing"):
        NgramModel(2, 3, smoothing="kneser-ney")
    with pytest.raises(ValueError, match="k must"):
        NgramModel(2, 3, k=0)
    with pytest.raises(ValueError, match="lambdas"):
        NgramModel(2, 3, smoothing="interpolated", lambdas=[0.5, 0.6])
    with pytest.raises(ValueError, match="not been fitted"):
        NgramModel(2, 3).log_prob([0])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        NgramModel(2, 3).fit([0, 1, 3])
    with pytest.raises(ValueError, match="integers"):
        NgramModel(2, 3).fit(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="too short"):
        NgramModel(3, 3).fit([0, 1])


def test_unseen_fraction_counts_test_windows_missing_from_training():
    from companion.ngram import unseen_fraction

    train = [0, 1, 2, 0, 1]
    assert unseen_fraction(train, [0, 1, 2, 2], 2) == pytest.approx(1 / 3)     # (2, 2) is new
    assert unseen_fraction(train, [1, 2, 0], 3) == 0.0
    assert unseen_fraction(train, [3], 1) == 1.0
    assert unseen_fraction([0], [0, 0], 2) == 1.0                                # training too short for pairs
    with pytest.raises(ValueError, match="no 3-grams"):
        unseen_fraction(train, [0, 1], 3)
