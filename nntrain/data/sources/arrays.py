"""Reading .npy / .npz files without pickle, with errors that name the file and the field."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.errors import config_error, runtime_error


def read_numpy(path: str | Path, field: str) -> Any:
    """np.load of a user file: an array (.npy) or {name: array} (.npz), never pickled objects."""
    try:
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
