"""Moving an order: workflow transitions, assignment and edits."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import (
    Forbidden,
    TransitionNotAllowed,
    ValidationFailed,
)
from gongdan.core.models import User

from .. import permissions, signals
from ..definitions import type_definition
from ..models import (
    OPEN_CATEGORIES,
    PRIORITY_RANK,
    Comment,
    EventKind,
    Priority,
    StateCategory,
    Transition,
    WorkflowState,
    WorkOrder,
)
from .common import (
    check_version,
    clean_core,
    data_diff,
    event_record,
    guarded_save,
    lock_order,
    validate_order_data,
)

# --- transitions ---------------------------------------------------------------


def available_transitions(order: WorkOrder, user: User) -> list[Transition]:
    """The transitions ``user`` may fire on ``order`` now."""
    return [
        t
        for t in order.type.transitions.filter(from_states=order.state).select_related("to_state")
        if permissions.transition_refusal(user, order, t) is None
    ]


def _milestones(
    order: WorkOrder, transition: Transition, target: WorkflowState, actor: User, now: Any
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    responder = order.assignee_id == actor.pk or transition.assign_to_actor
    if order.first_response_at is None and responder:
        changes["first_response_at"] = now
    if transition.key == "arrive" and order.arrived_at is None:
        changes["arrived_at"] = now
    if target.category == StateCategory.RESOLVED:
        changes["resolved_at"] = now
    elif target.category == StateCategory.CLOSED:
        changes["closed_at"] = now
        if order.resolved_at is None:
            changes["resolved_at"] = now
    elif target.category in OPEN_CATEGORIES and order.resolved_at is not None:
        # Reopened: the earlier resolution no longer stands.
        changes["resolved_at"] = None
        changes["closed_at"] = None
    return changes


@transaction.atomic
def work_order_transition(
    *,
    order: WorkOrder,
    actor: User,
    action: str,
    version: Any,
    comment: str = "",
    data: dict[str, Any] | None = None,
    on_behalf_of: User | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrder:
    """Fire the workflow action ``action``: check, write, append the event, signal."""
    order = lock_order(order)
    # A stale view is reported before anything else: the caller must reload, and
    # what they may do may have changed (another engineer just took the order).
    version = check_version(order, version)
    transition = (
        order.type.transitions.filter(key=action).select_related("to_state").first()
        if isinstance(action, str)
        else None
    )
    if transition is None:
        raise TransitionNotAllowed(
            _("类型“%(type)s”没有动作“%(action)s”。") % {"type": order.type.name, "action": action},
            {"action": _("未知的动作。")},
        )
    if not transition.from_states.filter(pk=order.state_id).exists():
        raise TransitionNotAllowed(
            _("工单当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": order.state.name, "action": transition.name},
            {"action": _("当前状态不允许此动作。")},
        )
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人操作。"))
        subject = on_behalf_of
    else:
        on_behalf_of = None
        subject = actor
    refusal = permissions.transition_refusal(subject, order, transition)
    if refusal:
        raise Forbidden(refusal)
    if not isinstance(comment, str):
        raise ValidationFailed(_("说明应为文本。"), {"comment": _("应为文本。")})
    comment = comment.strip()
    if transition.requires_comment and not comment:
        raise ValidationFailed(
            _("“%(action)s”需要填写说明。") % {"action": transition.name},
            {"comment": _("此项为必填。")},
        )
    target = transition.to_state
    cleaned = validate_order_data(
        order_type=order.type,
        data=data,
        state_key=target.key,
        existing=order.data,
        extra_required=transition.required_fields,
    )
    now = at or timezone.now()
    from_state = order.state
    changes: dict[str, Any] = {
        "state": target,
        "state_category": target.category,
        "data": cleaned,
        "updated_at": now,
    }
    if transition.assign_to_actor and order.assignee_id != subject.pk:
        changes["assignee"] = subject
    elif transition.clears_assignee:
        changes["assignee"] = None
    changes.update(_milestones(order, transition, target, subject, now))
    before_data = order.data
    guarded_save(order, version, **changes)
    event_record(
        order=order,
        kind=EventKind.TRANSITION,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=transition.key,
        from_state=from_state.key,
        to_state=target.key,
        data=data_diff(before_data, cleaned) | ({"comment": comment} if comment else {}),
        at=now,
    )
    if comment:
        Comment.objects.create(
            order=order, author=actor, on_behalf_of=on_behalf_of, body=comment, created_at=now
        )
    signals.work_order_transitioned.send(
        sender=WorkOrder,
        order=order,
        actor=actor,
        transition=transition,
        from_state=from_state,
        at=now,
    )
    return order


# --- assignment and edits ------------------------------------------------------


@transaction.atomic
def work_order_assign(
    *,
    order: WorkOrder,
    actor: User | None,
    assignee: User | None,
    version: Any | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrder:
    """Give the order to ``assignee`` (None puts it back in the queue).

    ``actor`` None means the system (routing, escalation). A new order moves to
    the type's first *assigned* state, so the board shows it has an owner.
    """
    order = lock_order(order)
    if actor is not None and not permissions.can_assign(actor):
        raise Forbidden(_("只有调度和管理员可以派单。"))
    if version is not None:
        check_version(order, version)
    if assignee is not None and (not assignee.is_active or assignee.role != "engineer"):
        raise ValidationFailed(
            _("只能派给在职的工程师。"), {"assignee": _("只能派给在职的工程师。")}
        )
    previous = order.assignee
    if previous == assignee:
        return order
    from_state = order.state
    changes = assignment_changes(order, assignee)
    guarded_save(order, order.version, updated_at=at or timezone.now(), **changes)
    assignment_record(
        order=order,
        actor=actor,
        previous=previous,
        from_state=from_state,
        reason=reason,
        details=details,
        at=at,
    )
    return order


def assignment_changes(order: WorkOrder, assignee: User | None) -> dict[str, Any]:
    """The columns that giving ``order`` to ``assignee`` sets: the assignee, their
    team, and for a new order the type's first *assigned* state."""
    changes: dict[str, Any] = {"assignee": assignee}
    if assignee is not None and order.state_category == StateCategory.NEW:
        target = type_definition(order.type).assigned_state
        if target is not None:
            changes["state"] = target
            changes["state_category"] = target.category
    if assignee is not None and assignee.team_id:
        changes["team"] = assignee.team
    return changes


def assignment_record(
    *,
    order: WorkOrder,
    actor: User | None,
    previous: User | None,
    from_state: WorkflowState,
    reason: str = "",
    details: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> None:
    """The event and signal of an assignment whose columns are already written (by
    ``work_order_assign``, or in the INSERT of an order routed before it was saved)."""
    assignee = order.assignee
    event_record(
        order=order,
        kind=EventKind.ASSIGNED,
        actor=actor,
        action="assign",
        from_state=from_state.key,
        to_state=order.state.key if order.state_id != from_state.pk else "",
        data={
            "before": {"assignee": previous.username if previous else None},
            "after": {"assignee": assignee.username if assignee else None},
            **({"comment": reason} if reason else {}),
            **(details or {}),
        },
        at=at,
    )
    signals.work_order_assigned.send(
        sender=WorkOrder,
        order=order,
        actor=actor,
        previous_assignee=previous,
        at=at or order.updated_at,
    )


@transaction.atomic
def work_order_update(
    *,
    order: WorkOrder,
    actor: User,
    version: Any,
    changes: dict[str, Any],
    on_behalf_of: User | None = None,
) -> WorkOrder:
    """Edit an order's title, description, priority, asset, customer or custom fields."""
    order = lock_order(order)
    if not permissions.can_edit(actor, order):
        raise Forbidden(_("您不能修改这张工单。"))
    version = check_version(order, version)
    title = changes.get("title", order.title)
    priority = changes.get("priority", order.priority)
    description = changes.get("description", order.description)
    errors = clean_core(title=title, priority=priority, description=description)
    cleaned = order.data
    try:
        if "data" in changes:
            cleaned = validate_order_data(
                order_type=order.type,
                data=changes["data"],
                state_key=order.state.key,
                existing=order.data,
            )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    new: dict[str, Any] = {
        "title": title.strip(),
        "description": description.strip(),
        "priority": priority,
        "priority_rank": PRIORITY_RANK[Priority(priority)],
        "data": cleaned,
    }
    if "asset" in changes:
        new["asset"] = changes["asset"]
    if "customer" in changes:
        new["customer"] = str(changes["customer"] or "")[:200]
    before = _snapshot(order)
    guarded_save(order, version, **new)
    after = _snapshot(order)
    diff = data_diff(before, after)
    signals.work_order_updated.send(
        sender=WorkOrder, order=order, actor=actor, before=before, after=after, at=order.updated_at
    )
    event_record(
        order=order,
        kind=EventKind.UPDATED,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action="update",
        data=diff,
    )
    return order


def _snapshot(order: WorkOrder) -> dict[str, Any]:
    return {
        "title": order.title,
        "description": order.description,
        "priority": order.priority,
        "asset": order.asset.code if order.asset else None,
        "customer": order.customer,
        **{f"data.{k}": v for k, v in order.data.items()},
    }
