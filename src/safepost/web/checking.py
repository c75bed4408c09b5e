"""The post check as the web app calls it: build a Post from a draft, check it, prepare the bundle.

The app holds no logic of its own: this module only turns a draft into the objects of
``safepost.post`` and calls the post flow (``safepost.flows.post``, ``safepost.flows.prepare``).
Tests may give ``create_app`` another checker with the same two methods.
"""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any, Protocol

from pydantic import ValidationError

from safepost.core import InputError, SafepostError
from safepost.flows.post_media import MediaAnalyser
from safepost.web.drafts import Draft
from safepost.web.forms import safe_filename
from safepost.web.jobs import DEFAULT_MEMORY_BYTES, DEFAULT_TIMEOUT_S, run_job


class Checker(Protocol):
    def check(self, ws: Any, draft: Draft) -> Any: ...

    def prepare(self, ws: Any, draft: Draft, approve_by: str | None) -> Any: ...


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])


def media_bytes(ws: Any, draft: Draft) -> dict[str, bytes]:
    """The originals of the draft's media, decrypted from the vault into memory."""
    return {name: ws.vault.get(item.vault_id) for name, item in draft.media.items()}


def build_post(ws: Any, draft: Draft):
    """A ``safepost.post.Post`` (media in memory) and its ``Review`` from ``draft``."""
    try:
        from safepost.post import Post, PostMeta, Review
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise SafepostError(f"the post check is not available in this safepost ({exc})") from exc
    try:
        meta = PostMeta.model_validate(draft.meta())
    except ValidationError as exc:
        raise InputError(f"The post's details are not valid: {_problems(exc)}") from None
    try:
        review = Review.model_validate(draft.review())
    except ValidationError as exc:
        raise InputError(f"A review change is not valid: {_problems(exc)}") from None
    return Post(meta=meta, text=draft.text, media=media_bytes(ws, draft), review=review, ref=f"web:{draft.id}"), review


#: One heavy job (a check or a prepare: decoding media, running the detectors) at a time in the
#: whole server, whatever the number of sessions: each may take up to the per-input memory
#: budget (docs/cli.md, "Resource limits"), two at once could take twice that.
HEAVY_JOB = threading.Lock()


class PostChecker:
    """The real post check (``safepost.flows.post``) under the organisation's ``policy`` (cautious by default)."""

    def __init__(
        self, policy: Any = None, memory_bytes: int = DEFAULT_MEMORY_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        from safepost.decide.policy import Policy

        self.policy = policy if policy is not None else Policy()
        self.memory_bytes, self.timeout_s = memory_bytes, timeout_s

    def check(self, ws: Any, draft: Draft) -> Any:
        from safepost.flows.post import check_post

        with HEAVY_JOB:
            post, review = build_post(ws, draft)
            return check_post(post, ws, policy=self.policy, review=review, analyser=self._analyser(draft))

    def prepare(self, ws: Any, draft: Draft, approve_by: str | None) -> Any:
        from safepost.flows.prepare import prepare_post

        with HEAVY_JOB:
            post, review = build_post(ws, draft)
            return prepare_post(
                post,
                ws,
                policy=self.policy,
                review=review,
                approve_by=approve_by or None,
                analyser=self._analyser(draft),
            )

    def _analyser(self, draft: Draft) -> MediaAnalyser:
        """One media analyser per post: a review step re-decides without running the detectors again."""
        if draft.analyser is None:
            draft.analyser = IsolatedAnalyser(memory_bytes=self.memory_bytes, timeout_s=self.timeout_s)
        return draft.analyser


def bundle_zip(files: dict[str, bytes]) -> bytes:
    """The sanitised bundle as a zip held in memory; every entry name is a plain file name."""
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = safe_filename(name, "file")
            if entry in seen:
                raise SafepostError(f"internal error: two bundle files are called {entry}")
            seen.add(entry)
            info = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def analyse_media(name: str, data: bytes, folder: Any, names: Any):
    """In a job's child process: the detectors on one file; a video read from memory stays there."""
    from safepost.flows.post_media import MediaAnalyser, from_memory

    item = MediaAnalyser().compute(name, data, folder, names)
    if from_memory(item):
        item.path = None  # the parent holds the bytes already: they do not travel back
    return item


def render_video(name: str, data: bytes, kept: list[str], manual: list[dict], audio: str) -> bytes:
    """In a job's child process: the prepared copy of a video, read from memory and written to memory."""
    from safepost.flows.prepare import mask_video
    from safepost.media.memfile import MemoryFile

    target = MemoryFile(name)
    mask_video(MemoryFile(name, data), target, kept, manual, audio)
    return target.data


class IsolatedAnalyser(MediaAnalyser):
    """The post check's analyser, running each file's analysis in a child process (safepost.web.jobs)."""

    def __init__(
        self, detector: Any = None, memory_bytes: int = DEFAULT_MEMORY_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S
    ):
        super().__init__(detector)
        self.memory_bytes, self.timeout_s = memory_bytes, timeout_s

    def compute(self, name: str, data: bytes, folder: Any, names: Any):
        from safepost.flows.post_media import in_memory

        item = run_job(
            name, analyse_media, name, data, folder, names, memory_bytes=self.memory_bytes, timeout_s=self.timeout_s
        )
        if item.report.kind == "video" and item.path is None:
            in_memory(item, data)
        return item

    def render_video(self, source: Any, target: Any, kept: list[str], manual: list[dict], audio: str) -> None:
        data = source.read_bytes()  # the upload, held in memory
        rendered = run_job(
            target.name,
            render_video,
            target.name,
            data,
            kept,
            manual,
            audio,
            memory_bytes=self.memory_bytes,
            timeout_s=self.timeout_s,
        )
        target.write_bytes(rendered)

    def fresh(self) -> IsolatedAnalyser:
        return IsolatedAnalyser(self.detector, self.memory_bytes, self.timeout_s)
