"""Headless Chromium (Debian's, driven by Playwright) against the built book, fully offline.

The pages load MathJax, require.js, the widget manager and Font Awesome from CDNs. Here those
requests are answered from local copies of the same npm packages (tests/browser/package.json,
pinned by package-lock.json); any other request that leaves 127.0.0.1 is refused and reported.
The routing and the server live in tools/offline_assets.py, which tools/make_pdf.py shares.
"""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from offline_assets import CHROMIUM, CHROMIUM_ARGS, Router, serve  # noqa: E402

HTML = ROOT / "_build" / "html"
__all__ = ["HTML", "ROOT", "Router"]


@pytest.fixture(scope="session")
def site():
    """The built book served on 127.0.0.1; yields its base URL."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} has no built book: run `make build-fresh` (part of `make test`) first")
    with serve(HTML) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
