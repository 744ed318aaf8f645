"""Evaluation: classification figures, evaluating a model on test data, judging a GAN's samples."""
