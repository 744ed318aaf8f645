"""Each command's story, one module per command: what `kerascli <command>` does, below the CLI.

These modules take validated config objects and paths (never Typer objects) and return results
for the CLI to render.
"""
