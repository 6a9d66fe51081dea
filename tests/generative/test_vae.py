"""`model.kind: vae`: trains on reconstruction + KL, shows its samples, reconstructions and
2-D latent space, resumes after SIGKILL, reloads in safe mode, and `generate` draws from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.generative.helpers import (EPOCHS, TINY, assert_sample_grids, fit,
                                      killed_and_resumed_matches, nntrain, png_size)


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit("vae_digits.yaml", tmp_path_factory.mktemp("vae") / "run")


def test_vae_reports_total_reconstruction_and_kl_loss_per_epoch(vae_run: Path) -> None:
    rows = pd.read_csv(vae_run / "metrics.csv")
    assert len(rows) == EPOCHS
    for name in ("loss", "reconstruction_loss", "kl_loss"):
        assert {name, f"val_{name}"} <= set(rows.columns)
    assert np.allclose(rows["loss"], rows["reconstruction_loss"] + rows["kl_loss"], rtol=1e-3)
    assert rows["loss"].iloc[-1] < rows["loss"].iloc[0]


def test_vae_writes_samples_reconstructions_and_latent_space(vae_run: Path) -> None:
    assert_sample_grids(vae_run)
    width, height = png_size(vae_run / "reconstructions.png")
    assert width > 4 * height  # one row of originals over one of reconstructions
    assert png_size(vae_run / "latent.png") == (600, 500)
    assert (vae_run / "curves.png").is_file()


def test_vae_and_its_decoder_reload_in_safe_mode(vae_run: Path) -> None:
    from nntrain.engine import keras
    from nntrain.model import generative  # noqa: F401  registers nntrain's classes

    model = keras.models.load_model(vae_run / "model.keras", safe_mode=True)
    decoder = keras.models.load_model(vae_run / "decoder.keras", safe_mode=True)
    z = np.zeros((3, 2), dtype="float32")
    assert np.allclose(decoder.predict(z, verbose=0), model.decoder.predict(z, verbose=0))
    assert decoder.output_shape == (None, 8, 8, 1)


def test_eval_of_a_vae_run_reports_what_fit_reported(vae_run: Path) -> None:
    fitted = json.loads((vae_run / "eval.json").read_text())
    result = nntrain("eval", vae_run)
    assert result.exit_code == 0, result.output
    again = json.loads((vae_run / "eval.json").read_text())
    assert set(again) == {"loss", "reconstruction_loss", "kl_loss"}
    assert again == pytest.approx(fitted, rel=1e-5)  # z_mean decoded: no sampling in eval


def test_generate_writes_count_examples_of_the_data_shape(vae_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.npy"
    result = nntrain("generate", vae_run, "--count", "5", "--seed", "1", "--output", out)
    assert result.exit_code == 0, result.output
    examples = np.load(out)
    assert examples.shape == (5, 8, 8, 1)
    assert 0 <= examples.min() and examples.max() <= 1
    assert nntrain("generate", vae_run, "--count", "5", "--output", tmp_path / "new.png").exit_code == 0
    assert png_size(tmp_path / "new.png")[0] >= 256


def test_a_diverging_vae_is_stopped_by_the_nan_guard(tmp_path: Path) -> None:
    result = nntrain("fit", TINY / "vae_digits.yaml", "--run-dir", tmp_path / "run",
                     "--set", "compile.optimizer.learning_rate=1.0e+9")
    assert result.exit_code == 1, result.output
    assert "training diverged: the loss became" in result.output
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "failed"


def test_vae_killed_and_resumed_ends_as_the_uninterrupted_run(vae_run: Path,
                                                             tmp_path: Path) -> None:
    killed_and_resumed_matches("vae_digits.yaml", vae_run, tmp_path)
