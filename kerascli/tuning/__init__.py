"""Sweeps (`kerascli tune`) on Optuna: the study and its storage, the trials' results as files.

Optuna is an optional extra (`pip install 'kerascli[tune]'`): every module here imports it inside
its functions, through `study.optuna_module`, which says how to install it when it is missing.
"""
