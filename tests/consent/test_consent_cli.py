"""The people, events, consent and badges commands, end to end on a real workspace."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from safepost.cli import CHECK_DENIED_EXIT, main

PASS = "correct horse battery staple"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFEPOST_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_ACTOR", "Staff A")
    ws = tmp_path / "ws"

    def run(*args):
        return CliRunner().invoke(main, ["--workspace", str(ws), *[str(a) for a in args]])

    assert run("init").exit_code == 0
    return run


def test_people_events_consent_badges(cli, tmp_path):
    assert cli("events", "add", "E-forum", "--name", "Forum", "--from", "2026-05-01", "--place", "Hall").exit_code == 0
    added = cli("events", "add", "E-ch", "--name", "Closed", "--chatham-house", "--documentation", "no_photo", "--json")
    assert json.loads(added.stdout)["chatham_house"] is True
    listed = json.loads(cli("events", "list", "--json").stdout)
    assert [e["id"] for e in listed] == ["E-forum", "E-ch"]

    csv = tmp_path / "reg.csv"
    csv.write_text("name;languages;event;photo\nAna Ruiz;es;E-forum;yes\nBen;en;E-forum;no\n", encoding="utf-8-sig")
    imported = cli("people", "import", csv, "--json")
    assert imported.exit_code == 0, imported.output
    ana, ben = (p["id"] for p in json.loads(imported.stdout)["people"])
    cara = json.loads(cli("people", "add", "Cara", "--handle", "x:@cara", "--event", "E-forum", "--json").stdout)["id"]
    everyone = json.loads(cli("people", "list", "--json").stdout)
    assert {p["id"] for p in everyone} == {ana, ben, cara}
    table = cli("people", "list")
    assert "Ana Ruiz" in table.stdout and cara in table.stdout

    granted = cli(
        "consent", "grant", cara, "quote_attributed", "--platform", "website", "--audience", "public",
        "--explained", "Quote on our website", "--method", "verbal", "--expires", "2099-01-01", "--json",
    )  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.stdout)["recorded_by"] == "Staff A"

    def check(*args):
        return cli("consent", "check", cara, "quote_attributed", "--audience", "public", "--purpose", "news", *args)

    ok = check("--platform", "website")
    assert ok.exit_code == 0 and ok.stdout.startswith("ALLOWED")
    wrong_platform = check("--platform", "x")
    assert wrong_platform.exit_code == CHECK_DENIED_EXIT and "platform 'x'" in wrong_platform.stdout
    chatham = check("--platform", "website", "--event", "E-ch", "--json")
    assert chatham.exit_code == CHECK_DENIED_EXIT and "Chatham House" in json.loads(chatham.stdout)["reason"]
    assert check("--platform", "website", "--at", "2100-01-01").exit_code == CHECK_DENIED_EXIT

    shown = cli("consent", "show", cara)
    assert shown.exit_code == 0 and "quote_attributed" in shown.stdout and "active" in shown.stdout
    withdrawn = cli("consent", "withdraw", cara, "--yes", "--json")
    assert withdrawn.exit_code == 0 and json.loads(withdrawn.stdout)["takedown"] == []
    assert check("--platform", "website").exit_code == CHECK_DENIED_EXIT

    pdf = tmp_path / "badges.pdf"
    made = cli("badges", "E-forum", "-o", pdf, "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["no_photo"] == 2 and pdf.read_bytes().startswith(b"%PDF")


def test_errors_are_one_line_with_their_exit_code(cli, tmp_path):
    unknown = cli("consent", "show", "P-NOBODY")
    assert unknown.exit_code == 12 and unknown.output.count("error:") == 1
    minor = cli("people", "add", "Kid", "--minor")
    assert minor.exit_code == 12 and "guardian" in minor.output
    denied = cli("consent", "check", "P-NOBODY", "face", "--platform", "x", "--audience", "public", "--purpose", "y")
    assert denied.exit_code == CHECK_DENIED_EXIT and "no person" in denied.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("name,minor\n,no\nKid,yes\n")
    result = cli("people", "import", bad)
    assert result.exit_code == 13
    assert "line 2: name is empty" in result.output and "line 3: minor=yes needs a guardian" in result.output
    assert result.output.count("error:") == 3
    as_json = cli("people", "import", bad, "--json")
    assert json.loads(as_json.stdout)["problems"] == ["line 2: name is empty", "line 3: minor=yes needs a guardian"]
    assert json.loads(cli("people", "list", "--json").stdout) == []
    assert cli("badges", "E-none", "-o", tmp_path / "x.pdf").exit_code == 12
    no_event = cli("people", "add", "Ana", "--event", "E-none")
    assert no_event.exit_code == 12 and json.loads(cli("people", "list", "--json").stdout) == []


def test_wrong_passphrase(cli, monkeypatch):
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "not the passphrase")
    assert cli("people", "list").exit_code == 10


def test_no_passphrase_and_no_terminal_is_a_clear_workspace_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SAFEPOST_PASSPHRASE", raising=False)
    result = CliRunner().invoke(main, ["--workspace", str(tmp_path / "ws"), "people", "list"], input="")
    assert result.exit_code == 9, result.output
    assert "no passphrase was given" in result.output and "SAFEPOST_PASSPHRASE" in result.output
    assert "internal error" not in result.output and "Abort" not in result.output
