"""One batch run: find the files, skip those already done (verified by hash), anonymise the rest.

Order of work for each file (docs/batch.md): discovered and classified; with a workspace, the
original is stored in the encrypted vault; then a runner anonymises it; its result is appended
to the manifest. Only this process (the client) writes the manifest and talks to the workspace.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from safepost.batch.discovery import Item, check_folders, discover
from safepost.batch.manifest import Entry, Manifest, now_utc, sha256_file
from safepost.batch.worker import Job, Options
from safepost.core import AUDIO_CHOICES, AUDIO_CHOICES_TEXT, InputError, OutputError, SafepostError
from safepost.media.staging import lock

#: exit status of a run that finished but could not anonymise every file (details in the manifest)
BATCH_FAILED_EXIT = 15
LOCK_NAME = ".safepost-batch.lock"
PARTIAL_PATTERN = ".safepost-*.part"


class Reporter(Protocol):
    """Told how many files there are, then about each one as it is finished."""

    def start(self, total: int) -> None: ...

    def item(self, entry: Entry, reused: bool) -> None: ...


@dataclass
class Summary:
    """What a run did, for the closing lines and ``--json``."""

    out_dir: Path
    runner: str
    workers: int
    total: int = 0
    done: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0
    removed_partials: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)
    skips: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return BATCH_FAILED_EXIT if self.failed else 0

    @property
    def files_per_second(self) -> float:
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "out_dir": str(self.out_dir),
            "manifest": str(self.out_dir / "manifest.jsonl"),
            "runner": self.runner,
            "workers": self.workers,
            "total": self.total,
            "done": self.done,
            "already_done": self.reused,
            "failed": self.failed,
            "skipped": self.skipped,
            "removed_partial_files": self.removed_partials,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.files_per_second, 3),
            "failures": self.failures,
            "skips": self.skips,
            "exit_code": self.exit_code,
        }


def check_options(options: Options) -> None:
    """Refuse an unknown mode, mask style or shape, or audio choice before any work starts."""
    from safepost.anonymize.spec import MaskSpec
    from safepost.detect.recipes import MODES

    MaskSpec(style=options.style, shape=options.shape)
    if options.mode not in MODES:
        raise SafepostError(f"unknown mode '{options.mode}'; choose one of {', '.join(MODES)}")
    if options.audio not in AUDIO_CHOICES:
        raise SafepostError(f"unknown audio choice '{options.audio}'; choose {AUDIO_CHOICES_TEXT}")


def make_runner(workers: int = 1, dask: str | None = None, retries: int = 2):
    """The in-process loop, local worker processes, or Dask (``local`` or a scheduler address)."""
    if dask:
        from safepost.batch.cluster import DaskRunner

        return DaskRunner(dask, workers=workers if workers > 1 else None, retries=retries)
    if workers > 1:
        from safepost.batch.local import ProcessRunner

        return ProcessRunner(workers, retries=retries)
    from safepost.batch.local import LoopRunner

    return LoopRunner()


def run_batch(
    in_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    options: Options | None = None,
    workers: int = 1,
    dask: str | None = None,
    retries: int = 2,
    workspace=None,
    reporter: Reporter | None = None,
    runner=None,
) -> Summary:
    """Anonymise every supported file of ``in_dir`` into the mirrored tree ``out_dir``; resumable.

    Raises a :class:`SafepostError` only for problems with the run itself (folders, manifest,
    cluster, workspace); a file that cannot be anonymised is recorded as failed and the run goes on.
    """
    options = options or Options()
    check_options(options)
    source, target = check_folders(Path(in_dir), Path(out_dir))
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out_dir}: {exc.strerror or exc}") from exc
    with _exclusive(target):
        removed = _remove_partials(target)
        manifest = Manifest.open(target)
        try:
            batch = _Batch(source, target, options, manifest, workspace, reporter)
            batch.summary.removed_partials = removed
            items = discover(source)
            batch.summary.total = len(items)
            if reporter:
                reporter.start(len(items))
            runner = runner or make_runner(workers, dask, retries)
            batch.summary.runner, batch.summary.workers = runner.name, runner.workers
            try:
                runner.run(batch.jobs(items), batch.finish)
            finally:
                runner.close()
            manifest.compact()
        finally:
            manifest.close()
    batch.summary.seconds = time.perf_counter() - batch.started
    return batch.summary


class _Batch:
    """The client side of a run: feeds jobs to a runner and records every result."""

    def __init__(self, source: Path, target: Path, options: Options, manifest: Manifest, workspace, reporter):
        self.source, self.target, self.options = source, target, options
        self.manifest, self.reporter = manifest, reporter
        self.summary = Summary(target, "loop", 1)
        self.started = time.perf_counter()
        self.vault_ids: dict[str, str] = {}
        self.planned: set[str] = set()
        self.ingest = None
        if workspace is not None:
            from safepost.batch.vault import VaultIngest

            self.ingest = VaultIngest(workspace, source)

    def jobs(self, items: list[Item]) -> Iterator[Job]:
        self.planned = {item.out_rel for item in items if item.out_rel}
        for item in items:
            if item.status:
                self._record_unprocessed(item)
                continue
            try:
                job = self._prepare(item)
            except SafepostError as exc:
                (self.target / item.out_rel).unlink(missing_ok=True)
                self._record(
                    Entry(
                        input=item.rel,
                        status="failed",
                        family=item.family,
                        error=str(exc),
                        exit_code=exc.exit_code,
                        finished_at=now_utc(),
                    )
                )
                continue
            if job is not None:
                yield job

    def _prepare(self, item: Item) -> Job | None:
        """The job for ``item``, or None when its earlier output is verified (and vaulted if asked)."""
        previous = self.manifest.latest.get(item.rel)
        sha = None
        if self.ingest is not None or (previous is not None and previous.status == "done"):
            try:
                sha = sha256_file(item.path)
            except OSError as exc:
                raise InputError(f"cannot read {item.path}: {exc.strerror or exc}") from exc
        if previous is not None and self._verified(previous, item, sha):
            if self.ingest is not None and not self.ingest.has(previous.vault_id, sha):
                vault_id = self.ingest.ingest(item.path, item.rel, sha)
                self.manifest.record(previous.model_copy(update={"vault_id": vault_id}))
            self.summary.reused += 1
            if self.reporter:
                self.reporter.item(self.manifest.latest[item.rel], True)
            return None
        if self.ingest is not None:
            self.vault_ids[item.rel] = self.ingest.ingest(item.path, item.rel, sha)
        return Job(item.rel, str(item.path), str(self.target / item.out_rel), item.family, self.options, sha)

    def _verified(self, previous: Entry, item: Item, sha: str | None) -> bool:
        """True when the earlier output is there, unchanged, made from this input with these options."""
        if previous.status != "done" or previous.output != item.out_rel or previous.input_sha256 != sha:
            return False
        if previous.options != self.options.for_family(item.family):
            return False
        output = self.target / item.out_rel
        try:
            return output.is_file() and sha256_file(output) == previous.output_sha256
        except OSError:
            return False

    def finish(self, job: Job, result: dict) -> None:
        """Record one file's result (the runner calls this in this process, one at a time)."""
        out_rel = Path(job.output).relative_to(self.target).as_posix()
        if result["status"] != "done":
            Path(job.output).unlink(missing_ok=True)  # never leave an earlier output for a file that failed now
        entry = Entry(
            input=job.rel,
            status=result["status"],
            input_sha256=result.get("input_sha256") or job.input_sha256,
            input_size=result.get("input_size"),
            family=job.family,
            output=out_rel if result["status"] == "done" else None,
            output_sha256=result.get("output_sha256"),
            findings=result.get("findings"),
            masked=result.get("masked"),
            error=result.get("error"),
            exit_code=result.get("exit_code"),
            options=self.options.for_family(job.family),
            vault_id=self.vault_ids.get(job.rel),
            seconds=result.get("seconds"),
            finished_at=now_utc(),
        )
        self._record(entry)

    def _record_unprocessed(self, item: Item) -> None:
        """A file skipped or failed before any work: one line, unless the same skip is already there."""
        previous = self.manifest.latest.get(item.rel)
        if (
            item.status == "skipped"
            and previous is not None
            and (previous.status, previous.reason)
            == (
                "skipped",
                item.reason,
            )
        ):
            self._count(previous)
            return
        if previous is not None and previous.output and previous.output not in self.planned:
            (self.target / previous.output).unlink(missing_ok=True)  # made from what this file used to be
        why = {"reason": item.reason} if item.status == "skipped" else {"error": item.reason}
        self._record(Entry(input=item.rel, status=item.status, exit_code=item.exit_code, finished_at=now_utc(), **why))

    def _record(self, entry: Entry) -> None:
        self.manifest.record(entry)
        self._count(entry)

    def _count(self, entry: Entry) -> None:
        if entry.status == "done":
            self.summary.done += 1
        elif entry.status == "failed":
            self.summary.failed += 1
            self.summary.failures.append({"input": entry.input, "error": entry.error, "exit_code": entry.exit_code})
        else:
            self.summary.skipped += 1
            self.summary.skips.append({"input": entry.input, "reason": entry.reason})
        if self.reporter:
            self.reporter.item(entry, False)


class _exclusive:
    """Hold ``OUT_DIR/.safepost-batch.lock`` so that two runs never write one folder at once."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> None:
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            lock(self.fd, wait=False)
        except BlockingIOError:
            os.close(self.fd)
            raise OutputError(f"another batch run is writing to {self.path.parent}; wait for it to finish") from None
        except OSError as exc:
            raise OutputError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)


def _remove_partials(target: Path) -> int:
    """Delete the temporary files a killed run left behind (never a finished output)."""
    removed = 0
    for partial in target.rglob(PARTIAL_PATTERN):
        if partial.is_file() and not partial.is_symlink():
            partial.unlink()
            removed += 1
    return removed
