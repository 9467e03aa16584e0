"""Ray backend: batches (sweeps, method comparisons) as Ray tasks, in parallel across a cluster.

Chosen at the edge: ``NST_RAY_ADDRESS`` (or the CLI's ``--ray ADDRESS``) set to ``local``
(start a Ray cluster on this machine), ``auto`` (join the cluster ``ray start`` made here),
``ray://host:port`` (Ray Client) or ``host:port`` (a head node's GCS). Unset, everything runs
in-process as before; nothing here is imported then, so Ray stays optional at run time.

The contract with the workers:

- A worker gets the network from a :class:`NetSpec` (an explicit weights path, else its own
  ``nst.weights`` chain: ``NST_VGG19_WEIGHTS`` on a path all nodes see, or the registry route)
  and builds it once per worker process (:func:`worker_net`), never per task.
- A cell's task returns the whole ``StyleResult`` plus its score and its scorecards (measured with the
  worker's network, ``nst.rescore.measure_result``); only the driver writes the gallery store, so the
  store's crash-safety rules are unchanged and the driver needs no network.
- A worker killed mid-task is retried once by Ray (``max_retries=1``); a second death marks
  that cell failed with one sentence. Errors inside a cell (bad params, no weights) are not
  retried. A lost cluster is one sentence (:class:`ClusterError`), never a traceback.

The studio's runs on Ray (progress, Stop, live re-weighting) are in ``nst.remote_jobs``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import socket
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import numpy as np

from nst.errors import NSTError, ParamsError
from nst.run_types import RunInputs

log = logging.getLogger("nst")

ADDRESS_ENV = "NST_RAY_ADDRESS"
CPUS_ENV = "NST_RAY_CPUS_PER_TASK"  # Ray CPUs one painting reserves (its TensorFlow thread count)
LOCAL_CPUS_ENV = "NST_RAY_LOCAL_CPUS"  # CPUs a `local` cluster offers (default: all of this machine's)
FORWARDED_ENV = ("NST_VGG19_WEIGHTS", "NST_OFFLINE", "NST_CACHE_DIR")  # driver -> workers, when set
POLL_SECONDS = 0.25  # how often the driver looks at a Stop while cells run


class ClusterError(NSTError):
    """The Ray cluster cannot be reached or was lost: one sentence for the user."""


def ray_address(explicit: str | None = None) -> str | None:
    """The Ray address to use (``--ray`` wins over ``NST_RAY_ADDRESS``); None = run in-process."""
    value = (explicit if explicit is not None else os.environ.get(ADDRESS_ENV, "")).strip()
    if not value:
        return None
    if value in ("local", "auto") or re.fullmatch(r"(ray://)?[\w.\-]+:\d{1,5}", value):
        return value
    raise ParamsError(f"The Ray address must be local, auto, ray://host:port or host:port, not {value!r} "
                      f"(--ray or {ADDRESS_ENV}).")


def cpus_per_task() -> float:
    value = os.environ.get(CPUS_ENV, "1").strip()
    try:
        cpus = float(value)
    except ValueError:
        cpus = -1.0
    if not 0 < cpus <= 256:
        raise ParamsError(f"{CPUS_ENV} must be a number of CPUs between 0 and 256, not {value!r}.")
    return cpus


# ---- connecting --------------------------------------------------------------------------------
_connect_lock = threading.Lock()
_connected_here = False  # this module called ray.init (so release() may end it)


def connect(address: str) -> None:
    """Join (or, for ``local``, start) the cluster once per process; ClusterError when it cannot.

    When Ray is already initialised in this process (a test session's cluster, an app that set
    Ray up itself), that connection is used as it is."""
    global _connected_here
    import ray

    with _connect_lock:
        if ray.is_initialized():
            return
        env = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
        _check_reachable(address)
        try:
            if address == "local":
                ray.init(num_cpus=_local_cpus(), include_dashboard=False, _node_ip_address="127.0.0.1",
                         runtime_env={"env_vars": env}, configure_logging=False, log_to_driver=False)
            else:
                # remote nodes need this package's code: ship it with the job
                import nst

                ray.init(address=address, runtime_env={"env_vars": env,
                                                       "py_modules": [os.path.dirname(nst.__file__)]},
                         configure_logging=False, log_to_driver=False)
        except Exception as error:  # noqa: BLE001 - ConnectionError, TimeoutError, RuntimeError ...
            raise ClusterError(f"Could not reach the Ray cluster at {address!r} ({_first_line(error)}); "
                               f"start it with `ray start --head` or unset {ADDRESS_ENV}.") from None
        _connected_here = True


def release() -> None:
    """Disconnect if :func:`connect` connected (a ``local`` cluster stops with it); a connection
    made by someone else is left alone. The CLI calls this when a batch is over."""
    global _connected_here
    with _connect_lock:
        if _connected_here:
            _connected_here = False
            shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Ray keeps retrying an address nobody answers on, for minutes: knock once first."""
    if address in ("local", "auto"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ClusterError(f"Could not reach the Ray cluster at {address!r} ({error.strerror or error}); "
                           f"start it with `ray start --head` or unset {ADDRESS_ENV}.") from None


def _local_cpus() -> int:
    value = os.environ.get(LOCAL_CPUS_ENV, "").strip()
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise ParamsError(f"{LOCAL_CPUS_ENV} must be a whole number of CPUs of at least 1, not {value!r}.")
    return int(value)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def is_lost_cluster(error: BaseException) -> bool:
    """A failure of the cluster itself (not of one worker or one cell)."""
    import ray.exceptions as rex

    return isinstance(error, (rex.RaySystemError, rex.GetTimeoutError, ConnectionError)) or (
        isinstance(error, rex.RayError) and not isinstance(error, (rex.RayTaskError, rex.WorkerCrashedError,
                                                                   rex.RayActorError, rex.TaskCancelledError,
                                                                   rex.OutOfMemoryError)))


def lost_cluster_error(error: BaseException) -> ClusterError:
    return ClusterError(f"Lost the Ray cluster ({_first_line(error)}); the cells that finished were saved.")


# ---- the network on a worker ---------------------------------------------------------------------
@dataclass(frozen=True)
class NetSpec:
    """How a worker gets its network: ``weights`` (a path every node sees) or its own weights chain.

    ``provider`` is a TEST HOOK (or the studio's network provider): a picklable callable that
    returns the network, e.g. :meth:`tiny_for_tests`. It is shipped to the worker and called
    there once per worker process; it is never a fallback for missing weights.
    """

    weights: str | None = None
    provider: Callable[[], Any] | None = None

    @classmethod
    def tiny_for_tests(cls, seed: int = 0) -> "NetSpec":
        from nst.model import tiny_feature_net_for_tests

        return cls(provider=functools.partial(tiny_feature_net_for_tests, seed=seed))

    def cache_key(self) -> str:
        if self.provider is None:
            return f"weights:{self.weights or ''}"
        import ray.cloudpickle

        return "provider:" + hashlib.sha256(ray.cloudpickle.dumps(self.provider)).hexdigest()


_nets: dict[str, Any] = {}
_nets_lock = threading.Lock()
_net_builds = 0  # networks built in this process (tests check "once per worker process")


def worker_net(spec: NetSpec) -> Any:
    """The network for ``spec``, built on the first call in this process and kept."""
    global _net_builds
    key = spec.cache_key()
    with _nets_lock:
        if key not in _nets:
            _use_assigned_cpus()
            if spec.provider is not None:
                _nets[key] = spec.provider()
            else:
                from nst.model import get_feature_net

                _nets[key] = get_feature_net(spec.weights)
            _net_builds += 1
        return _nets[key]


def net_builds() -> int:
    """How many networks this process has built (tests check "once per worker process")."""
    return _net_builds


def _use_assigned_cpus() -> None:
    """TensorFlow would use every core of the node; a task should use the CPUs Ray gave it."""
    try:
        import ray
        import tensorflow as tf

        # a studio actor reserves no CPUs (nst.remote_jobs) and says how many threads to use instead
        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU") or float(
            os.environ.get("NST_RAY_WORKER_THREADS", "0"))
        if cpus:
            tf.config.threading.set_intra_op_parallelism_threads(max(1, int(cpus)))
            tf.config.threading.set_inter_op_parallelism_threads(max(1, int(cpus)))
    except (RuntimeError, ValueError):  # TensorFlow already initialised in this process: keep its pool
        pass


# ---- one cell ------------------------------------------------------------------------------------
@dataclass
class CellOutput:
    """What a worker sends back: the whole result, its score and scorecards, and which process painted it."""

    result: Any  # nst.engine.StyleResult
    score: float | None
    pid: int
    net_builds: int
    measured: Any = None  # nst.rescore.MeasuredRun; None when measuring failed (``gallery rescore`` later)


def measure_on_worker(result: Any, inputs: RunInputs, net: Any) -> Any:
    """The run's scorecards (``nst.rescore.measure_result``), or None: a run that cannot be measured is kept."""
    from nst.rescore import measure_result

    try:
        return measure_result(result, inputs, net)
    except Exception:  # noqa: BLE001 - the painting is what matters; `nst gallery rescore` can measure it later
        log.exception("measuring the scorecards on the worker failed")
        return None


def paint_cell(spec: NetSpec, index: int, params: Any, inputs: RunInputs,
               test_fault: Callable[[int], None] | None = None) -> CellOutput:
    """Runs on a worker: one ``stylize`` of one batch item, scored and measured with the same network."""
    from nst.engine import stylize
    from nst.score import score_image

    net = worker_net(spec)
    if test_fault is not None:  # TEST HOOK: e.g. kill this worker process mid-task
        test_fault(index)
    result = stylize(inputs, params, net=net)
    score = score_image(result.image, inputs.content, inputs.styles, net, size=params.size,
                        blend=list(params.blend_weights(len(inputs.styles)))).terms.total
    return CellOutput(result, float(score), os.getpid(), net_builds(), measure_on_worker(result, inputs, net))


@functools.lru_cache(maxsize=1)
def _cell_task():
    import ray

    # max_retries counts worker deaths only (retry_exceptions=False): an error in the cell is final
    return ray.remote(max_retries=1, retry_exceptions=False)(paint_cell)


# ---- a batch -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellFailure:
    item: Any  # nst.batch.BatchItem
    message: str


def run_batch_on_ray(items: Sequence[Any], inputs: RunInputs, *,
                     address: str, spec: NetSpec, control=None,
                     on_result: Callable[[Any, CellOutput], None] | None = None,
                     on_failure: Callable[[CellFailure], None] | None = None,
                     test_fault: Callable[[int], None] | None = None) -> tuple[list[CellOutput], list[CellFailure]]:
    """Every item as a Ray task at once; results come back (and ``on_result`` runs, in this
    process) in the order they finish. A cancel on ``control`` cancels the cells not yet done."""
    import ray

    connect(address)
    task = _cell_task().options(num_cpus=cpus_per_task())
    try:
        inputs_ref = ray.put(replace(inputs, original=None, content=np.asarray(inputs.content, np.float32),
                                     styles=list(inputs.styles)))
        refs = {task.remote(spec, index, item.params, inputs_ref, test_fault):
                (index, item) for index, item in enumerate(items)}
    except Exception as error:  # noqa: BLE001
        raise lost_cluster_error(error) from None
    outputs: list[CellOutput] = []
    failures: list[CellFailure] = []
    pending = list(refs)
    while pending:
        if control is not None and control.cancelled:
            _cancel(pending)
            break
        try:
            ready, pending = ray.wait(pending, num_returns=1, timeout=POLL_SECONDS)
        except KeyboardInterrupt:  # Ctrl-C in the CLI: the cluster must not keep painting
            _cancel(pending)
            raise
        except Exception as error:  # noqa: BLE001
            raise lost_cluster_error(error) from None
        for ref in ready:
            index, item = refs[ref]
            output, failure = _collect(ref, item)
            if output is not None:
                outputs.append(output)
                if on_result:
                    on_result(item, output)
            else:
                failures.append(failure)
                if on_failure:
                    on_failure(failure)
    return outputs, failures


def _cancel(refs) -> None:
    import ray

    for ref in refs:
        try:
            ray.cancel(ref, force=True)
        except Exception:  # noqa: BLE001 - already finished, or the cluster is gone: nothing to stop
            pass


def _collect(ref, item) -> tuple[CellOutput | None, CellFailure | None]:
    import ray
    import ray.exceptions as rex

    try:
        return ray.get(ref), None
    except rex.RayTaskError as error:  # the cell itself raised
        cause = error.cause if isinstance(getattr(error, "cause", None), BaseException) else error
        message = str(cause) if isinstance(cause, NSTError) else f"{type(cause).__name__}: {_first_line(cause)}"
        return None, CellFailure(item, f"{item.label}: failed ({message}).")
    except (rex.WorkerCrashedError, rex.OutOfMemoryError, rex.NodeDiedError) as error:
        return None, CellFailure(item, f"{item.label}: the worker painting it died twice "
                                       f"({type(error).__name__}); not saved.")
    except rex.TaskCancelledError:
        return None, CellFailure(item, f"{item.label}: cancelled.")
    except Exception as error:  # noqa: BLE001
        if is_lost_cluster(error):
            raise lost_cluster_error(error) from None
        raise


def shutdown() -> None:
    """Leave the cluster (and stop a ``local`` one), whoever connected; tests call this."""
    import ray

    if ray.is_initialized():
        ray.shutdown()
    _cell_task.cache_clear()


__all__ = ["ADDRESS_ENV", "CellFailure", "CellOutput", "ClusterError", "NetSpec", "connect", "cpus_per_task",
           "ray_address", "run_batch_on_ray", "shutdown", "worker_net"]
