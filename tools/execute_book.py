"""Execute the book's notebooks into Jupyter Book's execution cache, several at a time.

Jupyter Book (myst-nb, ``execute_notebooks: cache`` in _config.yml) runs the notebooks it finds missing
from ``_build/.jupyter_cache`` one after another. Each page spends a few seconds importing torch and
matplotlib on one core, so on a machine with two cores this script runs two notebooks at once (each
kernel held to one thread, as in `make unit`) and stores the executed notebooks in that cache; the
build that follows finds every page there and only renders it.

    python tools/execute_book.py              execute the notebooks missing from the cache
    python tools/execute_book.py --jobs 1     one at a time (the per-page times are then unshared)

The cache is keyed as myst-nb keys it (the code cells and the kernel spec), so an unchanged notebook is
not run again; edits to companion/ are not seen, which is why `make test` deletes the cache first.
A notebook that fails is reported with its traceback, nothing is cached for it, and the exit status is 1.
"""

import argparse
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from colab_cell import notebooks  # noqa: E402

CACHE = ROOT / "_build" / ".jupyter_cache"
# One thread per kernel: two kernels on two cores, and OpenMP/BLAS threads that outnumber the cores
# spin against each other (see the Makefile's unit target).
# A page slower than this (the book's budget per page) is reported with where its time went.
SLOW = 30
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def execution_settings(config_path=ROOT / "_config.yml"):
    """(timeout per cell in seconds, allow_errors) from _config.yml's execute section."""
    execute = yaml.safe_load(config_path.read_text()).get("execute", {})
    return execute.get("timeout", 30), bool(execute.get("allow_errors", False))


def execute(path, timeout, allow_errors):
    """Run one notebook in its own folder, as myst-nb does; returns (path, notebook, seconds, error text,
    cell seconds): the last a list of (cell index, seconds) from nbclient's timing records."""
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=timeout, allow_errors=allow_errors,
                                 meta_override=True, record_timing=True)
    return (path, result.nb, result.time, result.exc_string if result.err is not None else None,
            cell_seconds(result.nb))


def cell_seconds(nb):
    """[(index, seconds)] of the executed code cells, from the timestamps nbclient records in each cell's
    metadata (``execution``: iopub.execute_input to shell.execute_reply); the records are removed, so
    the cached notebook is what it would be without them."""
    from datetime import datetime

    spans = []
    for index, cell in enumerate(nb.cells):
        record = cell.get("metadata", {}).pop("execution", None)
        if record and "iopub.execute_input" in record and "shell.execute_reply" in record:
            start, end = (datetime.fromisoformat(record[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            spans.append((index, (end - start).total_seconds()))
    return spans


def breakdown(seconds, spans):
    """One line on where a page's time went: in its cells (the slowest named) or outside them (the
    kernel's start and shut-down), so a page that runs long says which."""
    in_cells = sum(s for _, s in spans)
    slowest = ", ".join(f"cell {i} {s:.1f} s" for i, s in sorted(spans, key=lambda t: -t[1])[:3])
    return f"{in_cells:.1f} s in cells (slowest: {slowest}), {seconds - in_cells:.1f} s outside them"


def missing(cache, paths):
    """The notebooks whose current code has no executed copy in the cache."""
    todo = []
    for path in paths:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    return todo


def run(paths, cache_path=CACHE, jobs=2, config_path=ROOT / "_config.yml", log=print):
    """Execute the ``paths`` missing from the cache at ``cache_path``, ``jobs`` at a time.

    Returns {path: seconds} for the notebooks executed and cached; raises RuntimeError naming every
    notebook that failed (the others are cached all the same, so a rerun only repeats the failures).
    """
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_path))
    todo = missing(cache, paths)
    timeout, allow_errors = execution_settings(config_path)
    os.environ.update(SINGLE_THREAD)  # inherited by the worker processes and their kernels
    times, failures = {}, {}
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        # The later chapters train the bigger models: starting them first balances the two queues.
        futures = [pool.submit(execute, path, timeout, allow_errors) for path in reversed(todo)]
        for future in as_completed(futures):
            path, nb, seconds, error, spans = future.result()
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            if error is not None:
                failures[name] = error
                log(f"FAILED {name} after {seconds:.1f} s")
                continue
            # Only this process writes the cache's database, one notebook at a time.
            uri = str(path.resolve())
            cache.cache_notebook_bundle(CacheBundleIn(nb, uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            times[path] = seconds
            log(f"Executed {name} in {seconds:.1f} s")
            if seconds > SLOW:
                log(f"  over {SLOW} s: {breakdown(seconds, spans)}")
    if failures:
        details = "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
        raise RuntimeError(f"{len(failures)} notebook(s) failed to execute:\n\n{details}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="notebooks executed at once (default: two, or one on a single core)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        times = run(notebooks(), jobs=args.jobs)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    wall = time.perf_counter() - start
    print(f"{len(times)} notebook(s) executed in {wall:.0f} s of wall time "
          f"({sum(times.values()):.0f} s summed over pages, {args.jobs} at a time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
