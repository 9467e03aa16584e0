"""Where a studio job paints: one :class:`Backend` protocol, and the in-process implementation.

:class:`nst.jobs.JobRunner` queues jobs and saves what they paint; a backend builds the network
and paints a job's items, so the runner has no "if Ray" anywhere. Every job is a batch: a single
run is a batch of one item (``nst.batch.single_item``), painted and saved like any other. Two backends:

* :class:`InProcessBackend` (here): the items in turn in the runner's worker thread, one job at a time;
* :class:`nst.remote_jobs.RayBackend`: a batch of one on a pooled worker actor (live events, Stop
  and re-weighting forwarded), a longer batch as one Ray task per item, several jobs at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from nst.batch import BatchItem, run_batch
from nst.job import Job
from nst.run_types import ProgressEvent, StyleResult


@dataclass(frozen=True)
class Painted:
    """One item of a job, painted: what the runner saves."""

    item: BatchItem  # its label, sweep axes and params
    result: StyleResult
    score: float | None = None  # set when the backend's worker scored it
    measured: Any = None  # nst.rescore.MeasuredRun, when the backend's worker measured its scorecards


@dataclass
class PaintedJob:
    """How painting a job's items ended (each item was already handed to ``on_painted``)."""

    results: list[StyleResult] = field(default_factory=list)  # in the order they came back
    complete: bool = False  # every item painted (and, in-process, no Stop on the way)
    failures: list[str] = field(default_factory=list)  # one sentence per item that failed


OnPainted = Callable[[Painted], None]


class Backend(Protocol):
    """What :class:`nst.jobs.JobRunner` needs from the place runs paint."""

    preparing: str  # the job's phase while its first step compiles
    done_note: str  # appended to a finished batch's message ("" or " (on Ray)")
    stop_note: str  # what a Stop did to a batch, for its message
    scores_here: bool  # True: the runner scores each result with its net; False: the worker did
    paints_here: bool  # True: build_net gives a network this process paints with (prints need one)

    def slots(self) -> int:
        """How many jobs may paint at once."""
        ...

    def build_net(self) -> Any:
        """The network (or a description of the workers'); raises NSTError with one sentence."""
        ...

    def paint(self, job: Job, net: Any, on_painted: OnPainted, *, score: bool) -> PaintedJob:
        """Paint every item of ``job`` (one for a single run), feeding its progress to the job."""
        ...

    def shutdown(self) -> None:
        ...


class InProcessBackend:
    """``stylize`` in the calling thread: one job at a time, items in turn."""

    preparing = "preparing (the first run at a new size compiles the step)"
    done_note = ""
    stop_note = "the current one kept its best image; the rest were skipped"
    scores_here = True
    paints_here = True

    def __init__(self, net_provider: Callable[[], Any]) -> None:
        self._net_provider = net_provider

    def slots(self) -> int:
        return 1

    def build_net(self) -> Any:
        return self._net_provider()

    def paint(self, job: Job, net: Any, on_painted: OnPainted, *, score: bool) -> PaintedJob:
        """Every item in turn (``nst.batch.run_batch``); a stop keeps the current item and skips the rest."""
        def on_event(index: int, event: ProgressEvent) -> None:
            if index != job.item_index:
                job.start_item(index)
            job.record_event(event)

        results = run_batch(job.items, job.inputs, net=net, control=job.control, on_event=on_event,
                            on_result=lambda item, result: on_painted(Painted(item, result)))
        return PaintedJob(results, complete=len(results) == len(job.items) and not job.control.cancelled)

    def shutdown(self) -> None:
        pass
