"""Real labelled sentences that load offline: the fortune(6) cookie files of the Debian
`fortunes` packages; the label is the file (category) an entry comes from."""

from __future__ import annotations

import re
from pathlib import Path

from nntrain.config.data_schema import FORTUNES_DEFAULT, FORTUNES_DIR, DataConfig
from nntrain.config.suggest import did_you_mean
from nntrain.data.sources.text_dir import labelled_texts
from nntrain.data.types import RawData
from nntrain.errors import config_error

_OVERSTRIKE = re.compile(r"[^\x08]\x08")  # "_\bA", "__\b\bAB": underlining on a teletype
_SEPARATOR = re.compile(r"^%[ \t]*$", re.M)


def entries(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    while "\x08" in text:  # each pass undoes one backspace of every run
        text = _OVERSTRIKE.sub("", text).lstrip("\x08")
    return [e.strip() for e in _SEPARATOR.split(text) if e.strip()]


def categories(folder: Path) -> list[str]:
    """Cookie files: those with a strfile index (.dat) beside them."""
    return sorted(p.stem for p in folder.glob("*.dat") if (folder / p.stem).is_file())


def load(cfg: DataConfig) -> RawData:
    folder = Path(cfg.path or FORTUNES_DIR)
    wanted = cfg.categories or FORTUNES_DEFAULT
    have = categories(folder)
    if not have:
        raise config_error(f"no fortune files in {folder}", "data.path",
                           "apt-get install fortunes (or fortunes-min, fortunes-de, ...)")
    for c in wanted:
        if c not in have:
            raise config_error(f"no fortune category '{c}' in {folder}", "data.categories",
                               did_you_mean(c, have) or f"available: {', '.join(have)}")
    if len(set(wanted)) < 2:
        raise config_error("classification needs at least two different categories",
                           "data.categories")
    groups = [entries(folder / c) for c in wanted]
    # An entry filed under two categories has no single label, and a repeated one would leak
    # between splits: keep each text once, and only when it has one category.
    seen: dict[str, set[int]] = {}
    for i, g in enumerate(groups):
        for t in g:
            seen.setdefault(t, set()).add(i)
    groups = [list(dict.fromkeys(t for t in g if len(seen[t]) == 1)) for g in groups]
    return RawData(labelled_texts(groups),
                   info={"source": f"fortune files {', '.join(wanted)} in {folder}",
                         "class_names": list(wanted), "feature_names": ["text"]})
