"""Issue 18: the web app's heavy media work runs in a child process with its own limits, and the
upload bytes held in memory are capped in total. A child that dies (exit, out of memory, too slow)
leaves the server answering and the draft with all its media; uploads over the budget get a clean
"busy, try again" and leave nothing behind."""

from __future__ import annotations

import os
import time
import warnings

import pytest

from safepost.core import UnsupportedFormatError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.conftest import SAMPLES
from tests.flows.test_video_redact import _face_box, clip  # noqa: F401 - the generated clip fixture
from tests.web.test_web_support import csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
GIB = 1 << 30


def _exit_hard(*_args):
    os._exit(7)  # a crash in native code looks the same: no answer on the pipe


def _allocate(*_args):
    return bytearray(3 * GIB)  # over the 2 GiB cap the tests give the child


def _refuse(*_args):
    raise UnsupportedFormatError("that is not a photo")


def _killed():
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def _faces(*args):
    from safepost.web.checking import analyse_media

    return analyse_media(*args)


def test_a_dying_child_is_a_clear_refusal_and_the_server_process_lives():
    from safepost.web.jobs import JobFailedError, run_job

    assert run_job("sum", sum, [1, 2, 3]) == 6
    with pytest.raises(JobFailedError, match="bomb.jpg could not be processed: the work on it stopped"):
        run_job("bomb.jpg", _exit_hard)
    with pytest.raises(JobFailedError, match="needs more than the 1.0 GB of memory"):
        run_job("bomb.jpg", _allocate, memory_bytes=GIB)
    with pytest.raises(JobFailedError, match="the computer stopped the work on it") as killed:
        run_job("bomb.jpg", _killed)
    assert "signal" not in str(killed.value)  # said in words, not as a signal number
    start = time.monotonic()
    with pytest.raises(JobFailedError, match="took longer than 1 seconds"):
        run_job("slow.pdf", time.sleep, 60, timeout_s=1)
    assert time.monotonic() - start < 20  # the child was killed, not waited for
    with pytest.raises(UnsupportedFormatError, match="that is not a photo"):  # the child's own refusal, as it was
        run_job("x.jpg", _refuse)


def _upload(client, csrf, data: bytes, name: str = "astronaut.jpg"):
    form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "Our workshop today."}
    return client.post("/posts", data=form, files={"media": (name, data, "image/jpeg")}, follow_redirects=False)


@pytest.mark.parametrize("fault", [_exit_hard, _allocate])
def test_web_job_death_keeps_the_server_and_the_draft(tmp_path, monkeypatch, fault):
    from safepost.web import checking

    folder = tmp_path / "ws"
    make_workspace(folder)
    photo = (SAMPLES / "astronaut.jpg").read_bytes()
    app = make_app(folder, checker=checking.PostChecker(memory_bytes=2 * GIB))
    with TestClient(app) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        made = _upload(client, csrf, photo)
        assert made.status_code == 303, made.text
        draft = made.headers["location"].split("/")[2]

        monkeypatch.setattr(checking, "analyse_media", fault)  # the child's work: dies, or passes its cap
        failed = client.get(f"/posts/{draft}/review")
        assert failed.status_code == 422
        assert "astronaut.jpg could not be processed" in failed.text
        assert "Remove this file from the post" in failed.text and "Traceback" not in failed.text
        assert client.get(f"/posts/{draft}/bundle.zip").status_code == 400  # nothing prepared, nothing served

        # the server answers, the session is unlocked, the draft and its media are still there
        assert client.get("/posts/new").status_code == 200
        monkeypatch.setattr(checking, "analyse_media", _faces)
        review = client.get(f"/posts/{draft}/review")
        assert review.status_code == 200 and "astronaut.jpg" in review.text, review.text[-3000:]
        assert 'data-region="f1"' in review.text  # the face was found this time


def test_uploads_over_the_total_budget_are_refused_cleanly(tmp_path):
    folder = tmp_path / "ws"
    make_workspace(folder)
    photo = (SAMPLES / "astronaut.jpg").read_bytes()
    app = make_app(folder, max_upload_total_bytes=3 * len(photo))
    budget = app.state.web.uploads
    with TestClient(app) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        other = budget.claim()  # another request, still being read, holds most of the budget
        other.add(2 * len(photo))
        busy = _upload(client, csrf, photo)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
        assert "busy with other uploads" in busy.text and "try again" in busy.text
        assert budget.used == 2 * len(photo)  # the refused request gave back all it held
        assert "astronaut.jpg" not in client.get("/posts/new").text  # no draft was made of it
        other.release()
        made = _upload(client, csrf, photo)
        assert made.status_code == 303, made.text
        assert budget.used == 0  # every request's bytes are given back after its answer


def test_parallel_claims_never_pass_the_budget():
    import threading

    from safepost.web.limits import BusyError, UploadBudget

    budget = UploadBudget(10_000)
    refused, most = [], [0]

    def request() -> None:
        claim = budget.claim()
        try:
            for _ in range(10):
                claim.add(400)
                most[0] = max(most[0], budget.used)
                time.sleep(0.001)
        except BusyError:
            refused.append(1)
        finally:
            claim.release()

    threads = [threading.Thread(target=request) for _ in range(8)]  # 8 x 4000 bytes asked, 10,000 allowed
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] <= 10_000 and refused and budget.used == 0


def test_web_video_is_analysed_and_rendered_in_children_and_a_dying_render_keeps_the_draft(
    tmp_path,
    monkeypatch,
    clip,  # noqa: F811
):
    """Read and written in memory on every system (no Linux memfd): masked in every frame, and no
    file in the temp folder or the workspace holds the upload's bytes."""
    import io
    import tempfile
    import zipfile

    import av
    import numpy as np

    from safepost.web import checking
    from tests.flows.test_post_check_video import _on_disk

    own_temp = tmp_path / "tmp"
    own_temp.mkdir()
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.setenv("TMPDIR", str(own_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(own_temp))
    folder = tmp_path / "ws"
    make_workspace(folder)
    with TestClient(make_app(folder, checker=checking.PostChecker())) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "Walking to the march."}
        files = {"media": ("walk.mp4", clip.read_bytes(), "video/mp4")}
        made = client.post("/posts", data=form, files=files, follow_redirects=False)
        draft = made.headers["location"].split("/")[2]
        review = client.get(f"/posts/{draft}/review")
        assert review.status_code == 200 and 'data-region="t1"' in review.text  # tracks found in a child

        real = checking.render_video
        monkeypatch.setattr(checking, "render_video", _exit_hard)
        failed = client.post(f"/posts/{draft}/prepare", data={"csrf": csrf})
        assert failed.status_code == 422 and "walk.mp4 could not be processed" in failed.text
        assert client.get(f"/posts/{draft}/bundle.zip").status_code == 400

        monkeypatch.setattr(checking, "render_video", real)
        prepared = client.post(f"/posts/{draft}/prepare", data={"csrf": csrf})
        assert prepared.status_code == 200, prepared.text
        archive = zipfile.ZipFile(io.BytesIO(client.get(f"/posts/{draft}/bundle.zip").content))
        assert _on_disk(clip.read_bytes(), own_temp, folder) == []  # own_temp holds the job pipes only
    with av.open(io.BytesIO(archive.read("walk.mp4"))) as c:
        after = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    with av.open(str(clip)) as c:
        before = [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        x0, y0, x1, y1 = _face_box(i)
        assert (np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2).mean() > 0.6, f"frame {i}"
