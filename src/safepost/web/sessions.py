"""Unlocked sessions, held in server memory only.

The browser holds nothing but a random session id (an HttpOnly, SameSite=Strict cookie). The
session holds the unlocked workspace, its CSRF token and the posts being prepared. Idle sessions
are locked: the workspace is closed, its keys dropped, the drafts forgotten.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from safepost.web.worker import WorkspaceWorker

if TYPE_CHECKING:
    from safepost.web.drafts import Draft

SESSION_COOKIE = "safepost_session"
PRE_CSRF_COOKIE = "safepost_unlock"
LANG_COOKIE = "safepost_lang"


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass
class Session:
    """One unlocked browser session."""

    id: str
    csrf: str
    worker: WorkspaceWorker
    actor: str
    last_seen: float
    drafts: dict[str, Draft] = field(default_factory=dict)
    #: other per-session results kept in memory (the last security plan, for its PDF)
    scratch: dict[str, Any] = field(default_factory=dict)

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(token, self.csrf)


class SessionStore:
    """Every unlocked session of this server, with idle locking."""

    def __init__(self, idle_lock_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_lock_s = idle_lock_s
        self.clock = clock
        self._sessions: dict[str, Session] = {}

    def create(self, worker: WorkspaceWorker, actor: str) -> Session:
        session = Session(id=new_token(), csrf=new_token(), worker=worker, actor=actor, last_seen=self.clock())
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session for ``session_id`` (its idle clock restarts), or None; an idle one is locked."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.idle_lock_s:
            self.lock(session_id)
            return None
        session.last_seen = now
        return session

    def lock(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            session.drafts.clear()
            session.scratch.clear()
            session.worker.close()

    def sweep(self) -> int:
        """Lock every idle session; returns how many were locked."""
        now = self.clock()
        idle = [sid for sid, s in self._sessions.items() if now - s.last_seen > self.idle_lock_s]
        for sid in idle:
            self.lock(sid)
        return len(idle)

    def lock_all(self) -> None:
        for sid in list(self._sessions):
            self.lock(sid)

    def __len__(self) -> int:
        return len(self._sessions)
