"""One thread per unlocked workspace.

SQLCipher connections may only be used from the thread that opened them, and a workspace is not
meant for concurrent writers. So each session owns one worker thread: it opens the workspace and
runs every call on it, one after the other, while the event loop stays free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from safepost.core import WorkspaceError

T = TypeVar("T")


class WorkspaceWorker:
    """An unlocked workspace and the single thread allowed to touch it."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="safepost-ws")
        self._ws: Any = None

    @classmethod
    async def open(cls, path: Path, passphrase: str, actor: str | None = None) -> WorkspaceWorker:
        """Unlock ``path``; raises WrongPassphraseError / WorkspaceError and leaves no thread behind."""
        from safepost.workspace import Workspace

        worker = cls()
        try:
            worker._ws = await worker._submit(lambda: Workspace.open(path, passphrase, actor=actor))
        except BaseException:
            worker._executor.shutdown(wait=False)
            raise
        return worker

    def _submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        return asyncio.wrap_future(self._executor.submit(fn))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(workspace, *args, **kwargs)`` on the workspace thread."""
        if self._ws is None:
            raise WorkspaceError("the workspace is locked; unlock it again")
        ws = self._ws
        return await self._submit(lambda: fn(ws, *args, **kwargs))

    @property
    def is_open(self) -> bool:
        return self._ws is not None

    def close(self) -> None:
        """Close the workspace on its own thread (after calls already queued) and end the thread."""
        ws, self._ws = self._ws, None
        if ws is not None:
            self._executor.submit(ws.close)
        self._executor.shutdown(wait=False)
