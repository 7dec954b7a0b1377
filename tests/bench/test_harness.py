"""The benchmark harness measures the right thing: generated orders behave like real
ones, and each hand-written SQL returns exactly the rows the API returns."""

from __future__ import annotations

from typing import Any

import pytest
from bench.run import summarise_profile
from django.test import Client

from bench import data, scenarios
from gongdan.core.models import User
from gongdan.core.services import api_token_create
from gongdan.workorders.models import WorkOrder, WorkOrderEvent


def _client(username: str) -> Client:
    _, raw = api_token_create(user=User.objects.get(username=username), name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def generated(db: None) -> data.People:
    people = data.seed_people()
    data.generate_orders(people, 300)
    return people


def test_generated_orders_behave_like_service_written_ones(generated: data.People) -> None:
    client = _client("bench-dispatcher")
    listed = client.get("/api/v1/work-orders", {"page_size": 200}).json()
    assert listed["count"] == 300
    one = listed["results"][0]
    detail = client.get(f"/api/v1/work-orders/{one['number']}").json()
    assert detail["title"] == one["title"]
    assert detail["asset"].startswith("IMM-")
    assert WorkOrderEvent.objects.filter(kind="created").count() == 300
    # The sequence was moved past the generated numbers: a new order gets a free one.
    response = client.post(
        "/api/v1/work-orders",
        {"type": "equipment_repair", "title": "空压机 漏油", "data": {"symptom": "oil_leak"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert WorkOrder.objects.filter(number=response.json()["number"]).count() == 1
    # Growing the data set adds only what is missing.
    assert data.generate_orders(generated, 301) == 0
    assert data.generate_orders(generated, 351) == 50


def test_hand_written_sql_returns_the_rows_the_api_returns(generated: data.People) -> None:
    open_board = scenarios.run_hand_sql(scenarios.SCENARIOS[0])
    assert open_board[0] > 0 and open_board[1], "the board scenario has rows to measure"
    for scenario in scenarios.SCENARIOS:
        if scenario.page > 1:
            # 300 orders make six pages of 50: compare the last one instead of page 20.
            scenario = scenarios.Scenario(**{**scenario.__dict__, "page": 6})
        body: Any = _client(scenario.user).get(scenarios.api_path(scenario)).json()
        total, numbers = scenarios.run_hand_sql(scenario)
        assert body["count"] == total, scenario.name
        assert [row["number"] for row in body["results"]] == numbers, scenario.name


def test_profile_summary_splits_request_samples_into_the_create_path() -> None:
    raw = "\n".join(
        [
            "run (gunicorn/arbiter.py:1);sleep (time:1) 50",
            "handle_request (gunicorn/workers/gthread.py:1);order_create (api.py:1);"
            "work_order_create (services.py:1);_next_number (services.py:2) 30",
            "handle_request (gunicorn/workers/gthread.py:1);order_create (api.py:1);"
            "asset_named (gongdan/assets/selectors.py:2) 10",
        ]
    )
    summary = summarise_profile(raw)
    assert summary["samples"] == 40
    assert summary["buckets"]["work_order_create (service)"] == 75
    assert summary["buckets"]["  order number (_next_number)"] == 75
    assert summary["buckets"]["machine look-up (asset_named)"] == 25
    assert summary["top_self"][0] == ("_next_number (services.py:2)", 75)


def test_ratios_are_taken_within_each_round() -> None:
    from bench.run import round_ratios

    # The machine slowed down in round 2: both servers dropped, the ratio did not.
    ours = {"rounds": [300.0, 150.0, 290.0]}
    peer = {"rounds": [100.0, 50.0, 100.0]}
    assert round_ratios(ours, peer) == "3.00× (2.90–3.00)"
    assert round_ratios({"rounds": [10.0]}, {"rounds": [4.0]}) == "2.50×"
    assert round_ratios({"rounds": [10.0]}, {"rounds": [0.0]}) == "—"


@pytest.mark.django_db(transaction=True)
def test_counted_creates_are_real_api_creates_and_leave_the_caches_as_they_were() -> None:
    """What ``--instructions`` counts: the API's full create, once per count, through
    the WSGI handler; the caches it holds for the run expire as before afterwards."""
    from bench import count
    from gongdan.core import cache

    before = [held._ttl for held in cache._all]  # type: ignore[attr-defined]
    assert count.gongdan_creates(3) == count.WARM_CREATES + 3
    orders = WorkOrder.objects.filter(title=count.CREATE_BODY["title"])
    assert orders.count() == count.WARM_CREATES + 3
    # Routed like any red order of the plant: assigned, with the routing record.
    assert not orders.filter(assignee=None).exists()
    assert WorkOrderEvent.objects.filter(order__in=orders, kind="routing").count() == orders.count()
    assert [held._ttl for held in cache._all] == before  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_the_sql_floor_replays_a_real_creates_statements_each_as_its_own_order() -> None:
    """``sql-floor`` replays the statements an API create ran — the order's INSERT and
    the rows after it, in one write transaction — each replay a new order with its
    own rows, and reports what one create writes to the WAL."""
    from django.db import connection

    from bench import inproc

    data.seed_config()
    people = data.seed_people()
    if connection.vendor != "sqlite":
        assert "skipped" in inproc.cmd_sql_floor(None)  # type: ignore[arg-type]
        return
    before = WorkOrder.objects.count()
    floor = inproc.sql_floor(_client(people.dispatcher.username), 3)
    assert WorkOrder.objects.count() == before + 2 + 3  # two real creates, three replays
    replayed = WorkOrder.objects.filter(number__startswith="FLOOR-")
    assert replayed.count() == 3
    for order in replayed:
        # Each replay's event and SLA clock belong to its own order.
        assert order.events.count() >= 1 and order.sla_clock.order_id == order.pk
    assert any(sql.startswith("COMMIT") for sql in floor["ms_by_statement"])
    assert any("INSERT INTO" in sql for sql in floor["ms_by_statement"])
    assert floor["wal_pages_per_create"] > 3 and floor["ms_per_create"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_request_is_counted_warm_when_the_configuration_has_just_expired() -> None:
    """After a slow request's repetitions the process's two-second configuration
    copies may have expired; their reload belongs to no request in particular, and
    the count the table reports is the list's own three queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import inproc
    from gongdan.core import cache

    data.generate_orders(data.seed_people(), 60)
    scenario = scenarios.SCENARIOS[0]
    client = _client(scenario.user)
    path = scenarios.api_path(scenario)

    def call() -> None:
        assert client.get(path).status_code == 200

    call()
    cache.clear_all()
    with CaptureQueriesContext(connection) as cold:
        call()
    assert len(cold.captured_queries) > 3  # the reload, counted against this request
    cache.clear_all()
    assert inproc.count_queries(call) == 3
