"""tools/make_pdf.py's parts that need no browser: the reading order it prints in, the bookmark titles,
the atomic write, and the errors it stops with. The printed PDF itself is tested in tests/pdf."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_pdf  # noqa: E402


def test_the_reading_order_is_the_toc_with_sections_one_level_down(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/index\nchapters:\n  - file: a\n    sections:\n      - file: a1\n"
                   "      - file: a2\n  - file: b\n")
    assert make_pdf.toc_pages(toc) == [("book/index.html", 0), ("a.html", 0), ("a1.html", 1), ("a2.html", 1),
                                       ("b.html", 0)]


def test_a_toc_in_parts_is_read_part_by_part(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("root: intro\nparts:\n  - caption: One\n    chapters:\n      - file: a\n"
                   "  - caption: Two\n    chapters:\n      - file: b\n")
    assert make_pdf.toc_pages(toc) == [("intro.html", 0), ("a.html", 0), ("b.html", 0)]


def test_the_book_toc_starts_at_the_front_page_and_ends_with_the_references():
    pages = [path for path, _ in make_pdf.toc_pages(ROOT / "_toc.yml")]
    assert pages[0] == "book/index.html" and pages[-1] == "book/references.html"
    assert len(pages) == len(set(pages)) == len(list((ROOT / "book").glob("*.ipynb"))) + 2


@pytest.mark.parametrize("text, problem", [("chapters: []\n", "no `root:`"), ("root: index\n", "lists no chapters")])
def test_a_toc_without_pages_is_refused_by_name(tmp_path, text, problem):
    toc = tmp_path / "_toc.yml"
    toc.write_text(text)
    with pytest.raises(make_pdf.PdfError, match=problem):
        make_pdf.toc_pages(toc)


def test_the_bookmark_title_is_the_page_title_without_the_book_name(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Data augmentation and the 98% goal &#8212; Neural Networks, Executed"
                    "</title></head></html>")
    assert make_pdf.page_title(page) == "Data augmentation and the 98% goal"
    page.write_text("<html></html>")
    with pytest.raises(make_pdf.PdfError, match="no <title>"):
        make_pdf.page_title(page)


def test_the_pdf_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "out" / "book.pdf"
    make_pdf.write_atomically(target, b"%PDF-first")
    assert target.read_bytes() == b"%PDF-first"

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        make_pdf.write_atomically(target, b"%PDF-second")
    assert target.read_bytes() == b"%PDF-first"  # the old file stands, and no temporary file is left
    assert [p.name for p in target.parent.iterdir()] == ["book.pdf"]


def test_without_a_built_site_it_stops_with_the_command_to_run(tmp_path, capsys):
    assert make_pdf.main(["--html", str(tmp_path), "--out", str(tmp_path / "x.pdf")]) == 1
    assert "has no built book: run `make book`" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
