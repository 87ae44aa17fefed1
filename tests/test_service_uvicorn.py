"""The service once for real: uvicorn in a subprocess on 127.0.0.1 (a free port), real HTTP requests,
a bounded load test with zero errors (its latencies printed, never asserted), and a clean shutdown."""

import time

import httpx
import pytest

from companion.data import shipped
from companion.deploy.loadtest import load_test, running_service
from companion.deploy.models import train_digits_model


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "digits.pt"
    train_digits_model(path, epochs=8)  # the service is under test here, not the accuracy
    return path


def test_served_for_real_then_shut_down(digits_file):
    X, _ = shipped.load_digits()
    payloads = [{"features": row.tolist()} for row in X[:200]]
    start = time.perf_counter()
    with running_service(digits_file, timeout=60) as url:
        started = time.perf_counter() - start
        assert httpx.get(url + "/health").json()["model_version"] == "digits-mlp-1"
        single = httpx.post(url + "/predict", json=payloads[0]).json()
        batch = httpx.post(url + "/predict/batch", json={"rows": X[:3].tolist()}).json()
        assert batch["predictions"][0]["label"] == single["label"]
        # Bad input over a real socket: the byte limit from the Content-Length header, the media type
        huge = httpx.post(url + "/predict", content=b"[" + b"0.5," * 300_000 + b"0.5]",
                          headers={"content-type": "application/json"})
        assert huge.status_code == 413 and "over the limit" in huge.json()["detail"]
        assert httpx.post(url + "/predict", content=b"{}", headers={"content-type": "text/csv"}).status_code == 415

        result = load_test(url + "/predict", payloads, n_requests=2000, concurrency=16, timeout=10, deadline=60)
        print(f"\nuvicorn up in {started:.1f} s; load test: {result.summary()}")
        assert result.errors == 0, result.error_examples
        assert result.n_requests == 2000 and len(result.latencies_ms) == 2000
    with pytest.raises(httpx.ConnectError):  # stopped: nothing listens on the port any more
        httpx.get(url + "/health", timeout=2)


def test_a_service_that_cannot_start_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="did not become healthy(.|\n)*missing.pt.*no such file"):
        with running_service(tmp_path / "missing.pt", timeout=60):
            pass


def test_start_service_returns_at_once_and_stops_before_it_is_ready(digits_file):
    from companion.deploy.loadtest import start_service

    service = start_service(digits_file, timeout=60)
    assert service.url.startswith("http://127.0.0.1:") and service.process.poll() is None  # still importing
    service.stop()
    assert service.process.poll() is not None
    service.stop()                                                     # stopping twice is harmless


def test_a_started_service_is_stopped_at_exit(digits_file, monkeypatch):
    import atexit

    from companion.deploy.loadtest import start_service

    registered = []
    monkeypatch.setattr(atexit, "register", registered.append)
    service = start_service(digits_file, timeout=60)
    try:
        assert registered == [service.stop]                           # a failed notebook leaves no server behind
    finally:
        service.stop()
