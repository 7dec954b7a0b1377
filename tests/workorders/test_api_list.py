"""The API order list: each row is the order exactly as its own page in the API shows it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongdan.core.models import Role, User
from gongdan.workorders.services import work_order_assign, work_order_transition


@pytest.fixture
def varied_orders(plant, new_order):
    """Orders that between them fill and leave empty every field a list row shows."""
    named = User.objects.create_user(
        username="sun", role=Role.REQUESTER, first_name="小明", last_name="孙"
    )
    bare = User.objects.create_user(username="op-17", role=Role.REQUESTER)
    plain = new_order()
    no_asset = new_order(
        actor=plant.clerk,
        on_behalf_of=named,
        asset=None,
        customer="宁波某塑料厂",
        priority="red",
        description="客户电话报修。",
    )
    by_bare = new_order(actor=bare, asset=plant.south_press)
    resolved = new_order(priority="blue")
    resolved = work_order_assign(
        order=resolved, actor=plant.dispatcher, assignee=plant.wang, version=1
    )
    for action in ("accept", "depart", "arrive"):
        resolved = work_order_transition(
            order=resolved, actor=plant.wang, action=action, version=resolved.version
        )
    resolved = work_order_transition(
        order=resolved,
        actor=plant.wang,
        action="resolve",
        version=resolved.version,
        data={
            "fault_category": "electrical",
            "fault_cause": "接触器烧毁",
            "fix_action": "更换接触器",
            "fix_result": "fixed",
        },
    )
    return [plain, no_asset, by_bare, resolved]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_list_row_is_the_order_as_its_own_page_shows_it(plant, api, varied_orders, language):
    client = api(plant.dispatcher)
    client.headers["Accept-Language"] = language
    rows = client.get("work-orders", page_size=200).json()["results"]
    assert {row["number"] for row in rows} == {order.number for order in varied_orders}
    for row in rows:
        assert row == client.get(f"work-orders/{row['number']}").json()


def test_people_are_named_in_the_list_as_everywhere_else(plant, api, varied_orders):
    rows = api(plant.dispatcher).get("work-orders", page_size=200).json()["results"]
    names = {
        (who, row[who]["username"]): row[who]["name"]
        for row in rows
        for who in ("requester", "assignee", "created_by", "entered_by")
        if row[who]
    }
    assert names[("requester", "sun")] == "小明 孙"
    assert names[("requester", "op-17")] == "op-17"
    assert names[("entered_by", "clerk")] == "赵文员"
    assert names[("assignee", "wang")] == "王工"


def test_state_and_type_names_follow_the_language_asked_for(plant, api, varied_orders):
    client = api(plant.dispatcher)
    chinese = client.get("work-orders", priority="blue").json()["results"][0]
    client.headers["Accept-Language"] = "en"
    english = client.get("work-orders", priority="blue").json()["results"][0]
    assert chinese["state"] == english["state"] == "resolved"
    assert chinese["state_name"] == plant.repair.states.get(key="resolved").name_zh
    assert english["state_name"] == plant.repair.states.get(key="resolved").name_en
    assert (chinese["type_name"], english["type_name"]) == (
        plant.repair.name_zh,
        plant.repair.name_en,
    )


def test_a_list_page_costs_the_same_queries_however_many_rows_it_holds(
    plant, api, varied_orders, new_order
):
    for i in range(8):
        new_order(title=f"order {i}", asset=None if i % 2 else plant.press)
    client = api(plant.dispatcher)
    client.get("me")  # the token's first use is recorded once; keep it out of the count

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("work-orders", page_size=page_size)
        assert len(response.json()["results"]) == page_size
        return len(captured.captured_queries)

    assert queries(1) == queries(12)


@pytest.mark.parametrize("sort", [None, "-created", "priority", "number", "-due"])
def test_pages_follow_one_another_in_the_list_order(plant, api, varied_orders, new_order, sort):
    for i in range(5):
        new_order(title=f"order {i}", priority=["red", "yellow", "blue"][i % 3])
    client = api(plant.dispatcher)
    params = {"sort": sort} if sort else {}
    whole = [
        o["number"] for o in client.get("work-orders", page_size=200, **params).json()["results"]
    ]
    paged = [
        o["number"]
        for page in (1, 2, 3, 4)
        for o in client.get("work-orders", page=page, page_size=3, **params).json()["results"]
    ]
    assert paged == whole and len(whole) == 9
    assert client.get("work-orders", page=5, page_size=3, **params).json()["results"] == []
