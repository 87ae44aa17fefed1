"""The book's PDF (`make pdf`, tools/make_pdf.py), read back with pypdf: every page of _toc.yml is in it,
in order, under its own bookmark; the worked example's computed numbers are in its text; no page is
blank; links within a page stay in it and no link points at the local server it was printed from; and
the front page links to it.

Runs after the build (`make pdf`), not in `make unit`. BOOK_HTML points it at another built site."""

import os
import pathlib
import re
import sys
import unicodedata
from urllib.parse import urljoin, urlparse

import pytest
from pypdf import PdfReader

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from make_pdf import PDF_NAME, page_title, toc_pages  # noqa: E402

from companion.data import worked_example  # noqa: E402

HTML = pathlib.Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
PDF = HTML / PDF_NAME
PAGES = toc_pages(ROOT / "_toc.yml")


def normalized(text):
    """Text as a reader sees it: ligatures spelt out ("ﬁ" -> "fi"), every run of spaces and line breaks one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@pytest.fixture(scope="module")
def reader():
    if not PDF.is_file():
        pytest.fail(f"{PDF} is missing: run `make pdf`")
    return PdfReader(PDF)


@pytest.fixture(scope="module")
def texts(reader):
    return [normalized(page.extract_text() or "") for page in reader.pages]


def flat_outline(reader, items=None):
    """[(title, first page index)] of every bookmark, depth first, in the outline's order."""
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found.extend(flat_outline(reader, item))
        else:
            found.append((item.title, reader.get_destination_page_number(item)))
    return found


@pytest.fixture(scope="module")
def starts(reader):
    """{html path: (first page, first page of the next one)} from the outline."""
    outline = flat_outline(reader)
    bounds = [page for _, page in outline] + [len(reader.pages)]
    return {path: (bounds[i], bounds[i + 1]) for i, (path, _) in enumerate(PAGES)}


def test_the_pdf_opens_and_has_more_pages_than_the_book_has_chapters(reader):
    assert len(reader.pages) > 3 * len(PAGES), len(reader.pages)


def test_the_outline_has_one_bookmark_per_page_of_the_toc_in_order_titled_as_the_page(reader):
    outline = flat_outline(reader)
    assert [title for title, _ in outline] == [page_title(HTML / path) for path, _ in PAGES]
    first_pages = [page for _, page in outline]
    assert first_pages[0] == 0 and first_pages == sorted(set(first_pages)), first_pages
    # sections sit under their chapter: the outline's top level holds the chapters alone
    chapters = [item.title for item in reader.outline if not isinstance(item, list)]
    assert chapters == [page_title(HTML / path) for path, depth in PAGES if depth == 0]


def test_each_page_starts_with_its_title(texts, starts):
    for path, _ in PAGES:
        first = starts[path][0]
        assert normalized(page_title(HTML / path)) in texts[first], f"{path}: title not on PDF page {first + 1}"


def test_the_worked_example_numbers_are_in_its_chapter(texts, starts):
    steps = worked_example.forward_steps()
    begin, end = starts["book/02_forward_propagation.html"]
    chapter = " ".join(texts[begin:end])
    # as the chapter's glue formats them ({glue:text}`z1:.2f` ...) and as its panel prints them (.4f)
    for shown in (f"{steps['z1']:.2f}", f"{steps['z2']:.2f}", f"{steps['z_out']:.3f}", f"{steps['output']:.3f}",
                  f"{steps['output']:.1%}", f"{steps['output']:.4f}"):
        assert shown in chapter, f"{shown} is not in the worked example's chapter of the PDF"


def test_no_page_is_blank(reader, texts):
    # Every figure of the book is a PNG, so a page with neither text nor an image shows nothing worth a
    # page: at most an empty frame that a block too tall to break left behind.
    blank = [i + 1 for i, page in enumerate(reader.pages)
             if not texts[i] and not page.get("/Resources", {}).get("/XObject")]
    assert not blank, f"blank PDF pages: {blank}"


def test_no_link_points_at_the_server_it_was_printed_from(reader):
    local = [annotation["/A"]["/URI"] for page in reader.pages for annotation in
             (a.get_object() for a in page.get("/Annots", [])) if "/URI" in annotation.get("/A", {})
             and urlparse(annotation["/A"]["/URI"]).hostname in ("127.0.0.1", "localhost", "book-page.invalid")]
    assert not local, local[:5]


def test_links_within_a_page_land_on_that_page_of_the_book(reader, starts):
    # each page was printed alone, so its named destinations ("exercises", ...) recur across chapters
    destinations = reader.named_destinations
    ranges = sorted(starts.values())
    wrong, links = [], 0
    for number, page in enumerate(reader.pages):
        for annotation in (a.get_object() for a in page.get("/Annots") or []):
            if "/Dest" not in annotation or isinstance(annotation["/Dest"], list):  # a jump to another page
                continue
            links += 1
            name = str(annotation["/Dest"])
            begin, end = next(r for r in ranges if r[0] <= number < r[1])
            if name not in destinations or not begin <= reader.get_destination_page_number(destinations[name]) < end:
                wrong.append((number + 1, name))
    assert links > len(PAGES), f"only {links} links within pages: the printed tables of contents are not linked"
    assert not wrong, f"links that leave their page of the book or lead nowhere (PDF page, name): {wrong[:10]}"


def page_jumps(reader, numbers):
    """[PDF page index] that the links on the given pages jump to, in the order they are on the page."""
    return [reader.get_page_number(annotation["/Dest"][0].get_object()) for number in numbers
            for annotation in (a.get_object() for a in reader.pages[number].get("/Annots") or [])
            if isinstance(annotation.get("/Dest"), list)]


def test_links_to_other_pages_of_the_book_jump_to_them(reader, starts):
    first_pages = {begin for begin, _ in starts.values()}
    jumps = page_jumps(reader, range(len(reader.pages)))
    assert jumps and set(jumps) <= first_pages, sorted(set(jumps) - first_pages)
    # the front page's list of chapters leads to every chapter, in order
    front = page_jumps(reader, range(*starts[PAGES[0][0]]))
    chapters = [starts[path][0] for path, depth in PAGES[1:] if depth == 0]
    assert [page for page in front if page in chapters] == chapters


def test_the_front_page_links_to_the_pdf():
    front = PAGES[0][0]
    hrefs = re.findall(r'href="([^"#?]*' + re.escape(PDF_NAME) + ')"', (HTML / front).read_text(encoding="utf-8"))
    assert hrefs, f"{front} has no link to {PDF_NAME}"
    for href in hrefs:
        target = urlparse(urljoin(f"http://site/{front}", href)).path.lstrip("/")
        assert (HTML / target).resolve() == PDF.resolve(), f"{href} on {front} leads to {target}, not {PDF_NAME}"
