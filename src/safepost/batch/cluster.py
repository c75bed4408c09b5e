"""Run jobs on Dask distributed: a LocalCluster on 127.0.0.1, or an existing scheduler.

Tasks are submitted with ``retries=`` (an unexpected error is tried again) and as not pure (each
run does the work again). A worker that dies is handled by the scheduler itself: its tasks go to
other workers, up to ``distributed.scheduler.allowed-failures`` times (3 by default), after which
the file is recorded as failed with a ``KilledWorker`` error.

Workers read the originals and write the outputs at the paths the client gives them, so every
worker must see IN_DIR and OUT_DIR at the same paths (one machine, or a shared file system);
only the small results travel back to the client, which alone writes the manifest.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import replace
from itertools import islice

from safepost.batch.local import OnResult, Task, threads_per_worker
from safepost.batch.worker import Job, crash_result, process_item
from safepost.core import ClusterError


class DaskRunner:
    """Jobs on a Dask cluster; ``address`` is ``local`` (start a LocalCluster) or a scheduler address."""

    name = "dask"

    def __init__(self, address: str, workers: int | None = None, retries: int = 2, task: Task = process_item) -> None:
        from distributed import Client, LocalCluster

        self.retries = retries
        self.task = task
        self._cluster = None
        try:
            if address == "local":
                self.workers = workers or os.cpu_count() or 1
                self._threads = threads_per_worker(self.workers)
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster)
                self.address = self._cluster.scheduler_address
            else:
                self.client = Client(address)  # waits distributed.comm.timeouts.connect (30 s)
                self.address = address
                self._threads = None
                self.workers = max(1, sum(self.client.nthreads().values()))
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            where = "a local Dask cluster" if address == "local" else f"the Dask scheduler at {address}"
            raise ClusterError(f"cannot start or reach {where}: {exc}") from exc

    def run(self, jobs: Iterable[Job], on_result: OnResult) -> None:
        from distributed import as_completed

        source = iter(jobs)
        pending = {}
        finished = as_completed()

        def submit(job: Job) -> None:
            future = self.client.submit(
                self.task, replace(job, threads=self._threads), retries=self.retries, pure=False
            )
            pending[future] = job
            finished.add(future)

        for job in islice(source, 2 * self.workers):
            submit(job)
        for future in finished:
            job = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost scheduler...: this file failed
                result = crash_result(exc)
            future.release()
            on_result(job, result)
            if (job := next(source, None)) is not None:
                submit(job)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
