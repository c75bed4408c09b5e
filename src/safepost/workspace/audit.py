"""The audit log as a hash chain, and its anchor.

Entry ``n`` stores ``hash = sha256(canonical JSON of {seq, at, actor, action, details, prev_hash})``
where ``details`` is the stored canonical-JSON text and ``prev_hash`` is the hash of entry
``n - 1`` (64 zeros for entry 1). Changing, removing or reordering entries breaks the chain.
Removing entries from the end does not, so the latest ``(seq, hash)`` is also kept outside the
database, in ``workspace.json``, with an HMAC under a key only the passphrase unlocks: the anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
MAX_PROBLEMS = 20


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def now_utc() -> str:
    """The current time as ISO 8601 UTC with microseconds, e.g. ``2026-05-01T09:30:00.123456Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entry_hash(seq: int, at: str, actor: str, action: str, details: str, prev_hash: str) -> str:
    """The chain hash of one entry (``details`` is the stored JSON text)."""
    body = {"seq": seq, "at": at, "actor": actor, "action": action, "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def append(conn, action: str, details: dict | None, actor: str) -> int:
    """Append one entry inside the caller's transaction; returns its seq."""
    if not action:
        raise ValueError("an audit entry needs an action")
    text = canonical(details or {})
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = now_utc()
    digest = entry_hash(seq, at, actor, action, text, prev)
    conn.execute(
        "INSERT INTO audit (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, text, prev, digest),
    )
    return seq


def head(conn) -> tuple[int, str]:
    """``(seq, hash)`` of the latest entry, ``(0, GENESIS)`` for an empty log."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def anchor_mac(key: bytes, workspace_id: str, seq: int, digest: str) -> str:
    """HMAC-SHA256 that makes the anchor unforgeable without the workspace key."""
    message = canonical({"workspace": workspace_id, "seq": seq, "hash": digest}).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_anchor(key: bytes, workspace_id: str, seq: int, digest: str) -> dict:
    """The anchor record kept in ``workspace.json``."""
    return {"seq": seq, "hash": digest, "mac": anchor_mac(key, workspace_id, seq, digest)}


@dataclass
class AuditReport:
    """Result of :func:`verify`: ``ok`` when the chain is whole and agrees with its anchor."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    anchor_seq: int | None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def verify(conn, anchor: dict | None = None, anchor_key: bytes | None = None, workspace_id: str = "") -> AuditReport:
    """Check every entry's hash and link, the seq numbering, and the anchor (when given).

    Detects an altered entry, a deleted entry (gap or broken link), swapped entries, and - with
    the anchor - entries removed from the end. The anchor may lag the log (a crash between a
    commit and the anchor update); it must then still match the entry it names.
    """
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)

    expected_seq, prev, count, hashes = 1, GENESIS, 0, {}
    rows = conn.execute("SELECT seq, at, actor, action, details, prev_hash, hash FROM audit ORDER BY seq")
    for seq, at, actor, action, details, prev_hash, stored in rows:
        count += 1
        if seq != expected_seq:
            problem(f"entries {expected_seq}..{seq - 1} are missing (deleted)")
        if prev_hash != prev:
            problem(f"entry {seq} does not follow the entry before it (an entry was removed or reordered)")
        if entry_hash(seq, at, actor, action, details, prev_hash) != stored:
            problem(f"entry {seq} ({action}) was altered")
        hashes[seq] = stored
        expected_seq, prev = seq + 1, stored
    head_seq, head_hash = expected_seq - 1, prev

    anchor_seq = None
    if anchor is None:
        if count:
            problem("the audit anchor is missing from workspace.json")
    else:
        try:
            anchor_seq, anchor_hash, mac = int(anchor["seq"]), str(anchor["hash"]), str(anchor["mac"])
        except (KeyError, TypeError, ValueError):
            problem("the audit anchor in workspace.json is damaged")
        else:
            if anchor_key is not None and not hmac.compare_digest(
                mac, anchor_mac(anchor_key, workspace_id, anchor_seq, anchor_hash)
            ):
                problem("the audit anchor in workspace.json was altered")
            elif anchor_seq > head_seq:
                problem(f"entries {head_seq + 1}..{anchor_seq} are missing from the end of the log (removed)")
            elif anchor_seq and hashes.get(anchor_seq) != anchor_hash:
                problem(f"entry {anchor_seq} does not match the anchor (the log was rewritten)")
    return AuditReport(not problems, count, head_seq, head_hash, anchor_seq, problems)


def entries(conn, limit: int | None = None) -> list[dict]:
    """The latest ``limit`` entries (all when None), oldest first, with details parsed."""
    sql = "SELECT seq, at, actor, action, details, hash FROM audit ORDER BY seq DESC"
    rows = conn.execute(sql + " LIMIT ?", (limit,)).fetchall() if limit is not None else conn.execute(sql).fetchall()
    out = []
    for seq, at, actor, action, details, digest in reversed(rows):
        try:
            parsed = json.loads(details)
        except json.JSONDecodeError:
            parsed = details
        out.append({"seq": seq, "at": at, "actor": actor, "action": action, "details": parsed, "hash": digest})
    return out
