from __future__ import annotations

import pytest

from gongdan.core.errors import Forbidden, StaleVersion, TransitionNotAllowed, ValidationFailed
from gongdan.workorders.models import EventKind
from gongdan.workorders.services import (
    available_transitions,
    comment_create,
    work_order_assign,
    work_order_transition,
)


def test_engineer_grabs_a_new_order_and_becomes_its_assignee(plant, new_order):
    order = new_order()
    order = work_order_transition(order=order, actor=plant.wang, action="accept", version=1)
    assert order.assignee == plant.wang
    assert order.state.key == "accepted" and order.state_category == "in_progress"
    assert order.version == 2
    assert order.first_response_at is not None
    event = order.events.latest("id")
    assert (event.kind, event.action, event.from_state, event.to_state) == (
        EventKind.TRANSITION,
        "accept",
        "new",
        "accepted",
    )


def test_full_repair_from_report_to_close(plant, new_order):
    order = new_order()
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang, version=1)
    assert order.state.key == "assigned"
    for action in ("accept", "depart", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.wang, action=action, version=order.version
        )
    assert order.arrived_at is not None
    with pytest.raises(ValidationFailed) as exc:
        work_order_transition(
            order=order, actor=plant.wang, action="resolve", version=order.version
        )
    assert {"fault_cause", "fix_action", "fault_category", "fix_result"} <= set(exc.value.errors)
    order = work_order_transition(
        order=order,
        actor=plant.wang,
        action="resolve",
        version=order.version,
        data={
            "fault_category": "electrical",
            "fault_cause": "接触器烧毁",
            "fix_action": "更换接触器",
            "fix_result": "fixed",
        },
    )
    assert order.state_category == "resolved" and order.resolved_at is not None
    order = work_order_transition(
        order=order, actor=plant.requester, action="close", version=order.version
    )
    assert order.state_category == "closed" and order.closed_at is not None
    actions = list(order.events.values_list("action", flat=True))
    assert actions == ["", "assign", "accept", "depart", "arrive", "resolve", "close"]


def test_action_not_allowed_from_this_state_is_a_conflict_that_says_why(plant, new_order):
    order = new_order()
    with pytest.raises(TransitionNotAllowed) as exc:
        work_order_transition(order=order, actor=plant.admin, action="resolve", version=1)
    assert "待派单" in exc.value.message
    order.refresh_from_db()
    assert order.version == 1 and order.events.count() == 1


def test_requester_cannot_fire_the_engineers_actions(plant, new_order):
    order = new_order()
    with pytest.raises(Forbidden) as exc:
        work_order_transition(order=order, actor=plant.requester, action="accept", version=1)
    assert "报修人" in exc.value.message


def test_only_the_assignee_may_depart(plant, new_order):
    order = new_order()
    order = work_order_transition(order=order, actor=plant.wang, action="accept", version=1)
    with pytest.raises(Forbidden):
        work_order_transition(order=order, actor=plant.li, action="depart", version=2)


def test_an_order_taken_by_one_engineer_cannot_be_grabbed_by_another(plant, new_order):
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    order.refresh_from_db()
    with pytest.raises(Forbidden) as exc:
        work_order_transition(order=order, actor=plant.li, action="accept", version=order.version)
    assert "王工" in exc.value.message


def test_stale_version_is_refused_and_nothing_is_written(plant, new_order):
    order = new_order()
    work_order_transition(order=order, actor=plant.wang, action="accept", version=1)
    with pytest.raises(StaleVersion):
        work_order_transition(order=order, actor=plant.wang, action="depart", version=1)
    order.refresh_from_db()
    assert order.state.key == "accepted" and order.version == 2
    assert order.events.count() == 2


def test_decline_needs_a_reason_and_puts_the_order_back_in_the_queue(plant, new_order):
    order = new_order()
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    with pytest.raises(ValidationFailed) as exc:
        work_order_transition(
            order=order, actor=plant.wang, action="decline", version=order.version
        )
    assert "comment" in exc.value.errors
    order = work_order_transition(
        order=order,
        actor=plant.wang,
        action="decline",
        version=order.version,
        comment="今天在外地",
    )
    assert order.assignee is None and order.state.key == "new"
    assert order.comments.get().body == "今天在外地"


def test_reopen_clears_the_resolution(plant, new_order):
    order = new_order()
    order = work_order_transition(order=order, actor=plant.wang, action="accept", version=1)
    order = work_order_transition(order=order, actor=plant.wang, action="arrive", version=2)
    order = work_order_transition(
        order=order,
        actor=plant.wang,
        action="resolve",
        version=3,
        data={
            "fault_category": "mechanical",
            "fault_cause": "a",
            "fix_action": "b",
            "fix_result": "fixed",
        },
    )
    order = work_order_transition(
        order=order, actor=plant.requester, action="reopen", version=4, comment="又坏了"
    )
    assert order.resolved_at is None and order.state.key == "on_site"


def test_transitions_offered_are_the_ones_the_user_may_fire(plant, new_order):
    order = new_order()
    assert [t.key for t in available_transitions(order, plant.wang)] == ["accept"]
    assert [t.key for t in available_transitions(order, plant.requester)] == ["cancel"]
    assert [t.key for t in available_transitions(order, plant.manager)] == []


def test_assignees_first_comment_is_the_first_response(plant, new_order):
    order = new_order()
    order = work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    assert order.first_response_at is None
    comment_create(order=order, actor=plant.wang, body="半小时到")
    order.refresh_from_db()
    assert order.first_response_at is not None


def test_only_dispatchers_assign_and_only_to_engineers(plant, new_order):
    order = new_order()
    with pytest.raises(Forbidden):
        work_order_assign(order=order, actor=plant.wang, assignee=plant.wang)
    with pytest.raises(ValidationFailed):
        work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.clerk)


def test_requester_actions_belong_to_the_orders_own_requester(plant, new_order):
    order = new_order()
    for action in ("accept", "arrive"):
        order = work_order_transition(
            order=order, actor=plant.wang, action=action, version=order.version
        )
    order = work_order_transition(
        order=order,
        actor=plant.wang,
        action="resolve",
        version=order.version,
        data={
            "fault_category": "electrical",
            "fault_cause": "a",
            "fix_action": "b",
            "fix_result": "fixed",
        },
    )
    with pytest.raises(Forbidden):
        work_order_transition(
            order=order, actor=plant.other_requester, action="close", version=order.version
        )
    order = work_order_transition(
        order=order, actor=plant.requester, action="close", version=order.version
    )
    assert order.state_category == "closed"
