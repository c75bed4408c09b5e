"""The work done for one file, in whatever process runs it (in-process, a local worker, a Dask worker).

:func:`process_item` takes a :class:`Job` (plain, picklable data) and returns a plain dict. It
reads the original where the job says, writes the anonymised copy atomically at the job's
output path (a hidden ``.safepost-*.part`` file renamed into place), and hashes both. A
:class:`~safepost.core.SafepostError` (a damaged or unsupported file) becomes a ``failed``
result; any other exception is raised, so a runner can retry it or record it.

The face models are loaded once per process: detectors are cached by mode, and the model
sessions behind them by ``safepost.detect.models``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from safepost.core import InputError, SafepostError


@dataclass(frozen=True)
class Options:
    """What the user asked for; recorded in every manifest line and compared on resume."""

    mode: str = "thorough"
    style: str = "solid"
    shape: str = "ellipse"
    audio: str = "keep"

    def for_family(self, family: str | None) -> dict[str, str]:
        """The options that change the output of a file of ``family`` (audio: videos only)."""
        chosen = {"mode": self.mode, "style": self.style, "shape": self.shape}
        return chosen | {"audio": self.audio} if family == "video" else chosen


@dataclass(frozen=True)
class Job:
    """One file to anonymise: absolute paths, its family, the options, and (if known) its SHA-256."""

    rel: str
    source: str
    output: str
    family: str
    options: Options = field(default_factory=Options)
    input_sha256: str | None = None
    #: onnxruntime threads for this process (set before its models load); None: the default
    threads: int | None = None


def process_item(job: Job) -> dict:
    """Anonymise ``job.source`` into ``job.output``; a dict with ``status`` done or failed."""
    from safepost.batch.manifest import sha256_file

    started = time.perf_counter()
    _configure_threads(job.threads)
    result: dict = {"family": job.family}
    try:
        try:
            result["input_sha256"] = sha256_file(job.source)
            result["input_size"] = os.path.getsize(job.source)
        except OSError as exc:
            raise InputError(f"cannot read {job.source}: {exc.strerror or exc}") from exc
        if job.input_sha256 and result["input_sha256"] != job.input_sha256:
            raise InputError(f"{job.rel} changed while the batch was running; run the batch again")
        Path(job.output).parent.mkdir(parents=True, exist_ok=True)
        result["findings"], result["masked"] = _anonymise(job)
        result["output_sha256"] = sha256_file(job.output)
        result["status"] = "done"
    except SafepostError as exc:
        result.update(status="failed", error=str(exc), exit_code=exc.exit_code)
    except OSError as exc:  # a folder that cannot be created, an output that cannot be read back
        result.update(status="failed", error=f"{job.rel}: {exc.strerror or exc}", exit_code=7)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def crash_result(exc: BaseException) -> dict:
    """The result recorded when processing a file raised an unexpected error (or lost its worker)."""
    return {"status": "failed", "error": f"internal error: {type(exc).__name__}: {exc}", "exit_code": 1}


def _anonymise(job: Job) -> tuple[int, int]:
    from safepost.anonymize.spec import MaskSpec
    from safepost.flows.media import redact_file
    from safepost.media import sniff

    mask = MaskSpec(style=job.options.style, shape=job.options.shape)
    audio = job.options.audio if job.family == sniff.VIDEO else "keep"
    # the redact flow takes the process's one shared detector of this mode (detect.faces.face_detector)
    result = redact_file(job.source, job.output, mode=job.options.mode, mask=mask, audio=audio)
    return result.faces_found, result.masked


def _configure_threads(threads: int | None) -> None:
    """Give this process ``threads`` inference threads, if its face models are not loaded yet."""
    if threads and "safepost.detect.models" not in sys.modules:
        os.environ["SAFEPOST_THREADS"] = str(threads)
