"""companion.data.download.fetch against a local HTTP server on 127.0.0.1 that misbehaves on purpose.

Every failure case asserts the error names the problem and that the cache folder holds no partial or
corrupt file afterwards (no *.part left, no file under the final name).
"""

import errno
import hashlib
import http.client
import http.server
import threading
import time

import pytest

from companion._runtime import free_port
from companion.data import download
from companion.data.download import ChecksumError, DiskFullError, DownloadError, fetch

BODY = bytes(range(256)) * 1000  # 256 kB: several 64 KiB chunks
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()
FAST = dict(retries=2, backoff=0.01, timeout=5)


class Server:
    """A tiny HTTP server whose routes misbehave on the first ``n`` requests, counting every request."""

    def __init__(self):
        self.routes, self.hits = {}, {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body, plan = server.routes[self.path]
                mode = plan[min(server.hits[self.path], len(plan)) - 1]  # the last mode repeats
                if mode in (404, 500, 503):
                    self.send_error(mode)
                    return
                if mode == "slow":
                    time.sleep(1.0)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # "drop": the header promised len(body) bytes; send half, then close the connection
                try:
                    self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)
                except (BrokenPipeError, ConnectionResetError):  # "slow": the client gave up first
                    pass
                self.close_connection = True

            def log_message(self, *args):  # keep pytest's output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.httpd.block_on_close = False  # a handler still sleeping in "slow" must not hold up teardown
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def route(self, path, body=BODY, plan=("ok",)):
        self.routes[path] = (body, plan)
        return self.url + path


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def listing(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_download_is_verified_and_cached(server, tmp_path):
    url = server.route("/data/set.bin")
    path = fetch(url, SHA, cache_dir=tmp_path, **FAST)
    assert path == tmp_path / "set.bin" and path.read_bytes() == BODY
    assert listing(tmp_path) == ["set.bin"]
    assert fetch(url, SHA, cache_dir=tmp_path, **FAST) == path  # cache hit
    assert server.hits["/data/set.bin"] == 1  # no second request


def test_md5_is_accepted_where_only_md5_is_published(server, tmp_path):
    path = fetch(server.route("/m.bin"), md5=MD5, cache_dir=tmp_path, **FAST)
    assert path.read_bytes() == BODY


def test_default_cache_folder_is_the_environment_variable(server, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_DATA", str(tmp_path / "env"))
    assert fetch(server.route("/e.bin"), SHA, **FAST) == tmp_path / "env" / "e.bin"
    monkeypatch.delenv("COMPANION_DATA")
    assert download.cache_folder().parts[-2:] == (".cache", "companion")


def test_wrong_checksum_is_a_hard_error_naming_both_hashes(server, tmp_path):
    url = server.route("/bad.bin", body=b"not the file" * 100)
    with pytest.raises(ChecksumError) as err:
        fetch(url, SHA, cache_dir=tmp_path, **FAST)
    actual = hashlib.sha256(b"not the file" * 100).hexdigest()
    assert SHA in str(err.value) and actual in str(err.value) and url in str(err.value)
    assert server.hits["/bad.bin"] == 1  # a complete download with another hash is not retried
    assert listing(tmp_path) == []


def test_cached_file_with_the_wrong_hash_is_fetched_again(server, tmp_path):
    (tmp_path / "set.bin").write_bytes(BODY[:1000])  # a damaged copy from an earlier run
    path = fetch(server.route("/set.bin"), SHA, cache_dir=tmp_path, **FAST)
    assert path.read_bytes() == BODY and server.hits["/set.bin"] == 1
    assert listing(tmp_path) == ["set.bin"]


def test_connection_dropped_half_way_every_time(server, tmp_path):
    url = server.route("/cut.bin", plan=("drop",))
    with pytest.raises(DownloadError) as err:
        fetch(url, SHA, cache_dir=tmp_path, **FAST)
    msg = str(err.value)
    assert "short read" in msg and url in msg and str(tmp_path / "cut.bin") in msg
    assert server.hits["/cut.bin"] == 3  # one try and two retries
    assert listing(tmp_path) == []


def test_connection_dropped_once_then_the_retry_succeeds(server, tmp_path):
    url = server.route("/cut.bin", plan=("drop", "ok"))
    assert fetch(url, SHA, cache_dir=tmp_path, **FAST).read_bytes() == BODY
    assert server.hits["/cut.bin"] == 2
    assert listing(tmp_path) == ["cut.bin"]


def test_incomplete_read_raised_by_http_client_is_a_short_read(tmp_path, monkeypatch):
    class Cut:  # a response whose read raises, as http.client does for some cut-off bodies
        headers = {"Content-Length": "10"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            raise http.client.IncompleteRead(b"abc", 7)

    monkeypatch.setattr(download.urllib.request, "urlopen", lambda url, timeout: Cut())
    with pytest.raises(DownloadError, match=r"after 1 try \(try 1: short read: 3 bytes, then the connection was cut"):
        fetch("http://127.0.0.1:9/cut.bin", SHA, cache_dir=tmp_path, retries=0)
    assert listing(tmp_path) == []


def test_404_is_not_retried(server, tmp_path):
    url = server.route("/missing.bin", plan=(404,))
    with pytest.raises(DownloadError) as err:
        fetch(url, SHA, cache_dir=tmp_path, **FAST)
    assert "HTTP 404" in str(err.value) and url in str(err.value)
    assert server.hits["/missing.bin"] == 1
    assert listing(tmp_path) == []


def test_500_then_success(server, tmp_path):
    url = server.route("/flaky.bin", plan=(500, 503, "ok"))
    assert fetch(url, SHA, cache_dir=tmp_path, **FAST).read_bytes() == BODY
    assert server.hits["/flaky.bin"] == 3


def test_500_every_time_names_the_status(server, tmp_path):
    url = server.route("/down.bin", plan=(500,))
    with pytest.raises(DownloadError, match="HTTP 500"):
        fetch(url, SHA, cache_dir=tmp_path, retries=1, backoff=0.01)
    assert server.hits["/down.bin"] == 2 and listing(tmp_path) == []


def test_backoff_doubles(server, tmp_path, monkeypatch):
    waits = []
    monkeypatch.setattr(download.time, "sleep", waits.append)
    with pytest.raises(DownloadError):
        fetch(server.route("/down.bin", plan=(500,)), SHA, cache_dir=tmp_path, retries=3, backoff=0.25)
    assert waits == [0.25, 0.5, 1.0]


def test_timeout_is_retried_then_reported(server, tmp_path):
    url = server.route("/slow.bin", plan=("slow",))
    with pytest.raises(DownloadError, match="timed out") as err:
        fetch(url, SHA, cache_dir=tmp_path, retries=1, backoff=0.01, timeout=0.2)
    assert url in str(err.value) and listing(tmp_path) == []


def test_full_disk_leaves_nothing_and_says_where(server, tmp_path, monkeypatch):
    calls = []

    def full(out, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:  # the first chunk is written, then the disk fills
            raise OSError(errno.ENOSPC, "No space left on device")
        out.write(chunk)

    monkeypatch.setattr(download, "_write_chunk", full)
    with pytest.raises(DiskFullError) as err:
        fetch(server.route("/big.bin"), SHA, cache_dir=tmp_path, **FAST)
    assert "disk is full" in str(err.value) and str(tmp_path) in str(err.value)
    assert isinstance(err.value, RuntimeError) and isinstance(err.value.__cause__, OSError)
    assert server.hits["/big.bin"] == 1  # a full disk is not retried
    assert listing(tmp_path) == []


def test_offline_gives_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/mnist.gz"  # nothing listens there
    with pytest.raises(DownloadError) as err:
        fetch(url, SHA, cache_dir=tmp_path, **FAST)
    msg = str(err.value)
    assert url in msg and "refused" in msg.lower() and "after 3 tries" in msg
    assert str(tmp_path / "mnist.gz") in msg and "by hand" in msg
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(), "exactly one checksum"),
        (dict(sha256=SHA, md5=MD5), "exactly one checksum"),
        (dict(sha256="abc"), "64 hexadecimal"),
        (dict(md5="z" * 32), "32 hexadecimal"),
        (dict(sha256=SHA, retries=-1), "retries"),
        (dict(sha256=SHA, timeout=0), "timeout"),
    ],
)
def test_bad_arguments(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        fetch("http://127.0.0.1:9/x.bin", cache_dir=tmp_path, **kwargs)


def test_file_hash_matches_hashlib(tmp_path):
    (tmp_path / "f").write_bytes(BODY)
    assert download.file_hash(tmp_path / "f") == SHA
    assert download.file_hash(tmp_path / "f", "md5") == MD5
    with pytest.raises(ValueError, match="algorithm"):
        download.file_hash(tmp_path / "f", "sha1")
