"""Run directories: their layout, atomic files, the lock, reading runs back and opening saved ones.

Nothing here imports TensorFlow or Keras (an import-linter contract checks it).
"""
