"""The export manifest: what `export/` holds and everything needed to use it without Keras.

`kerascli export` writes `export/manifest.json`; `predict`, `serve` and `sample` read it back. It
records, per network, the exported files and their sizes, the input's shape and dtype, how inputs
are prepared (`inputs.INPUT_KINDS`), the class names, and the SHA-256 of the `.keras` file it was
exported from, so that an export older than its model is never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kerascli.errors import RunError
from kerascli.runs.layout import EXPORT_DIR, EXPORT_MANIFEST, network_file

MANIFEST_VERSION = 1


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(run_dir: Path) -> dict | None:
    """The run's export manifest, or `None` when the run has no export.

    Raises:
        RunError: When the manifest is there but unreadable or of another version.
    """
    path = Path(run_dir) / EXPORT_DIR / EXPORT_MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunError(str(path), f"unreadable: {error}", "export the run again") from None
    if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
        raise RunError(
            str(path), "not an export manifest this kerascli writes", "export the run again"
        )
    return manifest


def usable_export(run_dir: Path, network: str = "model") -> tuple[dict | None, str | None]:
    """The manifest entry of a network's export, if it matches the network's current file.

    Returns:
        `(entry, None)` for a current export; `(None, reason)` for an export that cannot be used
        (stale, damaged); `(None, None)` when the run has no export of that network.
    """
    run_dir = Path(run_dir)
    try:
        manifest = read_manifest(run_dir)
    except RunError as error:
        return None, error.format()
    entry = (manifest or {}).get("networks", {}).get(network)
    if entry is None:
        return None, None
    model = run_dir / network_file(network)
    if not model.is_file() or file_digest(model) != entry.get("source_sha256"):
        return None, f"the export in {run_dir / EXPORT_DIR} is older than {model.name}"
    return entry, None
