"""The shared rate budget: pacing to the server's window, the interactive reserve, 429 blocks,
and atomic counting across processes (SQLite file, Redis)."""

import json
import subprocess
import sys
import time
import uuid

import pytest

from portal.autosync.budget import (
    DEFAULT_LIMIT,
    ROLLOVER_GRACE,
    MemoryBudget,
    RedisBudget,
    SqliteBudget,
    budget_from_url,
)
from portal.autosync.errors import BudgetExhausted
from tests.support.servers import ROOT, service_missing

from .support import REDIS_URL, redis_available


class Clock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_budget(request, tmp_path):
    """A budget of each kind on a fake clock; `make_budget(**options)`."""

    def make(**options):
        clock = Clock()
        options = {"clock": clock, "sleep": clock.sleep, **options}
        if request.param == "memory":
            return MemoryBudget(**options)
        if request.param == "sqlite":
            return SqliteBudget(tmp_path / "budget.sqlite3", **options)
        if not redis_available():
            service_missing("Redis")
        return RedisBudget(REDIS_URL, prefix=f"autosync:test:{uuid.uuid4().hex}:", **options)

    return make


def test_an_unknown_credential_may_send_the_default_limit_less_the_reserve(make_budget):
    budget = make_budget(reserve=0.2)
    for _ in range(DEFAULT_LIMIT - 20):
        budget.acquire("k", timeout=0)
    with pytest.raises(BudgetExhausted):
        budget.acquire("k", timeout=0)


def test_background_work_stops_at_the_reserve_and_interactive_calls_use_it(make_budget):
    budget = make_budget(reserve=0.2)
    budget.observe("k", limit=10, remaining=10, reset=budget.clock() + 30)
    for _ in range(8):
        budget.acquire("k", "background", timeout=0)
    with pytest.raises(BudgetExhausted) as refused:
        budget.acquire("k", "background", timeout=5)
    assert refused.value.retry_after == pytest.approx(30 + ROLLOVER_GRACE)
    assert not refused.value.permanent
    budget.acquire("k", "interactive", timeout=0)
    budget.acquire("k", "interactive", timeout=0)
    with pytest.raises(BudgetExhausted):
        budget.acquire("k", "interactive", timeout=0)


def test_a_caller_over_budget_sleeps_until_the_window_resets(make_budget):
    budget = make_budget(reserve=0.0)
    reset = budget.clock() + 3
    budget.observe("k", limit=2, remaining=2, reset=reset)
    budget.acquire("k")
    budget.acquire("k")
    budget.acquire("k", timeout=10)
    assert budget.clock.slept == [pytest.approx(3 + ROLLOVER_GRACE)]
    assert budget.clock() >= reset + ROLLOVER_GRACE


def test_the_server_count_overrides_a_lower_local_one(make_budget):
    budget = make_budget()
    budget.acquire("k")
    # Other clients of the same grant (or a lost store) spent more than we know of.
    budget.observe("k", limit=100, remaining=3, reset=budget.clock() + 20)
    window = budget.window("k")
    assert (window.limit, window.used, window.observed) == (100, 97, True)


def test_requests_still_in_flight_are_not_forgotten_by_an_older_answer(make_budget):
    budget = make_budget()
    reset = budget.clock() + 20
    budget.observe("k", limit=100, remaining=90, reset=reset)
    for _ in range(5):
        budget.acquire("k")
    budget.observe("k", limit=100, remaining=89, reset=reset)  # answered before the other 4
    assert budget.window("k").used == 15


def test_an_answer_about_a_window_that_is_over_is_ignored(make_budget):
    budget = make_budget()
    budget.observe("k", limit=100, remaining=100, reset=budget.clock() + 20)
    budget.observe("k", limit=100, remaining=0, reset=budget.clock() - 1)
    assert budget.window("k").used == 0


def test_a_new_window_starts_from_zero_after_the_reset(make_budget):
    budget = make_budget(reserve=0.0)
    budget.observe("k", limit=5, remaining=0, reset=budget.clock() + 1)
    budget.clock.now += 1 + ROLLOVER_GRACE
    for _ in range(5):
        budget.acquire("k", timeout=0)


def test_after_a_429_nothing_is_sent_until_the_block_ends(make_budget):
    budget = make_budget()
    budget.blocked_until("k", budget.clock() + 4)
    with pytest.raises(BudgetExhausted):
        budget.acquire("k", "interactive", timeout=1)
    budget.acquire("k", "interactive", timeout=10)
    assert budget.clock.slept == [pytest.approx(4)]


def test_credentials_have_separate_windows(make_budget):
    budget = make_budget(reserve=0.0)
    budget.observe("a", limit=1, remaining=0, reset=budget.clock() + 30)
    budget.acquire("b", timeout=0)


def test_budget_urls_choose_the_store(tmp_path):
    assert isinstance(budget_from_url("memory://"), MemoryBudget)
    sqlite = budget_from_url(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert isinstance(sqlite, SqliteBudget) and sqlite.path == tmp_path / "b.sqlite3"
    assert isinstance(budget_from_url(REDIS_URL), RedisBudget)
    with pytest.raises(ValueError, match="Unsupported"):
        budget_from_url("postgres://nope")


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_processes_sharing_a_store_never_admit_more_than_the_window_allows(store, tmp_path):
    if store == "redis":
        if not redis_available():
            service_missing("Redis")
        url = REDIS_URL
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    key = f"shared-{uuid.uuid4().hex}"
    budget_from_url(url).observe(key, limit=100, remaining=100, reset=time.time() + 120)
    command = [
        sys.executable,
        "-m",
        "tests.portal.autosync.spend",
        "--budget",
        url,
        "--key",
        key,
        "--count",
        "40",
        "--priority",
        "interactive",
    ]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(4)]
    admitted = [json.loads(p.communicate(timeout=60)[0])["admitted"] for p in processes]
    assert sum(admitted) == 100  # 160 attempts, exactly the window's 100 admitted
    assert budget_from_url(url).window(key).used == 100


def test_an_unreachable_redis_makes_callers_wait_not_overspend():
    budget = RedisBudget("redis://127.0.0.1:9/0")  # nothing listens on port 9
    with pytest.raises(BudgetExhausted) as refused:
        budget.acquire("k", timeout=30)
    assert not refused.value.permanent and refused.value.retry_after
    budget.observe("k", limit=100, remaining=99, reset=time.time() + 60)  # logged, not raised
