"""Guests' share of the queue (nst.queue_policy): one painting per guest session, three guests'
paintings waiting at most, the owner's jobs first; and the job runner applying it on submit."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from nst.job import Job
from nst.jobs import JobRunner
from nst.run_types import RUNNING, RunInputs
from nst.params import StyleParams
from nst.queue_policy import GUEST_MAX_WAITING, QueueRefused, admission_error, queue_slot

WAIT = 120


@dataclass
class Ticket:
    owner: str | None
    guest: bool


OWNER = Ticket("me", False)


def guest(session: str) -> Ticket:
    return Ticket(session, True)


def test_the_owner_is_always_admitted():
    crowd = [guest(f"g{i}") for i in range(10)]
    assert admission_error(OWNER, [OWNER, *crowd], crowd) is None


def test_one_painting_per_guest_session_running_or_waiting():
    assert admission_error(guest("a"), [guest("a")], []) is not None  # a's painting runs
    assert "One painting at a time" in admission_error(guest("a"), [OWNER, guest("a")], [guest("a")])
    assert admission_error(guest("b"), [guest("a")], []) is None
    assert admission_error(guest("a"), [OWNER], [OWNER]) is None  # the owner's jobs do not count


def test_at_most_three_guests_waiting():
    waiting = [guest(s) for s in "abc"]
    assert GUEST_MAX_WAITING == 3
    assert "already waiting" in admission_error(guest("d"), waiting, waiting)
    assert admission_error(guest("d"), waiting, waiting[:2]) is None  # one of them is running, not waiting


def test_the_owners_jobs_go_before_waiting_guests_and_keep_their_order():
    assert queue_slot(OWNER, []) == 0
    assert queue_slot(OWNER, [OWNER, guest("a"), guest("b")]) == 1
    assert queue_slot(OWNER, [OWNER, OWNER]) == 2
    assert queue_slot(guest("c"), [OWNER, guest("a")]) == 2


@pytest.fixture
def held_runner(tiny_net):
    """A runner whose first job stays running (building the network waits for ``release``)."""
    release = threading.Event()

    def net():
        release.wait(WAIT)
        return tiny_net

    runner = JobRunner(net_provider=net, start_watchdog=False)
    yield runner
    release.set()
    runner.shutdown()


def test_the_runner_refuses_and_orders_guests_jobs(held_runner, content_image, style_image):
    def job(session: str) -> Job:
        return Job(RunInputs(content_image, [style_image]), StyleParams(size=64, scales=1, iterations=2), owner=session)

    first = held_runner.submit(job("me"))
    assert first.wait_until(lambda v: v.status == RUNNING, WAIT)
    a, b, c = (held_runner.submit(job(s), guest=True) for s in "abc")
    with pytest.raises(QueueRefused, match="One painting at a time"):
        held_runner.submit(job("a"), guest=True)
    with pytest.raises(QueueRefused, match="already waiting"):
        held_runner.submit(job("d"), guest=True)
    mine, mine_too = held_runner.submit(job("me")), held_runner.submit(job("me"))
    order = [held_runner.queue_position(j) for j in (mine, mine_too, a, b, c)]
    assert order == [1, 2, 3, 4, 5]
    assert len(held_runner.active_jobs()) == 6  # the refused ones were never queued
