"""Training: the one run lifecycle shared by `train` and `gan`, its callbacks and its signals."""
