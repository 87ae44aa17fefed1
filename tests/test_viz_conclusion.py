"""The conclusion's map of the book: the table of contents, the modules each notebook uses, the figure."""

import json
import pathlib

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from companion.viz import conclusion as C  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _notebook(path, *cells):
    """A notebook whose cells are ("code" | "markdown", source) pairs."""
    path.write_text(json.dumps({"cells": [
        {"cell_type": kind, "metadata": {}, "source": source, **({"outputs": [], "execution_count": None}
                                                                  if kind == "code" else {})}
        for kind, source in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.fixture
def book(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n  - file: book/a\n"
                                       "    sections:\n      - file: book/b\n  - file: book/c\n  - file: book/notes\n")
    _notebook(tmp_path / "book" / "a.ipynb", ("markdown", "# Page A\n\ntext"),
              ("code", "%matplotlib inline\nfrom companion import np as cnp\nfrom companion.book import glue\n"
                       "x = cnp.conv2d\nfrom companion.viz import draw_network\n"))
    _notebook(tmp_path / "book" / "b.ipynb", ("markdown", "# Page B"),
              ("code", "import companion.train\nfrom companion import torch as ct\nct.conv2d\n"
                       "from companion import transfer\ntransfer.digit_tasks\nfrom companion.np.conv import conv2d\n"),
              ("code", "this is not python ("))
    _notebook(tmp_path / "book" / "c.ipynb", ("code", "!pip install nothing\nimport numpy as np\n"))
    (tmp_path / "book" / "notes.md").write_text("# notes\n")
    return tmp_path


def test_toc_pages_keep_the_reading_order_and_levels(book):
    assert C.toc_pages(book) == [("book/a", 0), ("book/b", 1), ("book/c", 0), ("book/notes", 0)]
    assert [p.name for p, _ in C.notebook_pages(book)] == ["a.ipynb", "b.ipynb", "c.ipynb"]


def test_a_toc_without_entries_is_named(tmp_path):
    (tmp_path / "_toc.yml").write_text("root: book/index\n")
    with pytest.raises(ValueError, match="lists no '- file:' entries"):
        C.toc_pages(tmp_path)


def test_imported_modules_follow_aliases_to_the_defining_module(book):
    assert C.imported_modules(book / "book" / "a.ipynb") == {
        "companion.np", "companion.np.conv", "companion.book", "companion.viz.diagram"}
    assert C.imported_modules(book / "book" / "b.ipynb") == {
        "companion.train", "companion.torch", "companion.torch.conv", "companion.transfer", "companion.np.conv"}
    assert C.imported_modules(book / "book" / "c.ipynb") == set()


def test_first_imports_lists_each_module_once_on_its_first_page(book):
    pages = C.first_imports(book)
    assert [(p.stem, level, title) for p, level, title, _ in pages] == [
        ("a", 0, "Page A"), ("b", 1, "Page B"), ("c", 0, "c")]
    assert [mods for *_, mods in pages] == [["np.conv", "viz.diagram"], ["torch.conv", "train", "transfer"], []]


def test_floors_and_twin_chips():
    assert [C.floor(m) for m in ("companion.np.conv", "companion.metrics", "companion.data.toy", "companion.train",
                                 "companion.viz.cnn", "companion.deploy.export", "companion.widgets.playground")] == \
        [1, 1, 2, 2, 3, 3, 4]
    assert C._chips(["np.conv", "torch.conv", "torch.gpt", "train"]) == [
        ("np/torch.conv", 1), ("torch.gpt", 1), ("train", 2)]


def test_the_map_draws_one_chip_per_label_and_wraps_long_lines(book):
    pages = C.first_imports(book)
    many = [(pathlib.Path("x"), 0, "A page with many modules", [f"data.module_{i:02d}" for i in range(30)])]
    for chosen, chips in ((pages, 5), (many, 30)):
        fig = C.plot_book_map(chosen)
        ax = fig.axes[0]
        drawn = [t for t in ax.texts if t.get_color() == "white"]           # a chip: white text on a rectangle
        assert len(drawn) == len(ax.patches) == len(C.FLOORS) + chips
        boxes = [r.get_bbox() for r in ax.patches[len(C.FLOORS):]]
        assert all(box.x1 < 1.01 for box in boxes)
        rows = {}
        for box in boxes:                                                     # chips on one line do not overlap
            rows.setdefault(round(box.y0, 6), []).append((box.x0, box.x1))
        assert all(a[1] < b[0] for spans in rows.values() for a, b in zip(sorted(spans), sorted(spans)[1:]))
    assert len(rows) > 1                                                      # the 30 chips need more than one line
    matplotlib.pyplot.close("all")


def test_the_real_book_maps_every_notebook_in_the_toc():
    pages = C.first_imports(ROOT)
    assert [p.relative_to(ROOT).with_suffix("").as_posix() for p, *_ in pages] == \
        [name for name, _ in C.toc_pages(ROOT) if (ROOT / f"{name}.ipynb").exists()]
    introduced = {p.stem: mods for p, _, _, mods in pages}
    assert "np.conv" in introduced["08_cnn"] and "np.attention" in introduced["10_attention"]
    every = [m for mods in introduced.values() for m in mods]
    assert len(every) == len(set(every))
