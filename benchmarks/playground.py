"""Playground speed: epochs per second while playing with live redraw, and slider-to-figure latency.

    .venv/bin/python benchmarks/playground.py

Goals (issue [2/4]): at least 20 epochs per second for two hidden layers of 8 neurons on 500 points
on a 2-core CPU, and a median slider-change-to-redrawn-figure time under 0.3 s. Prints measurements;
asserts nothing (timings are noisy on shared machines).
"""

import statistics
import time

import matplotlib

matplotlib.use("Agg")

from companion.playground import PlaygroundConfig  # noqa: E402
from companion.widgets import Playground  # noqa: E402


def epochs_per_second(backend, seconds=3.0, draw=True):
    pg = Playground(PlaygroundConfig(hidden=(8, 8), n_points=500, backend=backend), draw=draw)
    pg.play.value = True
    time.sleep(seconds)
    pg.play.value = False
    pg.stop()
    return pg.model.epoch / seconds


def slider_latency(repeats=15):
    pg = Playground(PlaygroundConfig(hidden=(8, 8), n_points=500))
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        pg.controls["noise"].value = 0.05 * ((i % 9) + 1)  # rebuilds data and network, then redraws
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    print("Playground, 2 hidden layers of 8 neurons, 500 points (250 for training)")
    for backend in ("numpy", "torch"):
        live = epochs_per_second(backend, draw=True)
        bare = epochs_per_second(backend, draw=False)
        print(f"  {backend:5s}: {live:7.1f} epochs/s with live redraw, {bare:7.1f} without "
              f"(redraw keeps {live / bare:.0%} of the speed; goal >= 20 epochs/s)")
    print(f"  median slider change -> redrawn figure: {slider_latency():.3f} s (goal < 0.3 s)")


if __name__ == "__main__":
    main()
