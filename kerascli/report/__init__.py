"""The HTML report of a run: one self-contained page built from the run directory's files.

Never imports TensorFlow or Keras (an import-linter contract), so `kerascli report` is quick.
"""

from kerascli.report.page import build_report, write_report

__all__ = ["build_report", "write_report"]
