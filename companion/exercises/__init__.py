"""Exercises that check themselves: ``check("forward.sigmoid", my_sigmoid)`` returns a verdict.

A verdict says "correct", or shows one concrete input on which the answer goes wrong, with the
expected and the received value. It never raises: a reader's exception becomes part of the message.
"""

# Importing each chapter's module registers its exercises.
from companion.exercises import (attention, backprop, cnn, conclusion, deployment, forward, frameworks,  # noqa: F401
                                  graphs, history, intro, losses, mlp, modern_cnn, regularization, responsible,
                                  rnn, scaling, sequences, training, transfer, transformers)
from companion.exercises import energy  # noqa: F401  (the page Energy and carbon)
from companion.exercises import roadmap  # noqa: F401  (the three roadmap pages)
from companion.exercises.core import EXERCISES, Verdict, check, describe

__all__ = ["EXERCISES", "Verdict", "check", "describe"]
