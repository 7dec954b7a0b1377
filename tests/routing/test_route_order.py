"""Automatic routing on create, decline and acceptance timeout, through the API."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from gongdan.core.models import UserSkill
from gongdan.notify.models import Channel, Endpoint, Notification
from gongdan.notify.services import message_batches_build
from gongdan.office.timeline import timeline
from gongdan.routing import due
from gongdan.routing.models import RoutingTicket
from gongdan.routing.services import routing_accept_timeout, routing_claim_timeouts
from gongdan.workorders.models import EventKind, WorkOrder

pytestmark = pytest.mark.django_db

RED_ELECTRICAL = {
    "type": "equipment_repair",
    "title": "配电柜跳闸，整线停机",
    "priority": "red",
    "asset": "IMM-001",
    "data": {"symptom": "no_start", "fault_category": "electrical"},
}


def routing_event(number: str) -> dict:
    return WorkOrder.objects.get(number=number).events.filter(kind=EventKind.ROUTING).last().data


def test_urgent_electrical_fault_goes_to_certified_electrician(plant, api, electrical_rule):
    plant.electrical.leader = plant.dispatcher
    plant.electrical.save()
    plant.dispatcher.phone = "13800000000"
    plant.dispatcher.save()
    Endpoint.objects.create(
        name="短信",
        kind=Channel.SMS,
        url="http://127.0.0.1:9/sms",
        secret="s",
        config={"access_key_id": "k", "sign_name": "工单", "template_code": "SMS_1"},
    )
    response = api(plant.requester).post("work-orders", RED_ELECTRICAL)
    assert response.status_code == 201
    body = response.json()
    # The 201 already names the assignee: wang holds the valid 高压电工证, li does not.
    assert body["assignee"]["username"] == "wang"
    assert body["state"] == "assigned"
    decision = routing_event(body["number"])
    assert decision["rule"]["name"] == electrical_rule.name
    assert decision["winner"] == "wang"
    # Everyone considered is listed with their load, everyone else under the reason.
    assert [c["user"] for c in decision["candidates"]] == ["wang"]
    assert "li" in decision["excluded"]["missing_or_expired:hv"]
    # The supervisor gets an SMS about it, and wang is told in his inbox, once the
    # ticker has made the messages the create asked for.
    message_batches_build()
    order = WorkOrder.objects.get(number=body["number"])
    sms = Notification.objects.get(order=order, channel=Channel.SMS)
    assert sms.recipient == plant.dispatcher
    assert Notification.objects.filter(
        order=order, recipient=plant.wang, template="order_assigned"
    ).exists()


def test_expired_certificate_does_not_count(plant, api, electrical_rule):
    UserSkill.objects.filter(user=plant.wang).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    body = api(plant.requester).post("work-orders", RED_ELECTRICAL).json()
    assert body["assignee"] is None
    assert body["state"] == "new"
    decision = routing_event(body["number"])
    assert decision["winner"] is None and decision["why"] == "no_candidate"
    # The dispatchers hear that a person must pick someone.
    assert decision["notified"] == ["dispatcher"]
    message_batches_build()
    assert Notification.objects.filter(
        recipient=plant.dispatcher, template="routing_no_candidate"
    ).exists()
    # On the timeline: who was told (by name), why nobody, and who was out for what.
    order = WorkOrder.objects.get(number=body["number"])
    routed = next(s for s in timeline(order, order.events.all()) if s.kind == EventKind.ROUTING)
    details = dict(routed.details)
    assert details["已通知调度"] == str(plant.dispatcher)
    assert details["原因"] == "没有符合条件的人"
    assert "缺少或过期的证书：hv" in details


def test_least_loaded_engineer_of_the_region_gets_routine_orders(
    plant, api, new_order, fallback_rule
):
    first = api(plant.requester).post("work-orders", {**RED_ELECTRICAL, "priority": "yellow"})
    second = api(plant.requester).post("work-orders", {**RED_ELECTRICAL, "priority": "yellow"})
    # Two engineers in the east region: the second order goes to the one without work.
    names = {first.json()["assignee"]["username"], second.json()["assignee"]["username"]}
    assert names == {"wang", "li"}
    decision = routing_event(second.json()["number"])
    assert decision["why"] == "least_loaded"
    assert "zhang" in decision["excluded"]["other_region"]
    assert {c["user"] for c in decision["candidates"]} == {"wang", "li"}
    # The timeline tells it in words: the rule, who got it and why, who was compared
    # with what load, and how many were out for each reason.
    order = WorkOrder.objects.get(number=second.json()["number"])
    routed = [s for s in timeline(order, order.events.all()) if s.kind == EventKind.ROUTING]
    assert routed[0].text.endswith("自动派单：" + fallback_rule.name)
    details = dict(routed[0].details)
    assert details["派给"] == str(order.assignee)
    assert details["原因"] == "负荷最低"
    assert "（负荷 0）" in details["参与比较"] and "（负荷 2）" in details["参与比较"]
    assert details["其他区域"] == f"{len(decision['excluded']['other_region'])} 人"
    with translation.override("en"):
        sentences = timeline(order, order.events.all())
    english = dict(next(s for s in sentences if s.kind == EventKind.ROUTING).details)
    assert english["Reason"] == "Least loaded" and english["other region"].endswith(" people")
    assert "(load 0)" in english["Compared"]


def test_decline_reroutes_to_someone_else(plant, api, fallback_rule):
    body = api(plant.requester).post("work-orders", RED_ELECTRICAL).json()
    first = body["assignee"]["username"]
    engineer = plant.wang if first == "wang" else plant.li
    response = api(engineer).post(
        f"work-orders/{body['number']}/transitions",
        {"action": "decline", "version": body["version"], "comment": "在外地"},
    )
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get(number=body["number"])
    assert order.assignee is not None and order.assignee.username != first
    decision = routing_event(body["number"])
    assert decision["trigger"] == "declined"
    assert decision["excluded"]["declined_or_timed_out"] == [first]


def test_order_not_accepted_in_time_is_rerouted_once(plant, api, electrical_rule):
    # Li gets a certificate too, so there is someone to fall back on.
    UserSkill.objects.create(user=plant.li, skill=plant.hv)
    body = api(plant.requester).post("work-orders", RED_ELECTRICAL).json()
    first = body["assignee"]["username"]
    ticket = RoutingTicket.objects.get(order__number=body["number"])
    assert ticket.accept_due_at is not None
    later = ticket.accept_due_at + datetime.timedelta(seconds=1)
    # Two tickers at once: only one claims the order.
    assert routing_claim_timeouts(now=later) == [ticket.order_id]
    assert routing_claim_timeouts(now=later) == []
    assert routing_accept_timeout(order_id=ticket.order_id, now=later)
    order = WorkOrder.objects.get(number=body["number"])
    assert order.assignee is not None and order.assignee.username != first
    assert routing_event(body["number"])["trigger"] == "not_accepted"


def test_accepted_order_is_left_alone_by_the_ticker(plant, api, electrical_rule):
    body = api(plant.requester).post("work-orders", RED_ELECTRICAL).json()
    api(plant.wang).post(
        f"work-orders/{body['number']}/transitions",
        {"action": "accept", "version": body["version"]},
    )
    assert RoutingTicket.objects.get(order__number=body["number"]).accept_due_at is None
    assert due.accept_timeouts_due() == 0


def test_an_order_without_a_region_fits_nobody_under_a_same_region_rule(plant, api, fallback_rule):
    """ "The order's region" of an order that has none is no region at all: an engineer
    without a region is not taken for a match; the dispatchers are told instead."""
    from gongdan.core.models import Role

    plant.user("zhao", Role.ENGINEER, "赵工")  # no region
    body = {k: v for k, v in RED_ELECTRICAL.items() if k != "asset"}
    created = api(plant.other_requester).post("work-orders", {**body, "priority": "yellow"})
    assert created.status_code == 201, created.content
    assert created.json()["assignee"] is None and created.json()["region"] is None
    decision = routing_event(created.json()["number"])
    assert decision["candidates"] == [] and decision["winner"] is None
    assert {"zhao", "wang", "li", "zhang"} <= set(decision["excluded"]["other_region"])


def test_without_rules_orders_wait_for_the_dispatcher(plant, api):
    body = api(plant.requester).post("work-orders", RED_ELECTRICAL).json()
    assert body["assignee"] is None
    assert (
        not WorkOrder.objects.get(number=body["number"])
        .events.filter(kind=EventKind.ROUTING)
        .exists()
    )
