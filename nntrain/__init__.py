"""nntrain: tf.keras models trained, evaluated and served from YAML."""

__version__ = "0.1.0"
