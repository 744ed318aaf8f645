"""The command line, at the top of the package: a Typer app of thin commands.

Each command parses its arguments, loads its config or opens its run, calls one function of
`kerascli.commands` and renders the result. TensorFlow is imported only inside the commands that
need it, and never by these modules themselves (an import-linter contract checks it).
"""
