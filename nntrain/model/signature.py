"""The model as one tf.function over named inputs: what the exported SavedModel's
`serving_default` signature and the HTTP server call (a graph call, not an eager one)."""

from __future__ import annotations

from typing import Any


def input_specs(model: Any) -> list[Any]:
    """A TensorSpec per model input, named after it, any batch size."""
    from nntrain.engine import tf

    return [tf.TensorSpec([None, *tensor.shape[1:]], tensor.dtype, name=name)
            for name, tensor in zip(model.input_names, model.inputs)]


def serving_function(model: Any) -> Any:
    """model(inputs) keyed by output name: the spec names become a signature's input keys,
    the output layers' names its output keys."""
    from nntrain.engine import tf

    @tf.function(input_signature=input_specs(model))
    def serve(*inputs: Any) -> dict[str, Any]:
        outputs = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
        return dict(zip(model.output_names, outputs if isinstance(outputs, list) else [outputs]))

    return serve
