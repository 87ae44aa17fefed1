"""The whole book as one PDF: the built HTML printed page by page by headless Chromium, then merged.

    python tools/make_pdf.py [--html _build/html] [--out _build/pdf/neural-networks-executed.pdf]

Each page of _toc.yml (the front page first, the references last) is opened from a local server with
the CDN scripts served from node_modules (tools/offline_assets.py, as in the browser tests), printed
once MathJax has typeset it and its widgets are drawn, and the page PDFs are merged with pypdf under
an outline of one bookmark per page, titled as the page is. The file is written atomically, and a
copy is put into the site (`<html>/neural-networks-executed.pdf`), where the front page links to it.
"""

import argparse
import html
import io
import os
import pathlib
import re
import sys
import tempfile
import time

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from offline_assets import CHROMIUM, CHROMIUM_ARGS, ROOT, Router, serve  # noqa: E402

PDF_NAME = "neural-networks-executed.pdf"
DEFAULT_HTML = ROOT / "_build" / "html"  # the site `make book` builds and the Pages workflow uploads
TITLE_SUFFIX = re.compile(r"\s+\u2014\s+[^\u2014]*$")  # "<page> — <book title>" in every <title>

# Runs in the page once it has loaded: waits for MathJax, then for each widget view to be drawn
# (the widget manager renders them after load; 15 s at most, as in the browser tests).
SETTLE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const widgets = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const blank = () => widgets.filter(s => {
      const view = s.parentElement.querySelector('.jupyter-widgets, .widget-box, .lm-Widget');
      return !view || view.getBoundingClientRect().height < 5;
  });
  const deadline = Date.now() + 15000;
  while (blank().length && Date.now() < deadline) { await new Promise(r => setTimeout(r, 200)); }
  return document.querySelectorAll('.math').length - document.querySelectorAll('.math mjx-container').length;
}"""

# A link into the local server would be dead in the PDF (127.0.0.1 is gone by the time it is read).
# Links within the page become the PDF's named destinations, which every page printed on its own
# names alike ("exercises" in each chapter): their targets are renamed with the page's own prefix, or
# the merged book would send a link in one chapter to the same-named section of another. Links to
# another page of the book are marked with BOOK_LINK and pointed at that page's first page once the
# pages are merged (relink); links to anything else on the server (notebooks, the index) lose their target.
BOOK_LINK = "https://book-page.invalid/"  # .invalid never resolves: an unmapped one cannot leak out
LOCAL_LINKS = """([prefix, bookPages, marker]) => {
  const targets = new Set();
  for (const a of document.querySelectorAll('a[href]')) {
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) continue;
    if (url.pathname === location.pathname && url.hash.length > 1) {
      const id = decodeURIComponent(url.hash.slice(1));
      const target = document.getElementById(id);
      if (target) { targets.add(target); a.setAttribute('href', '#' + prefix + id); continue; }
    }
    const path = url.pathname.replace(/^\\//, '');
    if (url.pathname !== location.pathname && bookPages.includes(path)) { a.setAttribute('href', marker + path); continue; }
    a.removeAttribute('href');
  }
  for (const target of targets) { target.id = prefix + target.id; }
}"""

# sphinx-book-theme's own @media print rules already drop the sidebars, the footer and the header
# buttons and print the page title with a table of contents. These add what a book on paper needs:
# none of the remaining chrome, code wrapped rather than cut at the margin, and small blocks kept whole.
PRINT_CSS = """
@media print {
  .bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .prev-next-area,
  .bd-footer, .bd-footer-article, .bd-footer-content, #pst-back-to-top, .skip-link,
  .dropdown-launch-buttons, .headerlink { display: none !important; }
  pre { white-space: pre-wrap !important; overflow-wrap: anywhere; overflow: visible !important; }
  /* A cell is kept whole when it fits on a page. The code block inside it must stay breakable: the
     theme's unbreakable flex box would move to the next page on its own and leave the cell's grey
     frame behind, empty, on a page of its own. */
  div.cell_input, div.cell_output > .output, figure, mjx-container[display="true"] { break-inside: avoid; }
  div.highlight, div[class*=highlight-] { display: block !important; break-inside: auto !important; }
  img { max-height: 24cm; }
}
"""
PDF_OPTIONS = {"format": "A4", "print_background": True,
               "margin": {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}}


class PdfError(RuntimeError):
    """A page that cannot be printed, or a request that left the machine; names what and where."""


def toc_pages(toc_file):
    """[(html path, depth)] in reading order: the root page, then each chapter and its sections."""
    toc = yaml.safe_load(toc_file.read_text())
    if not isinstance(toc, dict) or "root" not in toc:
        raise PdfError(f"{toc_file} has no `root:` entry")
    pages = [(f"{toc['root']}.html", 0)]

    def walk(entries, depth):
        for entry in entries or []:
            if "file" in entry:
                pages.append((f"{entry['file']}.html", depth))
            elif "chapters" not in entry:  # a part's caption alone, or a url entry: nothing to print
                continue
            walk(entry.get("chapters"), depth)
            walk(entry.get("sections"), depth + 1)

    walk(toc.get("parts") or [{"chapters": toc.get("chapters")}], 0)
    if len(pages) == 1:
        raise PdfError(f"{toc_file} lists no chapters")
    return pages


def page_title(html_file):
    """The page's title as its <title> gives it, without the book's name after the dash."""
    match = re.search(r"<title>(.*?)</title>", html_file.read_text(encoding="utf-8"), re.S)
    if not match:
        raise PdfError(f"{html_file} has no <title>")
    return TITLE_SUFFIX.sub("", html.unescape(match.group(1)).strip())


def print_page(context, url, name, book_pages):
    """One page printed to PDF bytes; a failed load, an HTTP error or math left untypeset fails it."""
    page = context.new_page()
    errors = []
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="networkidle", timeout=60_000)
        if response is None or not response.ok:
            raise PdfError(f"{name}: the page did not load ({response.status if response else 'no response'})")
        untypeset = page.evaluate(SETTLE)
        if untypeset:
            raise PdfError(f"{name}: {untypeset} formulas left untypeset by MathJax")
        if errors:
            raise PdfError(f"{name}: " + "; ".join(errors))
        page.evaluate(LOCAL_LINKS, [re.sub(r"\W+", "-", name) + "--", book_pages, BOOK_LINK])
        page.add_style_tag(content=PRINT_CSS)
        return page.pdf(**PDF_OPTIONS)
    except PdfError:
        raise
    except Exception as error:  # Playwright's timeouts and navigation errors, named by page
        raise PdfError(f"{name}: {error}") from error
    finally:
        page.close()


def print_pages(html_dir, pages):
    """[(path, title, depth, pdf bytes)] for each page, printed offline."""
    from playwright.sync_api import sync_playwright

    router = Router()
    printed = []
    with serve(html_dir) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", router)
            for path, depth in pages:
                data = print_page(context, f"{base}/{path}", path, [p for p, _ in pages])
                printed.append((path, page_title(html_dir / path), depth, data))
                print(f"  printed {path}", flush=True)
        finally:
            browser.close()
    if router.refused:
        raise PdfError("requests to the outside with no local copy:\n  " + "\n  ".join(sorted(set(router.refused))))
    return printed


def merge(printed):
    """One PDF with an outline: a bookmark per page, sections nested under their chapter."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    parents, starts = {}, {}
    for path, title, depth, data in printed:
        start = starts[path] = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(data)), import_outline=False)
        parents[depth + 1] = writer.add_outline_item(title=title, page_number=start, parent=parents.get(depth))
    relink(writer, starts)
    writer.add_metadata({"/Title": printed[0][1], "/Creator": "tools/make_pdf.py (headless Chromium, pypdf)"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), len(writer.pages)


def relink(writer, starts):
    """Each link marked with BOOK_LINK made a jump to the first page of the book page it names."""
    from pypdf.generic import ArrayObject, NameObject

    for page in writer.pages:
        for annotation in (a.get_object() for a in page.get("/Annots") or []):
            uri = str(annotation.get("/A", {}).get("/URI", ""))
            if not uri.startswith(BOOK_LINK):
                continue
            path = uri[len(BOOK_LINK):]
            if path not in starts:
                raise PdfError(f"a link to {path}, which is not a page of the book")
            del annotation["/A"]
            annotation[NameObject("/Dest")] = ArrayObject([writer.pages[starts[path]].indirect_reference,
                                                           NameObject("/Fit")])


def write_atomically(path, data):
    """``data`` at ``path``, whole or not at all: written beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=pathlib.Path, default=DEFAULT_HTML, help="the built site")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "pdf" / PDF_NAME)
    parser.add_argument("--toc", type=pathlib.Path, default=ROOT / "_toc.yml")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        if not (args.html / "index.html").is_file():
            raise PdfError(f"{args.html} has no built book: run `make book` first")
        if not pathlib.Path(CHROMIUM).is_file():
            raise PdfError(f"no browser at {CHROMIUM}: run `make chromium`, or set CHROMIUM to one")
        pages = toc_pages(args.toc)
        missing = [path for path, _ in pages if not (args.html / path).is_file()]
        if missing:
            raise PdfError(f"{args.html} lacks pages that {args.toc.name} lists: {missing}")
        data, page_count = merge(print_pages(args.html, pages))
    except PdfError as error:
        print(f"make_pdf: {error}", file=sys.stderr)
        return 1
    write_atomically(args.out, data)
    write_atomically(args.html / PDF_NAME, data)
    print(f"{args.out}: {page_count} pages, {len(data) / 2**20:.1f} MiB, {len(pages)} chapters and sections, "
          f"in {time.monotonic() - started:.0f} s (copy at {args.html / PDF_NAME})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
