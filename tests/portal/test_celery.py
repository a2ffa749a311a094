"""The task policy every app's tasks share (portal.celery.ReliableTask)."""

import pytest
from celery.exceptions import Retry

from portal.autosync.errors import RateLimited
from portal.celery import ReliableTask
from portal.celery import app as celery_app


@celery_app.task(bind=True, base=ReliableTask, name="tests.portal.test_celery.flaky")
def flaky(self, outcome: str, failures: int = 0) -> None:
    if outcome == "wait":
        self.retry_wait(40)
    if outcome == "rate limited":
        self.retry_failure(RateLimited("slow down", permanent=False, retry_after=600), failures)
    self.retry_failure(ValueError("a bug"), failures)


def retry_of(*args, **kwargs) -> Retry:
    with pytest.raises(Retry) as info:
        flaky.s(*args, **kwargs).apply(throw=True)
    return info.value


def test_every_task_of_the_portal_is_acknowledged_late_and_retried_with_the_shared_policy():
    celery_app.loader.import_default_modules()
    tasks = {name: task for name, task in celery_app.tasks.items() if name.startswith("portal.")}
    assert tasks, "no portal task was found"
    for name, task in tasks.items():
        assert isinstance(task, ReliableTask), name
        assert task.acks_late and task.reject_on_worker_lost, name


def test_the_backoff_doubles_from_5_seconds_to_at_most_5_minutes_with_jitter():
    for failures, middle in ((0, 5), (1, 10), (3, 40), (6, 300), (20, 300)):
        delays = {ReliableTask.backoff(failures) for _ in range(20)}
        assert all(0.75 * middle <= delay <= 1.25 * middle for delay in delays), failures
        assert len(delays) > 1  # jittered: workers do not retry in step


def test_a_failure_is_counted_and_retried_after_its_backoff():
    retry = retry_of("fail", failures=2)
    assert retry.sig.kwargs == {"failures": 3}
    assert 15 <= retry.when <= 25


def test_a_failure_that_says_when_to_come_back_waits_that_long_when_longer():
    retry = retry_of("rate limited")
    assert retry.sig.kwargs == {"failures": 1} and retry.when == 600


def test_a_wait_is_not_a_failure():
    retry = retry_of("wait", failures=2)
    assert retry.sig.kwargs == {"failures": 2} and retry.when == 40
