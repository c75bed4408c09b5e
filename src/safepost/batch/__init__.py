"""Batch runs over whole folders and archives: resumable, with a manifest, local or on Dask (S1, P6, R3).

    from safepost.batch import Options, run_batch
    summary = run_batch("archive/", "published/", options=Options(mode="fast"), workers=2)
    print(summary.done, summary.failed, summary.exit_code)

Modules, one job each: ``discovery`` (which files, where their outputs go), ``manifest``
(the append-only record and resume checks), ``worker`` (one file, in any process), ``local``
(the plain loop and local processes), ``cluster`` (Dask), ``vault`` (originals into the
encrypted vault), ``run`` (the client that ties them together). See docs/batch.md.
"""

from safepost.batch.manifest import MANIFEST_NAME, Entry
from safepost.batch.run import BATCH_FAILED_EXIT, Summary, run_batch
from safepost.batch.worker import Options

__all__ = ["BATCH_FAILED_EXIT", "MANIFEST_NAME", "Entry", "Options", "Summary", "run_batch"]
