"""The digits service under load: uvicorn on 127.0.0.1 (one worker, a subprocess) answering /predict and
/predict/batch while threads send requests, at a few concurrencies; then the model alone, for scale.

    .venv/bin/python benchmarks/bench_service.py               # 2,000 requests per row
    .venv/bin/python benchmarks/bench_service.py --requests 500

Prints a table: latency percentiles (p50, p99, ms, send to full response, as the client sees it), requests
and rows per second, errors. The client's threads share the machine with the server, so on a small CPU
they slow it down: read the numbers as this machine's, not the service's ceiling. Asserts nothing.
"""

import argparse
import tempfile
import time
from pathlib import Path


from companion.data import shipped
from companion.deploy.loadtest import load_test, running_service
from companion.deploy.models import load_model, train_digits_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    options = parser.parse_args()
    X, _ = shipped.load_digits()
    singles = [{"features": row.tolist()} for row in X[:200]]
    batches = [{"rows": X[i:i + 32].tolist()} for i in range(0, 640, 32)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digits.pt"
        train_digits_model(path)
        served = load_model(path)
        start = time.perf_counter()
        for row in X[:500]:
            served.predict_proba(row[None])
        model_ms = (time.perf_counter() - start) / 500 * 1000
        rows = []
        with running_service(path) as url:
            for endpoint, payloads, per_request in (("/predict", singles, 1), ("/predict/batch", batches, 32)):
                for concurrency in (1, 4, 16):
                    n = options.requests if per_request == 1 else options.requests // 8
                    r = load_test(url + endpoint, payloads, n_requests=n, concurrency=concurrency)
                    rows.append((endpoint, concurrency, r.n_requests, r.p50_ms, r.p99_ms, r.requests_per_second,
                                 r.requests_per_second * per_request, r.errors))
    print(f"the model alone (predict_proba, one row, in process): {model_ms:.3f} ms per call\n")
    header = ("endpoint", "concurrent", "requests", "p50 ms", "p99 ms", "requests/s", "rows/s", "errors")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for e, c, n, p50, p99, rps, rows_s, errors in rows:
        print(f"| {e} | {c} | {n} | {p50:.1f} | {p99:.1f} | {rps:.0f} | {rows_s:.0f} | {errors} |")


if __name__ == "__main__":
    main()
