"""The model summary as text: what `nntrain summary` prints and summary.txt holds."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any


def summary_text(model: Any) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        model.summary(line_length=100)
    return buf.getvalue()
