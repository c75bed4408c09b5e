"""Heavy media work of the web app in a child process, with its own memory and time limits.

One hostile upload (a decompression bomb, a pathological container) must not take the server down,
and with it every unlocked session and unfinished draft. So the analysis of each uploaded file runs
in a child process: the file's bytes go to it through a pipe (never through a file on disk) and its
findings come back the same way. The child caps its own address space (``resource.setrlimit``
with ``RLIMIT_AS``; where ``resource`` is missing, Windows, the parent watches the child's memory
with psutil when it is installed) and is killed when it runs past its time. If it dies, for any
reason, the request gets :class:`JobFailedError`, a plain message saying which file could not be
processed and what to do; the server, the session and the draft stay as they were, and nothing of
that file is written or served.

Jobs run one at a time in the whole server (``checking.HEAVY_JOB``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

from safepost.core import InputError, SafepostError

GIB = 1 << 30
#: address space of one job's child process (more than its resident memory: the runtime's threads
#: reserve address space they never touch); a 12 MP photo peaks near 1 GiB resident
DEFAULT_MEMORY_BYTES = 4 * GIB
DEFAULT_TIMEOUT_S = 600.0
_POLL_S = 0.2
#: modules the fork server imports once (safepost first: it turns telemetry off before onnxruntime)
PRELOAD = ("safepost", "numpy", "PIL.Image", "cv2", "onnxruntime", "safepost.flows.post_media", "safepost.flows.media")


class JobFailedError(InputError):
    """The child process analysing one file died or ran out of memory or time: the file is refused."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(
            f"{name} could not be processed: {why}. Nothing of it was written or shown, and the post "
            "and its other files are kept. Remove this file from the post (or make it smaller: fewer "
            "pages, a shorter clip, a smaller picture) and check the post again."
        )
        self.media = name


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (a clean process forks each child; no fork of the threaded
    server), spawn elsewhere."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # imported once in the fork server, not per job
    return ctx


def limit_memory(limit: int) -> bool:
    """Cap this process's address space at ``limit`` bytes; False where the platform cannot."""
    try:
        import resource
    except ImportError:  # Windows: the parent watches instead (_over_memory)
        return False
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return True


def _child(conn: Any, memory_bytes: int) -> None:
    """The child's whole life: cap memory, take one job from the pipe, send back its result."""
    limit_memory(memory_bytes)
    try:
        fn, args = conn.recv()
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except SafepostError as exc:
            reply = ("refused", (type(exc).__name__, str(exc)))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # a bug or a decoder crash in Python: reported by kind only
            reply = ("crash", type(exc).__name__)
        conn.send(reply)
    except MemoryError:  # too large to unpickle, or to pickle the answer
        with contextlib.suppress(Exception):
            conn.send(("memory", None))
    finally:
        conn.close()


def _over_memory(pid: int, limit: int) -> bool:
    """The parent's watch where the child cannot cap itself (no ``resource``): psutil, if installed."""
    if os.name != "nt":
        return False
    try:
        import psutil
    except ImportError:
        return False
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).memory_info().rss > limit
    return False


def run_job(
    name: str,
    fn: Callable[..., Any],
    *args: Any,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Any:
    """``fn(*args)`` in a child process (``fn`` and ``args`` travel pickled through a pipe).

    A SafepostError in the child is raised again here as the same kind of refusal; a child that
    dies, runs out of memory or past ``timeout_s`` gives :class:`JobFailedError` about ``name``.
    """
    ctx = _context()
    ours, theirs = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_child, args=(theirs, memory_bytes), name="safepost-job", daemon=True)
    proc.start()
    theirs.close()
    try:
        try:
            ours.send((fn, args))
            deadline = time.monotonic() + timeout_s
            while not ours.poll(_POLL_S):
                if time.monotonic() > deadline:
                    raise JobFailedError(name, f"it took longer than {timeout_s:.0f} seconds")
                if _over_memory(proc.pid, memory_bytes):
                    raise JobFailedError(name, _memory_words(memory_bytes))
                if not proc.is_alive() and not ours.poll(0):
                    raise EOFError
            status, value = ours.recv()
        except (EOFError, OSError):
            proc.join(5)
            raise JobFailedError(name, _death_words(proc.exitcode, memory_bytes)) from None
    finally:
        ours.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if status == "ok":
        return value
    if status == "refused":
        raise _refusal(*value)
    if status == "memory":
        raise JobFailedError(name, _memory_words(memory_bytes))
    raise JobFailedError(name, f"safepost failed on it ({value}); please report this")


def _refusal(kind: str, message: str) -> SafepostError:
    """The child's refusal as the same SafepostError class (any other kind: a plain SafepostError)."""
    from safepost import core

    cls = getattr(core, kind, None)
    if isinstance(cls, type) and issubclass(cls, SafepostError):
        with contextlib.suppress(Exception):
            return cls(message)
    return SafepostError(message)


def _memory_words(limit: int) -> str:
    return f"it needs more than the {limit / GIB:.1f} GB of memory one file may take"


def _death_words(exitcode: int | None, limit: int) -> str:
    if exitcode is not None and exitcode < 0:  # killed by a signal: the kernel's OOM killer, or a crash
        return f"the computer stopped the work on it; it may need more than {limit / GIB:.1f} GB of memory"
    return "the work on it stopped unexpectedly; it may be damaged"
