"""JSON Schema of the config, generated from the same classes that validate it."""

from __future__ import annotations

from typing import Any

from nntrain.config.schema import Config


def config_json_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nntrain config"
    return schema
