"""`python -m kerascli` runs the command line."""

from kerascli.cli.main import run

run()
