"""Archive audit (A1) on the command line and the three report formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from safepost.archive import write_report
from safepost.archive.render import render
from safepost.cli import main
from safepost.core import OutputError
from safepost.flows.archive import AuditOptions, audit_archive
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams
from tests.archive.test_archive_formats import EXPORTS, FakeTextCheck, write_tree, write_zip

PASS = "correct horse battery staple"


@pytest.fixture
def env(tmp_path, monkeypatch):
    ws = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast())
    ws.close()
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(tmp_path / "ws"))
    return tmp_path


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_writes_html_report_with_masked_thumbnails(env):
    files, planted, _ = EXPORTS["instagram"]()
    export = write_zip(env / "ig.zip", files)
    out = env / "audit.html"
    result = cli("audit-archive", str(export), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "sensitive" in result.output
    html = out.read_text("utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "data:image/jpeg;base64," in html
    assert "Locations over time" in html and "#HuelgaGeneral" in html
    assert "<script" not in html
    assert f'id="{planted["gps"]}"' in html and f'id="{planted["face"]}"' in html
    again = cli("audit-archive", str(export), "-o", str(out))
    assert again.exit_code == 7 and "already exists" in again.output


def test_cli_json_and_exit_codes(env):
    files, planted, _ = EXPORTS["telegram"]()
    export = write_tree(env / "tg", files)
    result = cli("audit-archive", str(export), "--json", "--no-media")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["export"]["format"] == "telegram"
    assert planted["hashtag"] in {i["id"] for i in data["items"]}
    assert any("not analysed" in note for note in data["notes"])
    assert data["coverage"]["media_found"] == 3 and data["coverage"]["media_analysed"] == 0
    plain = cli("audit-archive", str(export), "--no-media")
    assert "coverage: items read 8 / 8 found; media analysed 0 / 3 found" in plain.output
    assert "2 not analysed (--no-media)" in plain.output and "1 missing from the export" in plain.output
    unknown = write_zip(env / "what.zip", {"notes.txt": "hello"})
    assert cli("audit-archive", str(unknown)).exit_code == 4
    assert cli("audit-archive", str(env / "missing.zip")).exit_code == 3
    bad_yaml = env / "aff.yaml"
    bad_yaml.write_text("keywords: [unclosed\n")
    bad = cli("audit-archive", str(export), "--affiliations", str(bad_yaml))
    assert bad.exit_code == 3 and "not valid YAML" in bad.output
    bad_yaml.write_text("keyword: [typo]\n")
    assert "not valid" in cli("audit-archive", str(export), "--affiliations", str(bad_yaml)).output
    assert cli("audit-archive", str(export), "-o", str(env / "report.pdf")).exit_code == 7


def test_cli_wrong_passphrase_and_no_workspace(env, monkeypatch):
    files, _, _ = EXPORTS["whatsapp"]()
    export = write_zip(env / "chat.zip", files)
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "not the passphrase at all")
    assert cli("audit-archive", str(export)).exit_code == 10
    result = cli("audit-archive", str(export), "--no-workspace")
    assert result.exit_code == 0 and "cannot resume" in result.output
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(env / "nowhere"))
    result = cli("audit-archive", str(export))
    assert result.exit_code == 0 and "no workspace" in result.output


def test_csv_and_json_reports(tmp_path):
    files, planted, _ = EXPORTS["x"]()
    files["data/tweets.js"] = files["data/tweets.js"].replace("Lovely weather today", '=HYPERLINK(\\"x\\") #Strike')
    files["data/tweets.js"] = files["data/tweets.js"].replace("Coffee time", "<script>alert(1)</script> #Strike")
    report = audit_archive(write_zip(tmp_path / "x.zip", files), options=AuditOptions(), text_check=FakeTextCheck)
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode("utf-8-sig"))))
    assert rows[0]["rank"] == "1" and int(rows[0]["score"]) >= int(rows[-1]["score"])
    assert {r["where"] for r in rows} >= {"data/tweets.js#1004", "data/tweets.js#1005"}
    html = render(report, "html").decode("utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    formula = next(r for r in rows if "HYPERLINK" in r["excerpt"])
    assert formula["excerpt"].startswith("'=")
    data = json.loads(render(report, "json"))
    assert data["summary"]["items"] == report.summary["items"] == 10
    assert [i["id"] for i in data["items"]] == [r.id for r in report.items]
    with pytest.raises(OutputError, match="format"):
        write_report(report, tmp_path / "audit.txt")
    target = write_report(report, tmp_path / "audit.csv")
    with pytest.raises(OutputError, match="exists"):
        write_report(report, target)
    assert target.stat().st_mode & 0o077 == 0
