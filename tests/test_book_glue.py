"""glue() hands the build what myst_nb.glue would, with values whose text form its number formats can read."""

import myst_nb.ext.glue
import numpy as np
import pytest
import torch

from companion import book
from companion.book import glue


@pytest.fixture
def shown(monkeypatch):
    """Every display call, ours and myst-nb's: (bundle, metadata) for raw display data, else the object shown."""
    calls = []

    def record(bundle, raw=False, metadata=None):
        calls.append((bundle, metadata) if raw else bundle)

    monkeypatch.setattr("IPython.display.display", record)
    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", record)
    return calls


def test_glue_shows_exactly_what_myst_nb_glue_shows(shown):
    for display in (False, True):
        glue("x", 0.25, display=display)
        myst_nb.glue("x", 0.25, display=display)
        ours, theirs = shown[-2:]
        assert ours == theirs
    assert shown[0][0] == {book.GLUE_PREFIX + "text/plain": "0.25"}
    assert shown[0][1]["scrapbook"] == {"name": "x", "mime_prefix": myst_nb.ext.glue.GLUE_PREFIX}


def test_numpy_and_torch_scalars_are_glued_as_python_numbers(shown):
    for name, value in [("f", np.float64(0.25)), ("i", np.int64(3)), ("a", np.array(1.5)), ("t", torch.tensor(2.0))]:
        glue(name, value)
    texts = [bundle[book.GLUE_PREFIX + "text/plain"] for bundle, _ in shown]
    assert texts == ["0.25", "3", "1.5", "2.0"]        # not "np.float64(0.25)": myst-nb's :.3f can read these
    assert f"{float(texts[0]):.3f}" == "0.250"
    glue("v", np.array([1.0, 2.0]))
    assert shown[-1][0][book.GLUE_PREFIX + "text/plain"] == "array([1., 2.])"  # arrays are left alone


def test_without_myst_nb_glue_only_shows_when_asked(monkeypatch, shown):
    monkeypatch.setattr(book, "find_spec", lambda name: None)
    glue("x", 0.5)
    assert shown == []
    glue("x", np.float64(0.5), display=True)
    assert shown == [0.5] and type(shown[0]) is float
