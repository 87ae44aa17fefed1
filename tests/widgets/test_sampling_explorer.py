"""The sampling panel: samples are the n-gram model's continuations under sample_next's temperature and
top-k (NumPy only; this module runs in the torch-free ipywidgets 7.7.1 environment too)."""

import numpy as np
import pytest

from companion.np.sampling import sample_next
from companion.widgets import SamplingExplorer


@pytest.fixture(scope="module")
def panel():
    return SamplingExplorer()


def _by_hand(panel, seed):
    """The same continuation, drawn here step by step."""
    rng = np.random.default_rng(seed)
    ids = list(panel.vocab.encode(list(panel.prompt.value.lower())))
    out = []
    for _ in range(panel.length.value):
        logits = np.log(panel.model.next_probs(np.array(ids)))
        logits[0] = -1e9
        token = sample_next(logits, temperature=panel.temperature.value, top_k=panel.top_k.value or None, rng=rng)
        ids.append(token)
        out.append(token)
    return panel.vocab.decode(out)


def test_starting_state_shows_three_samples_of_the_chosen_length(panel):
    assert len(panel.samples) == 3 and all(len(s) == panel.length.value for s in panel.samples)
    assert len(set(panel.samples)) == 3                                   # three different seeds
    assert panel.samples[1] == _by_hand(panel, 1)
    assert "temperature 1.0" in panel.out.value and "<unk>" not in "".join(panel.samples)


def test_temperature_zero_is_greedy_and_the_same_for_every_seed(panel):
    panel.temperature.value = 0.0
    assert len(set(panel.samples)) == 1
    context = list(panel.vocab.encode(list(panel.prompt.value)))
    first = int(np.argmax(panel.model.next_probs(np.array(context))[1:])) + 1
    assert panel.samples[0][0] == panel.vocab.idx_to_token[first]
    panel.temperature.value = 1.0


def test_top_one_equals_greedy_and_top_k_stays_among_the_k_likeliest(panel):
    panel.top_k.value = 1
    top_one = list(panel.samples)
    panel.top_k.value, panel.temperature.value = 0, 0.0
    assert top_one == panel.samples
    panel.temperature.value, panel.top_k.value = 1.5, 3
    assert panel.samples[2] == _by_hand(panel, 2) and "top-3" in panel.out.value
    panel.temperature.value, panel.top_k.value = 1.0, 0


def test_prompt_is_escaped_in_the_html(panel):
    panel.length.value = 20
    panel.prompt.value = "a <b>"
    assert "a &lt;b&gt;" in panel.out.value and len(panel.samples[0]) == 20


def test_given_prose_replaces_the_book():
    small = SamplingExplorer(order=2, prose="abab abab abab")
    assert small.vocab.idx_to_token[1:] == ["a", "b", " "]
    small.prompt.value, small.temperature.value = "a", 0.0
    assert small.samples[0].startswith("bab")
