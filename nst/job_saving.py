"""Saving a finished studio job's picture to the gallery: the ``save_result`` the job runner calls.

Kept apart from the runner (nst/jobs.py), which paints and queues and does not care where a result
goes: tests give it their own saver, the studio gives it :func:`store_saver`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from nst.batch import BatchItem
from nst.job import Job
from nst.run_types import RunLabels, RunToSave, StyleResult

log = logging.getLogger("nst")

SaveResult = Callable[..., int]


def store_saver(store_factory: Callable[[], Any] | None = None) -> SaveResult:
    """A ``save_result`` for :class:`JobRunner` that writes to the gallery store.

    The store is made per save (default ``nst.store.Store()``, so ``$NST_DATA_DIR`` is read
    at that moment), in the worker thread. With ``net``, the run's scorecards are measured and kept
    right after the save, before the worker takes the next job (never while a painting runs); with
    ``measured`` (a Ray worker measured them after painting: ``nst.rescore.MeasuredRun``), they are kept.
    """

    def save(job: Job, result: StyleResult, *, item: BatchItem, score: float | None = None, net: Any = None,
             measured: Any = None) -> int:
        from nst.store import Store

        store = (store_factory or Store)()
        grouped = job.group_id is not None  # a sweep's or comparison's cell, not a run of its own
        run_id = store.save(RunToSave(result, job.inputs, RunLabels(  # masks kept, so a re-run restores them
            group_id=job.group_id, group_kind=job.group_kind, group_label=item.label if grouped else None,
            group_axes=dict(item.axes) if grouped and item.axes else None, score=score,
            leakage=result.leakage.leakage if result.leakage else None)))
        if net is not None or measured is not None:
            _keep_scorecards(store, run_id, net, measured)
        return run_id

    return save


def _keep_scorecards(store: Any, run_id: int, net: Any, measured: Any) -> None:
    from nst.rescore import keep_measured, score_saved_run

    try:
        if net is not None:
            score_saved_run(store, run_id, net)
        else:
            keep_measured(store, run_id, measured)
    except Exception:  # noqa: BLE001 - the run is kept; `nst gallery rescore` can fill the scorecard in later
        log.exception("scorecard of run %s failed", run_id)
