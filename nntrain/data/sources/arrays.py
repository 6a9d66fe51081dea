"""Reading .npy / .npz files without pickle, with errors that name the file and the field."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.data.sources import check_fits_in_memory, regular_file
from nntrain.errors import config_error, runtime_error


def _check_size(path: str | Path) -> None:
    """The inflated size of every array in an .npz (from the zip directory), or of an .npy."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            check_fits_in_memory(sum(i.file_size for i in archive.infolist()), path)
    else:
        check_fits_in_memory(Path(path).stat().st_size, path)


def read_numpy(path: str | Path, field: str) -> Any:
    """np.load of a user file: an array (.npy) or {name: array} (.npz), never pickled objects;
    what the arrays would take in memory is checked before any is read."""
    regular_file(path, field)
    try:
        _check_size(path)
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {k: loaded[k] for k in loaded.files}
        return loaded
    except FileNotFoundError:
        raise config_error(f"file not found: {path}", field) from None
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise runtime_error(f"{path} holds Python objects; nntrain reads only plain arrays "
                                "(pickles can run code)", "save it with np.save / np.savez "
                                "from numeric or string arrays") from None
        raise config_error(f"cannot read {path} as NumPy data: {exc}", field) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise config_error(f"cannot read {path} as NumPy data: {exc}", field) from None
