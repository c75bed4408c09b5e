"""Run jobs here: one after another in this process, or on N local worker processes.

Local processes use the standard library's ``ProcessPoolExecutor`` (spawned, not forked: the
face models' thread pools do not survive a fork) rather than a Dask LocalCluster: it starts in
about a second, has no scheduler, ports or dashboard, and needs nothing but this machine. A
worker process that dies (killed, out of memory) breaks the pool; the pool is then rebuilt and
the files that were in flight are tried again, up to ``retries`` more times each.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from safepost.batch.worker import Job, crash_result, process_item

OnResult = Callable[[Job, dict], None]
Task = Callable[[Job], dict]


class LoopRunner:
    """Every file in this process, in order: the plain loop."""

    name = "loop"
    workers = 1

    def __init__(self, task: Task = process_item) -> None:
        self.task = task

    def run(self, jobs: Iterable[Job], on_result: OnResult) -> None:
        for job in jobs:
            try:
                result = self.task(job)
            except Exception as exc:  # noqa: BLE001 - recorded as this file's failure; the run goes on
                result = crash_result(exc)
            on_result(job, result)

    def close(self) -> None:
        pass


def threads_per_worker(workers: int) -> int | None:
    """Inference threads for each of ``workers`` processes on this machine (None: $SAFEPOST_THREADS rules)."""
    if os.environ.get("SAFEPOST_THREADS"):
        return None
    return max(1, (os.cpu_count() or 1) // workers)


class ProcessRunner:
    """``workers`` local processes; at most two files per worker are queued at a time."""

    name = "processes"

    def __init__(self, workers: int, retries: int = 2, task: Task = process_item) -> None:
        self.workers = workers
        self.retries = retries
        self.task = task
        self._threads = threads_per_worker(workers)

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def run(self, jobs: Iterable[Job], on_result: OnResult) -> None:
        source = iter(jobs)
        pending: dict[Future, Job] = {}
        retry: deque[Job] = deque()
        attempts: Counter[str] = Counter()
        pool = self._pool()
        try:
            while True:
                broken = self._fill(pool, pending, retry, source)
                if not pending and not broken:
                    return
                done, _ = wait(pending, return_when=ALL_COMPLETED if broken else FIRST_COMPLETED)
                broken = self._collect(done, pending, retry, attempts, on_result) or broken
                if broken:  # every file still in flight goes down with the pool
                    done, _ = wait(pending)
                    self._collect(done, pending, retry, attempts, on_result)
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = self._pool()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _fill(self, pool, pending: dict[Future, Job], retry: deque[Job], source) -> bool:
        """Queue up to two files per worker (files to retry first); True if the pool is broken."""
        while len(pending) < 2 * self.workers:
            job = retry.popleft() if retry else next(source, None)
            if job is None:
                return False
            try:
                pending[pool.submit(self.task, replace(job, threads=self._threads))] = job
            except BrokenProcessPool:
                retry.appendleft(job)
                return True
        return False

    def _collect(self, done, pending, retry, attempts, on_result: OnResult) -> bool:
        """Record finished files; files whose worker died are queued again (or given up). True if any died."""
        broken = False
        for future in done:
            job = pending.pop(future)
            error = future.exception()
            if not isinstance(error, BrokenProcessPool):
                on_result(job, crash_result(error) if error else future.result())
                continue
            broken = True
            attempts[job.rel] += 1
            if attempts[job.rel] > self.retries:
                on_result(job, _lost_result(attempts[job.rel]))
            else:
                retry.append(job)
        return broken

    def close(self) -> None:
        pass


def _lost_result(times: int) -> dict:
    return {
        "status": "failed",
        "error": f"the worker process stopped {times} times while this file was being processed (out of memory?)",
        "exit_code": 1,
    }
