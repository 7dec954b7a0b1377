"""The permission matrix: each endpoint as anonymous, as a role without the right,
as the right role outside its scope, and as the right role."""

from __future__ import annotations

import pytest

from gongdan.workorders.models import WorkOrderType
from tests.workorders.test_api_work_orders import assert_error

MINIMAL_TYPE = {
    "key": "kettle_repair",
    "name": {"zh": "水壶维修", "en": "Kettle repair"},
    "fields": [{"key": "room", "label": {"zh": "房间"}, "type": "text", "required": True}],
    "states": [
        {"key": "open", "name": {"zh": "待处理"}, "category": "new", "initial": True},
        {"key": "done", "name": {"zh": "完成"}, "category": "resolved"},
    ],
    "transitions": [
        {
            "key": "finish",
            "name": {"zh": "完成"},
            "from": ["open"],
            "to": "done",
            "roles": ["engineer"],
        }
    ],
}


def test_everyone_signed_in_reads_types_with_fields_states_and_transitions(plant, api):
    assert_error(api(None).get("work-order-types"), 401, "unauthenticated")
    types = api(plant.requester).get("work-order-types").json()
    repair = next(t for t in types if t["key"] == "equipment_repair")
    assert repair["name"]["zh"] == "设备维修"
    assert {"fields", "states", "transitions"} <= set(repair)
    assert repair["transitions"][0]["key"] == "accept"


@pytest.mark.parametrize("role", ["dispatcher", "manager", "wang", "requester", "clerk"])
def test_only_administrators_change_types(plant, api, role):
    client = api(getattr(plant, role))
    assert_error(client.post("work-order-types", MINIMAL_TYPE), 403, "forbidden")
    assert_error(client.put("work-order-types/equipment_repair", MINIMAL_TYPE), 403, "forbidden")
    assert_error(client.delete("work-order-types/equipment_repair"), 403, "forbidden")
    assert not WorkOrderType.objects.filter(key="kettle_repair").exists()


def test_administrator_creates_updates_and_deletes_a_type(plant, api):
    client = api(plant.admin)
    response = client.post("work-order-types", MINIMAL_TYPE)
    assert response.status_code == 201, response.content
    assert_error(client.post("work-order-types", MINIMAL_TYPE), 422, "validation_error", "key")
    changed = {**MINIMAL_TYPE, "name": {"zh": "热水壶维修"}}
    assert client.put("work-order-types/kettle_repair", changed).json()["name"] == {
        "zh": "热水壶维修"
    }
    assert client.delete("work-order-types/kettle_repair").status_code == 204
    assert_error(client.get("work-order-types/kettle_repair"), 404, "not_found")


def test_a_malformed_type_is_refused_field_by_field(plant, api):
    bad = {**MINIMAL_TYPE, "transitions": [{**MINIMAL_TYPE["transitions"][0], "to": "nowhere"}]}
    body = assert_error(api(plant.admin).post("work-order-types", bad), 422, "validation_error")
    assert "nowhere" in str(body["errors"])
    assert not WorkOrderType.objects.filter(key="kettle_repair").exists()


def test_a_type_in_use_cannot_be_deleted(plant, api, new_order):
    new_order()
    body = assert_error(
        api(plant.admin).delete("work-order-types/equipment_repair"), 409, "conflict"
    )
    assert body["message"]


def test_requesters_see_only_their_own_orders(plant, api, new_order):
    mine = new_order()
    theirs = new_order(actor=plant.other_requester)
    client = api(plant.requester)
    listed = [o["number"] for o in client.get("work-orders").json()["results"]]
    assert listed == [mine.number]
    assert_error(client.get(f"work-orders/{theirs.number}"), 404, "not_found")
    assert_error(client.get(f"work-orders/{theirs.number}/events"), 404, "not_found")
    assert_error(
        client.post(f"work-orders/{theirs.number}/comments", {"body": "hi"}), 404, "not_found"
    )


def test_engineers_see_their_team_and_region_only(plant, api, new_order):
    east = new_order(asset=plant.press)  # east region: wang and li
    south = new_order(asset=plant.south_press)  # south region: zhang
    wang = api(plant.wang)
    assert [o["number"] for o in wang.get("work-orders").json()["results"]] == [east.number]
    assert_error(wang.get(f"work-orders/{south.number}"), 404, "not_found")
    assert_error(
        wang.post(f"work-orders/{south.number}/transitions", {"action": "accept", "version": 1}),
        404,
        "not_found",
    )
    zhang = api(plant.zhang)
    response = zhang.post(
        f"work-orders/{south.number}/transitions", {"action": "accept", "version": 1}
    )
    assert response.status_code == 200


def test_engineer_scope_is_configurable(plant, api, new_order, settings):
    settings.ENGINEER_SCOPE = "team"
    east = new_order(asset=plant.press)
    # Orders carry the region of their machine but no team until assigned.
    assert api(plant.wang).get("work-orders").json()["count"] == 0
    from gongdan.workorders.services import work_order_assign

    work_order_assign(order=east, actor=plant.dispatcher, assignee=plant.li)
    assert api(plant.wang).get("work-orders").json()["count"] == 1


@pytest.mark.parametrize("role", ["dispatcher", "manager", "admin", "clerk"])
def test_office_roles_see_every_order(plant, api, new_order, role):
    new_order(asset=plant.press)
    new_order(asset=plant.south_press, actor=plant.other_requester)
    assert api(getattr(plant, role)).get("work-orders").json()["count"] == 2


def test_openapi_and_docs_list_every_endpoint(plant, client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/work-order-types",
        "/api/v1/work-order-types/{key}",
        "/api/v1/work-orders",
        "/api/v1/work-orders/{number}",
        "/api/v1/work-orders/{number}/transitions",
        "/api/v1/work-orders/{number}/events",
        "/api/v1/work-orders/{number}/comments",
        "/api/v1/work-orders/{number}/attachments",
    } <= paths
    assert client.get("/api/v1/docs").status_code == 200
