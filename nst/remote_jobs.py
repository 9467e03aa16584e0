"""The studio's runs on Ray: a pool of long-lived worker actors, each holding its runs' RunControls.

With ``NST_RAY_ADDRESS`` set, :class:`nst.jobs.JobRunner` paints through a :class:`RayBackend`
(an :class:`nst.backends.Backend`): every batch of one (a single run) goes to a :class:`RemotePool`
instead of ``stylize`` in the runner's thread, and every longer batch to ``nst.remote.run_batch_on_ray``. The page sees no difference: the pool feeds the job the same
``ProgressEvent``s, and the job's own ``RunControl`` (Stop, live re-weighting) is forwarded.

Why a pool and not an actor per run: an actor is a process, and the network (plus every
compiled step) lives in the process, so a fresh actor per run would rebuild VGG19 each time.
Each ``StudioWorker`` builds the network once and paints run after run; it keeps a
``RunControl`` and an event buffer per run id, and is threaded (``max_concurrency``) so
``cancel`` / ``set_weights`` / ``events`` calls reach it while ``run`` is painting.

The actors reserve no Ray CPUs (``num_cpus=0``): an idle studio must not starve batch tasks.
The runner instead runs at most :meth:`RemotePool.slots` jobs at once (the cluster's CPUs divided
by ``NST_RAY_CPUS_PER_TASK``), and the actors are spread across the nodes.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import replace
from typing import Any, Callable

from nst.errors import NSTError
from nst.remote import CellOutput, NetSpec, connect, cpus_per_task, is_lost_cluster, lost_cluster_error

POLL_SECONDS = 0.2  # how often the driver fetches events and forwards Stop / weights
ACTOR_CONCURRENCY = 4  # one painting plus control and event calls


class StudioWorker:
    """A Ray actor (see :func:`_actor_class`): builds the network once, paints runs on request."""

    def __init__(self, spec: NetSpec, threads: float) -> None:
        os.environ.setdefault("NST_RAY_WORKER_THREADS", str(threads))
        self._spec = spec
        self._lock = threading.Lock()
        self._controls: dict[str, Any] = {}
        self._events: dict[str, list] = {}

    def ready(self) -> str:
        """Build the network (raises ModelUnavailable); its description."""
        from nst.remote import worker_net

        return worker_net(self._spec).description

    def run(self, run_id: str, inputs: Any, params: Any, score: bool) -> CellOutput:
        """Paint one run of ``inputs`` (an ``nst.run_types.RunInputs``), scored and measured when asked (to be saved)."""
        from nst import remote
        from nst.engine import stylize
        from nst.score import score_image

        net = remote.worker_net(self._spec)
        control = self._control(run_id)
        try:
            result = stylize(inputs, params, net=net, control=control,
                             on_event=lambda event: self._keep(run_id, event))
            value, measured = None, None
            if score:
                value = float(score_image(result.image, inputs.content, inputs.styles, net, size=params.size,
                                          blend=list(params.blend_weights(len(inputs.styles)))).terms.total)
                measured = remote.measure_on_worker(result, inputs, net)
            return CellOutput(result, value, os.getpid(), remote.net_builds(), measured)
        finally:
            with self._lock:
                self._controls.pop(run_id, None)

    def events(self, run_id: str) -> list:
        """The events since the last call (the driver is the only reader)."""
        with self._lock:
            return self._events.pop(run_id, [])

    def cancel(self, run_id: str) -> None:
        self._control(run_id).cancel()

    def set_weights(self, run_id: str, changes: dict[str, float]) -> None:
        self._control(run_id).set_weights(**changes)

    def _control(self, run_id: str):
        from nst.run_types import RunControl

        with self._lock:  # a Stop may arrive before run() has started: it still counts
            return self._controls.setdefault(run_id, RunControl())

    def _keep(self, run_id: str, event) -> None:
        with self._lock:
            self._events.setdefault(run_id, []).append(event)


_actor_class_lock = threading.Lock()
_actor_class_cache: list = []


def _actor_class():
    import ray

    with _actor_class_lock:
        if not _actor_class_cache:
            _actor_class_cache.append(ray.remote(num_cpus=0, max_concurrency=ACTOR_CONCURRENCY,
                                                 scheduling_strategy="SPREAD")(StudioWorker))
        return _actor_class_cache[0]


class RemoteNet:
    """What ``JobRunner.net()`` holds in Ray mode: the pool's network lives on the workers."""

    def __init__(self, description: str) -> None:
        self.description = description


class RemotePool:
    """The driver's handle on the studio's worker actors."""

    def __init__(self, address: str, spec: NetSpec) -> None:
        self.address, self.spec = address, spec
        self._lock = threading.Lock()
        self._idle: list = []
        self._slots = 1
        self._ids = itertools.count()

    def slots(self) -> int:
        """How many studio runs may paint at once (known after :meth:`ready`)."""
        return self._slots

    def ready(self) -> RemoteNet:
        """Connect, start one worker and build its network; raises ClusterError / ModelUnavailable."""
        import ray

        connect(self.address)
        try:
            cpus = float(ray.cluster_resources().get("CPU", 1))
        except Exception as error:  # noqa: BLE001
            raise lost_cluster_error(error) from None
        self._slots = max(1, int(cpus // cpus_per_task()))
        actor = self._checkout()
        try:
            description = self._get(actor.ready.remote())
        except BaseException:
            self._discard(actor)
            raise
        self._checkin(actor)
        return RemoteNet(f"{description} (on the Ray cluster at {self.address}, {self._slots} at a time)")

    def paint(self, job: Any, on_event: Callable[[Any], None], score: bool = True) -> CellOutput:
        """A batch of one (its only item) on a worker: stream its events into ``on_event`` and forward the job's
        Stop and live weights until it ends. Raises NSTError (one sentence) when it cannot finish."""
        import ray

        actor = self._checkout()
        run_id = f"{job.id}-{next(self._ids)}"
        try:
            # the original photo stays here: the job's runner keeps it with the run (nst.store.run_files)
            ref = actor.run.remote(run_id, replace(job.inputs, original=None), job.items[0].params, score)
            cancelled = False
            while True:
                done, _ = ray.wait([ref], timeout=POLL_SECONDS)
                if job.control.cancelled and not cancelled:
                    actor.cancel.remote(run_id)
                    cancelled = True
                changes = job.control.take_weight_changes()
                if changes:
                    actor.set_weights.remote(run_id, changes)
                for event in self._get(actor.events.remote(run_id)):
                    on_event(event)
                if done:
                    output = self._get(ref)
                    break
        except BaseException:
            self._discard(actor)
            raise
        self._checkin(actor)
        return output

    def shutdown(self) -> None:
        import ray

        with self._lock:
            idle, self._idle = self._idle, []
        for actor in idle:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone with its cluster
                pass

    # ---- internals ------------------------------------------------------------------
    def _checkout(self):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            return _actor_class().remote(self.spec, cpus_per_task())
        except Exception as error:  # noqa: BLE001
            raise lost_cluster_error(error) from None

    def _checkin(self, actor) -> None:
        with self._lock:
            self._idle.append(actor)

    def _discard(self, actor) -> None:
        import ray

        try:
            ray.kill(actor)
        except Exception:  # noqa: BLE001
            pass

    @staticmethod
    def _get(ref) -> Any:
        """``ray.get`` with the engine's own errors (ModelUnavailable, ParamsError) passed through
        and Ray's failures turned into one sentence."""
        import ray
        import ray.exceptions as rex

        try:
            return ray.get(ref)
        except rex.RayTaskError as error:
            cause = getattr(error, "cause", None)
            if isinstance(cause, NSTError):
                raise cause from None
            raise NSTError(f"The run failed on its Ray worker ({type(cause or error).__name__}: "
                           f"{str(cause or error).strip().splitlines()[0][:200]}).") from None
        except (rex.RayActorError, rex.WorkerCrashedError, rex.OutOfMemoryError, rex.NodeDiedError):
            raise NSTError("The Ray worker painting this run died; the run was lost, please start it again.") \
                from None
        except NSTError:
            raise
        except Exception as error:  # noqa: BLE001
            if is_lost_cluster(error):
                raise lost_cluster_error(error) from None
            raise


class RayBackend:
    """The studio's :class:`nst.backends.Backend` on a Ray cluster: as many jobs at once as the
    cluster has slots; a batch of one on the pool (live events, Stop and live weights), a longer
    batch as one task per item (cells in parallel; their progress is not streamed)."""

    preparing = "on the Ray cluster (a worker's first run at a new size compiles the step)"
    done_note = " (on Ray)"
    stop_note = "the cells still painting on the cluster were cancelled"
    scores_here = False
    paints_here = False

    def __init__(self, pool: RemotePool) -> None:
        self.pool = pool

    def slots(self) -> int:
        return self.pool.slots()

    def build_net(self) -> RemoteNet:
        """On Ray the network lives on the workers: this builds it there and says so."""
        return self.pool.ready()

    def paint(self, job: Any, net: Any, on_painted: Callable[[Any], None], *, score: bool) -> Any:
        from nst.backends import Painted, PaintedJob

        if len(job.items) == 1:  # the worker scores and measures it too, with its network
            output = self.pool.paint(job, job.record_event, score=score)
            on_painted(Painted(job.items[0], output.result, output.score, output.measured))
            return PaintedJob([output.result], complete=True)
        return self._paint_batch(job, on_painted)

    def _paint_batch(self, job: Any, on_painted: Callable[[Any], None]) -> Any:
        """Every item as a Ray task at once; this thread saves each as it comes back. A stop cancels
        the cells not yet back; a cell whose worker died twice fails alone."""
        from nst.backends import Painted, PaintedJob
        from nst.remote import run_batch_on_ray

        failures: list[str] = []

        def on_result(item: Any, output: Any) -> None:
            job.start_item(job.items.index(item))
            on_painted(Painted(item, output.result, output.score, output.measured))

        outputs, _ = run_batch_on_ray(job.items, job.inputs, address=self.pool.address, spec=self.pool.spec,
                                      control=job.control, on_result=on_result,
                                      on_failure=lambda f: failures.append(f.message))
        return PaintedJob([o.result for o in outputs], complete=len(outputs) == len(job.items), failures=failures)

    def shutdown(self) -> None:
        self.pool.shutdown()


def backend_from_env(net_provider: Callable[[], Any] | None) -> RayBackend | None:
    """A Ray backend when ``NST_RAY_ADDRESS`` is set (None otherwise); ``net_provider`` (None = the
    real VGG19 through the workers' weights chain) is shipped to the workers, so it must be
    picklable. A bad address raises ParamsError."""
    from nst.remote import ray_address

    address = ray_address()
    if address is None:
        return None
    return RayBackend(RemotePool(address, NetSpec(provider=net_provider) if net_provider is not None else NetSpec()))


__all__ = ["RayBackend", "RemoteNet", "RemotePool", "StudioWorker", "backend_from_env"]
