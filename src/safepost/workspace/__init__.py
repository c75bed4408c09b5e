"""The encrypted workspace: SQLCipher database, encrypted vault, audit chain (issue #4).

Only this package writes sensitive data to disk. Contract used by the rest of safepost::

    ws = Workspace.create(path, passphrase)      # or Workspace.open(path, passphrase)
    with ws.transaction() as conn:               # BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error
        conn.execute("INSERT INTO people ...")
        ws.audit(conn, "person.add", {"person": "P-7K3Q9X"})   # appended in the same transaction
    vault_id = ws.vault.put(data_bytes, kind="consent-form", name="form.pdf")
    data = ws.vault.get(vault_id)
    ws.close()

The schema lives in ``schema.py`` as an ordered list of migrations.
"""
