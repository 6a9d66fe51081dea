"""A generative model whose parts do not fit together stops before training: exit 2, the
field named, both shapes shown; a config that mixes the kinds' fields is refused by
`nntrain validate`, without TensorFlow."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generative.helpers import TINY, nntrain

MISFITS = {
    # config, --set, the field named, the shapes shown
    "decoder_output_is_not_the_input_shape": (
        "vae_digits.yaml", "model.decoder.layers[2].filters=2", "model.decoder",
        ["[8, 8, 2]", "[8, 8, 1]"]),
    "discriminator_does_not_end_in_one_unit": (
        "gan_digits.yaml", "model.discriminator.layers[3].units=2",
        "model.discriminator.layers[3]", ["[2]", "one unit"]),
    "generator_output_is_not_the_data_shape": (
        "gan_digits.yaml", "model.generator.layers[3].filters=3", "model.generator",
        ["[8, 8, 3]", "[8, 8, 1]"]),
    "data_is_not_the_discriminator_input": (
        "gan_digits.yaml", "data.preprocess.reshape=[64]", "model.discriminator.input_shape",
        ["[8, 8, 1]", "[64]"]),
}


@pytest.mark.parametrize("case", MISFITS, ids=list(MISFITS))
def test_misfitting_parts_exit_2_before_training(case: str, tmp_path: Path) -> None:
    config, setting, field, shapes = MISFITS[case]
    result = nntrain("fit", TINY / config, "--run-dir", tmp_path / "run", "--set", setting)
    assert result.exit_code == 2, result.output
    assert "config error" in result.output and field in result.output
    for shape in shapes:
        assert shape in result.output
    assert not (tmp_path / "run").exists()  # nothing was trained


def test_a_vae_without_a_decoder_or_with_gan_optimizers_is_refused(tmp_path: Path) -> None:
    text = (TINY / "vae_digits.yaml").read_text()
    no_decoder = tmp_path / "no_decoder.yaml"
    no_decoder.write_text(text.replace("  decoder:", "  unused:").replace(
        "model:\n", "model:\n  beta: 2\n"))
    result = nntrain("validate", no_decoder)
    assert result.exit_code == 2
    assert "model.unused" in result.output
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(text.replace("compile:\n", "compile:\n  generator_optimizer: adam\n"))
    result = nntrain("validate", mixed)
    assert result.exit_code == 2
    assert "generator_optimizer belongs to `model.kind: gan`" in result.output


def test_a_layer_typo_inside_a_part_is_found_by_validate(tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text((TINY / "gan_digits.yaml").read_text().replace(
        "type: Conv2DTranspose", "type: Conv2DTranspose2"))
    result = nntrain("validate", typo)
    assert result.exit_code == 2
    assert "model.generator.layers[3].type" in result.output
    assert "did you mean 'Conv2DTranspose'" in result.output
