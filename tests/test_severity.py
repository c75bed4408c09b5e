"""One severity per finding kind in every command (issue 19): what `safepost inspect` calls High is
High in `safepost check` and in the archive audit (a GPS track in a video, a date, an attachment)."""

from __future__ import annotations

import pytest

from safepost.core import SEVERITY, Severity, severity_of
from tests.flows.test_post_check import _text_post, world  # noqa: F401 - the shared registry fixture
from tests.media.test_media_video import phone_video


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory):
    """An MP4 with a GPS position, a GoPro-style telemetry track, a date, a name and a title."""
    return phone_video(tmp_path_factory.mktemp("sev") / "walk.mp4", "udta", rotation=None)


def _by_kind(findings, kind_of=lambda f: f.kind, severity_of_=lambda f: f.severity) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in findings:
        found.setdefault(kind_of(f), set()).add(str(severity_of_(f)))
    return found


def test_the_table_is_the_rule():
    assert SEVERITY["telemetry"] == SEVERITY["location"] == SEVERITY["attachment"] == Severity.HIGH
    assert SEVERITY["date"] == Severity.MEDIUM
    assert severity_of("a kind nobody listed") == Severity.LOW


def test_a_video_gps_track_and_date_have_one_severity_in_inspect_check_and_archive(camera_video, world):  # noqa: F811
    from safepost.flows.archive_media import MediaAnalyser
    from safepost.flows.media import inspect_file
    from safepost.flows.post import check_post

    inspected = _by_kind(inspect_file(camera_video).findings)
    post = _text_post("Walking to the march.", media=["walk.mp4"])
    post.media = {"walk.mp4": camera_video.read_bytes()}
    checked = _by_kind(
        [f for f in check_post(post, world["ws"]).findings if f.kind.startswith("metadata_")],
        kind_of=lambda f: f.kind.removeprefix("metadata_"),
    )
    archived = _by_kind(
        MediaAnalyser(faces=False, thumbnails=False).analyse("walk.mp4", camera_video.read_bytes()).findings,
        kind_of=lambda f: f["kind"],
        severity_of_=lambda f: f["severity"],
    )
    for kind in ("location", "telemetry", "date", "owner"):
        assert inspected[kind] == checked[kind] == {SEVERITY[kind].value}, kind
    for kind, severities in {**inspected, **checked, **archived}.items():
        assert severities == {severity_of(kind).value}, kind
    assert archived["telemetry"] == {"high"}  # the archive audit sees the GPS track too
    assert archived["location"] == {"high"} and archived["date"] == {"medium"}


def test_a_pdf_attachment_is_high_wherever_it_is_read(tmp_path):
    from safepost.media.pdf_meta import _finding

    assert _finding("attachment", "Attached files", "1 file(s)").severity == Severity.HIGH
    assert _finding("date", "Date the document was created").severity == SEVERITY["date"]


def test_every_kind_a_reader_reports_is_in_the_table():
    """A new metadata kind must get its severity in the one table, not a default by accident."""
    import ast
    from pathlib import Path

    import safepost.media as media
    from safepost.media import image_meta, pdf_meta

    kinds = {t[1] for t in image_meta._TAGS} | {p[1] for p in image_meta._XMP_PATTERNS}
    kinds |= {v[0] for v in pdf_meta._INFO.values()}
    for module in ("image_meta.py", "pdf_meta.py", "video_meta.py"):
        tree = ast.parse((Path(media.__file__).parent / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_finding" and node.args:
                if isinstance(node.args[0], ast.Constant):
                    kinds.add(node.args[0].value)
    assert {"location", "telemetry", "attachment", "date", "preview"} <= kinds
    missing = sorted(kinds - set(SEVERITY))
    assert not missing, f"finding kinds without a severity in core.SEVERITY: {missing}"
