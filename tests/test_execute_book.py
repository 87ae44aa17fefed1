"""tools/execute_book.py fills the execution cache the way Jupyter Book reads it."""

import pathlib
import sys

import nbformat
import pytest
from jupyter_cache import get_cache

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import execute_book  # noqa: E402


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return path


def test_executed_notebooks_are_found_by_the_cache_lookup_myst_nb_uses(tmp_path):
    paths = [notebook(tmp_path / f"page{i}.ipynb", "import os", f"print({i} * 7, os.environ['OMP_NUM_THREADS'])")
             for i in range(3)]
    times = execute_book.run(paths, cache_path=tmp_path / "cache", jobs=2, log=lambda *_: None)
    assert set(times) == set(paths)
    cache = get_cache(str(tmp_path / "cache"))
    for i, path in enumerate(paths):
        # myst-nb's NotebookClientCache: match the stored notebook, then merge its outputs in
        cache.match_cache_notebook(nbformat.read(path, as_version=4))
        _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
        assert merged.cells[1].outputs[0]["text"] == f"{i * 7} 1\n"
    # a second run finds everything cached and executes nothing
    assert execute_book.run(paths, cache_path=tmp_path / "cache", jobs=2, log=lambda *_: None) == {}


def test_an_edited_notebook_is_executed_again(tmp_path):
    path = notebook(tmp_path / "page.ipynb", "x = 1")
    execute_book.run([path], cache_path=tmp_path / "cache", jobs=1, log=lambda *_: None)
    notebook(path, "x = 2")
    assert list(execute_book.run([path], cache_path=tmp_path / "cache", jobs=1, log=lambda *_: None)) == [path]


def test_a_failing_notebook_is_named_and_not_cached(tmp_path):
    good = notebook(tmp_path / "good.ipynb", "1 + 1")
    bad = notebook(tmp_path / "bad.ipynb", "raise ValueError('the story broke')")
    with pytest.raises(RuntimeError, match=r"1 notebook\(s\) failed(.|\n)*bad.ipynb(.|\n)*the story broke"):
        execute_book.run([good, bad], cache_path=tmp_path / "cache", jobs=2, log=lambda *_: None)
    cache = get_cache(str(tmp_path / "cache"))
    cache.match_cache_notebook(nbformat.read(good, as_version=4))
    with pytest.raises(KeyError):
        cache.match_cache_notebook(nbformat.read(bad, as_version=4))


def test_a_slow_page_says_whether_its_time_went_into_its_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(execute_book, "SLOW", 0.5)
    path = notebook(tmp_path / "slow.ipynb", "import time", "time.sleep(1.0)", "x = 1")
    lines = []
    execute_book.run([path], cache_path=tmp_path / "cache", jobs=1, log=lines.append)
    assert lines[0].startswith("Executed") and "over 0.5 s" in lines[1]
    in_cells = float(lines[1].split(": ", 1)[1].split(" s in cells")[0])
    assert 1.0 <= in_cells < 3.0 and "slowest: cell 1 1." in lines[1]
    # the timing records are not kept in the cached notebook
    cache = get_cache(str(tmp_path / "cache"))
    stored = cache.get_cache_bundle(cache.match_cache_notebook(nbformat.read(path, as_version=4)).pk).nb
    assert stored.cells[1].outputs == [] and all("execution" not in cell.metadata for cell in stored.cells)
