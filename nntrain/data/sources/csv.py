"""CSV tables through pandas: feature and target columns, text labels mapped to integers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nntrain.config.data_schema import DataConfig
from nntrain.config.suggest import did_you_mean
from nntrain.data.sources import check_fits_in_memory, regular_file
from nntrain.data.sources.csv_stream import stream_split, streams
from nntrain.data.types import RawData, Split
from nntrain.errors import config_error, runtime_error

TEXT_SNIFF_ROWS = 1000  # a streamed CSV's first rows, which tell its text columns


def _text_file(path: str | Path, field: str) -> None:
    with open(regular_file(path, field), "rb") as fh:
        if b"\0" in fh.read(2**16):
            raise config_error(f"{path} is not a text CSV file (it holds NUL bytes)", field)


def read_table(path: str | Path, field: str = "data.path") -> pd.DataFrame:
    _text_file(path, field)
    check_fits_in_memory(Path(path).stat().st_size * 2, path)  # parsed frame ≈ 2× the text
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise config_error(f"file not found: {path}", field) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise config_error(f"cannot read {path} as CSV: {exc}", field) from None
    if frame.empty:
        raise config_error(f"{path} has no rows", field)
    return frame


def _columns(frame: pd.DataFrame, names: list[str], field: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise config_error(f"column '{name}' is not in the file (columns: "
                               f"{', '.join(map(str, frame.columns))})", field,
                               did_you_mean(name, map(str, frame.columns)))


def _lines(bad: pd.DataFrame) -> str:
    rows = (bad.index[bad.any(axis=1).to_numpy()] + 2).tolist()  # +2: header, 1-based
    return ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")


def report_missing(frame: pd.DataFrame, path: str | Path) -> None:
    """Empty cells, and inf / -inf (which would train to NaN and look like divergence)."""
    missing = frame.isna()
    if missing.any(axis=None):
        cols = [str(c) for c in frame.columns[missing.any()]]
        raise runtime_error(f"{path}: missing values in column(s) {', '.join(cols)} "
                            f"at line(s) {_lines(missing)}", "fill or drop those rows")
    numbers = frame.select_dtypes("number")
    infinite = pd.DataFrame(np.isinf(numbers.to_numpy(dtype="float64")), columns=numbers.columns,
                            index=numbers.index)
    if infinite.any(axis=None):
        cols = [str(c) for c in numbers.columns[infinite.any().to_numpy()]]
        raise config_error(f"{path}: infinite values in column(s) {', '.join(cols)} at "
                           f"line(s) {_lines(infinite)}", "data.path",
                           "replace them with finite numbers or drop those rows")


def _targets(cfg: DataConfig) -> list[str] | dict[str, list[str]]:
    t = cfg.target
    if t is None:
        return []
    if isinstance(t, str):
        return [t]
    if isinstance(t, dict):
        return {k: [v] if isinstance(v, str) else list(v) for k, v in t.items()}
    return list(t)


def _encode_labels(col: pd.Series) -> tuple[np.ndarray, list[Any] | None]:
    """Text labels → 0..k-1 (sorted, stored as class_names); numbers stay as they are."""
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy()
        return (values.astype("float32") if values.dtype.kind == "f" else values), None
    names = sorted(col.astype(str).unique().tolist())
    index = {n: i for i, n in enumerate(names)}
    return col.astype(str).map(index).to_numpy(dtype=np.int64), names


def _flat(columns: list[str] | dict[str, list[str]]) -> list[str]:
    return [c for cols in (columns.values() if isinstance(columns, dict) else [columns])
            for c in cols]


def _check_text_features(frame: pd.DataFrame, features: Any, path: str | Path,
                         streamed_text: frozenset[str] | None = None) -> None:
    """A text column can only be an input of its own (it becomes a string tensor). A streamed
    file's text columns are those its first rows show (`streamed_text`): any other column must
    hold numbers all the way down."""
    for cols in (list(features.values()) if isinstance(features, dict) else [features]):
        for col in cols:
            text_allowed = col in streamed_text if streamed_text is not None else len(cols) == 1
            if text_allowed or pd.api.types.is_numeric_dtype(frame[col]):
                continue
            numbers = pd.to_numeric(frame[col], errors="coerce")
            row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            raise config_error(f"{path}: feature column '{col}' is not numeric (line "
                               f"{frame.index[row] + 2}: {frame[col].iloc[row]!r})",
                               "data.features",
                               "a text column must be an input of its own (features: "
                               "[that_column], or one entry of a features mapping)"
                               if len(cols) > 1 else "its first rows are numbers, so a "
                               "streamed file reads it as numbers; put a text row first or "
                               "set data.cache: memory (read whole)")


def _x_of(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Numbers → float32 (n, columns); a single text column → strings (n,)."""
    if not pd.api.types.is_numeric_dtype(frame[cols[0]]):
        return frame[cols[0]].astype(str).to_numpy(dtype=object)
    return frame[cols].to_numpy(dtype="float32")


def _y_of(frame: pd.DataFrame, name: str, cols: list[str], class_names: dict[str, Any],
          path: str | Path) -> np.ndarray:
    """Label columns; text labels as class indices, recorded in (or, for the validation and
    test files, taken from) `class_names`."""
    if len(cols) > 1:
        return frame[cols].to_numpy(dtype="float32")
    labels, names = _encode_labels(frame[cols[0]])
    known = class_names.get(name)
    if names is not None:
        if known is None:
            class_names[name] = names
        else:
            unknown = set(names) - set(known)
            if unknown:
                raise runtime_error(f"{path}: label(s) {sorted(unknown)} in column "
                                    f"'{cols[0]}' were not in the training data")
            index = {n: i for i, n in enumerate(known)}
            labels = frame[cols[0]].astype(str).map(index).to_numpy(dtype=np.int64)
    return labels.reshape(-1, 1) if labels.ndim == 1 else labels


def frame_to_arrays(frame: pd.DataFrame, cfg: DataConfig, path: str | Path,
                    info: dict[str, Any] | None = None) -> tuple[Split, dict[str, Any]]:
    """One table → Split, using (and on first use recording) the column layout in `info`."""
    targets = _targets(cfg)
    target_cols = _flat(targets)
    _columns(frame, target_cols, "data.target")
    features = cfg.features
    if features is None:
        features = [c for c in frame.columns if c not in target_cols]
    feature_cols = _flat(features)
    _columns(frame, feature_cols, "data.features")
    frame = frame[feature_cols + [c for c in target_cols if c not in feature_cols]]
    report_missing(frame, path)
    _check_text_features(frame, features, path)
    info = dict(info or {})
    info.setdefault("feature_names", features)
    x = ({k: _x_of(frame, v) for k, v in features.items()} if isinstance(features, dict)
         else _x_of(frame, features))
    class_names: dict[str, Any] = dict(info.get("class_names_by_output") or {})
    y: Any = None
    if isinstance(targets, dict):
        y = {k: _y_of(frame, k, v, class_names, path) for k, v in targets.items()}
    elif targets:
        y = _y_of(frame, "", targets, class_names, path)
    info["class_names_by_output"] = class_names
    if "" in class_names:
        info["class_names"] = class_names[""]
    elif class_names:
        info["class_names"] = class_names
    return Split(x, y), info


def _layout(cfg: DataConfig, header: list[str]) -> tuple[dict[str, Any], Any]:
    """The record fields of a streamed CSV and the feature layout predict needs."""
    targets = _targets(cfg)
    features = cfg.features or [c for c in header if c not in _flat(targets)]
    _columns(pd.DataFrame(columns=header), _flat(targets), "data.target")
    _columns(pd.DataFrame(columns=header), _flat(features), "data.features")

    def keyed(prefix: str, cols: Any) -> dict[str, tuple[str, ...]]:
        if isinstance(cols, dict):
            return {f"{prefix}:{k}": tuple(v) for k, v in cols.items()}
        return {prefix: tuple(cols)} if cols else {}

    return {"inputs": keyed("x", features), "labels": keyed("y", targets)}, features


def _text_inputs(path: str, inputs: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The inputs of one column that the file's first rows show as text: string inputs of the
    model, like a text column of a file read whole."""
    single = {cols[0]: key for key, cols in inputs.items() if len(cols) == 1}
    if not single:
        return frozenset()
    head = pd.read_csv(path, usecols=list(single), nrows=TEXT_SNIFF_ROWS)
    return frozenset(key for col, key in single.items()
                     if not pd.api.types.is_numeric_dtype(head[col]))


def _load_stream(cfg: DataConfig) -> RawData:
    """Large files (or data.cache none / disk): checked in one chunked pass, then streamed."""
    from nntrain.config.data_files import csv_header

    for key in ("path", "validation_path", "test_path"):
        if getattr(cfg, key):
            _text_file(getattr(cfg, key), f"data.{key}")
    layout, features = _layout(cfg, csv_header(cfg.path or "") or [])

    layout["text"] = _text_inputs(cfg.path or "", layout["inputs"])
    text_columns = frozenset(layout["inputs"][k][0] for k in layout["text"])

    def check(chunk: pd.DataFrame, path: str) -> None:
        report_missing(chunk, path)
        _check_text_features(chunk, {k: list(v) for k, v in layout["inputs"].items()}, path,
                             text_columns)

    splits, known = {}, None
    for key in ("path", "validation_path", "test_path"):
        path = getattr(cfg, key)
        if path:
            splits[key], known = stream_split(path, f"data.{key}", layout,
                                              lambda c, p=path: check(c, p), known)
    info: dict[str, Any] = {"source": f"csv {cfg.path} (streamed)", "feature_names": features}
    by_column = {cols[0]: k.partition(":")[2] for k, cols in layout["labels"].items()}
    class_names = {by_column[c]: v for c, v in (known or {}).items() if c in by_column}
    info["class_names_by_output"] = class_names
    if class_names:
        info["class_names"] = class_names.get("", class_names)
    return RawData(splits["path"], splits.get("validation_path"), splits.get("test_path"), info)


def load(cfg: DataConfig) -> RawData:
    if not cfg.path:
        raise config_error("the csv source needs `path`", "data.path")
    if streams(cfg):
        return _load_stream(cfg)
    train, info = frame_to_arrays(read_table(cfg.path), cfg, cfg.path,
                                  {"source": f"csv {cfg.path}"})
    extra: dict[str, Split] = {}
    for key in ("validation_path", "test_path"):
        path = getattr(cfg, key)
        if path:
            extra[key], info = frame_to_arrays(read_table(path, f"data.{key}"), cfg, path, info)
    return RawData(train, extra.get("validation_path"), extra.get("test_path"), info)
