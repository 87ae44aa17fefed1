"""The checking machinery: a registry of exercises, each compared with a reference implementation."""

import html
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

EXERCISES = {}
_CASES = 25  # random inputs per function exercise


@dataclass
class Exercise:
    """A reader writes ``answer``; ``check`` compares it with ``reference``.

    For a function exercise ``cases(rng)`` yields argument tuples and ``reference(*args)`` the right
    result; for a value exercise ``cases`` is None and ``reference()`` returns the right value.
    ``errstate``, e.g. ``{"over": "raise"}``, runs the answer under ``np.errstate(**errstate)``, so that
    a floating-point warning (an overflow the final result happens to hide) fails the check.
    """

    id: str
    prompt: str
    reference: Callable
    cases: Optional[Callable] = None
    arg_names: tuple = ()
    rtol: float = 1e-6
    atol: float = 1e-9
    errstate: Optional[dict] = None


def register(exercise):
    if exercise.id in EXERCISES:
        raise ValueError(f"exercise {exercise.id!r} is registered twice")
    EXERCISES[exercise.id] = exercise
    return exercise


@dataclass
class Verdict:
    """The outcome of :func:`check`; true when the answer is correct."""

    exercise_id: str
    correct: bool
    message: str
    details: dict = field(default_factory=dict)

    def __bool__(self):
        return self.correct

    def __str__(self):
        mark = "Correct" if self.correct else "Not yet"
        return f"{mark} [{self.exercise_id}]: {self.message}"

    __repr__ = __str__

    def _repr_html_(self):
        colour, mark = ("#1e7e34", "✔ Correct") if self.correct else ("#b02a37", "✘ Not yet")
        return (f"<div class='nnx-verdict' style='border-left:4px solid {colour};padding:4px 10px'>"
                f"<b style='color:{colour}'>{mark}</b> <code>{html.escape(self.exercise_id)}</code>"
                f"<pre style='white-space:pre-wrap;margin:4px 0 0 0'>{html.escape(self.message)}</pre></div>")


def describe(exercise_id):
    """The exercise's statement."""
    return _lookup(exercise_id).prompt


def _lookup(exercise_id):
    if exercise_id not in EXERCISES:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(sorted(EXERCISES))}")
    return EXERCISES[exercise_id]


def check(exercise_id, answer, seed=0):
    """Check ``answer`` (a function or a value, as the exercise asks) and return a :class:`Verdict`."""
    exercise = _lookup(exercise_id)
    if exercise.cases is None:
        return _check_value(exercise, answer)
    return _check_function(exercise, answer, np.random.default_rng(seed))


def _check_value(exercise, answer):
    problem = _mismatch(answer, exercise.reference(), exercise)
    if problem:
        return Verdict(exercise.id, False, problem)
    return Verdict(exercise.id, True, "that is the right value.")


def _check_function(exercise, answer, rng):
    if not callable(answer):
        return Verdict(exercise.id, False, f"expected a function (def ...), got {type(answer).__name__} {answer!r}")
    cases = list(exercise.cases(rng))
    for args in cases:
        expected = exercise.reference(*_copy(args))
        try:
            with np.errstate(**(exercise.errstate or {})):
                received = answer(*_copy(args))
        except Exception as error:  # the reader's bug becomes the message, not a traceback
            return Verdict(exercise.id, False, f"your function raised {type(error).__name__}: {error}\n"
                           f"{_FLOATING_POINT_HINT if isinstance(error, FloatingPointError) else ''}"
                           f"on input:\n{_show_args(args, exercise.arg_names)}", {"args": args})
        problem = _mismatch(received, expected, exercise)
        if problem:
            return Verdict(exercise.id, False, f"{problem}\non input:\n{_show_args(args, exercise.arg_names)}",
                           {"args": args, "expected": expected, "received": received})
    return Verdict(exercise.id, True, f"matches the reference on {len(cases)} random inputs.")


_FLOATING_POINT_HINT = ("(this exercise turns NumPy's overflow and invalid-value warnings into errors: "
                        "a step of your computation overflowed to inf or produced nan, even if the final "
                        "result might look right)\n")


def _mismatch(received, expected, exercise):
    """None when ``received`` equals ``expected`` to tolerance, else a sentence saying how it differs."""
    if received is None:
        return "your answer is None: did the function forget to `return` its result?"
    if isinstance(expected, tuple):
        return _tuple_mismatch(received, expected, exercise)
    if isinstance(received, (str, bytes)):
        return f"expected a number, got the text {received!r}: write it without quotes"
    try:
        got = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or an array of numbers, got {type(received).__name__} {received!r}"
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return f"expected shape {want.shape}, got shape {got.shape}\nexpected {_show(expected)}\nreceived {_show(received)}"
    if not np.allclose(got, want, rtol=exercise.rtol, atol=exercise.atol, equal_nan=False):
        return f"expected {_show(expected)}\nreceived {_show(received)}"
    return None


def _tuple_mismatch(received, expected, exercise):
    """Compare a tuple answer such as (dx, dweight, dbias) part by part."""
    if not isinstance(received, (tuple, list)) or len(received) != len(expected):
        return f"expected a tuple of {len(expected)} results, got {type(received).__name__} {_show_any(received)}"
    for i, (got, want) in enumerate(zip(received, expected)):
        problem = _mismatch(got, want, exercise)
        if problem:
            return f"in part {i + 1} of {len(expected)} of your result: {problem}"
    return None


def _show_any(value):
    return _show(value) if isinstance(value, np.ndarray) else repr(value)


def _copy(args):
    """Fresh copies, so an answer that modifies its input cannot change the reference's."""
    return tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)


def _show(value):
    return np.array2string(np.asarray(value), precision=6, suppress_small=True, max_line_width=100)


def _show_args(args, names):
    names = list(names) + [f"argument {i + 1}" for i in range(len(names), len(args))]
    return "\n".join(f"  {name} = {_show(a) if isinstance(a, np.ndarray) else repr(a)}" for name, a in zip(names, args))
