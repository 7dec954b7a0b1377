"""Requesting parts from an order, the approval chain, issue, receipt and return."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gongdan.core.errors import Conflict, Forbidden, StaleVersion, ValidationFailed
from gongdan.parts import selectors, services
from gongdan.parts.models import ApprovalRule, RequisitionStatus, StepStatus
from gongdan.workorders.models import WorkOrderEvent


def _step(requisition, position=1):
    return requisition.steps.get(position=position)


def _fresh(requisition):
    requisition.refresh_from_db()
    return requisition


def test_small_request_needs_only_the_supervisor(plant, store, request_parts):
    requisition = request_parts((store.heater, 2))
    assert requisition.amount == Decimal("170.00")
    assert [s.name for s in requisition.steps.all()] == ["主管审批"]
    step = _step(requisition)
    assert step.status == StepStatus.PENDING
    assert step.approver == plant.dispatcher
    services.requisition_decide(
        actor=plant.dispatcher, requisition=requisition, step=step, approve=True, version=1
    )
    assert _fresh(requisition).status == RequisitionStatus.APPROVED
    assert requisition.approved_at is not None


def test_amount_picks_the_chain_supervisor_manager_general_manager(plant, store, request_parts):
    medium = request_parts((store.contactor, 2))
    assert [s.name for s in medium.steps.all()] == ["主管审批", "经理审批"]
    large = request_parts((store.pump, 1))
    assert [s.approver for s in large.steps.all()] == [plant.dispatcher, plant.manager, store.gm]
    # Only the first step is open; later signatures wait their turn.
    assert [s.status for s in large.steps.all()] == ["pending", "waiting", "waiting"]


def test_full_chain_then_issue_receive_return_sets_the_order_cost(
    plant, store, request_parts, assigned_order
):
    requisition = request_parts((store.contactor, 2), (store.heater, 1))
    for position, approver in ((1, plant.dispatcher), (2, plant.manager)):
        services.requisition_decide(
            actor=approver,
            requisition=requisition,
            step=_step(requisition, position),
            approve=True,
            version=_fresh(requisition).version,
            comment="同意",
        )
    assert _fresh(requisition).status == RequisitionStatus.APPROVED
    assert requisition in selectors.pick_list()

    services.requisition_issue(
        actor=plant.warehouse, requisition=requisition, version=requisition.version
    )
    assert store.stock(store.contactor) == 2
    assert store.stock(store.heater) == 9
    assert selectors.order_parts_cost(assigned_order).total == Decimal("725.00")

    services.requisition_receive(
        actor=plant.wang, requisition=requisition, version=_fresh(requisition).version
    )
    line = requisition.lines.get(part=store.contactor)
    services.requisition_return(
        actor=plant.warehouse,
        requisition=requisition,
        quantities={line.pk: 1},
        version=_fresh(requisition).version,
        reason="未使用",
    )
    assert store.stock(store.contactor) == 3
    cost = selectors.order_parts_cost(assigned_order)
    assert cost.total == Decimal("405.00")
    assert cost.by_charge == {"internal": Decimal("405.00")}

    actions = list(
        WorkOrderEvent.objects.filter(order=assigned_order, action__startswith="parts_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "parts_requested",
        "parts_approved",
        "parts_approved",
        "parts_approval_complete",
        "parts_issued",
        "parts_received",
        "parts_returned",
    ]
    assert list(requisition.events.values_list("action", flat=True)) == actions


def test_rejection_ends_the_requisition_and_skips_later_steps(plant, store, request_parts):
    requisition = request_parts((store.contactor, 2))
    with pytest.raises(ValidationFailed) as err:
        services.requisition_decide(
            actor=plant.dispatcher,
            requisition=requisition,
            step=_step(requisition),
            approve=False,
            version=1,
        )
    assert "comment" in err.value.errors  # a rejection must say why
    services.requisition_decide(
        actor=plant.dispatcher,
        requisition=requisition,
        step=_step(requisition),
        approve=False,
        version=1,
        comment="先用旧件修复",
    )
    assert _fresh(requisition).status == RequisitionStatus.REJECTED
    assert _step(requisition, 2).status == StepStatus.SKIPPED
    with pytest.raises(Conflict):
        services.requisition_issue(actor=plant.warehouse, requisition=requisition, version=2)
    assert store.stock(store.contactor) == 4


def test_wrong_person_cannot_approve(plant, store, request_parts):
    requisition = request_parts((store.contactor, 2))
    for outsider in (plant.manager, plant.wang, plant.admin, plant.warehouse):
        with pytest.raises(Forbidden):
            services.requisition_decide(
                actor=outsider,
                requisition=requisition,
                step=_step(requisition),
                approve=True,
                version=1,
            )
    assert _step(requisition).status == StepStatus.PENDING


def test_deciding_a_decided_step_is_a_conflict(plant, store, request_parts):
    requisition = request_parts((store.heater, 1))
    step = _step(requisition)
    services.requisition_decide(
        actor=plant.dispatcher, requisition=requisition, step=step, approve=True, version=1
    )
    with pytest.raises(Conflict) as err:
        services.requisition_decide(
            actor=plant.dispatcher,
            requisition=requisition,
            step=step,
            approve=False,
            version=2,
            comment="改主意了",
        )
    assert not isinstance(err.value, StaleVersion)
    assert _fresh(requisition).status == RequisitionStatus.APPROVED


def test_stale_version_is_refused(plant, store, request_parts):
    requisition = request_parts((store.contactor, 2))
    services.requisition_decide(
        actor=plant.dispatcher,
        requisition=requisition,
        step=_step(requisition),
        approve=True,
        version=1,
    )
    with pytest.raises(StaleVersion):
        services.requisition_decide(
            actor=plant.manager,
            requisition=requisition,
            step=_step(requisition, 2),
            approve=True,
            version=1,
        )
    assert _step(requisition, 2).status == StepStatus.PENDING


def test_request_without_matching_rule_goes_straight_to_the_pick_list(plant, store, request_parts):
    store.supervisor_rule.is_active = False
    store.supervisor_rule.save()
    requisition = request_parts((store.seal, 2))
    assert requisition.status == RequisitionStatus.APPROVED
    assert not requisition.steps.exists()


def test_cannot_issue_more_than_the_shelf_holds(plant, store, request_parts):
    ApprovalRule.objects.update(is_active=False)
    requisition = request_parts((store.heater, 11))
    with pytest.raises(Conflict) as err:
        services.requisition_issue(actor=plant.warehouse, requisition=requisition, version=1)
    assert err.value.code == "out_of_stock"
    assert "quantity" in err.value.errors
    assert store.stock(store.heater) == 10
    assert _fresh(requisition).status == RequisitionStatus.APPROVED


def test_requester_outside_the_order_scope_is_refused(plant, store, request_parts):
    with pytest.raises(Forbidden):
        request_parts((store.heater, 1), actor=plant.zhang)
    with pytest.raises(Forbidden):
        request_parts((store.heater, 1), actor=plant.requester)


def test_bad_lines_name_the_field(plant, store, request_parts):
    with pytest.raises(ValidationFailed) as err:
        request_parts((store.heater, 0), (store.seal, "abc"))
    assert set(err.value.errors) == {"lines.0.quantity", "lines.1.quantity"}
