"""Unlock back-off: each consecutive wrong passphrase waits longer, and the next unlock audits them.

Failures cannot be written to the audit log while the workspace is locked (the log is inside the
encrypted database), so they are counted in memory and recorded as one ``web.unlock_failures``
entry by the next successful unlock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from safepost.workspace.audit import now_utc

#: the wait after the n-th wrong passphrase in a row is base * 2**(n-1), at most this
MAX_DELAY_S = 60.0


@dataclass
class UnlockFailures:
    """Consecutive wrong passphrases since the last successful unlock."""

    count: int = 0
    first_at: str = ""
    last_at: str = ""

    def failed(self) -> None:
        self.count += 1
        self.last_at = now_utc()
        self.first_at = self.first_at or self.last_at

    def delay(self, base_s: float) -> float:
        """Seconds to wait before answering the latest failure."""
        if not self.count:
            return 0.0
        return min(base_s * 2 ** min(self.count - 1, 30), max(MAX_DELAY_S, base_s))

    def audit_details(self) -> dict:
        return {"failures": self.count, "first_at": self.first_at, "last_at": self.last_at}

    def reset(self) -> None:
        self.count, self.first_at, self.last_at = 0, "", ""


async def wait(seconds: float) -> None:
    """The back-off wait itself (one place, so tests can observe it)."""
    await asyncio.sleep(seconds)


def record(ws, failures: UnlockFailures) -> None:
    """Write the failures before this unlock to the audit log (on the workspace thread)."""
    with ws.transaction() as conn:
        ws.audit(conn, "web.unlock_failures", failures.audit_details())
