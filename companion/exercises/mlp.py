"""Exercises of the chapter *The multilayer perceptron at work*."""

import numpy as np  # noqa: F401

from companion.exercises.core import Exercise, register  # noqa: F401
