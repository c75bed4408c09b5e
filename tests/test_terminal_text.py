"""Terminal safety (issue 18 item 7): names reach the terminal with control characters escaped."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.termtext import escape, escape_lines, json_text


def test_escape_shows_controls_and_keeps_ordinary_text():
    assert escape("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert escape("x.jpg\nall faces masked OK") == "x.jpg\\nall faces masked OK"
    assert escape("\u202eevil\x9b") == "\\u202eevil\\x9b"
    assert escape("bad\udcff.jpg") == "bad\\xff.jpg"  # a non-UTF-8 byte of a file name
    assert escape("Zoë Ñúñez مریم\u200cها 🙂") == "Zoë Ñúñez مریم\u200cها 🙂"
    assert escape_lines("one\x1b[2J\ntwo") == "one\\x1b[2J\ntwo"


def test_json_text_is_valid_json_without_raw_controls():
    value = {"name": "a\x1b[31m\x9b\u202e\n"}
    text = json_text(value)
    assert json.loads(text) == value
    assert not any(c in text for c in "\x1b\x9b\u202e")


def test_cli_escapes_file_names_in_every_stream(tmp_path):
    name = "x\x1b]0;owned\x07\nall faces masked OK.png"
    path = tmp_path / name
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(path, format="PNG")
    missing = tmp_path / "gone\x1b[2J.jpg"
    for args in (["inspect", path, missing], ["clean", path, missing], ["inspect", "--json", path, missing]):
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 3, result.output
        for stream in (result.stdout, result.stderr):
            assert "\x1b" not in stream and "\x07" not in stream
            assert "\nall faces masked OK" not in stream
        assert "\\x1b" in result.output


def test_registry_names_are_escaped(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEPOST_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(tmp_path / "ws"))
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    added = runner.invoke(main, ["people", "add", "Ana\x1b[2J\nDENIED: forged"], catch_exceptions=False)
    assert added.exit_code == 0, added.output
    for args in (["people", "list"], ["audit", "log"]):
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0
        assert "\x1b" not in result.output and "\nDENIED: forged" not in result.output
