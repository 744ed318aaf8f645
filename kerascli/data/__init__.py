"""Data: sources (built-in datasets, IDX, npz), preprocessing and the tf.data pipeline."""
