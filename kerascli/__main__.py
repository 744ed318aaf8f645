"""`python -m kerascli` runs the command line."""

from kerascli.cli import run

run()
