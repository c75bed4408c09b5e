"""Put each original into the workspace's encrypted vault before it is anonymised (P6).

The vault stores the file encrypted with its SHA-256 and size, and records ``vault.put`` in the
audit chain. The provenance kept with it: the path relative to IN_DIR, the input folder, the
size, the file's modification time, and when and by what it was ingested. An original already in
the vault with the same SHA-256 and path (from an earlier, interrupted run) is not stored twice.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from safepost.core import WorkspaceError

KIND = "original"


class VaultIngest:
    """Ingests originals into ``ws.vault``, once per (SHA-256, relative path)."""

    def __init__(self, ws, in_dir: Path) -> None:
        self.ws = ws
        self.in_dir = in_dir
        originals = [f for f in ws.vault.list() if f.kind == KIND]
        self._known = {(f.sha256, f.provenance.get("path")): f.id for f in originals}
        self._sha256 = {f.id: f.sha256 for f in originals}

    def has(self, vault_id: str | None, sha256: str) -> bool:
        """True when ``vault_id`` is an original in this vault with that SHA-256."""
        return vault_id is not None and self._sha256.get(vault_id) == sha256

    def ingest(self, path: Path, rel: str, sha256: str) -> str:
        """The vault id of the original at ``path`` (stored now unless already there)."""
        if (sha256, rel) in self._known:
            return self._known[(sha256, rel)]
        info = os.stat(path)
        provenance = {
            "source": "safepost batch",
            "path": rel,
            "folder": str(self.in_dir),
            "size": info.st_size,
            "modified": datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds"),
            "ingested": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        vault_id = self.ws.vault.put(path, kind=KIND, name=Path(rel).name, provenance=provenance)
        stored = self.ws.vault.info(vault_id)
        if stored.sha256 != sha256:
            raise WorkspaceError(f"{rel} changed while it was stored in the vault; run the batch again")
        self._known[(sha256, rel)] = vault_id
        self._sha256[vault_id] = sha256
        return vault_id
