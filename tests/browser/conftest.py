"""Headless Chromium (Debian's, driven by Playwright) against the built book, fully offline.

The pages load MathJax, require.js, the widget manager and Font Awesome from CDNs. Here those
requests are answered from local copies of the same npm packages (tests/browser/package.json,
pinned by package-lock.json); any other request that leaves 127.0.0.1 is refused and reported.
"""

import functools
import http.server
import json
import mimetypes
import pathlib
import re
import threading
from urllib.parse import urlparse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
MODULES = pathlib.Path(__file__).resolve().parent / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# CDN address (a regular expression on the URL) -> the local package folder it maps onto.
JSDELIVR_NPM = re.compile(r"^https://cdn\.jsdelivr\.net/npm/(?P<pkg>(@[^/@]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<path>.*)$")
FONT_AWESOME = re.compile(r"^https://maxcdn\.bootstrapcdn\.com/font-awesome/(?P<version>[^/]+)/(?P<path>.*)$")


def installed_version(package):
    return json.loads((MODULES / package / "package.json").read_text())["version"]


def local_copy(url):
    """The local file that stands in for ``url``, or None. The pinned version must match the request."""
    url = url.split("?")[0].split("#")[0]
    for pattern, package in ((JSDELIVR_NPM, None), (FONT_AWESOME, "font-awesome")):
        match = pattern.match(url)
        if not match:
            continue
        package = package or match.group("pkg")
        if not (MODULES / package).is_dir():
            return None
        wanted, have = match.group("version"), installed_version(package)
        if have != wanted and not have.startswith(wanted + "."):  # "mathjax@3" accepts 3.2.2
            raise AssertionError(f"{url} asks for {package}@{wanted} but the lock file pins {have}")
        path = MODULES / package / match.group("path")
        return path if path.is_file() else None
    return None


class Router:
    """Answers CDN requests from node_modules; refuses and records every other external request."""

    def __init__(self):
        self.refused = []

    def __call__(self, route):
        url = route.request.url
        host = urlparse(url).hostname
        if host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:")):
            return route.continue_()
        path = local_copy(url)
        if path is None:
            self.refused.append(url)
            return route.abort()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=path.read_bytes(), content_type=content_type,
                      headers={"Access-Control-Allow-Origin": "*"})


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site():
    """The built book served on 127.0.0.1; yields its base URL."""
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} has no built book: run `make build-fresh` (part of `make test`) first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
