"""An approval step that waits too long reminds the approver, then escalates —
counted in business time on the plant's calendar, so nights and weekends don't count."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from gongdan.notify.models import Channel, Notification
from gongdan.parts import services
from gongdan.parts.due import approvals_due
from gongdan.parts.models import RequisitionStatus, StepStatus
from gongdan.sla.models import BusinessCalendar
from gongdan.workorders.models import WorkOrderEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in March 2026 (Friday the 13th, then the weekend, Monday the 16th)."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar(db: None) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        code="day",
        name="白班",
        periods=[{"days": [0, 1, 2, 3, 4], "start": "08:30", "end": "17:30"}],
        is_default=True,
    )


def _inbox(user, template):
    return Notification.objects.filter(recipient=user, template=template, channel=Channel.INBOX)


def test_friday_afternoon_request_reminds_on_monday_then_escalates_to_the_deputy(
    plant, store, calendar, request_parts
):
    # ¥640 needs the supervisor, then the manager (deputy: the general manager).
    requisition = request_parts((store.contactor, 2), at=at(13, 16, 30))
    step = requisition.steps.get(position=1)
    # 1 h left on Friday + 1 h on Monday morning.
    assert step.due_at == at(16, 9, 30)
    assert step.escalate_at == at(16, 10, 0)
    assert _inbox(plant.dispatcher, "parts_approval_requested").count() == 1

    services.requisition_decide(
        actor=plant.dispatcher,
        requisition=requisition,
        step=step,
        approve=True,
        version=1,
        at=at(13, 16, 45),
    )
    manager_step = requisition.steps.get(position=2)
    assert manager_step.due_at == at(16, 9, 45)

    for quiet in (at(13, 20), at(14, 12), at(15, 23), at(16, 9, 44)):
        assert approvals_due(now=quiet) == 0
    assert not _inbox(plant.manager, "parts_approval_reminder").exists()

    assert approvals_due(now=at(16, 9, 46)) == 1
    assert approvals_due(now=at(16, 9, 50)) == 0  # claimed once, never twice
    reminder = _inbox(plant.manager, "parts_approval_reminder").get()
    assert requisition.number in reminder.payload["body"]

    # Nobody may sign in the manager's place before the escalation.
    with pytest.raises(services.Forbidden):
        services.requisition_decide(
            actor=store.gm, requisition=requisition, step=manager_step, approve=True, version=2
        )

    assert approvals_due(now=at(16, 10, 16)) == 1
    manager_step.refresh_from_db()
    assert manager_step.deputy == store.gm
    assert manager_step.escalated_at == at(16, 10, 16)
    escalated = _inbox(store.gm, "parts_approval_escalated").get()
    assert "陈经理" in escalated.payload["body"]
    assert escalated.payload["urgent"] is True

    services.requisition_decide(
        actor=store.gm,
        requisition=requisition,
        step=manager_step,
        approve=True,
        version=2,
        comment="代经理审批",
        at=at(16, 10, 20),
    )
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.APPROVED
    assert manager_step.__class__.objects.get(pk=manager_step.pk).status == StepStatus.APPROVED
    actions = list(
        WorkOrderEvent.objects.filter(order=requisition.order, action__startswith="parts_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "parts_approval_reminded",
        "parts_approval_escalated",
        "parts_approved",
        "parts_approval_complete",
    ]
    approved = WorkOrderEvent.objects.filter(action="parts_approved").last()
    assert approved is not None and approved.data["as_deputy"] is True
    # The warehouse keeper gets the pick list once the last signature is in.
    assert _inbox(plant.warehouse, "parts_pick_list").count() == 1


def test_decided_steps_are_never_reminded(plant, store, calendar, request_parts):
    requisition = request_parts((store.heater, 1), at=at(16, 9, 0))
    services.requisition_decide(
        actor=plant.dispatcher,
        requisition=requisition,
        step=requisition.steps.get(),
        approve=True,
        version=1,
        at=at(16, 9, 5),
    )
    assert approvals_due(now=at(17, 12, 0)) == 0
    assert not Notification.objects.filter(template="parts_approval_reminder").exists()


def test_low_stock_warns_the_keeper_once_when_the_threshold_is_crossed(plant, store):
    services.stock_threshold_set(
        actor=plant.warehouse, part=store.contactor, warehouse=store.main, threshold=2
    )
    services.stock_adjust(
        actor=plant.warehouse,
        part=store.contactor,
        warehouse=store.main,
        delta=-1,
        reason="盘点损坏 1 个",
    )
    assert not _inbox(plant.warehouse, "parts_low_stock").exists()
    services.stock_adjust(
        actor=plant.warehouse,
        part=store.contactor,
        warehouse=store.main,
        delta=-1,
        reason="盘点丢失 1 个",
    )
    services.stock_adjust(
        actor=plant.warehouse,
        part=store.contactor,
        warehouse=store.main,
        delta=-1,
        reason="盘点丢失 1 个",
    )
    warning = _inbox(plant.warehouse, "parts_low_stock").get()
    assert "交流接触器" in warning.payload["body"]
    assert "2" in warning.payload["body"]
