"""A CSV too large to hold (or `data.cache: none | disk`) as a stream of lines: one chunked
pandas pass at load checks every row (missing and infinite values, text in number columns),
counts them and collects text labels; tf.data then reads and parses the lines while training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nntrain.config.data_files import csv_header
from nntrain.config.data_schema import DataConfig
from nntrain.data.records import OneSplitStream, Ranges, RecordField, in_ranges
from nntrain.data.sources import regular_file
from nntrain.data.types import Split
from nntrain.errors import config_error, first_line, runtime_error

CHUNK_ROWS = 200_000
STREAM_BYTES = 256 * 2**20  # data.cache: auto streams CSV files larger than this


def streams(cfg: DataConfig) -> bool:
    """Whether this config's CSV files are read as streams rather than into memory."""
    if cfg.cache in ("none", "disk"):
        return True
    return cfg.cache == "auto" and Path(cfg.path or "").is_file() and \
        Path(cfg.path or "").stat().st_size > STREAM_BYTES


@dataclass(frozen=True, eq=False)
class CsvLines(OneSplitStream):
    path: str
    count: int
    columns: tuple[str, ...]  # the header
    inputs: dict[str, tuple[str, ...]]  # field key → its columns (stacked into one vector)
    labels: dict[str, tuple[str, ...]]
    class_names: dict[str, list[str]]  # text label columns' values, sorted
    int_labels: frozenset[str]
    record_bytes: float
    text_inputs: frozenset[str] = frozenset()  # inputs of one text column: strings

    def is_text(self, key: str) -> bool:
        return key in self.text_inputs

    @property
    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def example_shape(self, key: str) -> tuple[int, ...]:
        return () if self.is_text(key) else (len((self.inputs | self.labels)[key]),)

    def records(self, ranges: Ranges, order_seed: Any, shard: tuple[int, int]) -> Any:
        from nntrain.engine import tf

        ds = tf.data.TextLineDataset(self.path).skip(1)
        return ds if self.whole(ranges) else in_ranges(ds, ranges)

    def parse(self, lines: Any) -> dict[str, Any]:
        """A batch of lines → each field's columns side by side; text labels → class index."""
        from nntrain.engine import tf

        used = sorted({self.columns.index(c) for cols in (self.inputs | self.labels).values()
                       for c in cols})
        text = {c for cols in self.labels.values() for c in cols if c in self.class_names}
        strings = text | {self.inputs[k][0] for k in self.text_inputs}
        defaults = [tf.constant("", tf.string) if self.columns[i] in strings else
                    tf.constant(0.0, tf.float64) for i in used]
        values = dict(zip((self.columns[i] for i in used),
                          tf.io.decode_csv(lines, defaults, select_cols=used)))
        for c in text:
            match = tf.equal(values[c][:, None], tf.constant(self.class_names[c]))
            values[c] = tf.argmax(tf.cast(match, tf.int64), axis=1, output_type=tf.int64)
        out = {k: values[cols[0]] if self.is_text(k) else
               tf.cast(tf.stack([values[c] for c in cols], axis=1), tf.float32)
               for k, cols in self.inputs.items()}
        for k, cols in self.labels.items():
            whole = k in self.int_labels or cols[0] in text
            out[k] = tf.cast(tf.stack([values[c] for c in cols], axis=1),
                             tf.int64 if whole else tf.float32)
        return out


def _scan(path: str, used: list[str], label_cols: list[str], report: Any,
          field: str) -> tuple[int, dict[str, set[str]], set[str]]:
    """(rows, text label values, integer label columns) from one pass in chunks."""
    rows, texts, floats = 0, {}, set()  # type: ignore[var-type]
    try:
        for chunk in pd.read_csv(path, usecols=used, chunksize=CHUNK_ROWS):
            report(chunk)
            rows += len(chunk)
            for c in label_cols:
                if not pd.api.types.is_numeric_dtype(chunk[c]):
                    texts.setdefault(c, set()).update(chunk[c].astype(str).unique())
                elif chunk[c].dtype.kind == "f":
                    floats.add(c)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise config_error(f"cannot read {path} as CSV: {first_line(exc)}",
                           field) from None
    return rows, texts, {c for c in label_cols if c not in floats and c not in texts}


def _lines(path: str) -> int:
    """Line breaks after the header: equal to the rows unless a quoted cell holds one."""
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**24), b""):
            n += block.count(b"\n")
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
    return n - 1 + (last != b"\n")


def stream_split(path: str, field: str, layout: dict[str, Any],
                 report: Any, known: dict[str, list[str]] | None) -> tuple[Split, dict]:
    """One CSV file as a Split of record fields; `layout` gives inputs and labels as
    {key: columns} (keys "x" / "y" for a single array, "x:NAME" / "y:NAME" per named input /
    output) and the text inputs; `known` the training file's class names by column."""
    regular_file(path, field)
    header = tuple(csv_header(path) or ())
    inputs, labels = layout["inputs"], layout["labels"]
    used = sorted({c for cols in (inputs | labels).values() for c in cols}, key=header.index)
    label_cols = [c for cols in labels.values() for c in cols]
    rows, texts, ints = _scan(path, used, label_cols, report, field)
    if _lines(path) != rows:
        raise config_error(f"{path} has line breaks inside quoted cells, which a streamed CSV "
                           "cannot read", "data.cache", "set data.cache: memory (the file is "
                           "then read whole)")
    names = {c: sorted(v) for c, v in texts.items()}
    for c, values in names.items():
        unknown = set(values) - set((known or names).get(c, values))
        if unknown:
            raise runtime_error(f"{path}: label(s) {sorted(unknown)[:10]} in column '{c}' were "
                                "not in the training data")
    names = known or names
    int_keys = {k for k, cols in labels.items() if all(c in ints for c in cols)}
    stream = CsvLines(path, rows, header, inputs, labels, names, frozenset(int_keys),
                      Path(path).stat().st_size / max(rows, 1), layout["text"])
    whole = ((0, rows),)
    return Split(_fields(stream, inputs, whole), _fields(stream, labels, whole)), names


def _fields(stream: CsvLines, keys: dict[str, Any], whole: Ranges) -> Any:
    """One field for the key "x" / "y" (a single array), else {name: field} for "x:name"."""
    fields = {k.partition(":")[2]: RecordField(stream, k, whole) for k in keys}
    return fields.get("", fields) if fields else None
