"""Property-based tests search the same examples on every run, so that a CI result can be repeated: a
failure found once is found again. ``HYPOTHESIS_PROFILE=explore`` searches fresh random examples instead
(worth running by hand after changing a concept's code)."""

import os

try:
    from hypothesis import settings
except ImportError:  # the ipywidgets 7 environment runs only tests/widgets, without hypothesis
    settings = None

if settings is not None:
    settings.register_profile("repeatable", derandomize=True, database=None)
    settings.register_profile("explore")
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
