from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongdan.workorders.models import WorkOrder

ORDER = {
    "type": "equipment_repair",
    "title": "注塑机报警 E-102",
    "priority": "red",
    "asset": "IMM-001",
    "data": {"symptom": "alarm", "alarm_code": "E-102"},
}


def assert_error(response, status, code, *fields):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert set(fields) <= set(body["errors"]), body
    return body


def test_create_returns_201_with_the_order(plant, api):
    response = api(plant.requester).post("work-orders", ORDER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("WO-")
    assert body["type"] == "equipment_repair"
    assert body["state"] == "new" and body["priority"] == "red"
    assert body["assignee"] is None
    assert body["data"] == {"symptom": "alarm", "alarm_code": "E-102"}
    assert body["version"] == 1
    assert body["requester"]["username"] == "requester"


def test_same_idempotency_key_creates_one_order_and_returns_it_twice(plant, api):
    client = api(plant.requester)
    first = client.post("work-orders", ORDER, **{"Idempotency-Key": "k-1"})
    second = client.post("work-orders", ORDER, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert WorkOrder.objects.count() == 1


def test_different_users_may_reuse_a_key(plant, api):
    api(plant.requester).post("work-orders", ORDER, **{"Idempotency-Key": "k-1"})
    api(plant.dispatcher).post("work-orders", ORDER, **{"Idempotency-Key": "k-1"})
    assert WorkOrder.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**ORDER, "title": 42}, {"title"}),
        ({**ORDER, "data": "not an object"}, {"data"}),
        ({k: v for k, v in ORDER.items() if k != "title"}, {"title"}),
        ({**ORDER, "type": "teleportation"}, {"type"}),
        ({**ORDER, "asset": "NOPE-9"}, {"asset"}),
        ({**ORDER, "priority": "purple"}, {"priority"}),
        ({**ORDER, "data": {"symptom": "alarm", "labour_hours": "lots"}}, {"labour_hours"}),
        ({**ORDER, "data": {}}, {"symptom"}),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(plant, api, body, fields):
    response = api(plant.requester).post("work-orders", body)
    assert_error(response, 422, "validation_error", *fields)
    assert WorkOrder.objects.count() == 0


def test_malformed_json_is_a_400_in_json(plant, api):
    response = api(plant.requester).post("work-orders", '{"type": "equipment_repair",')
    assert_error(response, 400, "malformed")


def test_errors_come_in_english_when_asked(plant, api):
    client = api(plant.requester)
    response = client.client.post(
        "/api/v1/work-orders",
        '{"type": "equipment_repair", "title": "x", "data": {}}',
        content_type="application/json",
        headers={**client.headers, "Accept-Language": "en"},
    )
    body = assert_error(response, 422, "validation_error", "symptom")
    assert "required" in body["errors"]["symptom"]


def test_anonymous_and_bad_tokens_get_401(plant, api):
    assert_error(api(None).get("work-orders"), 401, "unauthenticated")
    client = api(None)
    client.headers["Authorization"] = "Bearer gd_not-a-real-token"
    assert_error(client.get("work-orders"), 401, "unauthenticated")


def test_a_revoked_token_stops_working(plant, api):
    client = api(plant.dispatcher)
    assert client.get("work-orders").status_code == 200
    tokens = client.get("me/tokens").json()
    assert client.delete(f"me/tokens/{tokens[0]['id']}").status_code == 204
    assert_error(client.get("work-orders"), 401, "unauthenticated")


def test_session_users_use_the_api_too(plant, client):
    from tests.conftest import PASSWORD

    assert client.login(username="dispatcher", password=PASSWORD)
    assert client.get("/api/v1/me").json()["role"] == "dispatcher"


def test_list_filters(plant, api, new_order):
    red = new_order(priority="red", title="冒烟")
    new_order(priority="blue", asset=plant.south_press)
    client = api(plant.dispatcher)
    by_priority = client.get("work-orders", priority="red").json()
    assert [o["number"] for o in by_priority["results"]] == [red.number]
    assert client.get("work-orders", asset="IMM-101").json()["count"] == 1
    assert client.get("work-orders", q="冒烟").json()["count"] == 1
    assert client.get("work-orders", category="new").json()["count"] == 2
    assert client.get("work-orders", category="closed").json()["count"] == 0
    assert client.get("work-orders", assignee="none").json()["count"] == 2
    assert_error(client.get("work-orders", page_size=1000), 422, "validation_error", "page_size")
    assert_error(client.get("work-orders", page="x"), 422, "validation_error", "page")


def test_red_orders_come_first(plant, api, new_order):
    new_order(priority="blue")
    red = new_order(priority="red")
    results = api(plant.dispatcher).get("work-orders").json()["results"]
    assert results[0]["number"] == red.number


def _list_queries(client, page_size):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("work-orders", page_size=page_size)
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(plant, api, new_order):
    for i in range(12):
        order = new_order(title=f"order {i}", asset=plant.press if i % 2 else plant.south_press)
        if i % 3 == 0:
            from gongdan.workorders.services import work_order_assign

            work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    client = api(plant.dispatcher)
    client.get("me")  # the token's first use is recorded once; keep it out of the count
    assert _list_queries(client, 2) == _list_queries(client, 12)


def test_detail_and_events(plant, api, new_order):
    order = new_order()
    client = api(plant.dispatcher)
    assert client.get(f"work-orders/{order.number}").json()["title"] == order.title
    events = client.get(f"work-orders/{order.number}/events").json()
    assert [e["kind"] for e in events] == ["created"]
    assert events[0]["actor"]["username"] == "requester"
    assert_error(client.get("work-orders/WO-1999-000001"), 404, "not_found")


def test_transition_through_the_api(plant, api, new_order):
    order = new_order()
    client = api(plant.wang)
    offered = client.get(f"work-orders/{order.number}/transitions").json()
    assert [t["key"] for t in offered] == ["accept"]
    response = client.post(
        f"work-orders/{order.number}/transitions", {"action": "accept", "version": 1}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and body["assignee"]["username"] == "wang"
    assert body["version"] == 2


def test_transition_errors_say_why(plant, api, new_order):
    order = new_order()
    url = f"work-orders/{order.number}/transitions"
    body = assert_error(
        api(plant.wang).post(url, {"action": "resolve", "version": 1}),
        409,
        "transition_not_allowed",
    )
    assert "待派单" in body["message"]
    assert_error(
        api(plant.requester).post(url, {"action": "accept", "version": 1}), 403, "forbidden"
    )
    api(plant.wang).post(url, {"action": "accept", "version": 1})
    assert_error(
        api(plant.wang).post(url, {"action": "depart", "version": 1}), 409, "stale_version"
    )
    assert_error(
        api(plant.wang).post(url, {"action": "depart"}), 422, "validation_error", "version"
    )
    assert_error(
        api(plant.wang).post(url, {"action": "depart", "version": "two"}),
        422,
        "validation_error",
        "version",
    )
    order.refresh_from_db()
    assert order.version == 2 and order.events.count() == 2


def test_patch_edits_fields_with_version_check(plant, api, new_order):
    order = new_order()
    client = api(plant.dispatcher)
    response = client.patch(
        f"work-orders/{order.number}",
        {"version": 1, "title": "注塑机不启动（二号机）", "data": {"machine_stopped": True}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"symptom": "no_start", "machine_stopped": True}
    assert_error(
        client.patch(f"work-orders/{order.number}", {"version": 1, "title": "x"}),
        409,
        "stale_version",
    )
    assert_error(
        api(plant.requester).patch(f"work-orders/{order.number}", {"version": 2, "title": "x"}),
        403,
        "forbidden",
    )
    event = order.events.latest("id")
    assert event.data["after"]["title"] == "注塑机不启动（二号机）"


def test_dispatcher_assigns_through_the_api(plant, api, new_order):
    order = new_order()
    url = f"work-orders/{order.number}/assign"
    response = api(plant.dispatcher).post(url, {"assignee": "zhang", "version": 1})
    assert response.status_code == 200
    assert response.json()["assignee"]["username"] == "zhang"
    assert response.json()["state"] == "assigned"
    assert_error(api(plant.wang).post(url, {"assignee": "wang", "version": 2}), 403, "forbidden")


def test_comments(plant, api, new_order):
    order = new_order()
    client = api(plant.clerk)
    response = client.post(
        f"work-orders/{order.number}/comments",
        {"body": "电话确认：下午到", "on_behalf_of": "wang"},
    )
    assert response.status_code == 201
    assert response.json()["on_behalf_of"]["username"] == "wang"
    assert_error(
        client.post(f"work-orders/{order.number}/comments", {"body": "  "}),
        422,
        "validation_error",
        "body",
    )
    comments = client.get(f"work-orders/{order.number}/comments").json()
    assert [c["body"] for c in comments] == ["电话确认：下午到"]


def test_a_created_order_reads_exactly_as_its_schema_renders_it(plant, api):
    """The create answers without validating its data against WorkOrderOut again; the
    answer must be byte for byte what ninja's validated rendering gives, with every
    field filled: an assignee, team and region from routing, deadlines from SLA, the
    machine, the requester and the clerk who entered it."""
    from django.test import RequestFactory

    from gongdan.api import api as ninja_api
    from gongdan.routing.models import RoutingRule
    from gongdan.sla.models import SlaPolicy
    from gongdan.workorders.api import WorkOrderOut, order_out

    SlaPolicy.objects.create(
        name="红色", priority="red", clock="24x7", response_minutes=15, resolution_minutes=240
    )
    RoutingRule.objects.create(
        name="都给王工", position=1, condition={}, action={"strategy": "named", "person": "wang"}
    )
    response = api(plant.clerk).post(
        "work-orders", {**ORDER, "requester": "requester", "on_behalf_of": "requester"}
    )
    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(number=response.json()["number"])
    body = response.json()
    assert body["assignee"]["username"] == "wang" and body["entered_by"]["username"] == "clerk"
    assert body["asset"] == "IMM-001" and body["response_due_at"] and body["team"]
    validated = WorkOrderOut.model_validate(order_out(order)).model_dump()
    rendered = ninja_api.create_response(RequestFactory().get("/"), validated, status=201)
    assert response.content == rendered.content
    assert response["Content-Type"] == rendered["Content-Type"]
