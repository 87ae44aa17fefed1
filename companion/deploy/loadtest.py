"""The service run for real: uvicorn in a subprocess on 127.0.0.1, and a bounded load test against it.

    with running_service("digits.pt") as url:                    # e.g. "http://127.0.0.1:43817"
        result = load_test(url + "/predict", payloads, n_requests=2000, concurrency=16)
    result.p50_ms, result.p99_ms, result.errors

``start_service`` starts the server and returns at once, so that its start-up overlaps other work.

The load test uses threads (one httpx.Client each, connections kept alive), not asyncio, so it
runs the same in a script and in a notebook whose event loop is already running.
"""

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import numpy as np

from companion._runtime import free_port


def _wait_until_healthy(url, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


class ServiceProcess:
    """uvicorn serving one model file in a subprocess, started by :func:`start_service` and not yet waited for.

    ``url`` is known at once; :meth:`wait` blocks until ``/health`` answers 200 (and returns the URL);
    :meth:`stop` ends the process (SIGTERM, uvicorn's graceful shutdown; killed after 10 s). Used as a
    context manager it waits on entry and stops on exit. Starting the process early lets its seconds of
    importing torch overlap other work (a notebook exporting the model meanwhile, say).
    """

    def __init__(self, process, url, timeout):
        self.process, self.url, self.timeout = process, url, timeout
        atexit.register(self.stop)  # a notebook that fails before stop() must not leave the server running

    def wait(self):
        """Block until the service is healthy (at most ``timeout`` s from now); returns the base URL.

        If the server exits or never answers, it is killed and RuntimeError carries its stderr."""
        if not _wait_until_healthy(self.url, self.process, self.timeout):
            self.process.kill()
            stderr = self.process.communicate(timeout=10)[1].decode(errors="replace")
            raise RuntimeError(f"the service did not become healthy at {self.url} within {self.timeout} s "
                               f"(exit code {self.process.returncode}); its stderr:\n{stderr[-3000:]}")
        return self.url

    def stop(self):
        """Stop the server (idempotent)."""
        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None and not process.stderr.closed:
            process.stderr.close()

    def __enter__(self):
        try:
            return self.wait()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def start_service(checkpoint_path, port=None, host="127.0.0.1", timeout=60.0, threads=1, extra_env=None):
    """Start uvicorn serving ``checkpoint_path`` in a subprocess and return at once: a :class:`ServiceProcess`.

    ``threads`` sets the server's OMP_NUM_THREADS (torch's intra-op threads); ``timeout`` bounds the
    later :meth:`ServiceProcess.wait`. Call ``stop()`` (or use it in a ``with``) to end it.
    """
    port = free_port(host) if port is None else port
    env = {**os.environ, "COMPANION_CHECKPOINT": os.fspath(checkpoint_path), "OMP_NUM_THREADS": str(threads),
           **(extra_env or {})}
    command = [sys.executable, "-m", "uvicorn", "companion.deploy.service:app_from_env", "--factory",
               "--host", host, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(command, env=env, stdout=devnull, stderr=subprocess.PIPE)
    return ServiceProcess(process, f"http://{host}:{port}", timeout)


@contextlib.contextmanager
def running_service(checkpoint_path, port=None, host="127.0.0.1", timeout=60.0, threads=1, extra_env=None):
    """Serve ``checkpoint_path`` with uvicorn in a subprocess; yields the base URL, stops it on exit.

    Waits (at most ``timeout`` seconds) until ``/health`` answers 200; if the server exits or never
    answers, raises RuntimeError with its stderr. On exit it is stopped with SIGTERM (uvicorn's
    graceful shutdown) and killed if it has not stopped within 10 s. ``threads`` sets the server's
    OMP_NUM_THREADS (torch's intra-op threads). :func:`start_service` is the same without the wait.
    """
    with start_service(checkpoint_path, port, host, timeout, threads, extra_env) as url:
        yield url


@dataclass
class LoadTestResult:
    """Latencies (ms, one per successful request, in completion order) and failures of one load test."""

    latencies_ms: np.ndarray
    seconds: float
    concurrency: int
    errors: int = 0
    error_examples: list = field(default_factory=list)

    @property
    def n_requests(self):
        return len(self.latencies_ms) + self.errors

    def percentile_ms(self, q):
        """The q-th percentile of the successful requests' latencies (NaN when none succeeded)."""
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else float("nan")

    @property
    def p50_ms(self):
        return self.percentile_ms(50)

    @property
    def p99_ms(self):
        return self.percentile_ms(99)

    @property
    def requests_per_second(self):
        return self.n_requests / self.seconds

    def summary(self):
        return (f"{self.n_requests} requests, {self.concurrency} concurrent: p50 {self.p50_ms:.1f} ms, "
                f"p99 {self.p99_ms:.1f} ms, {self.requests_per_second:.0f} requests/s, {self.errors} errors")


def load_test(url, payloads, n_requests=2000, concurrency=16, timeout=10.0, deadline=120.0):
    """POST ``payloads`` (JSON bodies, used in turn) to ``url`` ``n_requests`` times, ``concurrency`` at once.

    Each of ``concurrency`` threads sends its share one after another over a kept-alive connection
    and times each request (send to full response). A request fails on a transport error, a status
    other than 2xx, or after ``timeout`` s; the whole test stops sending after ``deadline`` s (the
    requests not sent count as errors). Returns a :class:`LoadTestResult`.
    """
    if not payloads:
        raise ValueError("payloads is empty: give at least one JSON body to send")
    if n_requests < 1 or concurrency < 1:
        raise ValueError(f"n_requests and concurrency must be positive, got {n_requests} and {concurrency}")
    lock, latencies, errors, examples = threading.Lock(), [], [0], []
    stop_at = time.monotonic() + deadline

    def worker(indices):
        with httpx.Client(timeout=timeout) as client:
            for i in indices:
                if time.monotonic() > stop_at:
                    problem = "not sent: the load test's deadline passed"
                else:
                    start = time.perf_counter()
                    try:
                        status = client.post(url, json=payloads[i % len(payloads)]).status_code
                        problem = None if 200 <= status < 300 else f"HTTP {status}"
                    except httpx.HTTPError as exc:
                        problem = f"{type(exc).__name__}: {exc}"
                    elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    if problem is None:
                        latencies.append(elapsed)
                    else:
                        errors[0] += 1
                        examples[len(examples):] = [problem] if len(examples) < 5 else []

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [range(k, n_requests, concurrency) for k in range(concurrency)]))
    return LoadTestResult(np.array(latencies), time.perf_counter() - start, concurrency, errors[0], examples)
