"""A video in a post, held in memory as the web app holds it: tracks found, prepared, masked."""

from __future__ import annotations

import av
import numpy as np
import pytest

from safepost.flows.post import check_post
from safepost.flows.prepare import prepare_post
from tests.flows.test_post_check import _text_post, world  # noqa: F401 - the shared registry fixture
from tests.flows.test_video_redact import _face_box, clip  # noqa: F401 - the generated clip fixture


@pytest.fixture(scope="module")
def video_post(clip):  # noqa: F811
    post = _text_post("Walking to the march.", media=["walk.mp4"])
    post.media = {"walk.mp4": clip.read_bytes()}
    return post


def test_video_from_memory_is_checked_with_thumbnails_only_on_screen(video_post, world):  # noqa: F811
    report = check_post(video_post, world["ws"])
    tracks = [r for r in report.media[0].regions if r.kind == "track"]
    assert tracks and report.media[0].audio
    assert any(f.kind == "face_without_consent" for f in report.findings)
    assert tracks[0].thumbnail  # for the reviewer's screen...
    assert "thumbnail_jpeg_base64" not in str(report.to_dict())  # ...never in a report file
    assert "thumbnail_jpeg_base64" in str(report.to_dict(thumbnails=True))


def test_video_from_memory_is_prepared_with_the_face_masked(video_post, world, tmp_path):  # noqa: F811
    result = prepare_post(video_post, world["ws"])
    out = tmp_path / "walk.mp4"
    out.write_bytes(result.files["walk.mp4"])
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    with av.open(_source(video_post, tmp_path)) as c:
        originals = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    for i, (a, b) in enumerate(zip(originals, frames, strict=True)):
        x0, y0, x1, y1 = _face_box(i)
        assert (np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2).mean() > 0.6, f"frame {i}"


def _source(post, tmp_path):
    path = tmp_path / "source.mp4"
    path.write_bytes(post.media["walk.mp4"])
    return str(path)


def _on_disk(data: bytes, *folders) -> list[str]:
    """Files under ``folders`` holding a piece of ``data`` (a video's compressed bytes)."""
    probes = [data[n : n + 64] for n in (len(data) // 3, len(data) // 2, 2 * len(data) // 3)]
    return [
        str(path)
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and any(probe in path.read_bytes() for probe in probes)
    ]


def test_video_from_memory_works_without_a_memory_file_and_writes_nothing(video_post, world, monkeypatch, tmp_path):  # noqa: F811
    """macOS and Windows have no Linux memfd: the video is read and written in memory all the same,
    masked in every frame, and no file on disk holds its bytes (the temp folder, the workspace)."""
    import os
    import tempfile

    own_temp = tmp_path / "tmp"
    own_temp.mkdir()
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.setenv("TMPDIR", str(own_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(own_temp))
    data = video_post.media["walk.mp4"]
    report = check_post(video_post, world["ws"])
    assert [r.kind for r in report.media[0].regions] == ["track"]
    result = prepare_post(video_post, world["ws"])
    assert _on_disk(data, own_temp, world["ws"].path) == [] and list(own_temp.iterdir()) == []
    out = tmp_path / "walk.mp4"
    out.write_bytes(result.files["walk.mp4"])
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    with av.open(_source(video_post, tmp_path)) as c:
        originals = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    for i, (a, b) in enumerate(zip(originals, frames, strict=True)):
        x0, y0, x1, y1 = _face_box(i)
        assert (np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2).mean() > 0.6, f"frame {i}"
