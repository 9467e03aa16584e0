"""Who may queue a painting and where it waits, when the studio is shared (pure, no threads, no Streamlit).

The job runner (nst/jobs.py) asks two questions under its lock when a job is submitted:

* :func:`admission_error`: may this job be queued now? The owner's always may. A guest's may not
  while the same guest session (``Job.owner``, the browser session's token) has a job running or
  waiting (one painting per guest session), nor when ``GUEST_MAX_WAITING`` guest jobs are already
  waiting (three guest jobs queued in all, so a crowd of phones cannot fill the machine for hours).
* :func:`queue_slot`: where does it wait? A guest's at the end; the owner's after the owner's jobs
  already waiting and before the first waiting guest's (the owner's jobs first). A running job is
  never interrupted.

And a worker asks one when it is free: :func:`may_start`: a print (``Job.poster``, up to 8 GB and
half an hour) runs alone: it starts only when nothing else paints, and nothing starts beside it
(with several workers, as on a Ray cluster, the others wait). The studio says so to whoever waits
(``nst.jobs.JobRunner.activity``).

Whether a job is a guest's is decided by the page (``studio.access``) and passed to
``JobRunner.submit(job, guest=...)``; the rules are here so they are tested without a runner.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from nst.errors import NSTError

GUEST_MAX_WAITING = 3


class QueueRefused(NSTError):
    """A guest's job may not be queued now; the message is one sentence to show."""


class Queued(Protocol):
    owner: str | None  # the session that submitted it
    guest: bool
    poster: object  # None, or the print it paints


def admission_error(job: Queued, active: Sequence[Queued], waiting: Sequence[Queued]) -> str | None:
    """Why ``job`` may not be queued now (one sentence), or None. ``active``: every running or waiting
    job; ``waiting``: the waiting ones only."""
    if not job.guest:
        return None
    if any(other.guest and other.owner == job.owner for other in active):
        return "One painting at a time per guest: wait for yours to finish or stop it."
    if sum(1 for other in waiting if other.guest) >= GUEST_MAX_WAITING:
        return f"{GUEST_MAX_WAITING} guests' paintings are already waiting; try again in a few minutes."
    return None


def queue_slot(job: Queued, waiting: Sequence[Queued]) -> int:
    """The index in ``waiting`` at which ``job`` is inserted: the owner's jobs first, each side in order."""
    if job.guest:
        return len(waiting)
    return next((index for index, other in enumerate(waiting) if other.guest), len(waiting))


def may_start(job: Queued, running: Sequence[Queued]) -> bool:
    """Whether ``job`` (the next in the queue) may start beside the ``running`` ones: a print runs alone."""
    if not running:
        return True
    return job.poster is None and all(other.poster is None for other in running)
