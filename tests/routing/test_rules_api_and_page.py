"""Administrators edit rules through the API and the page, and test them on a sample order."""

from __future__ import annotations

import pytest
from django.test import Client

from gongdan.routing.models import RoutingRule
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RULE = {
    "name": "红色电气",
    "order_type": "equipment_repair",
    "position": 10,
    "condition": {"field": "priority", "op": "eq", "value": "red"},
    "action": {"skills": ["hv"]},
}


def test_admin_creates_and_tests_a_rule_without_side_effects(plant, api, new_order):
    red, yellow = new_order(priority="red"), new_order(priority="yellow")
    admin = api(plant.admin)
    created = admin.post("routing/rules", RULE)
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    result = admin.post(f"routing/rules/{rule_id}/test", {"order": red.number}).json()
    assert result["matched"] is True and result["winner"] == "wang"
    # Testing changes nothing: the sample order is still waiting for a dispatcher.
    red.refresh_from_db()
    assert red.assignee is None and not red.events.filter(kind="routing").exists()
    result = admin.post(f"routing/rules/{rule_id}/test", {"order": yellow.number}).json()
    assert result["matched"] is False and result["why"] == "condition_not_met"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"condition": {"field": "priority", "op": "like", "value": "r"}}, "condition"),
        ({"action": {"strategy": "fastest"}}, "action"),
        ({"action": {"strategy": "named", "person": "nobody"}}, "action"),
        ({"order_type": "no-such-type"}, "order_type"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(plant, api, change, field):
    response = api(plant.admin).post("routing/rules", {**RULE, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("requester", 403), ("wang", 403), ("dispatcher", 403), ("admin", 201)],
)
def test_only_administrators_change_rules(plant, api, who, status):
    user = getattr(plant, who) if who else None
    assert api(user).post("routing/rules", RULE).status_code == status


def test_dispatchers_may_read_rules(plant, api):
    RoutingRule.objects.create(name="x", condition={}, action={})
    assert api(plant.dispatcher).get("routing/rules").status_code == 200
    assert api(plant.wang).get("routing/rules").status_code == 403


def test_rules_page_saves_and_tests_a_rule(plant, new_order):
    order = new_order(priority="red")
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    response = client.post(
        "/routing/rules/",
        {
            "do": "save",
            "name": "红色电气",
            "order_type": "equipment_repair",
            "position": "10",
            "is_active": "on",
            "condition": '{"field": "priority", "value": "red"}',
            "action": '{"skills": ["hv"]}',
        },
    )
    rule = RoutingRule.objects.get()
    assert response.status_code == 302 and response.url == f"/routing/rules/{rule.pk}/"
    page = client.post(f"/routing/rules/{rule.pk}/", {"do": "test", "order": order.number})
    text = page.content.decode()
    assert page.status_code == 200
    assert "王工" in text and "缺少或过期的证书：hv" in text and "负荷最低" in text
    bad = client.post(
        f"/routing/rules/{rule.pk}/",
        {"do": "save", "name": "x", "condition": "{not json", "action": "{}"},
    )
    assert bad.status_code == 422
    assert RoutingRule.objects.get().name == "红色电气"


def test_rules_page_is_for_administrators(plant):
    client = Client()
    assert client.login(username="dispatcher", password=PASSWORD)
    assert client.get("/routing/rules/").status_code == 403
