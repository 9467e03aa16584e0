"""Background style-transfer runs for the studio: one worker, a queue and a watchdog.

A :class:`~nst.job.Job` (nst/job.py) is a batch of ``stylize()`` calls (one for a single run) with its
inputs, a RunControl and a lock-protected state; the page draws its :class:`~nst.job.JobView`.
The runner is the job's :class:`~nst.job.JobQueue` and drives it only through its public
methods; nst/job.py never imports this module.

A :class:`JobRunner` owns one worker thread, so on a small machine only one painting
uses the CPU at a time; other jobs wait in a FIFO queue and know their position. It
also owns the network: ``net_provider`` (default :func:`nst.model.get_feature_net`) is
called in the background, once, and its state ("loading", "ready", "unavailable" with the
message of :class:`~nst.errors.ModelUnavailable`) is reported, so a page can say
"loading the model" or show what to set. Tests pass a tiny network's provider.

Heartbeat and watchdog: a page calls :meth:`Job.touch` every time it looks at a job. A
watchdog thread stops any queued or running job nobody has looked at for
``abandon_after`` seconds (the run keeps its best image), so a closed tab cannot hold
the CPU. Jobs are found by id (:meth:`JobRunner.get`), which is how a reloaded browser
tab reattaches to its run; ids are random 128-bit tokens, so one session cannot guess
another's.

Nothing here imports streamlit: the worker never draws anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable

from nst.backends import Backend, InProcessBackend, Painted, PaintedJob
from nst.errors import ModelUnavailable, NSTError
from nst.job import Clock, Job
from nst.queue_policy import QueueRefused, admission_error, may_start, queue_slot
from nst.run_types import FAILED, FINISHED, RUNNING, STOPPED, run_status

log = logging.getLogger("nst")

# model states
MODEL_IDLE = "idle"
MODEL_LOADING = "loading"
MODEL_READY = "ready"
MODEL_UNAVAILABLE = "unavailable"

ABANDON_AFTER_SECONDS = 60.0

NetProvider = Callable[[], Any]


class JobRunner:
    """One worker thread that runs queued jobs one at a time, plus the heartbeat watchdog."""

    def __init__(self, net_provider: NetProvider | None = None, *, abandon_after: float = ABANDON_AFTER_SECONDS,
                 watchdog_interval: float = 5.0, keep_done: int = 16, clock: Clock = time.monotonic,
                 start_watchdog: bool = True, save_result: Callable[..., int] | None = None) -> None:
        """``save_result(job, result, *, item, score, net | measured) -> run id`` hands every finished or stopped run (the
        job's batch item that painted it) to the gallery (:func:`store_saver`); None keeps results in memory only.

        With ``NST_RAY_ADDRESS`` set, runs paint on a Ray cluster (``nst.remote_jobs``), several
        at a time; ``net_provider`` is then shipped to the workers (so it must be picklable)."""
        self._backend_error: str | None = None
        backend: Backend | None = None
        try:
            from nst.remote_jobs import backend_from_env

            backend = backend_from_env(net_provider)
        except NSTError as error:  # a bad NST_RAY_ADDRESS: reported as the model's state, not raised
            self._backend_error = str(error)
        if backend is None:
            from nst.model import get_feature_net

            backend = InProcessBackend(net_provider or get_feature_net)
        self._backend: Backend = backend
        self._save_result = save_result
        self.abandon_after = abandon_after
        self._watchdog_interval = watchdog_interval
        self._keep_done = keep_done
        self._clock = clock
        self._lock = threading.Condition()
        self._pending: deque[Job] = deque()
        self._running: list[Job] = []
        self._jobs: dict[str, Job] = {}
        self._workers: list[threading.Thread] = []
        self._closed = False
        # the network
        self._net: Any = None
        self._net_lock = threading.Lock()
        self._model_state = MODEL_IDLE
        self._model_message = ""
        self._model_seconds: float | None = None
        self._watchdog: threading.Thread | None = None
        if start_watchdog:
            self._watchdog = threading.Thread(target=self._watch, name="nst-watchdog", daemon=True)
            self._watchdog.start()

    # ---- the model ------------------------------------------------------------------
    def model_state(self) -> tuple[str, str]:
        """("idle" | "loading" | "ready" | "unavailable", message for "unavailable")."""
        with self._lock:
            return self._model_state, self._model_message

    @property
    def model_seconds(self) -> float | None:
        """How long building the network took (None until built)."""
        return self._model_seconds

    def warm_up(self) -> None:
        """Start building the network in the background (no-op when built, building or unavailable)."""
        with self._lock:
            if self._model_state != MODEL_IDLE:
                return
            self._model_state = MODEL_LOADING
        threading.Thread(target=self._warm, name="nst-warm-up", daemon=True).start()

    def retry_model(self) -> None:
        """After "unavailable" (e.g. the weights file was put in place): try again."""
        with self._lock:
            if self._model_state == MODEL_UNAVAILABLE:
                self._model_state, self._model_message = MODEL_IDLE, ""
        self.warm_up()

    def _warm(self) -> None:
        try:
            self.net()
        except Exception:  # noqa: BLE001 - state and message are recorded by net()
            pass

    def net(self) -> Any:
        """The network, built on first use (raises ModelUnavailable, recorded in model_state())."""
        with self._net_lock:
            if self._net is not None:
                return self._net
            with self._lock:
                self._model_state = MODEL_LOADING
            started = time.perf_counter()
            try:
                if self._backend_error:
                    raise ModelUnavailable(self._backend_error)
                net = self._backend.build_net()
            except NSTError as error:  # ModelUnavailable, or a ClusterError: one sentence either way
                with self._lock:
                    self._model_state, self._model_message = MODEL_UNAVAILABLE, str(error)
                raise
            except Exception as error:
                log.exception("building the feature network failed")
                with self._lock:
                    self._model_state = MODEL_UNAVAILABLE
                    self._model_message = f"The VGG19 model could not be built: {error}"
                raise ModelUnavailable(self._model_message) from error
            self._net = net
            self._model_seconds = time.perf_counter() - started
            with self._lock:
                self._model_state, self._model_message = MODEL_READY, ""
            return net

    # ---- jobs -----------------------------------------------------------------------
    def submit(self, job: Job, *, guest: bool = False) -> Job:
        """Queue ``job``; a guest's job is admitted and placed by nst/queue_policy.py (raises QueueRefused)."""
        job.touch()
        with self._lock:
            if self._closed:
                raise RuntimeError("this JobRunner has been shut down")
            job.guest = guest
            refusal = admission_error(job, self._running + list(self._pending), self._pending)
            if refusal:
                raise QueueRefused(refusal)
            job.attach(self)
            self._jobs[job.id] = job
            self._pending.insert(queue_slot(job, self._pending), job)
            self._prune()
            self._spawn_workers()
            self._lock.notify_all()
        return job

    def get(self, job_id: str | None) -> Job | None:
        if not job_id:
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def queue_position(self, job: Job) -> int | None:
        """1 for the next job to run, 2 after it, ...; None when not waiting."""
        with self._lock:
            for index, pending in enumerate(self._pending):
                if pending is job:
                    return index + 1
            return None

    def busy(self) -> bool:
        """True while a job runs or waits."""
        with self._lock:
            return bool(self._running) or bool(self._pending)

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return list(self._running) + list(self._pending)

    def running_jobs(self) -> list[Job]:
        """The jobs painting now (what those who wait are waiting for)."""
        with self._lock:
            return list(self._running)

    def reap_abandoned(self, now: float | None = None) -> list[Job]:
        """Stop every queued or running job nobody has watched for ``abandon_after`` seconds."""
        now = self._clock() if now is None else now
        stopped = []
        for job in self.active_jobs():
            if job.poster is not None:  # a print takes half an hour: its owner may close the tab and come back
                continue
            if now - job.last_seen > self.abandon_after:
                log.info("stopping job %s: nobody watched it for %.0f s", job.id[:8], now - job.last_seen)
                job.stop(reason=f"Stopped because nobody watched it for {self.abandon_after:.0f} s; "
                                "kept the best image so far.")
                stopped.append(job)
        return stopped

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop everything and end the threads (tests; a server just exits)."""
        with self._lock:
            self._closed = True
            jobs = list(self._pending) + list(self._running)
            self._lock.notify_all()
        for job in jobs:
            job.stop()
        for worker in list(self._workers):
            worker.join(timeout)
        self._backend.shutdown()

    # ---- internals ------------------------------------------------------------------
    def dequeue(self, job: Job) -> bool:
        """Take a waiting job out of the queue (True), or say it is not waiting (False)."""
        with self._lock:
            if job in self._pending:
                self._pending.remove(job)
                return True
            return False

    def _spawn_workers(self) -> None:
        """Under self._lock: one worker thread in-process; on Ray, one per run the cluster can paint
        at once (known once the pool is ready), started as the queue needs them."""
        self._workers = [w for w in self._workers if w.is_alive()]
        while len(self._workers) < min(self._backend.slots(), len(self._pending) + len(self._running)) and not self._closed:
            worker = threading.Thread(target=self._work, name="nst-worker", daemon=True)
            self._workers.append(worker)
            worker.start()

    def _prune(self) -> None:
        done = [j for j in self._jobs.values() if j.finished]
        done.sort(key=lambda j: j.finished_at or 0.0)
        for job in done[: max(0, len(done) - self._keep_done)]:
            del self._jobs[job.id]

    def _work(self) -> None:
        while True:
            with self._lock:
                while not (self._pending and (self._closed or may_start(self._pending[0], self._running))):
                    if self._closed and not self._pending:
                        return
                    self._lock.wait()  # nothing to do, or a print must run alone (nst/queue_policy.py)
                job = self._pending.popleft()
                self._running.append(job)
                self._spawn_workers()
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running.remove(job)
                    self._prune()
                    self._lock.notify_all()  # a job held back by a print may start now

    def _run(self, job: Job) -> None:
        if job.control.cancelled:
            job.finish(STOPPED, job.stop_reason or "Stopped before it started.", None)
            return
        try:
            if self._net is None:
                job.set_phase(RUNNING, "loading the VGG19 model (first run in this server process)")
            net = self.net()
            if job.poster is not None:  # a print: painted here, kept in the gallery (nst/poster_job.py)
                from nst.poster_job import paint_poster_job

                return paint_poster_job(job, net, here=self._backend.paints_here)
            job.set_phase(RUNNING, self._backend.preparing)
            painted = self._backend.paint(job, net, lambda item: self._save(job, item, net),
                                          score=self._save_result is not None)
        except NSTError as error:  # ModelUnavailable, ParamsError, ImageError: one sentence for the user
            job.finish(FAILED, str(error), None)
            return
        except Exception as error:  # never a traceback on the page; the server log has it
            log.exception("job %s failed", job.id[:8])
            job.finish(FAILED, f"The run failed unexpectedly ({type(error).__name__}: {error}).", None)
            return
        self._finish(job, painted)

    def _finish(self, job: Job, painted: PaintedJob) -> None:
        """The job's closing words: a batch of one ends as its run did; a longer one says how many were done,
        stopped (the current item kept, the rest skipped or cancelled) or failed."""
        last = painted.results[-1] if painted.results else None
        done, total = len(painted.results), len(job.items)
        if total == 1 and last is not None:
            stopped = last.status == STOPPED and job.stop_reason
            job.finish(run_status(last.status), job.stop_reason if stopped else last.message, last)
        elif painted.complete:
            job.finish(FINISHED, f"All {done} runs of the {job.group_kind or 'batch'} are done"
                                 f"{self._backend.done_note}.", last)
        elif job.control.cancelled:
            message = job.stop_reason or "Stopped"
            job.finish(STOPPED, f"{message.rstrip('.')}: {done} of {total} runs done "
                                f"({self._backend.stop_note}).", last)
        else:
            job.finish(FAILED if not painted.results else FINISHED,
                       f"{done} of {total} runs done; {' '.join(painted.failures)}", last)

    def _save(self, job: Job, painted: Painted, net: Any) -> None:
        """Score the run (unless the backend's worker did) and hand it to the gallery; a failure is one
        sentence, the result stays."""
        result, label, score = painted.result, painted.item.label, painted.score
        if self._save_result is None:
            job.record_saved(label, result, None, None)
            return
        job.set_phase(RUNNING, "scoring and saving to the gallery")
        try:
            if score is None and self._backend.scores_here:
                from nst.score import score_result

                score = score_result(result, job.inputs.content, job.inputs.styles, net)
        except Exception:  # noqa: BLE001 - a run without a score is still worth keeping
            log.exception("scoring job %s failed", job.id[:8])
        try:
            # the scorecards: measured here after the save with the runner's network, or (Ray) by the worker
            scorecards = {"net": net} if self._backend.scores_here else {"measured": painted.measured}
            run_id = self._save_result(job, result, item=painted.item, score=score, **scorecards)
        except NSTError as error:  # StoreError: one sentence, the result stays in the session
            job.record_saved(label, result, None, f"Not saved to the gallery: {error}")
            return
        except Exception as error:  # noqa: BLE001
            log.exception("saving job %s failed", job.id[:8])
            job.record_saved(label, result, None,
                             f"Not saved to the gallery ({type(error).__name__}: {error}).")
            return
        job.record_saved(label, result, int(run_id), None)

    def _watch(self) -> None:
        while True:
            time.sleep(self._watchdog_interval)
            with self._lock:
                if self._closed:
                    return
            try:
                self.reap_abandoned()
            except Exception:  # noqa: BLE001 - the watchdog must never die
                log.exception("watchdog")


__all__ = [
    "JobRunner", "MODEL_IDLE", "MODEL_LOADING", "MODEL_READY", "MODEL_UNAVAILABLE",
    "ABANDON_AFTER_SECONDS",
]
