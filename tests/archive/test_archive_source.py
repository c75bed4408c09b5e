"""Archive audit (A1): hostile or unknown inputs are refused with clear errors, never a traceback."""

from __future__ import annotations

import zipfile

import pytest

from safepost.archive import Limits, open_source, pick_reader
from safepost.core import InputError, TooLargeError, UnsupportedFormatError
from safepost.flows.archive import AuditOptions, audit_archive
from tests.archive.test_archive_formats import EXPORTS, FakeTextCheck, write_tree, write_zip, ytd


def audit(path, **limits):
    options = AuditOptions(limits=Limits(**limits))
    return audit_archive(path, options=options, text_check=FakeTextCheck)


@pytest.mark.parametrize("bad_name", ["../evil.txt", "data/../../evil.txt", "/etc/passwd", "C:/evil.txt", "a\\..\\b"])
def test_zip_with_path_traversal_is_refused(tmp_path, bad_name):
    files, _, _ = EXPORTS["x"]()
    files[bad_name] = "gotcha"
    export = write_zip(tmp_path / "x.zip", files)
    with pytest.raises(InputError, match="unsafe file name"):
        audit(export)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_bomb_member_is_refused(tmp_path):
    export = tmp_path / "bomb.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/tweets.js", b"\0" * (20 * 1024 * 1024))
    assert export.stat().st_size < 100_000
    with pytest.raises(TooLargeError, match="zip bomb"):
        audit(export)


def test_oversize_document_and_too_many_entries_are_refused(tmp_path):
    files, _, _ = EXPORTS["x"]()
    export = write_zip(tmp_path / "x.zip", files)
    with pytest.raises(TooLargeError, match="tweets.js"):
        audit(export, max_document=1000)
    with pytest.raises(TooLargeError, match="holds"):
        audit(export, max_entries=3)
    with pytest.raises(TooLargeError, match="unpacked"):
        audit(export, max_total=10_000)


def test_oversize_media_is_flagged_for_a_check_by_hand(tmp_path):
    files, planted, _ = EXPORTS["x"]()
    report = audit(write_zip(tmp_path / "x.zip", files), max_media=1000)
    face = next(r for r in report.items if r.id == planted["face"])
    assert any(r.kind == "unchecked" and "limit" in r.why for r in face.media_reasons)
    assert face.actions[0]["action"] == "check by hand"


def test_corrupt_media_is_flagged_not_passed(tmp_path):
    files, planted, _ = EXPORTS["x"]()
    files["data/tweets_media/1005-M1005.jpg"] = files["data/tweets_media/1005-M1005.jpg"][:500]
    report = audit(write_zip(tmp_path / "x.zip", files))
    face = next(r for r in report.items if r.id == planted["face"])
    assert any(r.kind == "unchecked" for r in face.media_reasons)


@pytest.mark.parametrize(
    "files",
    [
        {"readme.txt": "just some notes\nnothing else\n"},
        {"data/tweets.js": "var x = 1;"},
        {"result.json": "[1, 2, 3]"},
        {"photo.jpg": b"\xff\xd8\xff\xe0 not really"},
    ],
)
def test_unknown_layout_is_unsupported(tmp_path, files):
    with pytest.raises(UnsupportedFormatError, match="not an account export"):
        audit(write_zip(tmp_path / "what.zip", files))
    with pytest.raises(UnsupportedFormatError):
        audit(write_tree(tmp_path / "folder", files))


def test_damaged_zip_empty_and_missing_inputs(tmp_path):
    files, _, _ = EXPORTS["x"]()
    export = write_zip(tmp_path / "x.zip", files)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(export.read_bytes()[: export.stat().st_size // 2])
    with pytest.raises(InputError, match="zip"):
        audit(broken)
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        audit(empty)
    with pytest.raises(InputError, match="does not exist"):
        audit(tmp_path / "nope.zip")
    lone = tmp_path / "random.bin"
    lone.write_bytes(bytes(range(256)))
    with pytest.raises(UnsupportedFormatError):
        audit(lone)


def test_damaged_member_gives_input_error(tmp_path):
    files, _, _ = EXPORTS["x"]()
    export = write_zip(tmp_path / "x.zip", files)
    data = bytearray(export.read_bytes())
    with zipfile.ZipFile(export) as archive:
        info = archive.getinfo("data/tweets.js")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[start : start + 40] = b"\x00" * 40
    export.write_bytes(bytes(data))
    with pytest.raises(InputError):
        audit(export)


def test_folder_symlink_outside_is_ignored(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    root = write_tree(tmp_path / "export", {"data/account.js": ytd("account", [])})
    (root / "data" / "link.txt").symlink_to(secret)
    source, _ = open_source(root)
    assert "data/link.txt" not in source.names()
    assert pick_reader(source).name == "x"
