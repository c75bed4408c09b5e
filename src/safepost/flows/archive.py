"""The archive audit flow: read one export, analyse its text, analyse its media, rank, summarise; resumable.

    from safepost.flows.archive import AuditOptions, audit_archive
    from safepost.archive import write_report
    report = audit_archive("twitter-2024.zip", workspace=ws)      # ws optional (no registry, no resume)
    write_report(report, "audit.html")                             # or .json / .csv

The stages it calls: ``archive.source`` and ``archive.formats`` (read), ``safepost.text`` and
``flows.archive_media`` (analyse), the consent registry and ``archive.analyse`` / ``decide.scoring``
(decide), ``archive.summary``; ``archive.render`` writes the report. docs/archive.md has the details.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepost.archive import coverage as cover
from safepost.archive.affiliation import AffiliationMatcher
from safepost.archive.analyse import (
    ConsentAnswer,
    ConsentLookup,
    ItemAnalyser,
    ItemResult,
    TextCheck,
)
from safepost.archive.formats import pick_reader
from safepost.archive.items import ArchiveItem
from safepost.archive.media import TOO_LARGE, UNREADABLE, MediaResult
from safepost.archive.report import AuditOptions, AuditReport
from safepost.archive.source import ExportSource, Limits, open_source
from safepost.archive.state import ResumeState, resume_key
from safepost.archive.summary import summarise
from safepost.core import SafepostError
from safepost.flows.archive_media import MediaAnalyser

if TYPE_CHECKING:
    from safepost.workspace import Workspace

#: progress(phase, done, total): phase is "text" or "media"; may raise to stop the audit.
ProgressFn = Callable[[str, int, int], None]


class RegistryTextCheck:
    """The real text check: :class:`safepost.text.NameIndex` over the registry, and ``find_pii``."""

    def __init__(self, people: Sequence[Any]) -> None:
        from safepost.text import NameIndex, find_pii

        self._index = NameIndex.from_people(people)
        self._find_pii = find_pii

    def names(self, text: str) -> list[Any]:
        return self._index.find(text)

    def pii(self, text: str) -> list[Any]:
        return self._find_pii(text)


def _consent_asker(ws: Workspace, purpose: str) -> Callable[[str, str, str], ConsentAnswer]:
    from safepost.decide.consent import check_on

    def ask(person_id: str, platform: str, audience: str) -> ConsentAnswer:
        with ws.read() as conn:
            decision = check_on(conn, person_id, "name", platform, audience, purpose)
        return ConsentAnswer(decision.allowed, decision.reason)

    return ask


class _Checkpoints:
    """Saves progress every N items or T seconds, and once more when the audit is interrupted."""

    def __init__(self, state: ResumeState, every: int, seconds: float) -> None:
        self.state, self.every, self.seconds = state, max(1, every), seconds
        self.dirty: dict[str, dict] = {}
        self.text_done = self.media_done = 0
        self._since, self._at = 0, time.monotonic()

    def mark(self, result: ItemResult | None, text_done: int, media_done: int) -> None:
        if result is not None and not result.is_harmless:
            self.dirty[result.id] = result.to_dict()
        self.text_done, self.media_done = text_done, media_done
        self._since += 1
        if self.state.enabled and (self._since >= self.every or time.monotonic() - self._at >= self.seconds):
            self.flush()

    def flush(self) -> None:
        if self.state.enabled and self._since:
            self.state.save(self.text_done, self.media_done, self.dirty)
        self.dirty, self._since, self._at = {}, 0, time.monotonic()


def audit_archive(
    path: str | Path,
    workspace: Workspace | None = None,
    options: AuditOptions | None = None,
    progress: ProgressFn | None = None,
    text_check: Callable[[list[Any]], TextCheck] | None = None,
    restart: bool = False,
    keep_state: bool = False,
) -> AuditReport:
    """Audit the export at ``path`` (zip, folder, or a lone chat file) and rank its items by risk.

    With ``workspace``: registry names are checked for consent and progress is saved in its vault,
    so an interrupted audit resumes (``restart`` forgets earlier progress; ``keep_state`` keeps the
    checkpoints after success, for a caller that deletes them with :func:`forget_progress` once
    the report is safely written). Raises :class:`SafepostError` subclasses only.
    """
    options = options or AuditOptions()
    source, focus = open_source(path, options.limits)
    with source:
        return _run(source, focus, workspace, options, progress, text_check or RegistryTextCheck, restart, keep_state)


def forget_progress(workspace: Workspace, key: str) -> int:
    """Delete the saved progress of the audit with resume ``key``."""
    return ResumeState(workspace, key).clear()


def _run(
    source: ExportSource,
    focus: str | None,
    ws: Workspace | None,
    options: AuditOptions,
    progress: ProgressFn | None,
    make_text_check: Callable[[list[Any]], TextCheck],
    restart: bool,
    keep_state: bool,
) -> AuditReport:
    reader = pick_reader(source, focus)
    read = reader.read(source, focus)
    items = read.items + cover.unlinked_media(reader.content_media(source, focus), read.items, reader.name)
    notes = list(read.notes)
    if len(items) > len(read.items):
        notes.append(
            f"{len(items) - len(read.items)} photo(s) or video(s) in the export are not linked to any post or "
            "message safepost read; each is analysed and listed on its own (kind 'file')"
        )
    people: list[Any] = []
    if ws is not None:
        from safepost.consent.people import list_people

        people = list_people(ws)
        archive_sha = source.sha256()
    else:
        archive_sha = ""
        notes.append("no workspace: registry names and consent were not checked, and this audit cannot resume")
    state = ResumeState(ws, resume_key(archive_sha, reader.name, options.fingerprint()) if ws else "")
    if restart and state.enabled:
        state.clear()
    saved = state.load()
    results: dict[str, ItemResult] = {k: ItemResult.from_dict(v) for k, v in saved.results.items()}
    if saved.started:
        notes.append(f"resumed: {saved.text_done} text item(s) and {saved.media_done} media item(s) were done before")
    analyser = ItemAnalyser(
        make_text_check(people),
        ConsentLookup(_consent_asker(ws, options.purpose) if ws else None),
        AffiliationMatcher(options.affiliations),
        people={p.id: p for p in people},
        owner_names=[read.account.get("display_name", ""), read.account.get("username", "")],
        owner_ids=[read.account.get("username", ""), read.account.get("account_id", "")],
    )
    checkpoints = _Checkpoints(state, options.checkpoint_items, options.checkpoint_seconds)
    checkpoints.text_done, checkpoints.media_done = saved.text_done, saved.media_done
    media_items = [i for i in items if i.media]
    timing: dict[str, float] = {}
    try:
        timing["text"] = _text_phase(items, saved.text_done, analyser, results, checkpoints, progress)
        if options.media:
            timing["media"], media_files = _media_phase(
                source, media_items, saved.media_done, analyser, results, checkpoints, options, progress
            )
        else:
            timing["media"], media_files = 0.0, 0
            notes.append("photos and videos were not analysed (--no-media): faces and GPS in files are unknown")
    except BaseException:
        try:
            checkpoints.flush()
        except SafepostError as exc:
            notes.append(f"progress could not be saved: {exc}")
        raise
    ranked = sorted((r for r in results.values() if r.score > 0), key=lambda r: (-r.score, r.date or "", r.id))
    if state.enabled and not keep_state:
        state.clear()
    text_new = len(items) - saved.text_done
    media_new = len(media_items) - saved.media_done
    stats = {
        "items": len(items),
        "text_items_checked": text_new,
        "text_seconds": round(timing["text"], 3),
        "text_items_per_second": round(text_new / timing["text"], 1) if timing["text"] > 0 else None,
        "media_items": len(media_items),
        "media_items_checked": media_new if options.media else 0,
        "media_files_read": media_files,
        "media_seconds": round(timing["media"], 3),
        "media_items_per_second": round(media_new / timing["media"], 2) if timing["media"] > 0 else None,
        "resumed_from": {"text": saved.text_done, "media": saved.media_done} if saved.started else None,
        "registry_people": len(people),
    }
    export = {
        "name": source.label,
        "format": reader.name,
        "format_title": reader.title,
        "layout": read.layout,
        "sha256": archive_sha,
        "account": read.account,
    }
    analysed = {m["path"]: m for r in results.values() for m in r.media}
    coverage = cover.measure(items, analysed, source, options.media, read.skipped)
    return AuditReport(
        export=export,
        summary=summarise(items, list(results.values())),
        items=ranked,
        notes=notes,
        stats=stats,
        resume_key=state.key,
        coverage=coverage,
        platform_data=read.platform_data,
    )


def _text_phase(
    items: list[ArchiveItem],
    start: int,
    analyser: ItemAnalyser,
    results: dict[str, ItemResult],
    checkpoints: _Checkpoints,
    progress: ProgressFn | None,
) -> float:
    began = time.perf_counter()
    total = len(items)
    for index in range(start, total):
        result = analyser.text(items[index])
        if not result.is_harmless:
            results[result.id] = result
        checkpoints.mark(result, index + 1, checkpoints.media_done)
        if progress:
            progress("text", index + 1, total)
    checkpoints.flush()
    return time.perf_counter() - began


def _media_phase(
    source: ExportSource,
    media_items: list[ArchiveItem],
    start: int,
    analyser: ItemAnalyser,
    results: dict[str, ItemResult],
    checkpoints: _Checkpoints,
    options: AuditOptions,
    progress: ProgressFn | None,
) -> tuple[float, int]:
    began = time.perf_counter()
    media = MediaAnalyser(faces=True, mode=options.faces_mode, thumbnails=options.thumbnails)
    cache: dict[str, MediaResult] = {}
    read = 0
    total = len(media_items)
    for index in range(start, total):
        item = media_items[index]
        result = results.get(item.id) or analyser.text(item)
        analysed, missing = [], []
        for ref in item.media:
            if ref.path not in cache:
                if not source.exists(ref.path):
                    missing.append(ref)
                    continue
                cache[ref.path] = _analyse_one(source, media, ref.path, options.limits)
                read += 1
            analysed.append(cache[ref.path])
        analyser.add_media(result, analysed, missing)
        results[result.id] = result
        checkpoints.mark(result, checkpoints.text_done, index + 1)
        if progress:
            progress("media", index + 1, total)
    checkpoints.flush()
    return time.perf_counter() - began, read


def _analyse_one(source: ExportSource, media: MediaAnalyser, path: str, limits: Limits) -> MediaResult:
    size = source.size(path)
    if size > limits.max_media:
        error = f"{size:,} bytes is over the {limits.max_media:,}-byte limit"
        return MediaResult(path=path, kind="file", error=error, problem=TOO_LARGE)
    if size == 0:
        return MediaResult(path=path, kind="file", error="the file is empty", problem=UNREADABLE)
    try:
        data = source.read(path, limit=limits.max_media)
    except SafepostError as exc:
        return MediaResult(path=path, kind="file", error=str(exc), problem=UNREADABLE)
    return media.analyse(path, data)
