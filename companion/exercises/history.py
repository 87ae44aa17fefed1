"""Exercises of the chapter *A short history, told by running it*."""

import numpy as np  # noqa: F401

from companion.exercises.core import Exercise, register  # noqa: F401
