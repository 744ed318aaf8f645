"""The experiment config, at the bottom of the package: schema, YAML, overrides, rules, loading.

Nothing here imports TensorFlow or Keras (an import-linter contract checks it), so a bad config is
reported in well under a second. `loading.load_config` is the way in.
"""
