"""The built book in headless Chromium (Debian's, driven by Playwright), fully offline.

Shared by the browser tests (tests/browser/conftest.py) and the PDF (tools/make_pdf.py), so that both
load the pages the same way. The pages load MathJax, require.js, the widget manager and Font Awesome
from CDNs; here those requests are answered from local copies of the same npm packages
(tests/browser/package.json, pinned by package-lock.json), and any other request that leaves
127.0.0.1 is refused and recorded.
"""

import contextlib
import functools
import http.server
import json
import mimetypes
import os
import pathlib
import re
import threading
from urllib.parse import urlparse

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = ROOT / "tests" / "browser" / "node_modules"
# tools/ensure_chromium.sh reads the same variable: a machine without Debian's chromium (GitHub's
# Ubuntu runner, where the apt package is a snap stub) points it at the browser it has.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
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
    """Answers CDN requests from node_modules; refuses and records every other external request.

    Install it on a browser context with ``context.route("**/*", router)``."""

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


@contextlib.contextmanager
def serve(directory):
    """``directory`` served on 127.0.0.1 from a thread; yields its base URL. The OS picks the port as
    the server binds it, so no other process can take it in between."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
