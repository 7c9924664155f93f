"""The simulator's order for start_time (asked for on every page) against the
documented rule: whole epoch seconds, then the session's place in the store."""

from __future__ import annotations

import dataclasses
import random

import pytest

from spstui.simulator import Simulator
from spstui.simulator.search import basic_search, order, parse_sort
from tests.conftest import make_sim


@pytest.mark.parametrize("sort", ["start_time", "-start_time"])
def test_start_time_order_breaks_ties_by_store_order(sort: str) -> None:
    sim = make_sim(sessions=60)
    # Several sessions in the same second (and fractions that must not count).
    sessions = [dataclasses.replace(s, start=1_700_000_000 + s.idx // 4 + (s.idx % 4) / 10)
                for s in sim.store.sessions]
    shuffled = random.Random(3).sample(sessions, len(sessions))
    got = order(sim.store, shuffled, parse_sort(sort), sim.now())
    sign = -1 if sort.startswith("-") else 1
    expected = sorted(sessions, key=lambda s: (sign * int(s.start), s.idx))
    assert [s.idx for s in got] == [s.idx for s in expected]
    if sign < 0:  # newest first, yet ties stay in store order
        assert got != sorted(sessions, key=lambda s: s.idx, reverse=True)


def test_warming_the_demo_changes_no_answer() -> None:
    # The demo works out the newest sessions' events before it serves; the answers
    # must be those of a simulator that did not.
    params = [("limit", "50"), ("sort", "-start_time"),
              ("fields", "start_time,analytics.score,analytics.interesting_events")]
    cold = make_sim(sessions=500)
    warm: Simulator = make_sim(sessions=500)
    warm.warm(newest=100)
    answer = basic_search(warm.store, warm.now(), params, "https://sps")
    assert answer == basic_search(cold.store, cold.now(), params, "https://sps")
    items = answer[0]["items"]  # type: ignore[index]
    assert any(item["body"]["analytics.interesting_events"] for item in items)
