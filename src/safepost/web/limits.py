"""A total cap on upload bytes held in memory, across every request being read at once.

Each upload request may hold up to ``max_upload_bytes`` while it is read (the files stay in memory
until they are encrypted into the vault); several at once could hold several times that. The
:class:`UploadBudget` counts the bytes every request holds, as they arrive, and refuses the one
that would pass ``max_upload_total_bytes`` with :class:`BusyError` (HTTP 503, "try again"). A
request's bytes are given back when its response has been sent (:class:`UploadBudgetMiddleware`).
"""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from safepost.core import SafepostError

CLAIM_KEY = "upload_claim"
RETRY_AFTER_S = 30


class BusyError(SafepostError):
    """The server holds as many uploads as it may at once: try again shortly (HTTP 503)."""


class UploadBudget:
    """Bytes held by all uploads together, at most ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def claim(self) -> Claim:
        return Claim(self)

    def _take(self, n: int) -> bool:
        with self._lock:
            if self.used + n > self.limit:
                return False
            self.used += n
            return True

    def _give(self, n: int) -> None:
        with self._lock:
            self.used -= n


class Claim:
    """What one request holds of the budget; :meth:`release` gives it all back."""

    def __init__(self, budget: UploadBudget) -> None:
        self.budget, self.held = budget, 0

    def add(self, n: int) -> None:
        """Hold ``n`` more bytes, or raise BusyError (holding nothing more)."""
        if not self.budget._take(n):
            self.release()
            limit_mb = self.budget.limit // (1024 * 1024)
            raise BusyError(
                f"safepost is busy with other uploads right now (it holds at most {limit_mb} MB of uploads "
                f"at once). Nothing was saved from this one: try again in {RETRY_AFTER_S} seconds."
            )
        self.held += n

    def release(self) -> None:
        held, self.held = self.held, 0
        if held:
            self.budget._give(held)


class UploadBudgetMiddleware:
    """Gives each HTTP request a claim on the budget (``scope["state"]``), released after its response."""

    def __init__(self, app: ASGIApp, budget: UploadBudget) -> None:
        self.app, self.budget = app, budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claim = self.budget.claim()
        scope.setdefault("state", {})[CLAIM_KEY] = claim
        try:
            await self.app(scope, receive, send)
        finally:
            claim.release()
