"""SLA deadlines on the order, paused while waiting, and an escalation ladder."""

from __future__ import annotations

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from gongdan.notify.models import Notification
from gongdan.notify.services import message_batches_build
from gongdan.sla import due
from gongdan.sla.models import BusinessCalendar, OrderClock, SlaPolicy
from gongdan.sla.services import sla_claim_due, sla_escalate
from gongdan.workorders.models import EventKind, WorkOrder

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def day_shift() -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        code="day",
        name="白班",
        periods=[{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "17:00"}],
    )


@pytest.fixture
def yellow_policy(plant, day_shift) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="维修·黄色",
        order_type=plant.repair,
        priority="yellow",
        clock="business",
        calendar=day_shift,
        response_minutes=60,
        arrival_minutes=240,
        resolution_minutes=8 * 60,
        escalations=[
            {"target": "resolution", "percent": 50, "notify": ["assignee"]},
            {"target": "resolution", "percent": 100, "notify": ["supervisor"]},
            {"target": "resolution", "percent": 150, "notify": ["managers"], "reassign": True},
        ],
    )


def test_deadlines_are_written_on_create_in_business_time(plant, api, yellow_policy):
    # Friday 16:00: one working hour is left today, the rest runs on Monday.
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 13, 16, 0)):
        body = (
            api(plant.requester)
            .post(
                "work-orders",
                {
                    "type": "equipment_repair",
                    "title": "异响",
                    "data": {"symptom": "abnormal_noise"},
                },
            )
            .json()
        )
    assert datetime.datetime.fromisoformat(body["response_due_at"]) == at(2025, 6, 13, 17, 0)
    assert datetime.datetime.fromisoformat(body["arrival_due_at"]) == at(2025, 6, 16, 11, 0)
    assert datetime.datetime.fromisoformat(body["resolution_due_at"]) == at(2025, 6, 16, 15, 0)
    # The requester is told at once (by the ticker's next run, within a second) when
    # to expect a response.
    message_batches_build()
    reply = Notification.objects.get(recipient=plant.requester, template="order_received")
    assert "2025-06-13 17:00" in reply.body


def test_red_orders_count_around_the_clock(plant, new_order):
    SlaPolicy.objects.create(
        name="红色", priority="red", clock="24x7", response_minutes=15, resolution_minutes=240
    )
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 14, 2, 0)):
        order = new_order(priority="red")
    order.refresh_from_db()
    assert order.response_due_at == at(2025, 6, 14, 2, 15)
    assert order.resolution_due_at == at(2025, 6, 14, 6, 0)


def transition(order: WorkOrder, user, action: str, when: datetime.datetime, **extra):
    from gongdan.workorders.services import work_order_transition

    order.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=when):
        return work_order_transition(
            order=order, actor=user, action=action, version=order.version, at=when, **extra
        )


def test_waiting_for_parts_pauses_the_resolution_clock(plant, new_order, yellow_policy):
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 8, 0)):
        order = new_order()
    order.refresh_from_db()
    assert order.resolution_due_at == at(2025, 6, 16, 16, 0)
    transition(order, plant.wang, "accept", at(2025, 6, 16, 8, 10))
    transition(order, plant.wang, "arrive", at(2025, 6, 16, 9, 0))
    transition(order, plant.wang, "wait_parts", at(2025, 6, 16, 10, 0), comment="缺接触器")
    assert OrderClock.objects.get(order=order).paused_at == at(2025, 6, 16, 10, 0)
    # Three working hours waiting (10:00–13:00) push the deadline by three hours,
    # which spill over into Tuesday morning.
    transition(order, plant.wang, "resume", at(2025, 6, 16, 13, 0))
    order.refresh_from_db()
    assert order.resolution_due_at == at(2025, 6, 17, 10, 0)
    clock = OrderClock.objects.get(order=order)
    assert clock.paused_at is None and clock.paused_seconds == 3 * 3600


def test_escalation_ladder_end_to_end(plant, api, yellow_policy):
    from gongdan.routing.models import RoutingRule

    RoutingRule.objects.create(name="同区域", condition={}, action={"region": "order"})
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 8, 0)):
        body = (
            api(plant.requester)
            .post(
                "work-orders",
                {"type": "equipment_repair", "title": "漏油", "data": {"symptom": "oil_leak"}},
            )
            .json()
        )
    first = body["assignee"]["username"]
    order = WorkOrder.objects.get(number=body["number"])
    # 50% of eight working hours: 12:00. Before that, nothing is due.
    assert sla_claim_due(now=at(2025, 6, 16, 11, 59)) == []
    assert sla_escalate(order_id=order.pk, now=at(2025, 6, 16, 12, 0)) == ["resolution:50"]
    # Running it again at the same moment takes no step twice.
    assert sla_escalate(order_id=order.pk, now=at(2025, 6, 16, 12, 0)) == []
    # 16:00 is 100%, Tuesday 12:00 is 150%: supervisor (dispatchers), then managers + reassign.
    assert sla_escalate(order_id=order.pk, now=at(2025, 6, 17, 12, 0)) == [
        "resolution:100",
        "resolution:150",
    ]
    events = list(order.events.filter(kind=EventKind.SLA).order_by("id"))
    assert [(e.data["percent"], e.data["notified"]) for e in events] == [
        (50, [first]),
        (100, ["dispatcher"]),
        (150, ["manager"]),
    ]
    order.refresh_from_db()
    assert events[-1].data["reassigned_to"] == order.assignee.username != first
    assert Notification.objects.filter(
        order=order, recipient=plant.manager, template="sla_breached"
    ).exists()
    # The ladder is done: the ticker finds nothing more for this order.
    assert OrderClock.objects.get(order=order).next_check_at is None


def test_ticker_claims_each_due_escalation_once(plant, new_order, yellow_policy, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 8, 0)):
        new_order()
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 12, 30)):
        assert due.escalations_due() == 1
        assert due.escalations_due() == 0


def test_raising_the_priority_switches_to_the_red_policy_and_keeps_elapsed_time(
    plant, new_order, yellow_policy
):
    from gongdan.workorders.services import work_order_update

    SlaPolicy.objects.create(
        name="红色", priority="red", clock="24x7", response_minutes=15, resolution_minutes=240
    )
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 8, 0)):
        order = new_order()
    assert order.resolution_due_at == at(2025, 6, 16, 16, 0)
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 9, 0)):
        work_order_update(
            order=order, actor=plant.dispatcher, version=order.version, changes={"priority": "red"}
        )
    order.refresh_from_db()
    # The clock still started at 08:00; the red policy counts 4 h around the clock.
    assert order.resolution_due_at == at(2025, 6, 16, 12, 0)
    assert OrderClock.objects.get(order=order).policy.priority == "red"


def test_rebuilding_a_clock_replays_the_pauses_of_an_order_older_than_its_policy(
    plant, new_order, day_shift
):
    from gongdan.sla.services import sla_clock_rebuild

    # Opened Monday 08:00 with no policy; waited for parts 09:00–11:00.
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 6, 16, 8, 0)):
        order = new_order()
    transition(order, plant.wang, "accept", at(2025, 6, 16, 8, 30))
    transition(order, plant.wang, "arrive", at(2025, 6, 16, 8, 45))
    transition(order, plant.wang, "wait_parts", at(2025, 6, 16, 9, 0), comment="缺接触器")
    transition(order, plant.wang, "resume", at(2025, 6, 16, 11, 0))
    order.refresh_from_db()
    assert order.resolution_due_at is None
    SlaPolicy.objects.create(
        name="维修·黄色",
        order_type=plant.repair,
        priority="yellow",
        clock="business",
        calendar=day_shift,
        resolution_minutes=4 * 60,
        escalations=[{"target": "resolution", "percent": 50, "notify": ["assignee"]}],
    )
    clock = sla_clock_rebuild(order=order, now=at(2025, 6, 16, 11, 5))
    order.refresh_from_db()
    # Four working hours from 08:00 plus the two paused: 14:00.
    assert order.resolution_due_at == at(2025, 6, 16, 14, 0)
    # The 50% reminder (10:00 + pause = 12:00) is still ahead, so it stays pending.
    assert clock is not None and clock.steps_done == []
    assert clock.next_check_at == at(2025, 6, 16, 12, 0)
