"""Exercises of the chapter *Convolutional networks*."""

import numpy as np  # noqa: F401

from companion.exercises.core import Exercise, register  # noqa: F401
