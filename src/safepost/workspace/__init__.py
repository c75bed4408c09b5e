"""The encrypted workspace: SQLCipher database, encrypted vault, audit chain (issue #4).

Only this package writes sensitive data to disk. Contract used by the rest of safepost::

    ws = Workspace.create(path, passphrase)      # or Workspace.open(path, passphrase)
    with ws.transaction() as conn:               # BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error
        conn.execute("INSERT INTO people ...")
        ws.audit(conn, "person.add", {"person": "P-7K3Q9X"})   # appended in the same transaction
    with ws.read() as conn:                      # one consistent snapshot for reads
        rows = conn.execute("SELECT ...").fetchall()
    vault_id = ws.vault.put(data_bytes, kind="consent-form", name="form.pdf")
    data = ws.vault.get(vault_id)
    ws.close()

Rules: a transaction that changes rows without an audit entry is rolled back with a
``WorkspaceError``; nested ``transaction()`` calls become savepoints. Rows are
``sqlcipher3`` ``Row`` objects (index or column name). The schema lives in ``schema.py`` as an
ordered list of migrations. See docs/workspace.md for formats and the threat model.
"""

from safepost.core import WorkspaceError, WrongPassphraseError
from safepost.workspace.audit import AuditReport, now_utc
from safepost.workspace.backup import BackupResult, RestoreResult, backup, restore
from safepost.workspace.db import Workspace, default_workspace_path
from safepost.workspace.keys import KdfParams, read_passphrase
from safepost.workspace.vault import VaultFile

__all__ = [
    "AuditReport",
    "BackupResult",
    "KdfParams",
    "RestoreResult",
    "VaultFile",
    "Workspace",
    "WorkspaceError",
    "WrongPassphraseError",
    "backup",
    "default_workspace_path",
    "now_utc",
    "read_passphrase",
    "restore",
]
