"""Seeing and comparing results: curves, confusion matrices, run tables, config diffs, weights.

Everything here reads what a run directory already holds (metrics.csv, config.yaml, status.json,
eval.json), so it works on old runs and never needs TensorFlow, except `classes`, `weights`
and `diagram`, which are handed or load a model.
"""
