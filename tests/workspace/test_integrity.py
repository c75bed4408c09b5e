"""Workspace integrity (issue 18 item 4): damage to any database page or vault file gives exit 9."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from safepost.cli import main
from safepost.workspace import Workspace
from safepost.workspace.integrity import DAMAGED

PASS = "correct horse battery staple"
PAGE = 4096


@pytest.fixture
def ws_path(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEPOST_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("SAFEPOST_ACTOR", "test")
    ws = Workspace.create(tmp_path / "ws", PASS)
    ws.vault.put(b"consent form " * 2000, kind="consent-form", name="form.pdf")
    ws.close()
    return tmp_path / "ws"


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_intact_workspace_verifies(ws_path):
    result = invoke("audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["damage"] == []
    assert "workspace intact" in invoke("audit", "verify").stderr


def test_every_flipped_page_is_noticed_by_audit_verify(ws_path):
    db = ws_path / "workspace.db"
    original = db.read_bytes()
    pages = len(original) // PAGE
    assert pages >= 10
    for page in range(pages):
        db.write_bytes(original)
        flip(db, page * PAGE + PAGE // 2)
        result = invoke("audit", "verify")
        assert result.exit_code == 9, (page, result.output)
        assert DAMAGED in result.stderr, (page, result.stderr)
        assert "internal error" not in result.stderr
        assert "ERROR CORE" not in result.stderr  # SQLCipher's own log stays quiet


def test_middle_page_damage_gives_exit_9_in_other_commands(ws_path):
    db = ws_path / "workspace.db"
    flip(db, (len(db.read_bytes()) // PAGE // 2) * PAGE + 100)
    for command in (["audit", "log"], ["people", "list"], ["audit", "verify", "--json"]):
        result = invoke(*command)
        assert result.exit_code == 9, (command, result.output)
        assert "internal error" not in result.output


def test_damaged_vault_file_gives_exit_9(ws_path):
    blob = next(p for p in (ws_path / "vault").iterdir())
    flip(blob, blob.stat().st_size - 20)
    result = invoke("audit", "verify", "--json")
    assert result.exit_code == 9
    payload = json.loads(result.stdout)
    assert not payload["ok"] and any("vault" in problem for problem in payload["damage"])
    assert DAMAGED in result.stderr


def test_missing_vault_file_gives_exit_9(ws_path):
    next(p for p in (ws_path / "vault").iterdir()).unlink()
    result = invoke("audit", "verify")
    assert result.exit_code == 9 and DAMAGED in result.stderr
