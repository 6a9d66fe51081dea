"""`model.kind: gan`: two optimizers, the non-saturating loss, discriminator accuracy on real
and generated examples, sample grids, SIGKILL-resume, safe-mode reloads and `generate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.generative.helpers import (EPOCHS, assert_sample_grids, fit, killed_and_resumed_matches,
                                      nntrain)


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit("gan_digits.yaml", tmp_path_factory.mktemp("gan") / "run")


def test_gan_reports_both_losses_and_discriminator_accuracies(gan_run: Path) -> None:
    rows = pd.read_csv(gan_run / "metrics.csv")
    assert len(rows) == EPOCHS
    for name in ("generator_loss", "discriminator_loss", "real_accuracy", "fake_accuracy"):
        assert {name, f"val_{name}"} <= set(rows.columns)
    assert rows["lr"].iloc[0] == pytest.approx(0.001)  # the generator's optimizer
    assert rows[["real_accuracy", "fake_accuracy"]].stack().between(0, 1).all()


def test_gan_writes_sample_grids_and_its_generator(gan_run: Path) -> None:
    assert_sample_grids(gan_run)
    assert (gan_run / "generator.keras").is_file()
    assert not (gan_run / "reconstructions.png").exists()


def test_gan_and_its_generator_reload_in_safe_mode_with_both_optimizers(gan_run: Path) -> None:
    from nntrain.engine import keras
    from nntrain.model import generative  # noqa: F401  registers nntrain's classes

    model = keras.models.load_model(gan_run / "model.keras", safe_mode=True)
    generator = keras.models.load_model(gan_run / "generator.keras", safe_mode=True)
    assert int(model.optimizer.iterations.numpy()) > 0  # the optimizers' state came back
    assert int(model.discriminator_optimizer.iterations.numpy()) > 0
    z = np.ones((2, 8), dtype="float32")
    assert np.allclose(generator.predict(z, verbose=0), model.generator.predict(z, verbose=0))


def test_generate_from_a_gan_writes_count_examples(gan_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.npy"
    result = nntrain("generate", gan_run, "--count", "7", "--output", out)
    assert result.exit_code == 0, result.output
    assert np.load(out).shape == (7, 8, 8, 1)
    assert "7 examples of shape [8, 8, 1]" in result.output


def test_predict_on_a_gan_run_points_to_generate(gan_run: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((2, 64), dtype="float32"))
    result = nntrain("predict", gan_run, "--input", inputs)
    assert result.exit_code == 2
    assert f"nntrain generate {gan_run}" in result.output


def test_gan_killed_and_resumed_ends_as_the_uninterrupted_run(gan_run: Path,
                                                             tmp_path: Path) -> None:
    killed_and_resumed_matches("gan_digits.yaml", gan_run, tmp_path)
