"""The encrypted workspace against real SQLCipher: keys, database, vault, audit chain, backups."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlcipher3

from safepost.core import WorkspaceError, WrongPassphraseError
from safepost.workspace import KdfParams, Workspace, backup, default_workspace_path, read_passphrase, restore
from safepost.workspace import keys as keys_module
from safepost.workspace.schema import MIGRATIONS
from safepost.workspace.stream import CHUNK, TAG
from safepost.workspace.vault import HEADER

PASS = "correct horse battery staple"
NEW_PASS = "a whole new passphrase"
FAST = KdfParams.insecure_fast()
SECRET_NAME = "Quetzalina Vornbrekker"


@pytest.fixture
def ws_path(tmp_path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def ws(ws_path):
    workspace = Workspace.create(ws_path, PASS, kdf=FAST, actor="tester")
    yield workspace
    workspace.close()


def add_person(ws: Workspace, pid: str, name: str) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO people (id, display_name, created_at) VALUES (?, ?, '2026-01-01T00:00:00Z')", (pid, name)
        )
        ws.audit(conn, "person.add", {"person": pid})


def count_people(ws: Workspace) -> int:
    with ws.read() as conn:
        return conn.execute("SELECT count(*) FROM people").fetchone()[0]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``folder`` with its bytes, mtime and mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(folder))] = (path.read_bytes(), st.st_mtime_ns, stat.S_IMODE(st.st_mode))
    return out


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# -- creating and opening ---------------------------------------------------------------------------


def test_create_then_open_with_permissions_and_schema(ws, ws_path):
    assert stat.S_IMODE(ws_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((ws_path / "vault").stat().st_mode) == 0o700
    for name in ("workspace.db", "workspace.json"):
        assert stat.S_IMODE((ws_path / name).stat().st_mode) == 0o600
    add_person(ws, "P-1", "Ana")
    ws.close()
    for path in ws_path.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with Workspace.open(ws_path, PASS) as again:
        assert count_people(again) == 1
        assert again.schema_version == len(MIGRATIONS)
        actions = [e["action"] for e in again.audit_log()]
        assert actions[: len(MIGRATIONS)] == ["schema.migrate"] * len(MIGRATIONS)
        assert actions[len(MIGRATIONS) :] == ["workspace.create", "person.add"]
        pragmas = {p: again.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "foreign_keys")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1}
        assert again.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert again.conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY


def test_workspace_json_holds_no_secret(ws, ws_path):
    data = json.loads((ws_path / "workspace.json").read_text())
    assert data["kdf"]["name"] == "argon2id"
    assert set(data) == {"format", "version", "id", "kdf", "wrapped_key", "audit_anchor"}
    assert ws._keys.db.hex() not in json.dumps(data)


def test_create_refuses_non_empty_folder_and_short_passphrase(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(WorkspaceError, match="not empty"):
        Workspace.create(tmp_path / "full", PASS, kdf=FAST)
    with pytest.raises(WorkspaceError, match="too short"):
        Workspace.create(tmp_path / "new", "short", kdf=FAST)
    assert not (tmp_path / "new").exists()


def test_open_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace at") as info:
        Workspace.open(tmp_path / "nothing", PASS)
    assert info.value.exit_code == 9


def test_open_without_database_file(ws, ws_path):
    ws.close()
    (ws_path / "workspace.db").unlink()
    with pytest.raises(WorkspaceError, match="lost its database"):
        Workspace.open(ws_path, PASS)


def test_newer_schema_is_refused(ws, ws_path):
    with ws.transaction() as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        ws.audit(conn, "test.bump", {})
    ws.close()
    with pytest.raises(WorkspaceError, match="newer safepost"):
        Workspace.open(ws_path, PASS)


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv("SAFEPOST_WORKSPACE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_workspace_path() == tmp_path / "xdg" / "safepost" / "workspace"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_workspace_path() == tmp_path / "home" / ".local" / "share" / "safepost" / "workspace"
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(tmp_path / "explicit"))
    assert default_workspace_path() == tmp_path / "explicit"


def test_read_passphrase_env_then_prompt(monkeypatch):
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "from the environment")
    assert read_passphrase() == "from the environment"
    monkeypatch.delenv("SAFEPOST_PASSPHRASE")
    asked = []
    assert read_passphrase(confirm=True, prompt=lambda text, confirm: asked.append(confirm) or "typed") == "typed"
    assert asked == [True]
    with pytest.raises(WorkspaceError, match="no passphrase"):
        read_passphrase(prompt=lambda text, confirm: "")


def test_passphrase_unicode_is_normalised(ws_path):
    composed, decomposed = "caf\u00e9 con leche", "cafe\u0301 con leche"
    assert composed != decomposed
    ws = Workspace.create(ws_path, composed, kdf=FAST)
    secret = ws.vault.put(b"kept under the composed form", kind="test", name="note")
    ws.close()
    ws = Workspace.open(ws_path, decomposed)  # the same passphrase typed on another keyboard
    try:
        assert ws.vault.get(secret) == b"kept under the composed form"
    finally:
        ws.close()
    with pytest.raises(WrongPassphraseError):
        Workspace.open(ws_path, "cafe con leche")


def test_default_kdf_parameters_once(tmp_path, monkeypatch):
    monkeypatch.delenv(keys_module.FAST_KDF_ENV, raising=False)
    assert KdfParams.default() == KdfParams(time_cost=3, memory_cost=65536, parallelism=2)
    Workspace.create(tmp_path / "real", PASS).close()
    kdf = json.loads((tmp_path / "real" / "workspace.json").read_text())["kdf"]
    assert (kdf["time_cost"], kdf["memory_cost"], kdf["parallelism"]) == (3, 65536, 2)
    started = time.perf_counter()
    Workspace.open(tmp_path / "real", PASS).close()
    assert time.perf_counter() - started < 5  # ~0.2 s on the reference machine; loose bound for busy CI


# -- confidentiality -----------------------------------------------------------------------------------


def test_no_plaintext_in_database_wal_or_vault(ws, ws_path):
    needle = SECRET_NAME.encode()
    add_person(ws, "P-SECRET", SECRET_NAME)
    with ws.transaction() as conn:
        conn.execute("UPDATE people SET notes = ? WHERE id = 'P-SECRET'", (f"notes about {SECRET_NAME}",))
        ws.audit(conn, "person.update", {"name": SECRET_NAME})
    vault_id = ws.vault.put(b"consent form signed by " + needle * 3000, kind="consent-form", name=f"{SECRET_NAME}.pdf")
    wal = ws_path / "workspace.db-wal"
    assert wal.stat().st_size > 0, "the test must see the WAL while it holds the data"
    files = all_bytes(ws_path)
    assert {"workspace.db", "workspace.db-wal"} <= {Path(n).name for n in files} and len(files) >= 3
    for name, data in files.items():
        assert needle not in data, name
        assert b"Quetzalina" not in data, name
        assert SECRET_NAME.encode("utf-16-le") not in data, name
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    for name, data in all_bytes(ws_path).items():
        assert needle not in data, name
    ws.close()
    for name, data in all_bytes(ws_path).items():
        assert needle not in data, name
    with Workspace.open(ws_path, PASS) as again:
        assert needle in again.vault.get(vault_id)
        assert again.vault.info(vault_id).name == f"{SECRET_NAME}.pdf"


# -- passphrases ------------------------------------------------------------------------------------


def test_wrong_passphrase_fails_and_changes_nothing(ws, ws_path):
    add_person(ws, "P-1", "Ana")
    ws.vault.put(b"x" * 1000, kind="original")
    ws.close()
    before = snapshot(ws_path)
    time.sleep(0.01)
    with pytest.raises(WrongPassphraseError) as info:
        Workspace.open(ws_path, "not the passphrase")
    assert str(info.value) == f"wrong passphrase for workspace at {ws_path}"
    assert info.value.exit_code == 10
    assert snapshot(ws_path) == before


def test_change_passphrase(ws, ws_path):
    add_person(ws, "P-1", "Ana")
    vault_id = ws.vault.put(b"original bytes", kind="original")
    with pytest.raises(WrongPassphraseError):
        ws.change_passphrase("not the passphrase", NEW_PASS)
    ws.change_passphrase(PASS, NEW_PASS)
    ws.close()
    with pytest.raises(WrongPassphraseError):
        Workspace.open(ws_path, PASS)
    with Workspace.open(ws_path, NEW_PASS) as again:
        assert count_people(again) == 1
        assert again.vault.get(vault_id) == b"original bytes"
        assert again.audit_log(1)[0]["action"] == "passphrase.change"
        assert again.verify_audit().ok


def _fail_on_rewrap(monkeypatch, after_write: bool) -> None:
    """Make the workspace.json save that carries the new wrapped key fail (before or after its rename)."""
    real_save = keys_module.KeyFile.save

    def save(self, data):
        on_disk = json.loads(self.path.read_text())
        rewrap = data["kdf"]["salt"] != on_disk["kdf"]["salt"]
        if rewrap and not after_write:
            raise KeyboardInterrupt("simulated crash before the new workspace.json is in place")
        real_save(self, data)
        if rewrap:
            raise KeyboardInterrupt("simulated crash right after the new workspace.json is in place")

    monkeypatch.setattr(keys_module.KeyFile, "save", save)


def test_crash_during_passphrase_change_keeps_old_passphrase(ws, ws_path, monkeypatch):
    add_person(ws, "P-1", "Ana")
    _fail_on_rewrap(monkeypatch, after_write=False)
    with pytest.raises(KeyboardInterrupt):
        ws.change_passphrase(PASS, NEW_PASS)
    monkeypatch.undo()
    ws.close()
    # Documented: a crash before the atomic rename of workspace.json leaves the OLD passphrase working.
    with pytest.raises(WrongPassphraseError):
        Workspace.open(ws_path, NEW_PASS)
    with Workspace.open(ws_path, PASS) as again:
        assert count_people(again) == 1
        assert again.verify_audit().ok
    assert not list(ws_path.glob(".safepost-*"))  # no temporary file left behind


def test_crash_right_after_passphrase_change_has_new_passphrase(ws, ws_path, monkeypatch):
    add_person(ws, "P-1", "Ana")
    _fail_on_rewrap(monkeypatch, after_write=True)
    with pytest.raises(KeyboardInterrupt):
        ws.change_passphrase(PASS, NEW_PASS)
    monkeypatch.undo()
    ws.close()
    with pytest.raises(WrongPassphraseError):
        Workspace.open(ws_path, PASS)
    with Workspace.open(ws_path, NEW_PASS) as again:
        assert count_people(again) == 1
        assert again.verify_audit().ok


# -- transactions -----------------------------------------------------------------------------------


def test_transaction_rolls_back_on_error(ws):
    with pytest.raises(RuntimeError):
        with ws.transaction() as conn:
            conn.execute("INSERT INTO people (id, display_name, created_at) VALUES ('P-1', 'Ana', 'now')")
            ws.audit(conn, "person.add", {"person": "P-1"})
            raise RuntimeError("boom")
    assert count_people(ws) == 0
    assert ws.verify_audit().ok


def test_change_without_audit_entry_is_refused(ws):
    with pytest.raises(WorkspaceError, match="not recorded in the audit log"):
        with ws.transaction() as conn:
            conn.execute("INSERT INTO people (id, display_name, created_at) VALUES ('P-1', 'Ana', 'now')")
    assert count_people(ws) == 0
    with pytest.raises(WorkspaceError, match="inside ws.transaction"):
        ws.audit(ws.conn, "outside", {})


def test_nested_transactions_are_savepoints(ws):
    with ws.transaction() as conn:
        add_person(ws, "P-1", "Ana")
        with pytest.raises(ValueError):
            with ws.transaction():
                add_person(ws, "P-2", "Bo")
                raise ValueError("inner fails")
        ws.audit(conn, "outer", {})
    with ws.read() as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM people")] == ["P-1"]
    assert ws.verify_audit().ok


def test_audit_table_is_append_only(ws):
    with pytest.raises(sqlcipher3.dbapi2.IntegrityError, match="append-only"):
        with ws.transaction() as conn:
            conn.execute("DELETE FROM audit WHERE seq = 1")
            ws.audit(conn, "x", {})


def test_killed_process_leaves_database_as_before(ws, ws_path):
    add_person(ws, "P-0", "Before")
    ws.close()
    script = f"""
import sys, time
from safepost.workspace import Workspace
ws = Workspace.open({str(ws_path)!r}, {PASS!r})
conn = ws.conn
conn.execute("BEGIN IMMEDIATE")
for i in range(20000):
    conn.execute("INSERT INTO people (id, display_name, notes, created_at) VALUES (?, 'x', ?, 'now')",
                 (f"P-K{{i}}", "n" * 200))
print("inserted", flush=True)
time.sleep(60)
"""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "inserted"
        assert (ws_path / "workspace.db-wal").exists()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with Workspace.open(ws_path, PASS) as again:
        assert count_people(again) == 1
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert again.verify_audit().ok


# -- vault ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_vault_round_trip(ws, size):
    data = os.urandom(size)
    vault_id = ws.vault.put(data, kind="original", name="photo.jpg", provenance={"source": "camera"})
    assert ws.vault.get(vault_id) == data
    assert b"".join(ws.vault.open(vault_id)) == data
    info = ws.vault.info(vault_id)
    assert (info.kind, info.name, info.size, info.provenance) == ("original", "photo.jpg", size, {"source": "camera"})
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    blob = ws.vault.blob_path(vault_id).read_bytes()
    assert len(blob) == HEADER + size + TAG * (size // CHUNK + (0 if size and size % CHUNK == 0 else 1))


def test_vault_streams_from_path_and_exports(ws, tmp_path):
    source = tmp_path / "big.bin"
    data = os.urandom(5 * CHUNK + 123)
    source.write_bytes(data)
    vault_id = ws.vault.put(source, kind="original", name="big.bin")
    dest = tmp_path / "out" / "restored.bin"
    dest.parent.mkdir()
    ws.vault.export(vault_id, dest)
    assert dest.read_bytes() == data
    entry = ws.audit_log(1)[0]
    assert entry["action"] == "vault.put" and entry["details"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert [f.id for f in ws.vault.list()] == [vault_id]


def _tamper(path: Path, how: str, other: Path | None = None) -> None:
    blob = bytearray(path.read_bytes())
    size = CHUNK + TAG
    if how == "truncate_chunk":  # drop the final chunk: the cut lands on a chunk boundary
        del blob[HEADER + 2 * size :]
    elif how == "truncate_byte":
        del blob[-1:]
    elif how == "flip_body":
        blob[HEADER + size + 100] ^= 0x01
    elif how == "flip_header":
        blob[10] ^= 0x01
    elif how == "append":
        blob += b"\x00" * 20
    elif how == "reorder":
        first, second = blob[HEADER : HEADER + size], blob[HEADER + size : HEADER + 2 * size]
        blob[HEADER : HEADER + 2 * size] = second + first
    elif how == "swap":
        assert other is not None
        mine = bytes(blob)
        blob = bytearray(other.read_bytes())
        other.write_bytes(mine)
    path.write_bytes(bytes(blob))


@pytest.mark.parametrize(
    "how", ["truncate_chunk", "truncate_byte", "flip_body", "flip_header", "append", "reorder", "swap"]
)
def test_vault_detects_damage(ws, how, tmp_path):
    vault_id = ws.vault.put(os.urandom(3 * CHUNK + 10), kind="original")
    other_id = ws.vault.put(os.urandom(3 * CHUNK + 10), kind="original")
    _tamper(ws.vault.blob_path(vault_id), how, ws.vault.blob_path(other_id))
    with pytest.raises(WorkspaceError, match=f"vault file {vault_id} .* is damaged or was altered"):
        ws.vault.get(vault_id)
    dest = tmp_path / "export.bin"
    with pytest.raises(WorkspaceError, match="damaged or was altered"):
        ws.vault.export(vault_id, dest)
    assert not dest.exists()
    assert not list(tmp_path.glob(".safepost-*"))


def test_vault_missing_blob_and_unknown_id(ws):
    vault_id = ws.vault.put(b"abc", kind="original")
    ws.vault.blob_path(vault_id).unlink()
    with pytest.raises(WorkspaceError, match="missing"):
        ws.vault.get(vault_id)
    with pytest.raises(WorkspaceError, match="no vault file"):
        ws.vault.get("0" * 32)
    with pytest.raises(WorkspaceError, match="not a vault file id"):
        ws.vault.get("../workspace.db")


def test_vault_delete_and_orphans(ws):
    keep = ws.vault.put(b"keep", kind="original")
    gone = ws.vault.put(b"gone", kind="original")
    ws.vault.delete(gone)
    assert not ws.vault.blob_path(gone).exists()
    (ws.vault.folder / ("f" * 32)).write_bytes(b"left by a crash")
    assert [p.name for p in ws.vault.orphans()] == ["f" * 32]
    assert [f.id for f in ws.vault.list()] == [keep]
    assert ws.audit_log(1)[0]["action"] == "vault.delete"


# -- audit chain --------------------------------------------------------------------------------------


@pytest.fixture
def logged(ws):
    """A workspace with a few audit entries and the append-only triggers dropped (as an attacker would)."""
    for i in range(5):
        add_person(ws, f"P-{i}", f"Person {i}")
    assert ws.verify_audit().ok
    ws.conn.execute("DROP TRIGGER audit_no_update")
    ws.conn.execute("DROP TRIGGER audit_no_delete")
    return ws


def test_audit_verify_passes(logged):
    report = logged.verify_audit()
    head = logged.conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    assert report.ok and report.entries == head == report.head_seq == report.anchor_seq
    assert report.problems == []


def test_audit_detects_modified_details(logged):
    logged.conn.execute("""UPDATE audit SET details = '{"person":"P-X"}' WHERE action = 'person.add' AND seq = 5""")
    report = logged.verify_audit()
    assert not report.ok
    assert any("entry 5" in p and "altered" in p for p in report.problems)


def test_audit_detects_deleted_middle_entry(logged):
    logged.conn.execute("DELETE FROM audit WHERE seq = 4")
    report = logged.verify_audit()
    assert not report.ok
    assert any("missing" in p for p in report.problems)
    assert any("entry 5 does not follow" in p for p in report.problems)


def test_audit_detects_swapped_entries(logged):
    rows = {r[0]: r for r in logged.conn.execute("SELECT seq, at, actor, action, details, prev_hash, hash FROM audit")}
    for target, source in ((4, 5), (5, 4)):
        _, at, actor, action, details, prev_hash, digest = rows[source]
        logged.conn.execute(
            "UPDATE audit SET at = ?, actor = ?, action = ?, details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (at, actor, action, details, prev_hash, digest, target),
        )
    report = logged.verify_audit()
    assert not report.ok
    assert any("entry 4" in p for p in report.problems)


def test_audit_detects_deleted_last_entry(logged):
    last = logged.conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    logged.conn.execute("DELETE FROM audit WHERE seq = ?", (last,))
    report = logged.verify_audit()
    assert not report.ok
    assert report.problems == [f"entries {last}..{last} are missing from the end of the log (removed)"]


def test_audit_detects_rewritten_tail_and_forged_anchor(logged, ws_path):
    data = json.loads((ws_path / "workspace.json").read_text())
    data["audit_anchor"]["seq"] -= 1
    (ws_path / "workspace.json").write_text(json.dumps(data))
    report = logged.verify_audit()
    assert not report.ok and "anchor in workspace.json was altered" in report.problems[0]
    del data["audit_anchor"]
    (ws_path / "workspace.json").write_text(json.dumps(data))
    assert "anchor is missing" in logged.verify_audit().problems[0]


def test_anchor_may_lag_after_a_crash(ws, monkeypatch):
    add_person(ws, "P-1", "Ana")
    monkeypatch.setattr(Workspace, "_update_anchor", lambda self: None)
    add_person(ws, "P-2", "Bo")
    report = ws.verify_audit()
    assert report.ok and report.anchor_seq == report.head_seq - 1


def test_two_handles_keep_one_chain(ws, ws_path):
    other = Workspace.open(ws_path, PASS)
    try:
        add_person(ws, "P-1", "Ana")
        add_person(other, "P-2", "Bo")
        add_person(ws, "P-3", "Cy")
        assert ws.verify_audit().ok and other.verify_audit().ok
    finally:
        other.close()


# -- backup and restore -------------------------------------------------------------------------------


@pytest.fixture
def backed_up(ws, tmp_path):
    add_person(ws, "P-SECRET", SECRET_NAME)
    ids = [ws.vault.put(os.urandom(n) + SECRET_NAME.encode(), kind="original") for n in (10, 2 * CHUNK)]
    out = tmp_path / "ws.safepost-backup"
    result = backup(ws, out, PASS)
    assert result.vault_files == 2 and result.size == out.stat().st_size
    return ws, out, {i: ws.vault.get(i) for i in ids}


def test_backup_restore_round_trip(backed_up, tmp_path):
    ws, out, files = backed_up
    assert SECRET_NAME.encode() not in out.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    target = tmp_path / "restored" / "ws"
    result = restore(out, target, PASS)
    assert result.vault_files == 2 and result.audit.ok
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    with Workspace.open(target, PASS) as again:
        assert count_people(again) == 1
        for vault_id, data in files.items():
            assert again.vault.get(vault_id) == data
        assert again.verify_audit().ok
        assert again.id == ws.id
        assert again.audit_log(1)[0]["action"] == "workspace.restore"
    assert ws.audit_log(1)[0]["action"] == "workspace.backup"  # recorded in the source after the snapshot
    assert not list(target.parent.glob(".safepost-*"))
    written = all_bytes(target)
    assert written and sum(len(d) for d in written.values()) > 1000  # the restored files were read, not nothing
    for name, data in written.items():
        assert SECRET_NAME.encode() not in data, name


def test_restore_refuses_non_empty_target_unless_forced(backed_up, tmp_path):
    _, out, files = backed_up
    target = tmp_path / "occupied"
    Workspace.create(target, NEW_PASS, kdf=FAST).close()
    before = snapshot(target)
    with pytest.raises(WorkspaceError, match="not empty"):
        restore(out, target, PASS)
    assert snapshot(target) == before
    restore(out, target, PASS, force=True)
    with Workspace.open(target, PASS) as again:
        assert sorted(f.id for f in again.vault.list()) == sorted(files)
    assert not list(tmp_path.glob(".safepost-*"))


@pytest.mark.parametrize("where", ["body", "end", "truncate"])
def test_restore_of_damaged_backup_leaves_target_untouched(backed_up, tmp_path, where):
    _, out, _ = backed_up
    blob = bytearray(out.read_bytes())
    if where == "body":
        blob[len(blob) // 2] ^= 0x40
    elif where == "end":
        blob[-3] ^= 0x40
    else:
        del blob[-(CHUNK + TAG) :]
    out.write_bytes(bytes(blob))
    target = tmp_path / "occupied"
    Workspace.create(target, NEW_PASS, kdf=FAST).close()
    before = snapshot(target)
    with pytest.raises(WorkspaceError, match="damaged or was altered"):
        restore(out, target, PASS, force=True)
    assert snapshot(target) == before
    assert not list(tmp_path.glob(".safepost-*"))
    with pytest.raises(WorkspaceError, match="damaged"):
        restore(out, tmp_path / "fresh", PASS)
    assert not (tmp_path / "fresh").exists()


def test_restore_with_wrong_passphrase_or_not_a_backup(backed_up, tmp_path):
    _, out, _ = backed_up
    with pytest.raises(WrongPassphraseError, match="wrong passphrase for backup"):
        restore(out, tmp_path / "t", "not the passphrase")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello world" * 10)
    with pytest.raises(WorkspaceError, match="not a safepost backup"):
        restore(junk, tmp_path / "t", PASS)
    assert not (tmp_path / "t").exists()


def test_backup_needs_the_current_passphrase(ws, tmp_path):
    with pytest.raises(WrongPassphraseError):
        backup(ws, tmp_path / "b", "not the passphrase")
    assert not (tmp_path / "b").exists()
