"""CLI smoke tests for the workspace commands: init, passphrase change, backup, restore, audit."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from safepost.cli import main
from safepost.workspace import Workspace

PASS = "correct horse battery staple"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEPOST_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("SAFEPOST_ACTOR", "cli-test")
    monkeypatch.delenv("SAFEPOST_NEW_PASSPHRASE", raising=False)
    return tmp_path


def invoke(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_init_verify_log(env):
    result = invoke("init", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workspace"] == str(env / "ws")
    assert "trivial key derivation" in result.stderr
    result = invoke("audit", "verify", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] and report["entries"] >= 2
    result = invoke("audit", "log", "--limit", "1", "--json")
    assert [e["action"] for e in json.loads(result.stdout)] == ["workspace.create"]
    assert json.loads(result.stdout)[0]["actor"] == "cli-test"
    result = invoke("audit", "log")
    assert "workspace.create" in result.stdout and "schema.migrate" in result.stdout
    assert "Workspace created (workspace.create)" in result.stdout


def test_init_at_explicit_path_and_group_option(env):
    target = env / "elsewhere"
    assert invoke("init", str(target)).exit_code == 0
    assert (target / "workspace.json").is_file()
    other = env / "third"
    assert invoke("--workspace", str(other), "init").exit_code == 0
    result = invoke("--workspace", str(other), "audit", "verify")
    assert result.exit_code == 0 and "audit log intact" in result.stderr


def test_init_prompts_with_confirmation(env, monkeypatch):
    monkeypatch.delenv("SAFEPOST_PASSPHRASE")
    result = invoke("init", input=f"{PASS}\n{PASS}\n")
    assert result.exit_code == 0, result.output
    Workspace.open(env / "ws", PASS).close()


def test_init_refuses_existing_workspace(env):
    assert invoke("init").exit_code == 0
    result = invoke("init", "--json")
    assert result.exit_code == 9
    assert "not empty" in json.loads(result.stdout)["error"]
    assert result.stderr.count("error:") == 1


def test_wrong_passphrase_exit_code(env, monkeypatch):
    assert invoke("init").exit_code == 0
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "not the passphrase")
    result = invoke("audit", "verify")
    assert result.exit_code == 10
    assert result.stderr.strip().splitlines() == [f"error: wrong passphrase for workspace at {env / 'ws'}"]


def test_missing_workspace(env):
    result = invoke("audit", "log")
    assert result.exit_code == 9 and "safepost init" in result.stderr


def test_passphrase_change(env, monkeypatch):
    assert invoke("init").exit_code == 0
    monkeypatch.setenv("SAFEPOST_NEW_PASSPHRASE", "the new passphrase")
    result = invoke("passphrase", "change", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"] is True
    assert invoke("audit", "verify").exit_code == 10
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "the new passphrase")
    assert invoke("audit", "verify").exit_code == 0


def test_backup_and_restore(env, monkeypatch):
    assert invoke("init").exit_code == 0
    with Workspace.open(env / "ws", PASS) as ws:
        vault_id = ws.vault.put(b"an original photo", kind="original")
    out = env / "backup.bin"
    result = invoke("backup", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["vault_files"] == 1
    assert invoke("backup", str(out)).exit_code == 7  # refuses to overwrite without --force
    result = invoke("restore", str(out))
    assert result.exit_code == 9 and "not empty" in result.stderr
    restored = env / "restored"
    result = invoke("--workspace", str(restored), "restore", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["audit"]["ok"]
    with Workspace.open(restored, PASS) as ws:
        assert ws.vault.get(vault_id) == b"an original photo"
    assert invoke("restore", str(out), "--force").exit_code == 0


def test_audit_verify_reports_tampering(env):
    assert invoke("init").exit_code == 0
    with Workspace.open(env / "ws", PASS) as ws:
        ws.conn.execute("DROP TRIGGER audit_no_update")
        ws.conn.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 1")
    result = invoke("audit", "verify", "--json")
    assert result.exit_code == 9
    assert json.loads(result.stdout)["ok"] is False
    assert "failed verification" in result.stderr


def test_a_passphrase_piped_in_is_read_without_an_echo_warning(tmp_path):
    """A script piping the passphrase gets no 'input may be echoed' noise, and a wrong one is refused."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEPOST_")}
    env.update(SAFEPOST_INSECURE_FAST_KDF="1", SAFEPOST_WORKSPACE=str(tmp_path / "ws"))
    safepost = [os.path.join(os.path.dirname(sys.executable), "safepost")]

    def run(*args, stdin):
        return subprocess.run([*safepost, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)

    created = run("init", stdin=f"{PASS}\n{PASS}\n")
    assert created.returncode == 0, created.stderr
    listed = run("people", "list", stdin=f"{PASS}\n")
    assert listed.returncode == 0, listed.stderr
    assert "echoed" not in listed.stderr and "GetPassWarning" not in listed.stderr
    wrong = run("people", "list", stdin="not-the-passphrase\n")
    assert wrong.returncode == 10 and "echoed" not in wrong.stderr
