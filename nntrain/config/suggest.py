"""'Did you mean' for misspelled names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str]) -> str | None:
    name, choices = str(name), [str(c) for c in choices]  # YAML keys may be numbers
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        match = [lowered[m] for m in match]
    return match[0] if match else None


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    best = closest(name, choices)
    return f"did you mean '{best}'?" if best else None
