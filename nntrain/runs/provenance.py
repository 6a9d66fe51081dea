"""What a run was trained with, recorded so that it can be reproduced or its difference from
another run explained: the versions, the devices, the seed and a fingerprint of each data file.

A fingerprint never reads a whole file (a data file may be 50 GB): size, modification time and
a hash of its first and last MiB; a folder or a glob is fingerprinted from its listing alone.
"""

from __future__ import annotations

import glob
import hashlib
import platform
import socket
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from nntrain.config.load import PATH_FIELDS
from nntrain.config.schema import Config
from nntrain.device.setup import DeviceSetup

END_BYTES = 1 << 20  # hashed at each end of a file


def provenance(config: Config, device: DeviceSetup, seed: int) -> dict[str, Any]:
    """One record for the process that starts (or resumes) training a run."""
    return {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "versions": versions(),
        "platform": platform.platform(),
        "devices": {"strategy": device.kind, "used": device.devices,
                    "precision": device.precision, "jit_compile": device.jit_compile,
                    "physical": physical_devices()},
        "seed": seed,
        "deterministic": config.train.deterministic,
        "data": {"source": config.data.source, "files": data_fingerprints(config)},
    }


def versions() -> dict[str, str | None]:
    """The installed packages' versions (TensorFlow's as it reports itself: a build from
    source has no package metadata)."""
    from nntrain.engine import tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "tf_keras": _installed("tf-keras"), "nntrain": _installed("nntrain"),
            "numpy": _installed("numpy")}


def _installed(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def physical_devices() -> list[dict[str, Any]]:
    """Every device TensorFlow sees, GPUs with their model and compute capability."""
    from nntrain.engine import tf

    found = []
    for dev in tf.config.list_physical_devices():
        entry: dict[str, Any] = {"name": dev.name.removeprefix("/physical_device:"),
                                 "type": dev.device_type}
        if dev.device_type == "GPU":
            details = tf.config.experimental.get_device_details(dev)
            entry.update({k: details[k] for k in ("device_name", "compute_capability")
                          if k in details})
        found.append(entry)
    return found


def data_fingerprints(config: Config) -> dict[str, dict[str, Any]]:
    """{dotted field: fingerprint} for every file the config names (data.path, data.test_path,
    model.initial_weights, ...)."""
    sections = {"data": config.data, "model": config.model}
    found = {}
    for section, key in PATH_FIELDS:
        value = getattr(sections[section], key, None)
        if isinstance(value, str) and value:
            found[f"{section}.{key}"] = fingerprint(value)
    return found


def fingerprint(path: str) -> dict[str, Any]:
    target = Path(path)
    if glob.has_magic(path) and not target.exists():
        return {"path": path, **listing(sorted(Path(p) for p in glob.glob(path)), None)}
    try:
        info = target.stat()
    except OSError as exc:
        return {"path": path, "missing": exc.strerror or str(exc)}
    if target.is_dir():
        files = sorted(p for p in target.rglob("*") if p.is_file())
        return {"path": path, **listing(files, target)}
    return {"path": path, "bytes": info.st_size, "modified": _iso(info.st_mtime),
            "sha256_ends": hash_ends(target, info.st_size)}


def hash_ends(path: Path, size: int) -> str:
    """SHA-256 of the first and the last MiB (of the whole file when it is smaller than 2 MiB),
    so a change at either end, or of the size, shows."""
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(END_BYTES))
        if size > END_BYTES:
            fh.seek(max(END_BYTES, size - END_BYTES))
            digest.update(fh.read(END_BYTES))
    return digest.hexdigest()


def listing(files: list[Path], root: Path | None) -> dict[str, Any]:
    """A folder or a glob by its files' names, sizes and times, none of them read."""
    digest = hashlib.sha256()
    total, newest = 0, 0.0
    for file in files:
        info = file.stat()
        total, newest = total + info.st_size, max(newest, info.st_mtime)
        name = file.relative_to(root) if root is not None else file
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return {"files": len(files), "bytes": total,
            "modified": _iso(newest) if files else None, "sha256_listing": digest.hexdigest()}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")

