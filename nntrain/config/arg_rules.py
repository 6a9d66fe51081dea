"""The values Keras constructor arguments take, checked without TensorFlow.

Most kinds come from the catalog, which records them from each signature's number defaults
(`momentum=0.99` takes a number). Arguments without such a default (required ones, or None)
are named here: a short list of sizes Keras reads with int(), which would otherwise fail at
fit time without naming the field ("invalid literal for int()"), or abort the process in
oneDNN for a 0.
"""

from __future__ import annotations

from typing import Any

# Positive integers (units: 0 aborts the process in oneDNN's C++ code).
SIZES = frozenset({"units", "filters", "input_dim", "output_dim", "n", "num_heads", "key_dim",
                   "depth_multiplier", "groups"})
# Positive integers, or one per spatial dimension (kernel_size: 3 or [3, 3]).
SIZE_LISTS = frozenset({"kernel_size", "pool_size", "strides", "dilation_rate", "size"})
# Numbers without a number default (required, or None by default).
NUMBERS = frozenset({"stddev", "l1", "l2", "initial_learning_rate", "decay_steps",
                     "decay_rate", "first_decay_steps"})
# A fraction of the inputs to drop: Keras refuses a Dropout rate outside [0, 1].
FRACTIONS = frozenset({"rate"})
INTEGERS = frozenset({"seed"})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _size_problem(value: Any, lists: bool) -> str | None:
    items = value if lists and isinstance(value, list) and value else [value]
    if not all(_is_integer(v) for v in items):
        what = "a positive integer" + (" or a list of them" if lists else "")
        return f"must be {what}, got {value!r}"
    if any(v <= 0 for v in items):
        return f"must be positive, got {value!r}"
    return None


def _numbers_or_lists(value: Any) -> bool:
    """A derived 'int' kind: axis: -1 or [1, 2], weight_decay: 0 or 0.004."""
    return _is_number(value) or (isinstance(value, list) and all(map(_numbers_or_lists, value)))


def arg_problem(arg: str, value: Any, kinds: dict[str, str], required: bool) -> str | None:
    """What is wrong with `value` for the constructor argument `arg`, or None."""
    if value is None:
        return "needs a value, got null" if required else None
    if arg in SIZES or arg in SIZE_LISTS:
        return _size_problem(value, arg in SIZE_LISTS)
    if arg in FRACTIONS:
        ok = _is_number(value) and 0 <= value <= 1
        return None if ok else f"must be a number from 0 to 1, got {value!r}"
    if arg in INTEGERS:
        return None if _is_integer(value) else f"must be an integer, got {value!r}"
    if arg in NUMBERS or kinds.get(arg) == "number":
        return None if _is_number(value) else f"must be a number, got {value!r}"
    if kinds.get(arg) == "int" and not _numbers_or_lists(value):
        return f"must be a number (or a list of numbers), got {value!r}"
    return None

