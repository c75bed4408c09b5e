"""Resume state of an audit, kept only inside the encrypted workspace.

Progress is saved as small encrypted vault files ("checkpoints"), each holding the results found
since the one before, keyed by the SHA-256 of the export and the audit options. An interrupted
audit of the same export with the same options picks up where the last checkpoint ended; a
finished audit deletes its checkpoints. Without a workspace nothing is saved (and nothing can be
resumed): safepost never writes a plaintext state file.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safepost.core import WorkspaceError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

KIND = "archive-audit-checkpoint"
FORMAT = 1


def resume_key(archive_sha256: str, reader: str, options: str) -> str:
    return hashlib.sha256(f"{FORMAT}|{archive_sha256}|{reader}|{options}".encode()).hexdigest()


@dataclass
class Progress:
    """What earlier runs finished: items done per phase and the results they found."""

    text_done: int = 0
    media_done: int = 0
    results: dict[str, dict] = field(default_factory=dict)

    @property
    def started(self) -> bool:
        return bool(self.text_done or self.media_done)


class ResumeState:
    """Checkpoints of one audit in ``ws``'s vault (``ws`` None: a no-op that resumes nothing)."""

    def __init__(self, ws: Workspace | None, key: str) -> None:
        self.ws, self.key = ws, key
        self._seq = 0

    @property
    def enabled(self) -> bool:
        return self.ws is not None

    def _mine(self) -> list:
        if self.ws is None:
            return []
        files = [f for f in self.ws.vault.list() if f.kind == KIND and f.provenance.get("key") == self.key]
        return sorted(files, key=lambda f: int(f.provenance.get("seq", 0)))

    def load(self) -> Progress:
        progress = Progress()
        for record in self._mine():
            try:
                chunk = json.loads(zlib.decompress(self.ws.vault.get(record.id)))
            except (zlib.error, ValueError) as exc:
                raise WorkspaceError(
                    f"the saved progress of this audit is damaged ({exc}); run it with --restart"
                ) from None
            progress.text_done = max(progress.text_done, int(chunk["text_done"]))
            progress.media_done = max(progress.media_done, int(chunk["media_done"]))
            progress.results.update(chunk["results"])
            self._seq = max(self._seq, int(record.provenance.get("seq", 0)))
        return progress

    def save(self, text_done: int, media_done: int, results: dict[str, dict]) -> None:
        """Add one checkpoint: the counts so far and the results changed since the last one."""
        if self.ws is None:
            return
        self._seq += 1
        payload = {"text_done": text_done, "media_done": media_done, "results": results}
        blob = zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)
        self.ws.vault.put(
            blob, kind=KIND, name="archive audit progress", provenance={"key": self.key, "seq": self._seq}
        )

    def clear(self) -> int:
        """Delete every checkpoint of this audit; returns how many there were."""
        records = self._mine()
        for record in records:
            self.ws.vault.delete(record.id)
        self._seq = 0
        return len(records)
