"""One studio run (or batch) as the page sees it: a :class:`Job` and its immutable :class:`JobView`.

A :class:`Job` is a batch of ``stylize()`` calls (one for a single run) with its inputs, a :class:`~nst.run_types.RunControl`
and a lock-protected state that the engine's progress events update. The page never
touches the engine: it calls :meth:`Job.view` to get a consistent, immutable copy of the
state (:class:`JobView`) and draws that; it steers the run with :meth:`Job.stop` and
:meth:`Job.set_weights`. Where it runs is the queue's business (:class:`nst.jobs.JobRunner`):
it attaches itself (:meth:`Job.attach`, any :class:`JobQueue`) and reports through the
worker's half of the public methods (``set_phase``, ``record_event``, ``start_item``,
``record_saved``, ``finish``). This module does not import the runner: the dependency goes
one way, jobs -> job.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from nst.batch import BatchItem, single_item
from nst.params import StyleParams
from nst.run_types import (ACTIVE_STATUSES, DONE_STATUSES, QUEUED, RUNNING, STOPPED, JobStatus, LossTerms,
                           ProgressEvent, RunControl, RunInputs, RunStatus, Snapshot, StyleResult, history_row)

RATE_WINDOW = 8  # steps over which iterations per second are measured

Clock = Callable[[], float]


class JobQueue(Protocol):
    """Where a submitted job waits (nst.jobs.JobRunner): asked for its place, and to let a stopped one go."""

    def queue_position(self, job: "Job") -> int | None: ...

    def dequeue(self, job: "Job") -> bool: ...


@dataclass(frozen=True)
class JobView:
    """A consistent copy of a job's state at one moment, for drawing."""

    id: str
    status: JobStatus
    phase: str  # what it is doing now, in words: "waiting in the queue", "loading the model", ...
    queue_position: int | None  # 1, 2, ... while queued; None otherwise
    message: str  # the run's closing message (also set for failures)
    step: int
    total_steps: int
    scale_index: int
    n_scales: int
    scale_size: tuple[int, int] | None
    elapsed: float
    eta: float | None
    steps_per_second: float | None
    weights: dict[str, float]  # weights in effect at the last step
    image: np.ndarray | None  # latest uint8 image (a snapshot, or the result)
    image_step: int
    history: tuple[dict[str, float], ...]
    weight_changes: tuple[int, ...]
    scale_starts: tuple[int, ...]  # step count at which each scale began
    snapshots: tuple[Snapshot, ...]
    result: StyleResult | None
    params: StyleParams
    created: float
    finished_at: float | None
    # the gallery store (see JobRunner(save_result=...)): ids of the stored runs, or why saving failed
    run_ids: tuple[int, ...] = ()
    save_error: str | None = None
    # batches (sweeps / method comparisons): which item is painting, and the items done so far
    item_index: int = 0
    n_items: int = 1
    item_label: str = ""
    group_id: str | None = None
    group_kind: str | None = None
    batch_results: tuple[tuple[str, StyleResult, int | None], ...] = ()  # (label, result, run id)
    # a print (``nst.poster_job.PosterOrder``): which tile of the scale is painting
    poster: Any = None
    tile_index: int = 0
    n_tiles: int = 0

    @property
    def run_id(self) -> int | None:
        """The stored run of a single job (None when not saved)."""
        return self.run_ids[0] if self.run_ids else None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class Job:
    """One painting: inputs, a RunControl, and a lock-protected state the worker updates."""

    guest = False  # a guest's job when the studio is shared (set by JobRunner.submit; nst/queue_policy.py)
    POSTER_STEPS = 1000  # a print's progress, in thousandths of its planned work (tiles x steps x pixels)

    def __init__(self, inputs: RunInputs, params: StyleParams | None = None, *, owner: str | None = None,
                 clock: Clock = time.monotonic, items: Sequence[BatchItem] | None = None,
                 group_kind: str | None = None, poster: Any = None) -> None:
        """``inputs``: the pictures, masks and init image, and their names. Every job is a batch: ``items``
        (``nst.batch.BatchItem``s) are painted in turn and kept as one gallery group (``group_kind``: "sweep"
        or "compare"; ``params`` defaults to the first item's); without them, a single run of ``params`` is
        a batch of one, kept as a run of its own. ``poster`` (an ``nst.poster_job.PosterOrder``) makes it
        a print of a gallery run (``inputs`` are that run's; the worker reads the original photo): it runs
        alone (nst/queue_policy.py)."""
        self.id = secrets.token_hex(16)
        masks = {kind: inputs.masks.get(kind) for kind in ("style", "detail")}
        self.inputs = replace(
            inputs, content=np.asarray(inputs.content, np.float32), styles=[np.asarray(s, np.float32) for s in inputs.styles],
            style_names=tuple(inputs.style_names),
            masks={kind: None if m is None else np.asarray(m, np.float32) for kind, m in masks.items()})
        if not items and params is None:
            raise ValueError("a Job needs params or batch items")
        self.items: list[BatchItem] = list(items) if items else [single_item(params)]  # type: ignore[arg-type]
        self.params = params if params is not None else self.items[0].params
        self.group_kind = group_kind if items else None
        self.group_id: str | None = None
        if items:
            from nst.store import new_group_id

            self.group_id = new_group_id()
        self.poster = poster
        self.owner = owner
        self.control = RunControl()
        self._clock = clock
        self._cond = threading.Condition()
        self._done = threading.Event()
        self._queue: JobQueue | None = None
        # state, guarded by self._cond
        self._status: JobStatus = QUEUED
        self._phase = "waiting in the queue"
        self._message = ""
        self._elapsed = 0.0
        self._weights = {"content": self.params.content_weight, "style": self.params.style_weight,
                         "tv": self.params.tv_weight}
        self._image: np.ndarray | None = None
        self._image_step = 0
        self._reset_progress(self.params)
        self._tile_index, self._n_tiles = 0, 0
        self._result: StyleResult | None = None
        self.created = clock()
        self._finished_at: float | None = None
        self._last_seen = self.created
        self._started_clock: float | None = None
        self._stop_reason: str | None = None
        self._run_ids: list[int] = []
        self._save_error: str | None = None
        self._item_index = 0
        self._item_label = self.items[0].label
        self._batch_results: list[tuple[str, StyleResult, int | None]] = []

    def _reset_progress(self, params: StyleParams) -> None:
        """The live record of one painting, empty (a new job, or a batch's next item)."""
        self._step, self._total_steps = 0, params.total_steps()
        self._scale_index, self._n_scales = 0, len(params.scale_sizes())
        self._scale_size: tuple[int, int] | None = None
        self._eta: float | None = None
        self._history: list[dict[str, float]] = []
        self._weight_changes: list[int] = []
        self._scale_starts: list[int] = []
        self._snapshots: list[Snapshot] = []

    # ---- for the page ---------------------------------------------------------------
    def view(self) -> JobView:
        # outside our lock: the queue's lock is never taken while a job's lock is held
        position = self._queue.queue_position(self) if self._queue is not None else None
        with self._cond:
            return JobView(
                id=self.id, status=self._status, phase=self._phase,
                queue_position=position if self._status == QUEUED else None,
                message=self._message, step=self._step, total_steps=self._total_steps,
                scale_index=self._scale_index, n_scales=self._n_scales, scale_size=self._scale_size,
                elapsed=self._elapsed, eta=self._eta, steps_per_second=self._rate(),
                weights=dict(self._weights), image=self._image, image_step=self._image_step,
                history=tuple(self._history), weight_changes=tuple(self._weight_changes),
                run_ids=tuple(self._run_ids), save_error=self._save_error, item_index=self._item_index,
                n_items=len(self.items), item_label=self._item_label, group_id=self.group_id,
                group_kind=self.group_kind, batch_results=tuple(self._batch_results),
                scale_starts=tuple(self._scale_starts), snapshots=tuple(self._snapshots),
                result=self._result, params=self.params, created=self.created, finished_at=self._finished_at,
                poster=self.poster, tile_index=self._tile_index, n_tiles=self._n_tiles,
            )

    @property
    def status(self) -> JobStatus:
        with self._cond:
            return self._status

    def touch(self) -> None:
        """Heartbeat: somebody is looking at this job (the watchdog leaves it alone)."""
        with self._cond:
            self._last_seen = self._clock()

    @property
    def last_seen(self) -> float:
        with self._cond:
            return self._last_seen

    def stop(self, reason: str | None = None) -> None:
        """Cancel: a running job stops at its next step and keeps its best image; a queued one never starts."""
        self.control.cancel()
        queue = self._queue
        if queue is not None and queue.dequeue(self):
            self.finish(STOPPED, reason or "Stopped before it started.", None)
        elif reason:
            with self._cond:
                self._stop_reason = reason

    def set_weights(self, *, content: float | None = None, style: float | None = None,
                    tv: float | None = None) -> None:
        """Live re-weighting: the running optimisation uses these weights from its next step."""
        self.control.set_weights(content=content, style=style, tv=tv)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is finished, stopped or failed; False on timeout."""
        return self._done.wait(timeout)

    def wait_until(self, predicate: Callable[[JobView], bool], timeout: float | None = None) -> bool:
        """Block until ``predicate(view)`` holds (checked at every state change); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self.view()
            if predicate(view):
                return True
            with self._cond:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(0.5 if remaining is None else min(0.5, remaining))

    # ---- for the queue and its worker --------------------------------------------------
    def attach(self, queue: JobQueue) -> None:
        """The queue this job now waits in (set by ``JobRunner.submit``)."""
        self._queue = queue

    @property
    def stop_reason(self) -> str | None:
        """Why it was stopped, when somebody (the watchdog) said so."""
        with self._cond:
            return self._stop_reason

    @property
    def item_index(self) -> int:
        """Which batch item is painting (0 for a single run)."""
        with self._cond:
            return self._item_index

    @property
    def finished(self) -> bool:
        """Finished, stopped or failed (its state no longer changes)."""
        return self._done.is_set()

    @property
    def finished_at(self) -> float | None:
        with self._cond:
            return self._finished_at

    def _rate(self) -> float | None:
        """Iterations per second over the last few steps of the current scale."""
        if len(self._history) < 2:
            return None
        scale = self._history[-1]["scale"]
        recent = [h for h in self._history[-RATE_WINDOW:] if h["scale"] == scale]
        if len(recent) >= 2:
            span = recent[-1]["elapsed"] - recent[0]["elapsed"]
            if span > 0:
                return (len(recent) - 1) / span
        last = self._history[-1]
        return last["step"] / last["elapsed"] if last["elapsed"] > 0 else None

    def set_phase(self, status: JobStatus, phase: str) -> None:
        with self._cond:
            self._status, self._phase = status, phase
            if status == RUNNING and self._started_clock is None:
                self._started_clock = self._clock()
            self._cond.notify_all()

    def record_event(self, event: ProgressEvent) -> None:
        with self._cond:
            self._step = event.step
            self._total_steps = event.total_steps
            self._scale_index = event.scale_index
            self._n_scales = event.n_scales
            self._scale_size = tuple(event.scale_size)  # type: ignore[assignment]
            self._elapsed = event.elapsed
            self._eta = event.eta
            self._weights = event.weights.to_dict()
            if event.kind == "scale_start":
                self._scale_starts.append(event.step)
                self._phase = f"painting at {event.scale_size[0]}x{event.scale_size[1]}"
            elif event.kind == "weights_changed":
                self._weight_changes.append(event.step)
            elif event.kind == "step" and event.losses is not None:
                self._history.append(history_row(event.step, event.scale_index, event.elapsed, event.losses,
                                                 event.weights))
                if event.image is not None:
                    self._snapshots.append(Snapshot(event.step, event.scale_index, event.image, event.losses))
            if event.image is not None:
                self._image, self._image_step = event.image, event.step
            self._cond.notify_all()

    def record_poster(self, progress: Any) -> None:
        """A print's progress (``nst.poster.PosterProgress``): where it is, how much of the planned work
        is done, the time left; ``progress.image`` (downscaled, at most every few minutes) is kept as a
        snapshot of the print."""
        with self._cond:
            self._step, self._total_steps = round(progress.fraction * self.POSTER_STEPS), self.POSTER_STEPS
            self._scale_index, self._n_scales = progress.scale_index, progress.n_scales
            self._tile_index, self._n_tiles = progress.tile_index, progress.n_tiles
            self._elapsed, self._eta = progress.elapsed, progress.eta
            tiles = f", tile {progress.tile_index + 1} of {progress.n_tiles}" if progress.n_tiles > 1 else ""
            self._phase = f"painting the print: scale {progress.scale_index + 1} of {progress.n_scales}{tiles}"
            if progress.image is not None:
                self._image, self._image_step = progress.image, self._step
                nan = float("nan")
                self._snapshots.append(Snapshot(self._step, progress.scale_index, progress.image,
                                                LossTerms(nan, nan, nan, nan)))
            self._cond.notify_all()

    def start_item(self, index: int) -> None:
        """A batch moves on to its next item: the live record starts afresh."""
        with self._cond:
            self._item_index, self._item_label = index, self.items[index].label
            self._reset_progress(self.items[index].params)
            self._phase = f"painting item {index + 1} of {len(self.items)}: {self._item_label}"
            self._cond.notify_all()

    def record_saved(self, label: str, result: StyleResult, run_id: int | None, error: str | None) -> None:
        with self._cond:
            if run_id is not None:
                self._run_ids.append(run_id)
            if error and not self._save_error:
                self._save_error = error
            self._batch_results.append((label, result, run_id))
            self._cond.notify_all()

    def finish(self, status: RunStatus, message: str, result: StyleResult | None) -> None:
        with self._cond:
            if self._status in DONE_STATUSES:
                return
            self._status, self._message, self._result = status, message, result
            self._phase = status
            self._finished_at = self._clock()
            if result is not None:
                # the engine's own record is complete; prefer it to what the events gave us
                self._history = list(result.history)
                self._weight_changes = list(result.weight_changes)
                self._snapshots = list(result.snapshots)
                self._step = result.steps
                self._elapsed = result.seconds
                self._eta = 0.0
                from nst.encode import to_uint8

                self._image, self._image_step = to_uint8(result.image), result.steps
            self._cond.notify_all()
        self._done.set()
