"""Download a public file once, check it, and keep it in a cache folder.

:func:`fetch` is the one door to the network for the public data sets (:mod:`companion.data.public`):

1. The cache path is ``cache_dir / filename`` (``cache_dir`` defaults to ``$COMPANION_DATA``, else
   ``~/.cache/companion``). A file already there whose checksum matches is returned with no request; one
   whose checksum does not match is deleted and fetched again, never trusted.
2. The body is streamed in chunks into a temporary file in the same folder (so the final rename stays on
   one file system), hashing as it goes.
3. The byte count is checked against the ``Content-Length`` header: a connection cut half-way can end a
   read early without an error, and a short file must never pass for a whole one. (Without the header,
   in a chunked response, ``http.client`` raises on a cut-off chunk itself; the checksum catches the rest.)
4. The checksum (sha256, or md5 where only the md5 is published) is checked, then ``os.replace`` moves the
   file into place in one atomic step. On any failure the temporary file is removed, so the cache never
   holds a partial or corrupt file under the final name.

Which failures are retried (``retries`` more tries, waiting ``backoff * 2**k`` seconds before try k + 1):
connection errors (refused, reset, DNS), timeouts, HTTP 5xx and 429, and short reads; these are usually
passing. Not retried: other HTTP 4xx (a 404 stays a 404), a checksum mismatch after a complete download
(the server sent a whole file that is not the one expected: trying again would fetch it again), and a
full disk. Each failure raises :class:`DownloadError` (a ``RuntimeError``) naming the URL, what went
wrong and what to do.
"""

import errno
import hashlib
import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHUNK = 1 << 16  # 64 KiB per read: a few MB/s of Python overhead at most, small enough to stay responsive
HASHES = ("sha256", "md5")


class DownloadError(RuntimeError):
    """A download failed; the message says which URL, what failed and what to do."""


class ChecksumError(DownloadError):
    """A complete download (or a cached file) does not have the expected checksum."""


class DiskFullError(DownloadError):
    """The cache folder's disk filled up while writing (``OSError`` with ``errno.ENOSPC``)."""


class _Retryable(Exception):
    """Internal: a failure worth another try (connection, timeout, 5xx, short read)."""


def cache_folder(path=None):
    """The cache folder: ``path`` if given, else ``$COMPANION_DATA``, else ``~/.cache/companion``."""
    path = path or os.environ.get("COMPANION_DATA") or Path.home() / ".cache" / "companion"
    return Path(path).expanduser()


def file_hash(path, algorithm="sha256"):
    """Hex digest of the file at ``path`` (``algorithm``: "sha256" or "md5"), read in chunks."""
    digest = _new_hash(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _new_hash(algorithm):
    if algorithm not in HASHES:
        raise ValueError(f"algorithm must be one of {HASHES}, got {algorithm!r}")
    # md5 here checks integrity against a published value, not security; the flag says so (FIPS builds)
    return hashlib.md5(usedforsecurity=False) if algorithm == "md5" else hashlib.sha256()


def _expected(sha256, md5):
    """(algorithm, lower-case hex digest) of the one checksum given."""
    given = [(name, value) for name, value in (("sha256", sha256), ("md5", md5)) if value]
    if len(given) != 1:
        raise ValueError("give exactly one checksum: sha256=... or md5=... (a download is never trusted unchecked)")
    name, value = given[0]
    want_len = 64 if name == "sha256" else 32
    if len(value) != want_len or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"{name} must be {want_len} hexadecimal digits, got {value!r}")
    return name, value.lower()


def fetch(url, sha256=None, *, md5=None, filename=None, cache_dir=None, retries=3, backoff=0.5, timeout=30):
    """Download ``url`` into the cache once, verified, and return its path.

    Args:
        url: an http(s) URL.
        sha256, md5: the expected checksum, exactly one of them (hex). md5 exists for the sets whose
            publishers (and torchvision) give only an md5.
        filename: the name in the cache (default: the last part of the URL's path).
        cache_dir: the folder (default :func:`cache_folder`: ``$COMPANION_DATA`` or ``~/.cache/companion``).
        retries: further tries after a retryable failure (0: one try only).
        backoff: seconds before the first retry, doubled each time (0.5, 1, 2, ...).
        timeout: seconds to wait for the connection and for each read.

    Returns:
        ``pathlib.Path`` of the verified file.

    Raises:
        ChecksumError: the complete download (not retried) has another checksum; the message gives both.
        DiskFullError: the disk filled up; nothing is left behind.
        DownloadError: HTTP 4xx, or every try failed (offline, server down, cut-off transfers).
        ValueError: no checksum or a malformed one, negative retries/backoff, non-positive timeout.
    """
    algorithm, expected = _expected(sha256, md5)
    if int(retries) != retries or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if backoff < 0 or timeout <= 0:
        raise ValueError(f"backoff must be >= 0 and timeout > 0, got backoff={backoff!r}, timeout={timeout!r}")
    folder = cache_folder(cache_dir)
    name = filename or os.path.basename(urllib.parse.urlparse(url).path)
    if not name:
        raise ValueError(f"cannot name the cached file from {url!r}: pass filename=")
    target = folder / name
    if target.exists():
        if file_hash(target, algorithm) == expected:
            return target  # cache hit: no request
        target.unlink()  # wrong checksum (an old or damaged copy): never trusted, fetched again
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for attempt in range(int(retries) + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _download_once(url, target, algorithm, expected, timeout)
            return target
        except _Retryable as err:
            failures.append(f"try {attempt + 1}: {err}")
    tries = f"{len(failures)} tr{'y' if len(failures) == 1 else 'ies'}"
    raise DownloadError(
        f"could not download {url} after {tries} ({'; '.join(failures)}). "
        f"Check the connection and try again, or download the file by hand and save it as {target} "
        f"(its {algorithm} must be {expected}), or run where downloads work (e.g. Colab)."
    )


def _download_once(url, target, algorithm, expected, timeout):
    """One try: stream into a temporary file beside ``target``, check, rename. Leaves nothing on failure."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        try:
            with os.fdopen(fd, "wb") as out:  # closing flushes the last buffered bytes: inside the check
                got, length, actual = _stream(url, out, algorithm, timeout, target)
        except OSError as err:
            if err.errno == errno.ENOSPC:
                raise DiskFullError(
                    f"the disk is full: no space left while writing {target.name} into {target.parent} "
                    f"(the partial file was removed). Free some space there, or set COMPANION_DATA "
                    f"(or pass cache_dir=) to a folder on a disk with room."
                ) from err
            raise
        if length is not None and got != length:
            raise _Retryable(f"short read: {got} of {length} bytes (the connection was cut)")
        if actual != expected:
            raise ChecksumError(
                f"checksum mismatch for {url}: expected {algorithm} {expected}, got {actual} "
                f"({got} bytes, complete). The server sent another file (a changed or wrong URL, or a "
                f"captive portal's page); nothing was saved. Download it by hand from a trusted mirror into "
                f"{target} if you trust it, or report the URL."
            )
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _stream(url, out, algorithm, timeout, target):
    """Copy the body of ``url`` into ``out``: (bytes written, Content-Length or None, hex digest)."""
    digest, got = _new_hash(algorithm), 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            header = response.headers.get("Content-Length")
            length = int(header) if header and header.isdigit() else None
            while chunk := response.read(CHUNK):
                _write_chunk(out, chunk)
                digest.update(chunk)
                got += len(chunk)
    except urllib.error.HTTPError as err:
        if err.code >= 500 or err.code == 429:
            raise _Retryable(f"HTTP {err.code} {err.reason}") from err
        raise DownloadError(
            f"HTTP {err.code} {err.reason} for {url}: the server has no such file (not retried). "
            f"Check the URL, or download the file by hand and save it as {target}."
        ) from err
    except http.client.IncompleteRead as err:
        raise _Retryable(f"short read: {got + len(err.partial)} bytes, then the connection was cut") from err
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise _Retryable(f"{type(err).__name__}: {reason}") from err
    return got, length, digest.hexdigest()


def _write_chunk(out, chunk):
    """Write one chunk (a seam of its own so the tests can fill the disk)."""
    out.write(chunk)
